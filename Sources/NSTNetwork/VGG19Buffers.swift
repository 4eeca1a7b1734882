import NSTTensor

/// The buffers of a forward and backward: per-size records (shapes, ReLU signs, pool winners) and the two shared
/// work buffers.
extension VGG19 {
    /// Allocates buffers for an input size (once per size).
    func prepare(height: Int, width: Int) {
        if inputShape == (height, width) && shapes.count == steps.count { return }
        inputShape = (height, width)
        var h = height, w = width, c = 3
        shapes = steps.map { step in
            switch step {
            case .conv(let layer): c = layer.weights.outChannels
            case .pool: h /= 2; w /= 2
            }
            return (c, h, w)
        }
        outputs = steps.map { _ in FeatureMap(channels: 0, height: 0, width: 0) }
        signsPacked = steps.map { _ in false }
        preActivations = [:]
        reluMasks = zip(steps, shapes).map { step, shape in
            guard case .conv = step else { return [] }
            return [UInt64](repeating: 0, count: ReLU.maskWords(shape.c * shape.h * shape.w))
        }
        poolWinners = zip(steps, shapes).map { step, shape in
            guard case .pool = step, pooling == .max else { return [] }
            return [UInt8](repeating: 0, count: shape.c * shape.h * shape.w)
        }
    }

    /// Work buffer i with room for n floats, reallocated (contents lost) if it is smaller.
    func workBuffer(_ i: Int, atLeast n: Int) -> UnsafeMutablePointer<Float> { work[i].atLeast(n) }

    /// The work buffer that does not hold `source`, with room for n floats.
    func freeWorkBuffer(besides source: UnsafePointer<Float>, atLeast n: Int) -> UnsafeMutablePointer<Float> {
        workBuffer(work[0].base.map { UnsafePointer($0) == source } == true ? 1 : 0, atLeast: n)
    }
}
