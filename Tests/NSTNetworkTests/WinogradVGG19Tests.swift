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
        let x = randomMap(3, 37, 29, seed: 6, scale: 100)
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
        #expect(net.layerWinogradTiles.dropFirst().allSatisfy { $0 == kernel.winogradTile })
        #expect(net.layerWinogradTiles.first == .some(nil), "conv1_1 (3 input channels) stays on im2col")
    }

    @Test func environmentSwitchDefaultsToIm2col() {
        #expect(ConvKernel(rawValue: "winograd4")?.winogradTile == .f4x4)
        #expect(ConvKernel(rawValue: "winograd2")?.winogradTile == .f2x2)
        #expect(ConvKernel.im2col.winogradTile == nil)
        #expect(ConvKernel(rawValue: "fft") == nil)
    }
}
