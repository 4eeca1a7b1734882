import NSTTensor

// The loss terms of Gatys, Ecker, Bethge 2016, "Image Style Transfer Using Convolutional Neural Networks"
// (CVPR), normalised as in the authors' released code so that results are comparable with the literature:
//
//   content  L_c = Σ_l c_l · mean((F_l − P_l)²)                 (paper eq. 1 uses ½·Σ instead of mean)
//   style    L_s = Σ_l s_l · mean((G_l − A_l)²),  s_l = 1/N_l²  (paper eq. 4–5: E_l = Σ(G−A)²/(4N²M²) with G = FFᵀ;
//                                                                 the code divides G by M and takes the MSE (÷N²) times
//                                                                 1e3/N², which is exactly s_l = 1/N_l² at β = 1000)
//   TV       L_tv = mean_{c,i,j} (x_{c,i,j+1} − x_{c,i,j})² + (x_{c,i+1,j} − x_{c,i,j})²   (not in the paper;
//                                                                 a common regulariser, Mahendran & Vedaldi 2015)
//   total    L = α·L_c + β·L_s + γ·L_tv
//
// Every evaluation returns the *weighted* value (the factor α·c_l, β·s_l or γ is included) and adds its
// gradient to a caller-owned buffer, so several terms at one layer simply accumulate.

/// Content term at one layer: weight · mean((F − P)²), gradient 2·weight·(F − P)/(N·M).
public struct ContentLoss: Sendable {
    /// P, the content image's activations.
    public let target: FeatureMap
    /// α·c_l.
    public let weight: Float

    /// A content term pulling the activations towards `target`.
    public init(target: FeatureMap, weight: Float) {
        self.target = target
        self.weight = weight
    }

    /// Returns the weighted loss for `features` and adds its gradient to `gradient` (same shape).
    public func evaluate(_ features: FeatureMap, accumulateInto gradient: inout FeatureMap) -> Float {
        precondition(gradient.count == target.count, "ContentLoss: shape mismatch")
        return gradient.data.withUnsafeMutableBufferPointer { evaluate(features, accumulateInto: $0.baseAddress!) }
    }

    /// As `evaluate(_:accumulateInto:)`, adding the gradient to `gradient` (as many values as `target`).
    public func evaluate(_ features: FeatureMap, accumulateInto g: UnsafeMutablePointer<Float>) -> Float {
        precondition(features.count == target.count, "ContentLoss: shape mismatch")
        let count = target.count
        guard count > 0 else { return 0 }
        let scale = weight / Float(count)
        var sum: Double = 0
        features.data.withUnsafeBufferPointer { f in
            target.data.withUnsafeBufferPointer { p in
                for i in 0..<count {
                    let d = f[i] - p[i]
                    sum += Double(d * d)
                    g[i] += 2 * scale * d
                }
            }
        }
        return Float(sum) * scale
    }
}

/// Style term at one layer, over one or several style images: weight · Σ_k w_k · mean((G − A_k)²).
///
/// The blend (w_k normalised to sum 1) is a weighted sum of per-style losses: L_s = Σ_k w_k L_s(S_k). Its gradient equals that of
/// a single target Ā = Σ_k w_k A_k, because Σ_k w_k (G − A_k) = G − Ā; the loss value itself is computed per style.
/// dL/dG = 2·weight·(G − Ā)/N², and GramMatrix.backward turns that into dL/dF = (4·weight/(N²M))·(G − Ā)·F.
public struct StyleLoss: Sendable {
    /// A_k for each style image.
    public let targets: [GramMatrix]
    /// w_k, summing to 1.
    public let blend: [Float]
    /// β·s_l (s_l defaults to 1/N_l²).
    public let weight: Float
    private let blendedTarget: GramMatrix
    private var gram: GramMatrix
    private var upstream: [Float]
    /// Per-worker partial Gram matrices, kept across evaluations.
    private var gramScratch: [Float] = []

    /// A style term matching the Gram matrices `targets`, mixed with `blend` (normalised here).
    public init(targets: [GramMatrix], blend: [Float], weight: Float) {
        precondition(!targets.isEmpty && targets.count == blend.count, "StyleLoss: one blend weight per target")
        let order = targets[0].order
        precondition(targets.allSatisfy { $0.order == order }, "StyleLoss: targets of different orders")
        let total = blend.reduce(0, +)
        self.targets = targets
        self.blend = blend.map { total > 0 ? $0 / total : 1 / Float(blend.count) }
        self.weight = weight
        var mixed = GramMatrix(order: order)
        for (target, w) in zip(targets, self.blend) {
            for i in mixed.values.indices { mixed.values[i] += w * target.values[i] }
        }
        self.blendedTarget = mixed
        self.gram = GramMatrix(order: order)
        self.upstream = [Float](repeating: 0, count: order * order)
    }

    /// Returns the weighted loss for `features` and adds its gradient to `gradient`.
    public mutating func evaluate(_ features: FeatureMap, accumulateInto gradient: inout FeatureMap) -> Float {
        precondition(gradient.channels == features.channels && gradient.plane == features.plane, "StyleLoss: shape mismatch")
        return gradient.data.withUnsafeMutableBufferPointer { evaluate(features, accumulateInto: $0.baseAddress!) }
    }

    /// As `evaluate(_:accumulateInto:)`, adding the gradient to `gradient` (as many values as `features`).
    public mutating func evaluate(_ features: FeatureMap, accumulateInto gradient: UnsafeMutablePointer<Float>) -> Float {
        gram.compute(from: features, scratch: &gramScratch)
        let n = gram.order, count = n * n
        guard count > 0 else { return 0 }
        var loss: Double = 0
        gram.values.withUnsafeBufferPointer { g in
            for (target, w) in zip(targets, blend) {
                target.values.withUnsafeBufferPointer { a in
                    var sum: Double = 0
                    for i in 0..<count { let d = g[i] - a[i]; sum += Double(d * d) }
                    loss += Double(w) * sum
                }
            }
            let scale = 2 * weight / Float(count)
            blendedTarget.values.withUnsafeBufferPointer { a in
                upstream.withUnsafeMutableBufferPointer { d in
                    for i in 0..<count { d[i] = scale * (g[i] - a[i]) }
                }
            }
        }
        GramMatrix.backward(upstream: upstream, features: features, accumulateInto: gradient)
        return Float(loss) * weight / Float(count)
    }
}

/// Total-variation term on the network-input image: weight · mean over c,i,j of the squared forward differences.
///
/// Differences that would leave the image are taken as zero (replicated border); the mean divides by C·H·W.
public struct TotalVariationLoss: Sendable {
    /// γ.
    public let weight: Float

    /// A smoothness term with the given weight.
    public init(weight: Float) { self.weight = weight }

    /// Returns the weighted loss of `image` and adds its gradient to `gradient`.
    public func evaluate(_ image: FeatureMap, accumulateInto gradient: inout FeatureMap) -> Float {
        let c = image.channels, h = image.height, w = image.width
        guard image.count > 0, weight != 0 else { return 0 }
        let scale = weight / Float(image.count)
        var sum: Double = 0
        image.data.withUnsafeBufferPointer { x in
            gradient.data.withUnsafeMutableBufferPointer { g in
                for ch in 0..<c {
                    for i in 0..<h {
                        let row = (ch * h + i) * w
                        for j in 0..<w {
                            let here = x[row + j]
                            if j + 1 < w {
                                let d = x[row + j + 1] - here
                                sum += Double(d * d)
                                g[row + j + 1] += 2 * scale * d
                                g[row + j] -= 2 * scale * d
                            }
                            if i + 1 < h {
                                let d = x[row + w + j] - here
                                sum += Double(d * d)
                                g[row + w + j] += 2 * scale * d
                                g[row + j] -= 2 * scale * d
                            }
                        }
                    }
                }
            }
        }
        return Float(sum) * scale
    }
}
