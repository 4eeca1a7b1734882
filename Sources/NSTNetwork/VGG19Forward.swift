import Dispatch
import NSTTensor

/// The forward pass: every step up to the deepest requested layer, keeping what the backward needs.
extension VGG19 {
    /// Runs the network on `input` (3×H×W, network space) up to the deepest of `layers` and returns their
    /// activations. The returned maps share storage with the network's buffers until the next forward.
    public func forward(_ input: FeatureMap, layers: [LayerName]) -> [LayerName: FeatureMap] {
        precondition(input.channels == 3, "VGG19.forward: input must have 3 channels")
        guard let deepest = layers.max() else { return [:] }
        depth = VGG19.step(of: deepest) + 1
        prepare(height: input.height, width: input.width)
        let wantPre = Set(layers.filter { $0.kind == .conv }.map { VGG19.step(of: $0) })
        let kept = Set(layers.map { VGG19.step(of: $0) })
        preActivations = preActivations.filter { wantPre.contains($0.key) }
        for s in 0..<depth where !kept.contains(s) { outputs[s] = FeatureMap(channels: 0, height: 0, width: 0) }
        input.data.withUnsafeBufferPointer { x in
            var source = x.baseAddress!
            var s = 0
            while s < depth {
                let shape = shapes[s]
                if kept.contains(s) && outputs[s].count != shape.c * shape.h * shape.w {
                    outputs[s] = FeatureMap(channels: shape.c, height: shape.h, width: shape.w)
                }
                let t0 = profiling ? DispatchTime.now().uptimeNanoseconds : 0
                if let weights = poolFusion(conv: s, notAt: kept) {
                    source = runFused(conv: s, weights: weights, input: source, keep: kept.contains(s + 1))
                    if profiling { record(step: s, forward: DispatchTime.now().uptimeNanoseconds - t0, backward: 0) }
                    s += 2
                    continue
                }
                // A conv whose output only feeds a max pool needs no sign bits: the pool's winner byte carries the
                // sign its backward applies (Pool2x2.backwardMax).
                signsPacked[s] = kept.contains(s) || !(s + 1 < depth && pooling == .max && isPool(s + 1))
                if kept.contains(s) {
                    outputs[s].data.withUnsafeMutableBufferPointer {
                        run(step: s, input: source, output: $0.baseAddress!, keepPreActivation: wantPre.contains(s))
                    }
                    source = outputs[s].data.withUnsafeBufferPointer { UnsafePointer($0.baseAddress!) }
                } else {
                    // The work buffer that does not hold this step's input.
                    let output = freeWorkBuffer(besides: source, atLeast: shape.c * shape.h * shape.w)
                    run(step: s, input: source, output: output, keepPreActivation: false)
                    source = UnsafePointer(output)
                }
                if profiling { record(step: s, forward: DispatchTime.now().uptimeNanoseconds - t0, backward: 0) }
                s += 1
            }
        }
        var result: [LayerName: FeatureMap] = [:]
        for l in layers {
            let s = VGG19.step(of: l)
            result[l] = l.kind == .conv ? preActivations[s] : outputs[s]
        }
        return result
    }

    /// Runs step `s` from `input` (the previous step's output shape) into `output`, and records what its
    /// backward needs: the ReLU signs of a conv step, the window winners of a max-pool step.
    func run(step s: Int, input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, keepPreActivation: Bool) {
        let inShape = s == 0 ? (c: 3, h: inputShape.height, w: inputShape.width) : shapes[s - 1]
        let n = shapes[s].c * shapes[s].h * shapes[s].w
        switch steps[s] {
        case .conv(let layer):
            let wt = layer.weights
            wt.bias.withUnsafeBufferPointer { bias in
                if let winograd = layer.winogradWeights(for: convKernel, height: inShape.h, width: inShape.w) {
                    Winograd3x3.forward(x: x, height: inShape.h, width: inShape.w, weights: winograd, transposed: false,
                                        bias: bias.baseAddress!, relu: !keepPreActivation, y: y, scratch: scratch)
                } else {
                    wt.weight.withUnsafeBufferPointer { weight in
                        Conv3x3.forward(x: x, inChannels: wt.inChannels, height: inShape.h, width: inShape.w,
                                        weight: weight.baseAddress!, bias: bias.baseAddress!, outChannels: wt.outChannels,
                                        relu: !keepPreActivation, y: y, scratch: scratch)
                    }
                }
            }
            if keepPreActivation {
                preActivations[s] = FeatureMap(channels: shapes[s].c, height: shapes[s].h, width: shapes[s].w,
                                               data: Array(UnsafeBufferPointer(start: y, count: n)))
                ReLU.forward(y, count: n)
            }
            if signsPacked[s] {
                reluMasks[s].withUnsafeMutableBufferPointer { ReLU.packMask(y: y, count: n, bits: $0.baseAddress!) }
            }
        case .pool:
            if pooling == .max {
                poolWinners[s].withUnsafeMutableBufferPointer {
                    Pool2x2.forwardMax(x: x, channels: inShape.c, height: inShape.h, width: inShape.w, y: y,
                                       argmax: $0.baseAddress!)
                }
            } else {
                Pool2x2.forward(pooling, x: x, channels: inShape.c, height: inShape.h, width: inShape.w, y: y)
            }
        }
    }
}
