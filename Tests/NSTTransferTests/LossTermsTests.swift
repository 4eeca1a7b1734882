import Foundation
import NSTImage
import NSTNetwork
import NSTTensor
import Testing
@testable import NSTTransfer
import NSTTestSupport

@Suite("Loss terms as values")
struct LossTermsTests {
    /// The objective's loss, breakdown and gradient equal, bit for bit, the loss structs applied by hand in the order
    /// the objective documents (content then style at each layer during the backward, then TV on the input).
    @Test("the objective over its term list equals the loss structs summed by hand, bit for bit")
    func termsSumBitwise() throws {
        guard FileManager.default.fileExists(atPath: sharedImage("gatys/tubingen.jpg")) else {
            print("skipped: ../shared/images is not there"); return
        }
        var config = RunConfiguration()
        config.content = sharedImage("gatys/tubingen.jpg")
        config.style = [sharedImage("gatys/starry_night.jpg"), sharedImage("gatys/the_scream.jpg")]
        config.styleBlend = [0.6, 0.4]
        config.size = 32
        config.tvWeight = 3
        config.contentLayers = ["relu2_2", "relu4_2"]
        config.styleLayers = ["relu1_1", "relu2_2", "relu3_1"]
        let plan = try config.plan()
        let network = VGG19(weights: tinyWeights, pooling: .max)
        let stage = plan.stages[0]
        let content = VGGInput.fromImage(try plan.content.resized(width: stage.width, height: stage.height))
        let styles = try plan.styles.map { VGGInput.fromImage(try $0.resized(longestSide: stage.styleLongestSide)) }
        let objective = TransferObjective(network: network, content: content, styles: styles, plan: plan)
        #expect(objective.terms.map(\.name) == ["content", "style", "tv"])
        var rng = SplitMix64(seed: 5)
        let x = content.data.map { $0 + (rng.nextUnitFloat() - 0.5) * 30 }
        var gradient = [Float](repeating: 0, count: x.count)
        let loss = objective.evaluate(x, &gradient)

        // By hand.
        let contentFeatures = network.forward(content, layers: plan.contentLayers.map(\.layer))
        let contentLosses = plan.contentLayers.map { (layer: $0.layer, loss: ContentLoss(target: contentFeatures[$0.layer]!, weight: config.contentWeight * $0.weight)) }
        let styleFeatures = styles.map { network.forward($0, layers: plan.styleLayers.map(\.layer)) }
        var styleLosses: [(layer: LayerName, loss: StyleLoss)] = plan.styleLayers.map { layer, _ in
            let targets = styleFeatures.map { GramMatrix(of: $0[layer]!) }
            let n = Float(targets[0].order)
            return (layer, StyleLoss(targets: targets, blend: plan.blend, weight: config.styleWeight / (n * n)))
        }
        let input = FeatureMap(channels: 3, height: content.height, width: content.width, data: x)
        let features = network.forward(input, layers: plan.requestedLayers)
        var c: Float = 0, s: Float = 0, perLayer: [String: Float] = [:]
        var dx = network.backward(at: plan.requestedLayers) { layer, g in
            guard let f = features[layer] else { return }
            for term in contentLosses where term.layer == layer {
                let v = term.loss.evaluate(f, accumulateInto: g); c += v; perLayer["content_\(layer)"] = v
            }
            for i in styleLosses.indices where styleLosses[i].layer == layer {
                let v = styleLosses[i].loss.evaluate(f, accumulateInto: g); s += v; perLayer["style_\(layer)"] = v
            }
        }
        let tv = TotalVariationLoss(weight: config.tvWeight).evaluate(input, accumulateInto: &dx)
        let b = objective.lastBreakdown
        #expect(b.content == c && b.style == s && b.tv == tv && loss == c + s + tv)
        #expect(b.layers.map(\.columnName) == ["content_relu2_2", "content_relu4_2", "style_relu1_1", "style_relu2_2", "style_relu3_1"])
        #expect(b.layers.allSatisfy { perLayer[$0.columnName] == $0.value })
        #expect(gradient == dx.data)
    }

    @Test("the registry lists each term once, owns the photorealism keys, and orders unknown names after known ones")
    func registry() {
        #expect(LossTerms.names == ["content", "style", "tv", "photorealism"])
        #expect(LossTerms.settings.map(\.key) == ["photorealism_weight", "photorealism_epsilon", "photorealism_window"])
        #expect(LossTerms.ordered(["zeta", "tv", "content", "tv"]) == ["content", "tv", "zeta"])
        #expect(LossTerms.columns(of: []) == ["content", "style", "tv"])
    }

    @Test("console line and loss log columns come from the term list")
    func derivedOutputs() throws {
        let losses = LossBreakdown(terms: [TermValue(name: "content", value: 2), TermValue(name: "style", value: 3),
                                           TermValue(name: "tv", value: 0), TermValue(name: "photorealism", value: 0.5)],
                                   layers: [LayerLoss(term: "style", layer: try LayerName("relu1_1"), value: 3)])
        let report = IterationReport(iteration: 1, totalIterations: 2, stage: 0, stageCount: 1, width: 4, height: 4,
                                     losses: losses, seconds: 0.25)
        #expect(ConsoleProgress(printEvery: 1, isTerminal: false).describe(report)
                .hasPrefix("it 1/2  loss 5.5 (content 2, style 3, tv 0, photorealism 0.5)"))
        var log = LossLog()
        log.append(report)
        #expect(log.csv() == "iteration,total,content,style,tv,photorealism,seconds,style_relu1_1\n1,5.5,2.0,3.0,0.0,0.5,0.250,3.0\n")
    }
}
