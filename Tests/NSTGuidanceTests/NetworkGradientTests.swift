import Testing
import NSTNetwork
import NSTTensor
@testable import NSTGuidance
import NSTTestSupport

/// dL/dx of the guided style loss through a narrow VGG-19 (1/16 of the channels) on a 16×16 input, for every
/// propagation mode, against central differences.
@Suite struct NetworkGradientTests {
    static let cases: [GuidePropagation] = [.init(mode: .simple), .init(mode: .inside), .init(mode: .all), .init(mode: .simple, erosion: 1)]

    @Test(arguments: cases)
    func guidedStyleLossGradientThroughTheNetwork(_ propagation: GuidePropagation) throws {
        let net = VGG19(weights: .random(seed: 5, widthDivisor: 16))
        net.convKernel = .im2col   // finite differences need an exact forward; Winograd has its own checks
        let layers = [layer("relu1_1"), layer("relu2_1"), layer("relu3_1")]
        // Two soft, complementary content regions (a horizontal ramp and its complement) and hard halves in the style.
        var ramp = Guide(width: 16, height: 16)
        for y in 0..<16 { for x in 0..<16 { ramp[y, x] = Float(x) / 15 } }
        let complement = Guide(width: 16, height: 16, values: ramp.values.map { 1 - $0 })
        let styleGuides = [rectangleGuide(width: 24, height: 24, x0: 0, y0: 0, x1: 24, y1: 12),
                           rectangleGuide(width: 24, height: 24, x0: 0, y0: 12, x1: 24, y1: 24)]
        let style = net.forward(randomMap(3, 24, 24, seed: 9, scale: 20), layers: layers).mapValues { $0 }
        let targets = try GuidedStyleTargets.targets(features: style, styleGuides: styleGuides, propagation: .init(mode: .simple))
        let contentGuides = propagation.propagate([ramp, complement], to: layers)
        let losses = try layers.map { l in
            try GuidedStyleLayer(guides: contentGuides[l] ?? [], targets: targets[l] ?? [], weights: [0.5, 0.5],
                                 layerWeight: 1 / Float((style[l]?.channels ?? 1) * (style[l]?.channels ?? 1)) / 1e4)
        }
        let x = randomMap(3, 16, 16, seed: 6, scale: 20)
        func loss(_ x: FeatureMap) -> Double {
            let f = net.forward(x, layers: layers)
            return zip(layers, losses).reduce(0.0) { acc, pair in
                acc + (f[pair.0].map { pair.1.evaluate($0, gradient: nil) } ?? 0)
            }
        }
        let features = net.forward(x, layers: layers)
        var gradients: [LayerName: FeatureMap] = [:]
        for (l, lossLayer) in zip(layers, losses) {
            guard let f = features[l] else { Issue.record("missing \(l)"); return }
            gradients[l] = lossLayer.lossAndGradient(f).gradient
        }
        let grad = net.backward(gradients)
        #expect(grad.data.contains { $0 != 0 })
        let scale = Double(grad.data.map(abs).max() ?? 1)
        // Two step sizes; where they disagree a ReLU or max-pool kink lies in between and the point is skipped.
        // Float rounding in the forward pass puts a noise floor of about 1e-3 of the largest gradient on the
        // differences, hence the absolute part of the tolerance.
        func fd(_ i: Int, _ eps: Float) -> Double {
            var xp = x, xm = x
            xp.data[i] += eps; xm.data[i] -= eps
            return (loss(xp) - loss(xm)) / Double(2 * eps)
        }
        var checked = 0
        var rng = SplitMix64(seed: 7)
        for _ in 0..<30 {
            let i = Int(rng.next() % UInt64(x.count))
            let a = fd(i, 4e-2), b = fd(i, 1.5e-2)
            let tolerance = 3e-2 * max(abs(a), 5e-2 * scale)
            if abs(a - b) > tolerance { continue }
            let g = Double(grad.data[i])
            #expect(abs(a - g) <= tolerance, "\(propagation.mode) x[\(i)]: fd \(a) vs backward \(g)")
            checked += 1
        }
        #expect(checked >= 26)
    }
}

extension GuidePropagation: CustomTestStringConvertible {
    public var testDescription: String { "\(mode)\(erosion == 0 ? "" : " erosion \(erosion)")" }
}
