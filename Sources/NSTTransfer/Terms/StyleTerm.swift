import NSTGuidance
import NSTNetwork
import NSTTensor

/// The style term β·Σ_l s_l·Σ_k w_k·mean((G_l − A^k_l)²), s_l = 1/N_l² unless overridden (Gatys et al. 2016, eq. 4–5,
/// normalised as in their code; see `StyleLoss`). With spatial control, `GuidedStyleTerm` replaces it.
public final class StyleTerm: LossTerm {
    public static let kind = LossTermKind(name: "style", keys: ["style_weight", "style_layers", "layer_weights", "style_blend"]) { context in
        if let guided = context.guided { return GuidedStyleTerm(layers: guided.styleLayers) }
        let plan = context.plan, beta = context.configuration.styleWeight
        let styleLayerNames = plan.styleLayers.map(\.layer)
        let grams: [[GramMatrix]] = context.styles.map { style in   // [style][layer]
            let styleGrams = context.targets?.styleGrams(network: context.network, input: style, layers: styleLayerNames)
                ?? context.network.forward(style, layers: styleLayerNames).mapValues { GramMatrix(of: $0) }
            return plan.styleLayers.map { layer, _ in styleGrams[layer] ?? GramMatrix(order: 0) }
        }
        return StyleTerm(layers: plan.styleLayers.enumerated().map { index, entry in
            let targets = grams.map { $0[index] }
            let n = Float(targets.first?.order ?? 1)
            let s = entry.weight ?? 1 / (n * n)   // s_l = 1/N_l² unless overridden
            return (entry.layer, StyleLoss(targets: targets, blend: plan.blend, weight: beta * s))
        })
    }

    public let name = "style"
    public let layers: [LayerName]
    private var losses: [StyleLoss]

    /// One `StyleLoss` (β·s_l folded into its weight) per layer.
    public init(layers: [(LayerName, StyleLoss)]) {
        self.layers = layers.map(\.0)
        self.losses = layers.map(\.1)
    }

    public func evaluate(layer index: Int, features: FeatureMap, gradient: UnsafeMutablePointer<Float>) -> Float {
        losses[index].evaluate(features, accumulateInto: gradient)
    }
}
