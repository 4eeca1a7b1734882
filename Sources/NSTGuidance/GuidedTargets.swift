import NSTNetwork
import NSTTensor

/// Style targets A^r_l: guided Grams of a style image's features under its style guides.
public enum GuidedStyleTargets {
    /// A^r_l at every layer for one region: the style guide (at the style image's working size) is propagated to
    /// each layer and the guided Gram of the style features taken there; nil at layers where the propagated guide is
    /// empty. A guide whose size does not give the features' size is an error.
    public static func targets(features: [LayerName: FeatureMap], styleGuide: Guide,
                               propagation: GuidePropagation) throws -> [LayerName: GuidedGram?] {
        let guides = propagation.propagate(styleGuide, to: Array(features.keys))
        var result: [LayerName: GuidedGram?] = [:]
        for (layer, f) in features {
            guard let g = guides[layer], g.width == f.width, g.height == f.height else {
                let size = GuidePropagation.layerSize(of: layer, height: styleGuide.height, width: styleGuide.width)
                throw GuidanceError.guideSizesDiffer(name: "style guide at \(layer) (from \(styleGuide.width)×\(styleGuide.height))",
                                                     width: size.width, height: size.height,
                                                     expectedWidth: f.width, expectedHeight: f.height)
            }
            result[layer] = .some(GuidedGram(features: f, guide: g))
        }
        return result
    }

    /// The same for several regions of one style image: result[layer][region].
    public static func targets(features: [LayerName: FeatureMap], styleGuides: [Guide],
                               propagation: GuidePropagation) throws -> [LayerName: [GuidedGram?]] {
        var result: [LayerName: [GuidedGram?]] = [:]
        for guide in styleGuides {
            for (layer, a) in try targets(features: features, styleGuide: guide, propagation: propagation) {
                result[layer, default: []].append(a)
            }
        }
        return result
    }

    /// Warnings for regions whose guide vanishes at some layer (it is skipped there), e.g. a thin region under `inside`.
    public static func vanishingRegionWarnings(_ propagated: [LayerName: [Guide]], names: [String], side: String) -> [GuidanceNotice] {
        var out: [GuidanceNotice] = []
        for (r, name) in names.enumerated() {
            let gone = propagated.keys.sorted().filter { l in propagated[l].map { r < $0.count && $0[r].isEmpty } ?? false }
            if !gone.isEmpty {
                out.append(GuidanceNotice(level: .warning, path: nil,
                    message: "\(side) region \(name) is empty at \(gone.map(\.description).joined(separator: ", ")) and is skipped there"))
            }
        }
        return out
    }
}

/// Content loss weighted per region by content guides (c_r): position k gets w_k = Σ_r c_r T^r_k, plus
/// `background` times whatever share of k no region covers, so c_r ≡ 1 with background 1 is the plain content loss.
///
///     L_c = (1/(N M)) Σ_ik w_k (F_ik − P_ik)²,   ∂L_c/∂F_ik = 2 w_k (F_ik − P_ik) / (N M)
public struct GuidedContentWeights: Equatable, Sendable {
    /// w_k at the content layer's positions.
    public let weights: [Float]

    /// Guides at the content layer's size, one c_r per guide.
    public init(guides: [Guide], regionWeights: [Float], background: Float = 1) throws {
        guard regionWeights.count == guides.count else {
            throw GuidanceError.regionCountMismatch(what: "content region weights", count: regionWeights.count, expected: guides.count)
        }
        guard let first = guides.first else { weights = []; return }
        var w = [Float](repeating: 0, count: first.count)
        var coverage = [Float](repeating: 0, count: first.count)
        for (r, g) in guides.enumerated() {
            guard g.width == first.width, g.height == first.height else {
                throw GuidanceError.guideSizesDiffer(name: "content region \(r)", width: g.width, height: g.height,
                                                     expectedWidth: first.width, expectedHeight: first.height)
            }
            for k in 0..<g.count {
                w[k] += regionWeights[r] * g.values[k]
                coverage[k] += g.values[k]
            }
        }
        for k in w.indices { w[k] += background * max(0, 1 - coverage[k]) }
        weights = w
    }

    /// L_c for features F and content target P (same shape, positions matching `weights`); adds ∂L_c/∂F to `gradient`.
    public func evaluate(_ features: FeatureMap, target: FeatureMap, gradient: UnsafeMutablePointer<Float>?) -> Double {
        let n = features.channels, m = features.plane
        precondition(weights.count == m && target.count == features.count, "GuidedContentWeights: shape mismatch")
        let scale = 1 / Float(n * m)
        var sum = 0.0
        features.data.withUnsafeBufferPointer { f in
            target.data.withUnsafeBufferPointer { p in
                weights.withUnsafeBufferPointer { w in
                    for i in 0..<n {
                        var row: Float = 0
                        for k in 0..<m {
                            let d = f[i * m + k] - p[i * m + k]
                            row += w[k] * d * d
                            gradient?[i * m + k] += 2 * scale * w[k] * d
                        }
                        sum += Double(row)
                    }
                }
            }
        }
        return sum * Double(scale)
    }
}
