import Foundation
import NSTGuidance
import NSTImage
import NSTNetwork
import NSTTensor
import Testing
@testable import NSTTransfer
import NSTTestSupport

/// The full guided objective (region-weighted content + guided style + TV) against finite differences.
struct SpatialGradientTests {
    @Test("guided objective (region-weighted content, guided style, TV) matches finite differences in every propagation mode",
          arguments: PropagationMode.allCases, [(Float(1), Float(0)), (Float(1), Float(1000))])
    func guidedObjective(mode: PropagationMode, weights: (Float, Float)) throws {
        var config = RunConfiguration()
        // chelsea.png's black, white and green regions, each from the same colour's region of astronaut.png.
        config.content = exampleImage("content/chelsea.png")
        config.style = [exampleImage("content/astronaut.png")]
        config.contentMask = maskFile("chelsea_regions.png")
        config.styleMasks = [maskFile("astronaut_regions.png")]
        config.palette = .deepPhoto
        config.output = FileManager.default.temporaryDirectory.appendingPathComponent("nst-unused.png").path
        config.size = 48
        config.propagation = mode
        config.erosion = mode == .all ? 1 : 0
        config.featherRadius = 3
        config.regionWeighting = .area
        config.contentRegionWeights = ["black": 3, "white": 0.5]
        config.tvWeight = 1
        config.contentWeight = weights.0
        config.styleWeight = weights.1
        config.contentLayers = ["relu2_2", "conv4_2"]
        config.styleLayers = ["relu1_1", "pool2", "relu3_1", "relu4_1"]
        let plan = try config.plan()
        let network = VGG19(weights: tinyWeights)
        network.convKernel = .im2col   // finite differences need an exact forward
        let stage = try #require(plan.stages.first)
        let content = VGGInput.fromImage(try plan.content.resized(width: stage.width, height: stage.height))
        let styleImages = try plan.styles.map { try $0.resized(longestSide: stage.styleLongestSide) }
        let guidance = try #require(plan.guidance).prepared(contentWidth: stage.width, contentHeight: stage.height,
                                                            styleSizes: styleImages.map { (width: $0.width, height: $0.height) })
        let styles = styleImages.map(VGGInput.fromImage)
        let guided = try GuidedObjectiveTerms(guidance: guidance, network: network, styles: styles, plan: plan)
        #expect(guided.styleLayers.count == 4 && guided.contentWeights.count == 2)
        let objective = TransferObjective(network: network, content: content, styles: styles, plan: plan, guided: guided)
        var rng = SplitMix64(seed: 5)
        let x = content.data.map { $0 + (rng.nextUnitFloat() - 0.5) * 40 }
        var gradient = [Float](repeating: 0, count: x.count)
        let loss = objective.evaluate(x, &gradient)
        let b = objective.lastBreakdown
        #expect(b.content > 0 && b.tv > 0 && (b.style > 0) == (weights.1 > 0))
        #expect(abs(b.layers.map(\.value).reduce(0, +) - (b.content + b.style)) <= 1e-4 * loss)
        for seed in 0..<2 {
            var r = SplitMix64(seed: UInt64(200 + seed))
            let direction = gradient.map { g in (g < 0 ? -1 : 1) * r.nextUnitFloat() }
            let analytic = zip(gradient, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            // Random magnitudes with the gradient's signs: a fully random direction makes the slope a cancelling sum,
            // tiny against the loss (~1e8 here), so Float32 quantisation would swamp it. A wrong gradient still
            // disagrees, since the numeric slope measures the true one along whatever direction is chosen.
            // As in LossTests: several steps, since float quantisation and ReLU/max-pool kinks each spoil one end.
            let estimates = [0.01, 0.03, 0.1].map { (h: Float) in
                directionalDerivative({ v in var g = [Float](repeating: 0, count: v.count)
                                        return objective.evaluate(v, &g) }, at: x, along: direction, step: h)
            }
            let best = estimates.min { abs($0 - analytic) < abs($1 - analytic) } ?? .nan
            #expect(abs(best - analytic) <= 1e-2 * abs(analytic), "\(mode) \(weights) loss \(loss) direction \(seed): numeric \(estimates), analytic \(analytic)")
        }
    }

    @Test("one region covering everything with the whole style image is the plain Gram objective")
    func singleRegionIsPlain() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = tinyConfiguration(output: folder.appendingPathComponent("unused.png"))
        let all = try writeMask("all.png", in: folder, width: 600, height: 400) { _, _ in true }   // coffee.png's size
        let network = VGG19(weights: tinyWeights)
        network.convKernel = .im2col   // finite differences need an exact forward
        let plainPlan = try config.plan()
        var region = RegionSpec()
        region.contentGuide = all
        config.regions = [region]
        config.propagation = .simple
        let guidedPlan = try config.plan()
        let stage = try #require(plainPlan.stages.first)
        let content = VGGInput.fromImage(try plainPlan.content.resized(width: stage.width, height: stage.height))
        let styleImages = try plainPlan.styles.map { try $0.resized(longestSide: stage.styleLongestSide) }
        let styles = styleImages.map(VGGInput.fromImage)
        let guidance = try #require(guidedPlan.guidance).prepared(contentWidth: stage.width, contentHeight: stage.height,
                                                                  styleSizes: styleImages.map { (width: $0.width, height: $0.height) })
        let plain = TransferObjective(network: network, content: content, styles: styles, plan: plainPlan)
        let guided = TransferObjective(network: network, content: content, styles: styles, plan: guidedPlan,
                                       guided: try GuidedObjectiveTerms(guidance: guidance, network: network, styles: styles, plan: guidedPlan))
        var rng = SplitMix64(seed: 3)
        let x = content.data.map { $0 + (rng.nextUnitFloat() - 0.5) * 40 }
        var g1 = [Float](repeating: 0, count: x.count), g2 = g1
        let l1 = plain.evaluate(x, &g1), l2 = guided.evaluate(x, &g2)
        #expect(abs(l1 - l2) <= 1e-4 * l1, "plain \(l1), guided \(l2)")
        let scale = g1.map { abs($0) }.max() ?? 1
        #expect(zip(g1, g2).allSatisfy { abs($0 - $1) <= 1e-3 * scale })
        #expect(plain.lastBreakdown.layers.map(\.columnName) == guided.lastBreakdown.layers.map(\.columnName))
    }
}
