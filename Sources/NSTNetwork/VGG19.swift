import Dispatch
import Foundation
import NSTTensor

/// Pooling used between blocks: max (the paper's network) or average (Gatys et al. 2016 report slightly
/// better-looking results with it).
public typealias Pooling = Pool2x2.Kind

/// VGG-19's convolutional part (Simonyan & Zisserman 2015), used as a fixed feature extractor.
///
/// `forward` computes only up to the deepest requested layer; `backward` returns the gradient with respect to
/// the input image, accumulating gradients given at several layers through the shared trunk. No weight
/// gradients are ever computed, so the backward needs no activations: only each ReLU's sign (one bit per
/// value) and each max-pool window's winner (one byte per output). Activations are kept as floats only for
/// the requested layers; every other step writes into two shared work buffers, which the backward then uses
/// for its gradients. An F(4×4) conv whose output only feeds a max pool runs fused with it, forward and backward
/// (`fusesPooling`), so the map between them is never stored. Buffers are allocated for the first input size (the
/// work buffers as they are first needed) and reused while the size stays the same.
public final class VGG19 {
    /// One conv+ReLU or pool step, in network order.
    enum Step {
        case conv(ConvLayer)
        case pool(block: Int)
    }

    final class ConvLayer {
        let name: String
        let block: Int
        let index: Int
        let weights: ConvWeights
        /// Weights for the backward pass (transposed and flipped), made on first use.
        lazy var backwardWeights: [Float] = Conv3x3.flippedTransposed(
            weights.weight, outChannels: weights.outChannels, inChannels: weights.inChannels)
        /// Winograd weights for the selected tile and the last pass size (`winogradWeights(for:height:width:)`).
        var winograd: WinogradWeights?
        init(name: String, block: Int, index: Int, weights: ConvWeights) {
            self.name = name; self.block = block; self.index = index; self.weights = weights
        }

        /// Whether a Winograd kernel applies to this layer: not conv1_1, where with Cin = 3 the im2col GEMM is
        /// already wide and the transforms would dominate.
        var takesWinograd: Bool { weights.inChannels > 3 }

        /// Weights for `kernel` if it is a Winograd kernel and this layer takes it, for a pass whose input
        /// is h×w: U kept, or transformed per pass on large maps of wide layers (`WinogradWeights.transformsPerPass`),
        /// in which case a kept U is released.
        func winogradWeights(for kernel: ConvKernel, height h: Int, width w: Int) -> WinogradWeights? {
            guard takesWinograd, let tile = kernel.winogradTile(inChannels: weights.inChannels,
                                                                outChannels: weights.outChannels, height: h, width: w)
            else { return nil }
            let perPass = WinogradWeights.transformsPerPass(tile, outChannels: weights.outChannels,
                                                        inChannels: weights.inChannels, height: h, width: w)
            if let wg = winograd, wg.tile == tile, wg.perPass == perPass { return wg }
            winograd = try? WinogradWeights(weight: weights.weight, outChannels: weights.outChannels,
                                            inChannels: weights.inChannels, tile: tile, perPass: perPass)
            return winograd
        }
    }

    /// The 3×3 kernel of the layers above conv1_1 (experimental switch; `NST_CONV` sets the default).
    public var convKernel = ConvKernel.fromEnvironment

    /// Whether an F(4×4) conv and the max pool after it run as one pass, forward and backward, so the map between
    /// them is never stored (default on; `NST_FUSE_POOL=0` turns it off, for comparisons). Results are bitwise
    /// the same either way.
    public var fusesPooling = ProcessInfo.processInfo.environment["NST_FUSE_POOL"] != "0"

    /// The Winograd tile each conv layer takes under `convKernel` at the last input size (nil: im2col), in
    /// network order.
    var layerWinogradTiles: [WinogradTile?] {
        zip(steps.indices, steps).compactMap { s, step -> WinogradTile?? in
            guard case .conv(let l) = step else { return nil }
            let input = s == 0 || shapes.count != steps.count ? (h: inputShape.height, w: inputShape.width)
                                                              : (h: shapes[s - 1].h, w: shapes[s - 1].w)
            return .some(l.takesWinograd ? convKernel.winogradTile(inChannels: l.weights.inChannels,
                                                                  outChannels: l.weights.outChannels,
                                                                  height: input.h, width: input.w) : nil)
        }
    }

    public let pooling: Pooling
    let steps: [Step]
    let scratch = ConvScratch()

    /// Output shape of each step (post-ReLU for conv steps) at the current input size.
    var shapes: [(c: Int, h: Int, w: Int)] = []
    /// Outputs of the requested steps of the last forward (empty maps for the other steps).
    var outputs: [FeatureMap] = []
    /// Pre-ReLU copies, kept only for requested conv layers.
    var preActivations: [Int: FeatureMap] = [:]
    /// ReLU signs of each conv step's output, one bit per value (`ReLU.packMask`).
    var reluMasks: [[UInt64]] = []
    /// Whether the last forward packed step s's signs (not for a conv that only feeds a max pool).
    var signsPacked: [Bool] = []
    /// Max-pool winners of each pool step, one byte per output (`Pool2x2.forwardMax`); empty for average pooling.
    var poolWinners: [[UInt8]] = []
    /// Steps run by the last forward.
    var depth = 0
    var inputShape = (height: 0, width: 0)
    /// Two buffers for unrequested outputs in the forward and gradients in the backward, each grown to what it
    /// has had to hold (`workBuffer`). With the fused pools the full-resolution maps of conv1_2 never need one,
    /// so at 512×512 they settle at 64 and 16 MiB rather than twice 64.
    let work = [GrowableBuffer(), GrowableBuffer()]
    /// Floats each work buffer has room for.
    var workCapacity: [Int] { work.map(\.capacity) }
    /// Per-step seconds (forward, backward), accumulated when `profiling` is on.
    public var profiling = false
    public private(set) var profile: [(name: String, forward: Double, backward: Double)] = []

    /// Builds the network on `weights`; channel counts come from the weights, so narrow test networks work too.
    /// The first network of a process checks that OpenBLAS runs kernels matching the CPU's vector units and
    /// warns once on standard error if not (`BLASKernels.warnOnce`).
    public init(weights: VGGWeights, pooling: Pooling = .max) {
        BLASKernels.warnOnce()
        self.pooling = pooling
        var steps: [Step] = []
        var channels = 3
        for b in 1...5 {
            for i in 1...LayerName.convsPerBlock[b - 1] {
                let name = "conv\(b)_\(i)"
                guard let w = weights.convs[name] else { preconditionFailure("VGG19: weights lack \(name)") }
                precondition(w.inChannels == channels && w.weight.count == w.outChannels * w.inChannels * 9
                             && w.bias.count == w.outChannels, "VGG19: \(name) has inconsistent shapes")
                steps.append(.conv(ConvLayer(name: name, block: b, index: i, weights: w)))
                channels = w.outChannels
            }
            steps.append(.pool(block: b))
        }
        self.steps = steps
    }

    /// Work buffer i with room for n floats, reallocated (contents lost) if it is smaller.
    func workBuffer(_ i: Int, atLeast n: Int) -> UnsafeMutablePointer<Float> { work[i].atLeast(n) }

    /// The work buffer that does not hold `source`, with room for n floats.
    func freeWorkBuffer(besides source: UnsafePointer<Float>, atLeast n: Int) -> UnsafeMutablePointer<Float> {
        workBuffer(work[0].base.map { UnsafePointer($0) == source } == true ? 1 : 0, atLeast: n)
    }

    /// Whether step s is a pooling step.
    func isPool(_ s: Int) -> Bool {
        if case .pool = steps[s] { return true }
        return false
    }

    /// Step index (0-based) that produces `layer`'s value.
    static func step(of layer: LayerName) -> Int {
        var s = 0
        for b in 1..<layer.block { s += LayerName.convsPerBlock[b - 1] + 1 }
        return layer.kind == .pool ? s + LayerName.convsPerBlock[layer.block - 1] : s + layer.index - 1
    }

    /// Smallest input side that reaches `layer` with at least one position.
    public static func minimumSide(for layer: LayerName) -> Int { 1 << (layer.kind == .pool ? layer.block : layer.block - 1) }

    /// Checks that an input of this size reaches every layer.
    public static func validate(width: Int, height: Int, layers: [LayerName]) throws {
        for l in layers where min(width, height) < minimumSide(for: l) {
            throw NetworkError.inputTooSmall(width: width, height: height, layer: l.description, minimum: minimumSide(for: l))
        }
    }

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

    /// Clears the accumulated per-step times.
    public func resetProfile() { profile = [] }

    private func record(step s: Int, forward: UInt64, backward: UInt64) {
        if profile.count != steps.count {
            profile = steps.map { step in
                switch step {
                case .conv(let l): return (l.name, 0, 0)
                case .pool(let b): return ("pool\(b)", 0, 0)
                }
            }
        }
        profile[s].forward += Double(forward) / 1e9
        profile[s].backward += Double(backward) / 1e9
    }
}

/// The 3×3 convolution kernel VGG19 runs above conv1_1: banded im2col + SGEMM, or Winograd F(2×2,3×3),
/// F(4×4,3×3) or F(6×6,3×3) (`Winograd3x3`), forward and backward to the input.
public enum ConvKernel: String, Sendable, CaseIterable {
    case im2col, winograd2, winograd4, winograd6

    /// The Winograd tile of a layer of this shape on an h×w map, or nil for im2col. `winograd6` takes F(6×6) on
    /// maps of at least 64×64 in layers of at most 256 channels and F(4×4) elsewhere: on smaller maps the partial
    /// last tile wastes what F(6×6) saves (a 32×32 map computes 36×36 outputs, the same products as F(4×4)), and
    /// the 512-channel layers' U would grow from 4 to 7.1 times the weights.
    public func winogradTile(inChannels cin: Int, outChannels cout: Int, height h: Int, width w: Int) -> WinogradTile? {
        switch self {
        case .im2col: return nil
        case .winograd2: return .f2x2
        case .winograd4: return .f4x4
        case .winograd6: return min(h, w) >= 64 && max(cin, cout) <= 256 ? .f6x6 : .f4x4
        }
    }

    /// `NST_CONV` (im2col, winograd2, winograd4 or winograd6), else Winograd F(4×4,3×3). At 512×512 a forward and
    /// backward takes 2.0 CPU s with it against 2.9 with F(2×2) and 4.9 with im2col. Its features are about ten
    /// times less exact than F(2×2)'s (1e-5 of each layer's range against 1e-6), which leaves every loss term
    /// within 1e-6 of the im2col reference at the iterates of a 50-iteration run (`nst-exp bench --accuracy`).
    /// F(6×6) is an experimental option, not the default: in theory 21 % fewer products than F(4×4), it measured
    /// no faster here (`bench --kernels`, 256×256: 64→64 at 256² 0.024 vs 0.024 CPU s, 128→128 at 128² 0.029 vs
    /// 0.022, 256→256 at 64² 0.024 vs 0.020; a whole 256×256 step 0.27–0.28 vs 0.26–0.27 s), with 1.5 times
    /// F(4×4)'s error. Its SGEMMs are no faster per product at these shapes and its eight-row transforms need more
    /// live pointers than x86-64 has registers.
    public static let fromEnvironment: ConvKernel = {
        ProcessInfo.processInfo.environment["NST_CONV"].flatMap { ConvKernel(rawValue: $0) } ?? .winograd4
    }()
}
