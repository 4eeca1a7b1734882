import Testing
@testable import NSTNetwork
import NSTTensor

/// VGG19 with its `convKernel` switch: the Winograd kernels must reproduce the im2col network's
/// features and input gradient.
@Suite struct WinogradVGG19Tests {
    static func relativeL2(_ a: [Float], _ b: [Float]) -> Double {
        let diff = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let norm = b.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (diff / max(norm, 1e-30)).squareRoot()
    }

    @Test(arguments: [ConvKernel.winograd2, .winograd4])
    func winogradNetworkMatchesIm2col(_ kernel: ConvKernel) {
        let net = VGG19(weights: .random(seed: 5, widthDivisor: 8))
        // Odd sides give partial edge tiles at every depth.
        let x = randomMap(3, 67, 71, seed: 6, scale: 100)
        let layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"].map(layer)
        net.convKernel = .im2col
        let reference = net.forward(x, layers: layers)
        let referenceGradient = net.backward(reference).data
        net.convKernel = kernel
        let fast = net.forward(x, layers: layers)
        let gradient = net.backward(fast).data
        let tolerance = kernel == .winograd2 ? 1e-5 : 1e-4
        for l in layers {
            #expect(WinogradVGG19Tests.relativeL2(fast[l]?.data ?? [], reference[l]?.data ?? [.nan]) < tolerance, "\(l)")
        }
        #expect(WinogradVGG19Tests.relativeL2(gradient, referenceGradient) < tolerance)
        #expect(net.layerWinogradTiles.dropFirst().allSatisfy { $0 == (kernel == .winograd2 ? .f2x2 : .f4x4) })
        #expect(net.layerWinogradTiles.first == .some(nil), "conv1_1 (3 input channels) stays on im2col")
    }

    /// A layer keeps U for small maps and releases it for per-pass transforms on large ones (conv4_2 at 64²
    /// tiles ≥ 128), and the network's features do not depend on which it used.
    @Test func wideLayersSwitchToPerPassWeightsOnLargeMaps() throws {
        let net = VGG19(weights: .random(seed: 9))
        guard case .conv(let conv4_2) = net.steps[VGG19.step(of: layer("conv4_2"))] else {
            Issue.record("conv4_2 is not a conv step"); return
        }
        let small = try #require(conv4_2.winogradWeights(for: .winograd4, height: 32, width: 32))
        #expect(!small.perPass && small.transformed.count == 36 * 512 * 512)
        let large = try #require(conv4_2.winogradWeights(for: .winograd4, height: 64, width: 64))
        #expect(large.perPass && large.transformed.isEmpty && conv4_2.winograd?.perPass == true, "kept U released")
        #expect(conv4_2.winogradWeights(for: .im2col, height: 64, width: 64) == nil)
    }

    /// Fusing each F(4×4) conv with the max pool after it changes no bit of the features or the input gradient,
    /// also when a loss reads a pooled conv's own output (relu1_2: that pair stays unfused) and with average
    /// pooling (never fused).
    @Test(arguments: [Pooling.max, .average], [["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"],
                                               ["relu1_2", "pool2", "relu3_4", "conv4_1"]])
    func fusedPoolingChangesNoBit(_ pooling: Pooling, _ names: [String]) {
        let weights = VGGWeights.random(seed: 12, widthDivisor: 8)
        let x = randomMap(3, 45, 38, seed: 13, scale: 80)
        let layers = names.map(layer)
        func run(fused: Bool) -> ([LayerName: [Float]], [Float]) {
            let net = VGG19(weights: weights, pooling: pooling)
            net.convKernel = .winograd4
            net.fusesPooling = fused
            let features = net.forward(x, layers: layers)
            var upstream: [LayerName: FeatureMap] = [:]
            for (i, l) in layers.enumerated() {
                guard let f = features[l] else { continue }
                upstream[l] = randomMap(f.channels, f.height, f.width, seed: 300 + UInt64(i))
            }
            return (features.mapValues(\.data), net.backward(upstream).data)
        }
        let (fusedFeatures, fusedGradient) = run(fused: true)
        let (features, gradient) = run(fused: false)
        #expect(fusedFeatures == features && fusedFeatures.count == layers.count)
        #expect(fusedGradient == gradient && gradient.contains { $0 != 0 })
    }

    /// With the fused pools only the gradient at relu1_1 needs a full-resolution work buffer; unfused, conv1_2's
    /// output (forward) and its gradient (backward) need the second one too.
    @Test(arguments: [true, false])
    func fusedPoolsLeaveOneFullSizeWorkBuffer(_ fused: Bool) {
        let net = VGG19(weights: .random(seed: 14, widthDivisor: 8))
        net.convKernel = .winograd4
        net.fusesPooling = fused
        let layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"].map(layer)
        let features = net.forward(randomMap(3, 64, 64, seed: 15, scale: 50), layers: layers)
        _ = net.backward(features)
        let fullSize = 8 * 64 * 64
        #expect(net.workCapacity.max() == fullSize)
        if fused {
            #expect((net.workCapacity.min() ?? 0) <= fullSize / 2)
        } else {
            #expect(net.workCapacity.min() == fullSize)
        }
    }

    @Test func kernelNamesAndTiles() {
        func tile(_ k: ConvKernel?, _ c: Int, _ side: Int) -> WinogradTile? {
            k?.winogradTile(inChannels: c, outChannels: c, height: side, width: side)
        }
        #expect(tile(ConvKernel(rawValue: "winograd4"), 64, 512) == .f4x4)
        #expect(tile(ConvKernel(rawValue: "winograd2"), 64, 512) == .f2x2)
        #expect(tile(.im2col, 64, 512) == nil)
        #expect(ConvKernel(rawValue: "fft") == nil && ConvKernel(rawValue: "winograd6") == nil)
        #expect(VGG19(weights: .random(seed: 5, widthDivisor: 8)).convKernel == .winograd4, "F(4×4) unless a run chooses")
    }
}
