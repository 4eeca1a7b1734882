import NSTNetwork
import NSTTensor

/// The total-variation term γ·mean_{c,i,j}((x_{c,i,j+1} − x_{c,i,j})² + (x_{c,i+1,j} − x_{c,i,j})²) on the network-input
/// image (`TotalVariationLoss`). Always logged (`tv`), 0 when γ = 0.
public final class TotalVariationTerm: LossTerm {
    public static let kind = LossTermKind(name: "tv", keys: ["tv_weight"]) { context in
        TotalVariationTerm(weight: context.configuration.tvWeight)
    }

    public let name = "tv"
    private let loss: TotalVariationLoss

    /// γ.
    public init(weight: Float) { loss = TotalVariationLoss(weight: weight) }

    public func evaluate(image x: FeatureMap, gradient: inout FeatureMap) -> Float {
        loss.evaluate(x, accumulateInto: &gradient)
    }
}
