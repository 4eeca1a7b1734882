import NSTTensor

extension VGGWeights {
    /// He-initialised random weights (seeded) with the real network's layout but `widthDivisor` times fewer
    /// channels: for gradient checks on tiny networks and for timing when the real weights are absent.
    public static func random(seed: UInt64, widthDivisor: Int = 1) -> VGGWeights {
        var rng = SplitMix64(seed: seed)
        let widths = [64, 128, 256, 512, 512].map { max(1, $0 / widthDivisor) }
        var convs: [String: ConvWeights] = [:]
        var cin = 3
        for b in 1...5 {
            for i in 1...LayerName.convsPerBlock[b - 1] {
                let cout = widths[b - 1]
                let scale = (2.0 / Float(cin * 9)).squareRoot()
                let w = (0..<(cout * cin * 9)).map { _ in rng.nextGaussian() * scale }
                let bias = (0..<cout).map { _ in (rng.nextUnitFloat() - 0.5) * 0.1 }
                convs["conv\(b)_\(i)"] = ConvWeights(outChannels: cout, inChannels: cin, weight: w, bias: bias)
                cin = cout
            }
        }
        return VGGWeights(convs: convs, metadata: ["source": "random seed \(seed) width/\(widthDivisor)"])
    }
}
