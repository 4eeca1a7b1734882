import Dispatch
import NSTTensor

/// The backward pass to the input image.
extension VGG19 {
    /// Gradient of a loss with respect to the input of the last `forward`, given the loss's gradients at
    /// some of the layers that forward returned (each shaped like that layer's activation).
    public func backward(_ gradients: [LayerName: FeatureMap]) -> FeatureMap {
        backward(at: Array(gradients.keys)) { layer, buffer in
            guard let g = gradients[layer] else { return }
            let shape = shapes[VGG19.step(of: layer)]
            precondition(g.count == shape.c * shape.h * shape.w,
                         "VGG19.backward: gradient at \(layer) has \(g.count) values, the layer has \(shape.c * shape.h * shape.w)")
            g.data.withUnsafeBufferPointer { src in
                for i in 0..<src.count { buffer[i] += src[i] }
            }
        }
    }

    /// Gradient with respect to the input of the last `forward`, for a loss whose gradient at each of `layers`
    /// `accumulate(layer, buffer)` adds into `buffer` (shaped like the layer's activation). It is called when the
    /// backward reaches the layer, deepest first, so no gradient map of any layer is ever stored: the loss
    /// gradients go straight into the buffer that carries the backward. The layer's activation from `forward`
    /// is still intact then.
    public func backward(at layers: [LayerName], accumulate: (LayerName, UnsafeMutablePointer<Float>) -> Void) -> FeatureMap {
        var input = FeatureMap(channels: 3, height: inputShape.height, width: inputShape.width)
        guard let top = layers.max() else { return input }
        let topStep = VGG19.step(of: top)
        precondition(topStep < depth, "VGG19.backward: \(top) was not computed by the last forward")
        // `current` holds the gradient w.r.t. the output of the step being undone; `other` receives the next.
        var currentIndex = 0
        var current = workBuffer(0, atLeast: 1)
        /// The other work buffer, with room for the n floats the step being undone writes.
        func other(_ n: Int) -> UnsafeMutablePointer<Float> { workBuffer(1 - currentIndex, atLeast: n) }
        /// Makes the buffer just written the current one.
        func advance() {
            currentIndex = 1 - currentIndex
            current = workBuffer(currentIndex, atLeast: 1)
        }
        var have = false
        /// Adds the loss gradients of `layer` into `current`, which holds zeros if nothing has arrived yet.
        func add(_ layer: LayerName, count n: Int) {
            if !have {
                current = workBuffer(currentIndex, atLeast: n)
                current.update(repeating: 0, count: n)
            }
            accumulate(layer, current)
            have = true
        }
        // Set after a max-pool backward, which applies the ReLU of the conv below it (Pool2x2.backwardMax):
        // that conv then skips its own ReLU pass unless a loss gradient arrives at its output as well.
        var reluApplied = false
        let lossSteps = Set(layers.map { VGG19.step(of: $0) })
        var s = topStep + 1
        while s > 0 {
            s -= 1
            let shape = shapes[s]
            let n = shape.c * shape.h * shape.w
            // Gradients at the post-activation (relu or pool) output of this step.
            for layer in layers where layer.kind != .conv && VGG19.step(of: layer) == s {
                add(layer, count: n)
                reluApplied = false
            }
            let atPreActivation = layers.filter { $0.kind == .conv && VGG19.step(of: $0) == s }
            guard have || !atPreActivation.isEmpty else { continue }
            let t0 = profiling ? DispatchTime.now().uptimeNanoseconds : 0
            if isPool(s), let weights = poolFusion(conv: s - 1, notAt: lossSteps) {
                // The max pool's backward and the conv's below it in one pass, reading dy through the winners.
                let convInput = s - 1 == 0 ? (c: 3, h: inputShape.height, w: inputShape.width) : shapes[s - 2]
                let output = other(convInput.c * convInput.h * convInput.w)
                poolWinners[s].withUnsafeMutableBufferPointer { winners in
                    Winograd3x3.forward(x: current, height: convInput.h, width: convInput.w, weights: weights,
                                        transposed: true, bias: nil, relu: false, y: output, scratch: scratch,
                                        pool: FusedMaxPool(values: current, winners: winners.baseAddress!))
                }
                if profiling { record(step: s - 1, forward: 0, backward: DispatchTime.now().uptimeNanoseconds - t0) }
                reluApplied = false
                advance()
                s -= 1
                continue
            }
            defer { if profiling { record(step: s, forward: 0, backward: DispatchTime.now().uptimeNanoseconds - t0) } }
            let inShape = s == 0 ? (c: 3, h: inputShape.height, w: inputShape.width) : shapes[s - 1]
            switch steps[s] {
            case .conv(let layer):
                if have && !reluApplied {
                    precondition(signsPacked[s], "VGG19.backward: a gradient at \(layer.name)'s output needs that layer "
                                 + "among the last forward's layers")
                    reluMasks[s].withUnsafeBufferPointer { ReLU.backward(mask: $0.baseAddress!, gradient: current, count: n) }
                }
                reluApplied = false
                for layer in atPreActivation { add(layer, count: n) }
                if s == 0 {
                    // Only 3 output channels: the col2im form keeps the GEMM wide.
                    input.data.withUnsafeMutableBufferPointer { dx in
                        layer.weights.weight.withUnsafeBufferPointer { w in
                            Conv3x3.backwardInputCol2im(dy: current, outChannels: layer.weights.outChannels,
                                                        height: inShape.h, width: inShape.w, weight: w.baseAddress!,
                                                        inChannels: 3, dx: dx.baseAddress!, scratch: scratch)
                        }
                    }
                } else if let winograd = layer.winogradWeights(for: convKernel, height: inShape.h, width: inShape.w) {
                    // Measured: fusing the ReLU mask into F(4×4)'s read of dy, and running conv1_1's backward
                    // through Winograd, both made the backward slower at 512×512 (0.57 → 0.70 s).
                    Winograd3x3.forward(x: current, height: inShape.h, width: inShape.w, weights: winograd,
                                        transposed: true, bias: nil, relu: false,
                                        y: other(inShape.c * inShape.h * inShape.w), scratch: scratch)
                } else {
                    layer.backwardWeights.withUnsafeBufferPointer { weight in
                        Conv3x3.forward(x: current, inChannels: layer.weights.outChannels, height: inShape.h,
                                        width: inShape.w, weight: weight.baseAddress!, bias: nil,
                                        outChannels: inShape.c, relu: false, y: other(inShape.c * inShape.h * inShape.w),
                                        scratch: scratch)
                    }
                }
            case .pool:
                if pooling == .max {
                    poolWinners[s].withUnsafeBufferPointer {
                        Pool2x2.backwardMax(argmax: $0.baseAddress!, dy: current, channels: inShape.c, height: inShape.h,
                                            width: inShape.w, dx: other(inShape.c * inShape.h * inShape.w))
                    }
                    reluApplied = true
                } else {
                    // Average pooling's backward does not read x.
                    Pool2x2.backward(pooling, x: current, dy: current, channels: inShape.c, height: inShape.h,
                                     width: inShape.w, dx: other(inShape.c * inShape.h * inShape.w))
                }
            }
            advance()
        }
        return input
    }
}
