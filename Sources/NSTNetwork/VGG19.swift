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
    /// The 3×3 kernel of the layers above conv1_1 (a run's `conv_kernel`).
    public var convKernel: ConvKernel

    /// Whether an F(4×4) conv and the max pool after it run as one pass, forward and backward, so the map between
    /// them is never stored. Results are bitwise the same either way (`WinogradVGG19Tests` turns it off to check
    /// that); the fused pass saves the full-resolution map and its traffic.
    public var fusesPooling = true

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
    public internal(set) var profile: [(name: String, forward: Double, backward: Double)] = []

    /// Builds the network on `weights`, running `convKernel` above conv1_1; channel counts come from the weights, so
    /// narrow test networks work too. The first network of a process checks that OpenBLAS runs kernels matching the
    /// CPU's vector units and warns once on standard error if not (`BLASKernels.warnOnce`).
    public init(weights: VGGWeights, pooling: Pooling = .max, convKernel: ConvKernel = .standard) {
        BLASKernels.warnOnce()
        self.pooling = pooling
        self.convKernel = convKernel
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
}
