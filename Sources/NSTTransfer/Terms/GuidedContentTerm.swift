import NSTGuidance
import NSTNetwork
import NSTTensor

/// The content term with per-region weights (Gatys et al. 2017, Sec. 3): α·c_l·mean_k(w_k·(F_l − P_l)²_k) with
/// w_k = Σ_r c_r T^r_k (+1 where no region covers k), α·c_l folded into w (`GuidedContentWeights`). Logged as `content`.
public final class GuidedContentTerm: LossTerm {
    public let name = "content"
    public let layers: [LayerName]
    private let targets: [FeatureMap]
    private let weights: [GuidedContentWeights]

    /// P_l and the position weights, per layer.
    public init(layers: [(LayerName, FeatureMap, GuidedContentWeights)]) {
        self.layers = layers.map(\.0)
        self.targets = layers.map(\.1)
        self.weights = layers.map(\.2)
    }

    public func evaluate(layer index: Int, features: FeatureMap, gradient: UnsafeMutablePointer<Float>) -> Float {
        Float(weights[index].evaluate(features, target: targets[index], gradient: gradient))
    }
}
