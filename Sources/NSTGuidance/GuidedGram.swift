import CBLAS
import NSTTensor

// Spatial control by guided Gram matrices: Gatys, Ecker, Bethge, Hertzmann & Shechtman, "Controlling Perceptual
// Factors in Neural Style Transfer", CVPR 2017 (arXiv:1611.07865), Sec. 3. For layer l with features F (N×M: N
// channels, M positions) and region r with guide T propagated to layer l,
//
//     G^r_ij = Σ_k T_k² F_ik F_jk / Σ_k T_k²
//
// a region-mean Gram matrix: a T²-weighted average of the outer products F_k F_kᵀ, so it does not depend on the
// region's area or on the image size (with T ≡ 1 it is the plain Gram F Fᵀ / M).
//
// Only positions with T_k ≠ 0 contribute, so each region works on its support alone: the columns there are gathered
// (scaled by T_k) into an N×M_r block and one ssyrk forms the Gram. For regions that partition the image the R
// guided Grams then cost about as much as one plain Gram.

/// The positions where a guide is non-zero and the guide's values there.
struct GuideSupport {
    let positions: [Int32]
    let values: [Float]
    /// Σ_k T_k².
    let energy: Float

    init(_ guide: [Float]) {
        var p: [Int32] = [], v: [Float] = []
        var e: Float = 0
        for (k, t) in guide.enumerated() where t != 0 {
            p.append(Int32(k))
            v.append(t)
            e += t * t
        }
        positions = p
        values = v
        energy = e
    }

    var count: Int { positions.count }

    /// out (N×count) = F[:, support]·diag(T[support]); `power` 1 or 2 selects T or T².
    func gather(_ f: UnsafePointer<Float>, channels n: Int, plane m: Int, power: Int, into out: UnsafeMutablePointer<Float>) {
        let c = count
        positions.withUnsafeBufferPointer { p in
            values.withUnsafeBufferPointer { t in
                for i in 0..<n {
                    let row = f + i * m, o = out + i * c
                    if power == 1 {
                        for j in 0..<c { o[j] = row[Int(p[j])] * t[j] }
                    } else {
                        for j in 0..<c { o[j] = row[Int(p[j])] * t[j] * t[j] }
                    }
                }
            }
        }
    }

    /// gradient[:, support] += block (N×count).
    func scatterAdd(_ block: UnsafePointer<Float>, channels n: Int, plane m: Int, into gradient: UnsafeMutablePointer<Float>) {
        let c = count
        positions.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let row = gradient + i * m, b = block + i * c
                for j in 0..<c { row[Int(p[j])] += b[j] }
            }
        }
    }

    /// Upper triangle of (1/energy)·X Xᵀ for X = F[:, support]·diag(T) (N×count), X written to `scaled`.
    func gram(_ f: UnsafePointer<Float>, channels n: Int, plane m: Int, scaled: UnsafeMutablePointer<Float>,
              gram: UnsafeMutablePointer<Float>) {
        gather(f, channels: n, plane: m, power: 1, into: scaled)
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(count), 1 / energy,
                    scaled, Int32(max(count, 1)), 0, gram, Int32(n))
    }
}

/// A guided Gram matrix G^r_l of one region at one layer (N×N, row-major, symmetric), or the style target A^r_l.
public struct GuidedGram: Equatable, Sendable {
    /// N, the layer's channel count.
    public let channels: Int
    public var values: [Float]
    /// Σ_k T_k², the normaliser (always positive: empty guides yield no Gram).
    public let guideEnergy: Float

    /// G^r for features F (N×H×W) and a guide at the same H×W; nil when the guide is empty there.
    public init?(features: FeatureMap, guide: Guide) {
        precondition(guide.width == features.width && guide.height == features.height,
                     "GuidedGram: guide \(guide.width)×\(guide.height) for features \(features.width)×\(features.height)")
        let support = GuideSupport(guide.values)
        guard support.energy > 0 else { return nil }
        let n = features.channels, m = features.plane
        var scaled = [Float](repeating: 0, count: n * support.count)
        var gram = [Float](repeating: 0, count: n * n)
        features.data.withUnsafeBufferPointer { fb in
            scaled.withUnsafeMutableBufferPointer { sb in
                gram.withUnsafeMutableBufferPointer { gb in
                    guard let f = fb.baseAddress, let s = sb.baseAddress, let g = gb.baseAddress else { return }
                    support.gram(f, channels: n, plane: m, scaled: s, gram: g)
                }
            }
        }
        for i in 0..<n { for j in 0..<i { gram[i * n + j] = gram[j * n + i] } }
        self.channels = n
        self.values = gram
        self.guideEnergy = support.energy
    }

    /// mean_ij((G_ij − other_ij)²): the per-region style distance (before λ_r and s_l), e.g. to check that an
    /// output region is closer to its own style target than to another region's.
    public func meanSquaredDifference(to other: GuidedGram) -> Double {
        precondition(other.channels == channels, "GuidedGram: \(channels) vs \(other.channels) channels")
        let sum = zip(values, other.values).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        return sum / Double(max(values.count, 1))
    }
}

/// The guided style loss of one layer and its gradient, for the fixed content guides of a run:
///
///     L_l = Σ_r λ_r · s_l · mean_ij((G^r_ij(F) − A^r_ij)²)          (Gatys et al. 2017, Sec. 3; s_l = 1/N_l² in nst)
///     ∂L/∂G^r = 2 λ_r s_l (G^r − A^r) / N²
///     ∂L/∂F_ik = Σ_r Σ_j (∂L/∂G^r + ∂L/∂G^rᵀ)_ij F_jk T_k² / Σ_k T_k²
///              = Σ_r (4 λ_r s_l / (N² Σ T²)) [(G^r − A^r) · F · diag(T²)]_ik      (G, A symmetric)
///
/// Regions whose guide is empty at this layer, whose target is missing or whose weight is 0 are skipped. Scratch
/// buffers are allocated once, so `evaluate` allocates nothing per iteration; one instance serves one thread.
public final class GuidedStyleLayer {
    /// N and M (= H·W) of the layer.
    public let channels: Int
    public let positions: Int
    /// s_l (times any per-layer weight).
    public let layerWeight: Float
    struct Region {
        let support: GuideSupport
        let target: GuidedGram
        let weight: Float
    }
    let regions: [Region]
    /// Indices of the regions skipped at this layer (empty guide, no target or zero weight).
    public let skippedRegions: [Int]
    private var scaled: [Float]
    private var product: [Float]
    private var gram: [Float]

    /// One entry per region: its content guide at this layer (the layer's H×W), its style target A^r_l (nil when
    /// the style guide was empty at this layer) and λ_r.
    public init(guides: [Guide], targets: [GuidedGram?], weights: [Float], layerWeight: Float) throws {
        guard targets.count == guides.count else {
            throw GuidanceError.regionCountMismatch(what: "style targets", count: targets.count, expected: guides.count)
        }
        guard weights.count == guides.count else {
            throw GuidanceError.regionCountMismatch(what: "region weights", count: weights.count, expected: guides.count)
        }
        let first = guides.first ?? Guide(width: 0, height: 0)
        var kept: [Region] = []
        var skipped: [Int] = []
        for (r, g) in guides.enumerated() {
            guard g.width == first.width, g.height == first.height else {
                throw GuidanceError.guideSizesDiffer(name: "region \(r)", width: g.width, height: g.height,
                                                     expectedWidth: first.width, expectedHeight: first.height)
            }
            let support = GuideSupport(g.values)
            guard support.energy > 0, let target = targets[r], weights[r] != 0 else { skipped.append(r); continue }
            if let other = kept.first?.target.channels, other != target.channels {
                throw GuidanceError.regionCountMismatch(what: "channels in the target of region \(r)", count: target.channels,
                                                        expected: other)
            }
            kept.append(Region(support: support, target: target, weight: weights[r]))
        }
        let n = kept.first?.target.channels ?? 0, widest = kept.map(\.support.count).max() ?? 0
        channels = n
        positions = first.count
        self.layerWeight = layerWeight
        regions = kept
        skippedRegions = skipped
        scaled = [Float](repeating: 0, count: n * widest)
        product = [Float](repeating: 0, count: n * widest)
        gram = [Float](repeating: 0, count: n * n)
    }

    /// L_l for features F (N×H×W); when `gradient` is given, ∂L_l/∂F is added to it (same shape as F).
    public func evaluate(_ features: FeatureMap, gradient: UnsafeMutablePointer<Float>?) -> Double {
        precondition(regions.isEmpty || (features.channels == channels && features.plane == positions),
                     "GuidedStyleLayer: features \(features.channels)×\(features.plane) for a layer of \(channels)×\(positions)")
        let n = channels, m = positions
        var loss = 0.0
        features.data.withUnsafeBufferPointer { fb in
            scaled.withUnsafeMutableBufferPointer { sb in
                product.withUnsafeMutableBufferPointer { pb in
                    gram.withUnsafeMutableBufferPointer { gb in
                        guard let f = fb.baseAddress, let s = sb.baseAddress, let p = pb.baseAddress, let g = gb.baseAddress else { return }
                        for region in regions {
                            loss += evaluate(region, f, n, m, scaled: s, product: p, gram: g, gradient: gradient)
                        }
                    }
                }
            }
        }
        return loss
    }

    private func evaluate(_ region: Region, _ f: UnsafePointer<Float>, _ n: Int, _ m: Int, scaled: UnsafeMutablePointer<Float>,
                          product: UnsafeMutablePointer<Float>, gram g: UnsafeMutablePointer<Float>,
                          gradient: UnsafeMutablePointer<Float>?) -> Double {
        let support = region.support, c = support.count
        support.gram(f, channels: n, plane: m, scaled: scaled, gram: g)
        // mean((G − A)²) over all N² entries from the upper triangle; G − A is left there for the gradient.
        var sum = 0.0
        region.target.values.withUnsafeBufferPointer { a in
            for i in 0..<n {
                let d = g[i * n + i] - a[i * n + i]
                g[i * n + i] = d
                sum += Double(d * d)
                for j in (i + 1)..<max(n, i + 1) {
                    let e = g[i * n + j] - a[i * n + j]
                    g[i * n + j] = e
                    sum += 2 * Double(e * e)
                }
            }
        }
        let nn = Float(n * n)
        guard let gradient else { return Double(region.weight * layerWeight) * sum / Double(nn) }
        // product = c_r · (G − A) · F[:, support]·diag(T²) (ssymm reads the upper triangle), scattered into the gradient.
        support.gather(f, channels: n, plane: m, power: 2, into: scaled)
        let scale = 4 * region.weight * layerWeight / (nn * support.energy)
        cblas_ssymm(CblasRowMajor, CblasLeft, CblasUpper, Int32(n), Int32(c), scale, g, Int32(n),
                    scaled, Int32(max(c, 1)), 0, product, Int32(max(c, 1)))
        support.scatterAdd(product, channels: n, plane: m, into: gradient)
        return Double(region.weight * layerWeight) * sum / Double(nn)
    }

    /// Convenience: L_l and a freshly allocated ∂L_l/∂F.
    public func lossAndGradient(_ features: FeatureMap) -> (loss: Double, gradient: FeatureMap) {
        var g = FeatureMap(channels: features.channels, height: features.height, width: features.width)
        let loss = g.data.withUnsafeMutableBufferPointer { evaluate(features, gradient: $0.baseAddress) }
        return (loss, g)
    }
}
