import CBLAS
import NSTTensor

// Spatial control by guided Gram matrices: Gatys, Ecker, Bethge, Hertzmann & Shechtman, "Controlling Perceptual
// Factors in Neural Style Transfer", CVPR 2017 (arXiv:1611.07865), Sec. 3. For layer l with features F (N×M: N
// channels, M positions) and region r with guide T propagated to layer l,
//
//     G^r_ij = Σ_k T_k² F_ik F_jk / Σ_k T_k²
//
// a region-mean Gram matrix: a T-weighted average of the outer products F_k F_kᵀ, so it does not depend on the
// region's area or on the image size (with T ≡ 1 it is the plain Gram F Fᵀ / M).

/// A guided Gram matrix G^r_l of one region at one layer (N×N, row-major, symmetric), or the style target A^r_l.
public struct GuidedGram: Equatable, Sendable {
    /// N, the layer's channel count.
    public let channels: Int
    public var values: [Float]
    /// Σ_k T_k², the normaliser; 0 never occurs (empty guides yield no Gram).
    public let guideEnergy: Float

    /// G^r for features F (N×H×W) and a guide at the same H×W; nil when the guide is empty there.
    public init?(features: FeatureMap, guide: Guide) {
        precondition(guide.width == features.width && guide.height == features.height,
                     "GuidedGram: guide \(guide.width)×\(guide.height) for features \(features.width)×\(features.height)")
        let n = features.channels, m = features.plane
        var scaled = [Float](repeating: 0, count: n * m)
        var gram = [Float](repeating: 0, count: n * n)
        let energy = GuidedGram.compute(features.data, guide.values, channels: n, positions: m, scaled: &scaled, gram: &gram)
        guard energy > 0 else { return nil }
        GuidedGram.mirrorUpper(&gram, n)
        self.channels = n
        self.values = gram
        self.guideEnergy = energy
    }

    /// Writes F·diag(T) into `scaled` and the upper triangle of G = (F·diag(T))(F·diag(T))ᵀ / Σ T² into `gram`
    /// (one ssyrk); returns Σ T² (0 → nothing written to `gram`).
    static func compute(_ f: [Float], _ t: [Float], channels n: Int, positions m: Int,
                        scaled: inout [Float], gram: inout [Float]) -> Float {
        var energy: Float = 0
        for v in t { energy += v * v }
        guard energy > 0 else { return 0 }
        f.withUnsafeBufferPointer { fp in
            t.withUnsafeBufferPointer { tp in
                scaled.withUnsafeMutableBufferPointer { sp in
                    for i in 0..<n {
                        let row = i * m
                        for k in 0..<m { sp[row + k] = fp[row + k] * tp[k] }
                    }
                }
            }
        }
        scaled.withUnsafeBufferPointer { sp in
            gram.withUnsafeMutableBufferPointer { gp in
                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(m), 1 / energy,
                            sp.baseAddress, Int32(m), 0, gp.baseAddress, Int32(n))
            }
        }
        return energy
    }

    /// Copies the upper triangle into the lower one.
    static func mirrorUpper(_ g: inout [Float], _ n: Int) {
        for i in 0..<n { for j in 0..<i { g[i * n + j] = g[j * n + i] } }
    }
}

/// The guided style loss of one layer and its gradient, for the fixed content guides of a run:
///
///     L_l = Σ_r λ_r · s_l · mean_ij((G^r_ij(F) − A^r_ij)²)          (Gatys et al. 2017, Sec. 3, with s_l = 1/N_l² in nst)
///     ∂L/∂G^r = 2 λ_r s_l (G^r − A^r) / N²
///     ∂L/∂F_ik = Σ_r Σ_j (∂L/∂G^r + ∂L/∂G^rᵀ)_ij F_jk T_k² / Σ_k T_k²
///              = Σ_r (4 λ_r s_l / (N² Σ T²)) [(G^r − A^r) · F · diag(T²)]_ik      (G, A symmetric)
///
/// Regions whose guide is empty at this layer, or whose target is missing, are skipped. Scratch buffers are
/// allocated once, so `evaluate` allocates nothing per iteration.
public final class GuidedStyleLayer {
    /// N, M of the layer.
    public let channels: Int
    public let positions: Int
    /// s_l (times any per-layer weight).
    public let layerWeight: Float
    struct Region {
        let guide: [Float]
        let squaredGuide: [Float]
        let energy: Float
        let target: GuidedGram
        let weight: Float
    }
    let regions: [Region]
    /// Skipped regions (empty guide here or no target), for reports.
    public let skippedRegions: [Int]
    private var scaled: [Float]
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
        var channels = targets.compactMap { $0?.channels }.first ?? 0
        for (r, g) in guides.enumerated() {
            guard g.width == first.width, g.height == first.height else {
                throw GuidanceError.guideSizesDiffer(name: "region \(r)", width: g.width, height: g.height,
                                                     expectedWidth: first.width, expectedHeight: first.height)
            }
            let squared = g.values.map { $0 * $0 }
            let energy = squared.reduce(0, +)
            guard energy > 0, let target = targets[r], weights[r] != 0 else { skipped.append(r); continue }
            channels = target.channels
            kept.append(Region(guide: g.values, squaredGuide: squared, energy: energy, target: target, weight: weights[r]))
        }
        self.channels = channels
        self.positions = first.count
        self.layerWeight = layerWeight
        self.regions = kept
        self.skippedRegions = skipped
        scaled = [Float](repeating: 0, count: channels * first.count)
        gram = [Float](repeating: 0, count: channels * channels)
    }

    /// L_l for features F (N×H×W); when `gradient` is given, ∂L_l/∂F is added to it (same shape as F).
    public func evaluate(_ features: FeatureMap, gradient: UnsafeMutablePointer<Float>?) -> Double {
        precondition(regions.isEmpty || (features.channels == channels && features.plane == positions),
                     "GuidedStyleLayer: features \(features.channels)×\(features.plane) for a layer of \(channels)×\(positions)")
        let n = channels, m = positions
        var loss = 0.0
        for region in regions {
            _ = GuidedGram.compute(features.data, region.guide, channels: n, positions: m, scaled: &scaled, gram: &gram)
            // mean((G − A)²) over all N² entries from the upper triangle; keep G − A there for the gradient.
            var sum = 0.0
            region.target.values.withUnsafeBufferPointer { a in
                gram.withUnsafeMutableBufferPointer { g in
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
            }
            let nn = Float(n * n)
            loss += Double(region.weight * layerWeight) * sum / Double(nn)
            guard let gradient else { continue }
            // scaled = F·diag(T) → F·diag(T²), then gradient += c · (G − A) · scaled (ssymm reads the upper triangle).
            region.guide.withUnsafeBufferPointer { t in
                scaled.withUnsafeMutableBufferPointer { s in
                    for i in 0..<n {
                        let row = i * m
                        for k in 0..<m { s[row + k] *= t[k] }
                    }
                }
            }
            let c = 4 * region.weight * layerWeight / (nn * region.energy)
            gram.withUnsafeBufferPointer { g in
                scaled.withUnsafeBufferPointer { s in
                    cblas_ssymm(CblasRowMajor, CblasLeft, CblasUpper, Int32(n), Int32(m), c,
                                g.baseAddress, Int32(n), s.baseAddress, Int32(m), 1, gradient, Int32(m))
                }
            }
        }
        return loss
    }

    /// Convenience: L_l and a freshly allocated ∂L_l/∂F.
    public func lossAndGradient(_ features: FeatureMap) -> (loss: Double, gradient: FeatureMap) {
        var g = FeatureMap(channels: features.channels, height: features.height, width: features.width)
        let loss = g.data.withUnsafeMutableBufferPointer { evaluate(features, gradient: $0.baseAddress) }
        return (loss, g)
    }
}
