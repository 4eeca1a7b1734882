import Foundation
import NSTImage
import NSTNetwork
import NSTTensor
import Testing
@testable import NSTTransfer
import NSTTestSupport

@Suite("Loss terms")
struct LossTests {
    @Test("Gram matrix (BLAS) equals F·Fᵀ/M computed naively, both triangles")
    func gramMatchesNaive() {
        let f = randomFeatureMap(channels: 5, height: 3, width: 4, seed: 1)
        let g = GramMatrix(of: f)
        for i in 0..<5 {
            for j in 0..<5 {
                var sum: Float = 0
                for p in 0..<12 { sum += f.data[i * 12 + p] * f.data[j * 12 + p] }
                #expect(abs(g.values[i * 5 + j] - sum / 12) < 1e-5)
            }
        }
    }

    @Test("content loss is weight·mean((F−P)²) and its gradient matches finite differences")
    func contentLoss() {
        let p = randomFeatureMap(channels: 3, height: 4, width: 5, seed: 2)
        let f = randomFeatureMap(channels: 3, height: 4, width: 5, seed: 3)
        let loss = ContentLoss(target: p, weight: 2.5)
        var grad = FeatureMap(channels: 3, height: 4, width: 5)
        let value = loss.evaluate(f, accumulateInto: &grad)
        let expected = 2.5 * zip(f.data, p.data).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 60
        #expect(abs(value - expected) < 1e-5)
        checkGradient(of: { x in var g = FeatureMap(channels: 3, height: 4, width: 5)
                          return loss.evaluate(FeatureMap(channels: 3, height: 4, width: 5, data: x), accumulateInto: &g) },
                      analytic: grad.data, at: f.data)
    }

    @Test("style loss with two blended targets: value by definition, gradient by finite differences")
    func styleLoss() {
        let f = randomFeatureMap(channels: 4, height: 3, width: 5, seed: 4)
        let a1 = GramMatrix(of: randomFeatureMap(channels: 4, height: 6, width: 2, seed: 5))
        let a2 = GramMatrix(of: randomFeatureMap(channels: 4, height: 2, width: 2, seed: 6))
        var loss = StyleLoss(targets: [a1, a2], blend: [3, 1], weight: 0.7)
        #expect(loss.blend == [0.75, 0.25])
        var grad = FeatureMap(channels: 4, height: 3, width: 5)
        let value = loss.evaluate(f, accumulateInto: &grad)
        let g = GramMatrix(of: f)
        func mse(_ a: GramMatrix) -> Float { zip(g.values, a.values).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 16 }
        #expect(abs(value - 0.7 * (0.75 * mse(a1) + 0.25 * mse(a2))) < 1e-5 * max(1, value))
        checkGradient(of: { x in var copy = loss; var g = FeatureMap(channels: 4, height: 3, width: 5)
                          return copy.evaluate(FeatureMap(channels: 4, height: 3, width: 5, data: x), accumulateInto: &g) },
                      analytic: grad.data, at: f.data)
    }

    @Test("total variation: value of a known ramp and gradient by finite differences")
    func totalVariation() {
        // One channel, 2×3 ramp x = column index: horizontal differences 1 (4 of them), vertical 0 → sum 4, mean over 6.
        let ramp = FeatureMap(channels: 1, height: 2, width: 3, data: [0, 1, 2, 0, 1, 2])
        var scratch = FeatureMap(channels: 1, height: 2, width: 3)
        #expect(abs(TotalVariationLoss(weight: 3).evaluate(ramp, accumulateInto: &scratch) - 3 * 4 / 6) < 1e-6)
        let x = randomFeatureMap(channels: 3, height: 5, width: 4, seed: 8)
        var grad = FeatureMap(channels: 3, height: 5, width: 4)
        _ = TotalVariationLoss(weight: 1.5).evaluate(x, accumulateInto: &grad)
        checkGradient(of: { v in var g = FeatureMap(channels: 3, height: 5, width: 4)
                          return TotalVariationLoss(weight: 1.5).evaluate(FeatureMap(channels: 3, height: 5, width: 4, data: v), accumulateInto: &g) },
                      analytic: grad.data, at: x.data)
    }

    /// Compares every partial derivative with a central difference.
    func checkGradient(of f: ([Float]) -> Float, analytic: [Float], at x: [Float], h: Float = 1e-2) {
        for i in x.indices {
            var plus = x, minus = x
            plus[i] += h; minus[i] -= h
            let numeric = (f(plus) - f(minus)) / (2 * h)
            #expect(abs(numeric - analytic[i]) <= 2e-3 + 1e-2 * abs(numeric), "component \(i): \(numeric) vs \(analytic[i])")
        }
    }
}

@Suite("Objective through VGG-19", .needsSharedImages)
struct PipelineGradientTests {
    /// The full objective on Tübingen at 32×24 with one term switched on; checks the analytic gradient
    /// against central differences along three random directions.
    func check(contentWeight: Float, styleWeight: Float, tvWeight: Float, pooling: Pooling = .max) throws {
        var config = RunConfiguration()
        config.content = sharedImage("gatys/tubingen.jpg")
        config.style = [sharedImage("gatys/starry_night.jpg"), sharedImage("gatys/the_scream.jpg")]
        config.styleBlend = [0.6, 0.4]
        config.size = 32
        config.contentWeight = contentWeight
        config.styleWeight = styleWeight
        config.tvWeight = tvWeight
        config.contentLayers = ["relu2_2", "conv4_2"]
        config.styleLayers = ["relu1_1", "pool2", "relu3_1", "relu5_1"]
        config.pooling = pooling
        let plan = try config.plan()
        let network = VGG19(weights: tinyWeights, pooling: pooling)
        network.convKernel = .im2col   // finite differences need an exact forward; Winograd has its own checks
        let stage = try #require(plan.stages.first)
        let content = VGGInput.fromImage(try plan.content.resized(width: stage.width, height: stage.height))
        let styles = try plan.styles.map { VGGInput.fromImage(try $0.resized(longestSide: stage.styleLongestSide)) }
        let objective = TransferObjective(network: network, content: content, styles: styles, plan: plan)
        // Evaluate away from the content image so the content term has a non-zero gradient.
        var rng = SplitMix64(seed: 11)
        let x = content.data.map { $0 + (rng.nextUnitFloat() - 0.5) * 40 }
        var gradient = [Float](repeating: 0, count: x.count)
        let loss = objective.evaluate(x, &gradient)
        let b = objective.lastBreakdown
        #expect(loss > 0 && abs(b.content + b.style + b.tv - loss) <= 1e-6 * loss)
        #expect(abs(b.layers.map(\.value).reduce(0, +) - (b.content + b.style)) <= 1e-4 * loss)
        for seed in 0..<3 {
            var r = SplitMix64(seed: UInt64(100 + seed))
            let direction = x.map { _ in r.nextUnitFloat() * 2 - 1 }
            let analytic = zip(gradient, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            // Float32 losses quantise small steps and ReLU/max-pool kinks spoil large ones, so several steps are
            // tried; a wrong gradient (a missing factor, a wrong layer) disagrees at all of them.
            let estimates = [0.01, 0.03, 0.1].map { (h: Float) in
                directionalDerivative({ v in var g = [Float](repeating: 0, count: v.count)
                                        return objective.evaluate(v, &g) }, at: x, along: direction, step: h)
            }
            let best = estimates.min { abs($0 - analytic) < abs($1 - analytic) } ?? .nan
            #expect(abs(best - analytic) <= 1e-2 * abs(analytic), "direction \(seed): numeric \(estimates), analytic \(analytic)")
        }
    }

    @Test("content term gradient matches finite differences") func content() throws {
        try check(contentWeight: 1, styleWeight: 0, tvWeight: 0)
    }

    @Test("style term (two blended styles) gradient matches finite differences") func style() throws {
        try check(contentWeight: 0, styleWeight: 1000, tvWeight: 0)
    }

    @Test("style term through average pooling") func styleAverage() throws {
        try check(contentWeight: 0, styleWeight: 1000, tvWeight: 0, pooling: .average)
    }

    @Test("total-variation term gradient matches finite differences") func tv() throws {
        try check(contentWeight: 0, styleWeight: 0, tvWeight: 10)
    }

    @Test("all terms together") func total() throws {
        try check(contentWeight: 1, styleWeight: 1000, tvWeight: 1)
    }
}
