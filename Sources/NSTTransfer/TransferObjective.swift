import NSTGuidance
import NSTNetwork
import NSTTensor

/// One weighted loss value at one layer, for the per-layer columns of the loss log.
public struct LayerLoss: Equatable, Sendable {
    public enum Role: String, Sendable { case content, style }
    public let role: Role
    public let layer: LayerName
    public var value: Float

    /// Column name in the loss log, e.g. `style_relu1_1`.
    public var columnName: String { "\(role.rawValue)_\(layer)" }
}

/// The weighted terms of one evaluation: α·L_c, β·L_s, γ·L_tv and their per-layer parts.
public struct LossBreakdown: Equatable, Sendable {
    public var content: Float = 0
    public var style: Float = 0
    public var tv: Float = 0
    public var layers: [LayerLoss] = []
    /// L = α·L_c + β·L_s + γ·L_tv.
    public var total: Float { content + style + tv }
}

/// The style-transfer objective L(x) = α·L_c + β·L_s + γ·L_tv on a network-space image x (3×H×W),
/// with its gradient from one VGG-19 forward and backward pass.
public final class TransferObjective {
    public let network: VGG19
    public let width: Int
    public let height: Int
    /// Layers the forward pass computes, in network order.
    public let layers: [LayerName]
    private var contentTerms: [(layer: LayerName, loss: ContentLoss)]
    private var styleTerms: [(layer: LayerName, loss: StyleLoss)]
    /// With spatial control: guided style terms replace `styleTerms`, region-weighted content terms `contentTerms`.
    private var guidedStyleTerms: [(layer: LayerName, loss: GuidedStyleLayer)] = []
    private var regionContentTerms: [(layer: LayerName, target: FeatureMap, weights: GuidedContentWeights)] = []
    private let tv: TotalVariationLoss
    /// The breakdown of the most recent evaluation.
    public private(set) var lastBreakdown = LossBreakdown()
    /// Number of evaluations so far (forward + backward passes).
    public private(set) var evaluations = 0

    /// Builds the objective: P_l from `content`, A_l^k from each of `styles` (network space), weights from `plan`.
    /// With `targets`, P_l and A_l are looked up there (and computed once) instead of recomputed for every run.
    /// With `guided` (spatial control), its guided style layers replace the plain Gram terms and its per-region
    /// content weights, if any, the plain content terms; the plain style targets are then not computed.
    public init(network: VGG19, content: FeatureMap, styles: [FeatureMap], plan: RunPlan, targets: TargetCache? = nil,
                guided: GuidedObjectiveTerms? = nil) {
        let config = plan.configuration
        self.network = network
        self.width = content.width
        self.height = content.height
        self.layers = plan.requestedLayers
        self.tv = TotalVariationLoss(weight: config.tvWeight)

        // Targets keep the network's buffers alive; copy-on-write gives the network fresh ones on its next forward.
        let contentLayerNames = plan.contentLayers.map(\.layer)
        let contentFeatures = targets?.contentFeatures(network: network, input: content, layers: contentLayerNames)
            ?? network.forward(content, layers: contentLayerNames)
        contentTerms = plan.contentLayers.compactMap { layer, c in
            contentFeatures[layer].map { (layer, ContentLoss(target: $0, weight: config.contentWeight * c)) }
        }
        var grams: [[GramMatrix]] = []   // [style][layer]
        for style in styles where guided == nil {
            let styleLayerNames = plan.styleLayers.map(\.layer)
            let styleGrams = targets?.styleGrams(network: network, input: style, layers: styleLayerNames)
                ?? network.forward(style, layers: styleLayerNames).mapValues { GramMatrix(of: $0) }
            grams.append(plan.styleLayers.map { layer, _ in styleGrams[layer] ?? GramMatrix(order: 0) })
        }
        styleTerms = guided != nil ? [] : plan.styleLayers.enumerated().map { index, entry in
            let targets = grams.map { $0[index] }
            let n = Float(targets.first?.order ?? 1)
            let s = entry.weight ?? 1 / (n * n)   // s_l = 1/N_l² unless overridden
            return (entry.layer, StyleLoss(targets: targets, blend: plan.blend, weight: config.styleWeight * s))
        }
        if let guided {
            guidedStyleTerms = guided.styleLayers
            if !guided.contentWeights.isEmpty {
                regionContentTerms = contentTerms.compactMap { term in
                    guided.contentWeights[term.layer].map { (term.layer, term.loss.target, $0) }
                }
                contentTerms = []
            }
        }
        lastBreakdown.layers = (contentTerms.map(\.layer) + regionContentTerms.map(\.layer)).map { LayerLoss(role: .content, layer: $0, value: 0) }
            + (styleTerms.map(\.layer) + guidedStyleTerms.map(\.layer)).map { LayerLoss(role: .style, layer: $0, value: 0) }
    }

    /// L(x); writes ∇L into `gradient`. Usable directly as an `Objective`.
    ///
    /// Each term's value and gradient are computed when the backward pass reaches its layer, adding the gradient
    /// straight into the buffer that carries the backward, so no per-layer gradient map is stored.
    public func evaluate(_ x: [Float], _ gradient: inout [Float]) -> Float {
        evaluations += 1
        let input = FeatureMap(channels: 3, height: height, width: width, data: x)
        var breakdown = lastBreakdown
        breakdown.content = 0
        breakdown.style = 0
        let features = network.forward(input, layers: layers)
        // Log columns: content terms, region-weighted content terms, style terms, guided style terms.
        let regionBase = contentTerms.count, styleBase = regionBase + regionContentTerms.count
        let guidedBase = styleBase + styleTerms.count
        var dx = network.backward(at: layers) { layer, g in
            guard let f = features[layer] else { return }
            for (i, term) in contentTerms.enumerated() where term.layer == layer {
                let value = term.loss.evaluate(f, accumulateInto: g)
                breakdown.content += value
                breakdown.layers[i].value = value
            }
            for (i, term) in regionContentTerms.enumerated() where term.layer == layer {
                let value = Float(term.weights.evaluate(f, target: term.target, gradient: g))
                breakdown.content += value
                breakdown.layers[regionBase + i].value = value
            }
            for t in styleTerms.indices where styleTerms[t].layer == layer {
                let value = styleTerms[t].loss.evaluate(f, accumulateInto: g)
                breakdown.style += value
                breakdown.layers[styleBase + t].value = value
            }
            for (i, term) in guidedStyleTerms.enumerated() where term.layer == layer {
                let value = Float(term.loss.evaluate(f, gradient: g))
                breakdown.style += value
                breakdown.layers[guidedBase + i].value = value
            }
        }
        breakdown.tv = tv.evaluate(input, accumulateInto: &dx)
        lastBreakdown = breakdown
        if gradient.count == dx.count {
            gradient.withUnsafeMutableBufferPointer { out in
                dx.data.withUnsafeBufferPointer { src in _ = out.update(fromContentsOf: src) }
            }
        } else {
            gradient = dx.data
        }
        return breakdown.total
    }

    /// The objective as a closure for the optimizers.
    public var closure: Objective {
        { [unowned self] x, gradient in self.evaluate(x, &gradient) }
    }
}
