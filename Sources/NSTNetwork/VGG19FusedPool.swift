import NSTTensor

/// An F(4×4) conv and the 2×2 max pool after it as one pass (`fusesPooling`).
extension VGG19 {
    /// The F(4×4) weights of conv step s if it runs fused with the max pool after it (`Winograd3x3`'s `pool`):
    /// both steps are in the pass and no step in `notAt` is s, so nothing reads the conv's own output (the pool's
    /// winner bytes carry the ReLU signs the backward needs). Step s + 1 must be computed too.
    func poolFusion(conv s: Int, notAt excluded: Set<Int>) -> WinogradWeights? {
        guard fusesPooling, s >= 0, s + 1 < depth, pooling == .max, isPool(s + 1), !excluded.contains(s),
              case .conv(let layer) = steps[s] else { return nil }
        let inShape = s == 0 ? (c: 3, h: inputShape.height, w: inputShape.width) : shapes[s - 1]
        guard let weights = layer.winogradWeights(for: convKernel, height: inShape.h, width: inShape.w),
              weights.tile == .f4x4 else { return nil }
        return weights
    }

    /// Conv step s and the max pool after it in one pass: the pooled output goes to step s + 1's kept output or
    /// to the work buffer that does not hold `input`, its winners to the pool's record. Returns the output.
    func runFused(conv s: Int, weights: WinogradWeights, input: UnsafePointer<Float>, keep: Bool) -> UnsafePointer<Float> {
        guard case .conv(let layer) = steps[s] else { preconditionFailure("VGG19.runFused: step \(s) is not a conv") }
        let inShape = s == 0 ? (c: 3, h: inputShape.height, w: inputShape.width) : shapes[s - 1]
        let pooled = shapes[s + 1]
        signsPacked[s] = false
        signsPacked[s + 1] = false
        func run(into output: UnsafeMutablePointer<Float>) {
            layer.weights.bias.withUnsafeBufferPointer { bias in
                poolWinners[s + 1].withUnsafeMutableBufferPointer { winners in
                    Winograd3x3.forward(x: input, height: inShape.h, width: inShape.w, weights: weights, transposed: false,
                                        bias: bias.baseAddress!, relu: true, y: output, scratch: scratch,
                                        pool: FusedMaxPool(values: output, winners: winners.baseAddress!))
                }
            }
        }
        if keep {
            if outputs[s + 1].count != pooled.c * pooled.h * pooled.w {
                outputs[s + 1] = FeatureMap(channels: pooled.c, height: pooled.h, width: pooled.w)
            }
            outputs[s + 1].data.withUnsafeMutableBufferPointer { run(into: $0.baseAddress!) }
            return outputs[s + 1].data.withUnsafeBufferPointer { UnsafePointer($0.baseAddress!) }
        }
        let output = freeWorkBuffer(besides: input, atLeast: pooled.c * pooled.h * pooled.w)
        run(into: output)
        return UnsafePointer(output)
    }
}
