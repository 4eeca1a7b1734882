import NSTGuidance
import NSTNetwork
import NSTTensor

/// The content term α·Σ_l c_l·mean((F_l − P_l)²) (Gatys et al. 2016, eq. 1, normalised as in their code; see
/// `ContentLoss`). With per-region content weights (spatial control), `GuidedContentTerm` replaces it.
public final class ContentTerm: LossTerm {
    public static let kind = LossTermKind(name: "content", keys: ["content_weight", "content_layers", "layer_weights"]) { context in
        let plan = context.plan, alpha = context.configuration.contentWeight
        let features = context.contentFeatures(plan.contentLayers.map(\.layer))
        let kept = plan.contentLayers.compactMap { layer, c in features[layer].map { (layer, $0, alpha * c) } }
        if let guided = context.guided, !guided.contentWeights.isEmpty {
            return GuidedContentTerm(layers: kept.compactMap { layer, target, _ in
                guided.contentWeights[layer].map { (layer, target, $0) }
            })
        }
        return ContentTerm(layers: kept.map { layer, target, weight in (layer, ContentLoss(target: target, weight: weight)) })
    }

    public let name = "content"
    public let layers: [LayerName]
    private let losses: [ContentLoss]

    /// One `ContentLoss` (α·c_l folded into its weight) per layer.
    public init(layers: [(LayerName, ContentLoss)]) {
        self.layers = layers.map(\.0)
        self.losses = layers.map(\.1)
    }

    public func evaluate(layer index: Int, features: FeatureMap, gradient: UnsafeMutablePointer<Float>) -> Float {
        losses[index].evaluate(features, accumulateInto: gradient)
    }
}
