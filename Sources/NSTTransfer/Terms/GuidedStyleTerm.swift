import NSTGuidance
import NSTNetwork
import NSTTensor

/// The guided style term (Gatys et al. 2017, Sec. 3): Σ_l Σ_r λ_r·β s_l·mean((G^r_l − A^r_l)²) with guided Grams
/// G^r = Σ_k T_k² F_k F_kᵀ / Σ_k T_k² (`GuidedStyleLayer`, β s_l folded in). Logged as `style`.
public final class GuidedStyleTerm: LossTerm {
    public let name = "style"
    public let layers: [LayerName]
    private let losses: [GuidedStyleLayer]

    /// One guided layer per style layer that has targets.
    public init(layers: [(layer: LayerName, loss: GuidedStyleLayer)]) {
        self.layers = layers.map(\.layer)
        self.losses = layers.map(\.loss)
    }

    public func evaluate(layer index: Int, features: FeatureMap, gradient: UnsafeMutablePointer<Float>) -> Float {
        Float(losses[index].evaluate(features, gradient: gradient))
    }
}
