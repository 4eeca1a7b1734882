import NSTGuidance
import NSTNetwork
import NSTTensor

/// The guided parts of a `TransferObjective` at one stage: one `GuidedStyleLayer` per style layer (β s_l folded in)
/// and, with c_r, one position weighting per content layer (α c_l folded in).
public struct GuidedObjectiveTerms {
    public let styleLayers: [(layer: LayerName, loss: GuidedStyleLayer)]
    public let contentWeights: [LayerName: GuidedContentWeights]
    /// Regions that vanish at some layer (they are skipped there).
    public let notices: [GuidanceNotice]

    /// Targets A^r_l from the style images (network space, at the sizes `guidance` was prepared for); with `targets`,
    /// they are looked up there (and computed once) instead of recomputed for every run.
    public init(guidance: SpatialGuidance, network: VGG19, styles: [FeatureMap], plan: RunPlan,
                targets cache: TargetCache? = nil) throws {
        let config = plan.configuration
        let layers = plan.styleLayers.map(\.layer)
        let propagation = guidance.control.propagation
        // One forward per style image, and only when some region's targets are not cached.
        var features: [Int: [LayerName: FeatureMap]] = [:]
        func styleFeatures(_ index: Int) -> [LayerName: FeatureMap] {
            if let f = features[index] { return f }
            let f = network.forward(styles[index], layers: layers)
            features[index] = f
            return f
        }
        let regionTargets: [[LayerName: GuidedGram?]] = try guidance.control.regions.map { r in
            guard styles.indices.contains(r.styleIndex) else {
                throw GuidanceError.regionCountMismatch(what: "style images (region \(r.name) uses style \(r.styleIndex))",
                                                        count: styles.count, expected: r.styleIndex + 1)
            }
            guard let cache else {
                return try GuidedStyleTargets.targets(features: styleFeatures(r.styleIndex), styleGuide: r.styleGuide,
                                                      propagation: propagation)
            }
            return try cache.guidedStyleTargets(network: network, input: styles[r.styleIndex], layers: layers,
                                                styleGuide: r.styleGuide, propagation: propagation) { styleFeatures(r.styleIndex) }
        }
        var layerWeights: [LayerName: Float] = [:]
        for (layer, override) in plan.styleLayers {
            // N_l from any region's target (every style image has the same channels at a layer); a layer without
            // targets contributes nothing whatever its weight.
            let n = Float(regionTargets.lazy.compactMap { $0[layer] ?? nil }.first?.channels ?? 1)
            layerWeights[layer] = config.styleWeight * (override ?? 1 / (n * n))   // β · s_l, s_l = 1/N_l² by default
        }
        let (guided, notices) = try guidance.control.styleLayers(regionTargets: regionTargets, layerWeights: layerWeights)
        styleLayers = layers.compactMap { l in guided[l].map { (l, $0) } }
        var content: [LayerName: GuidedContentWeights] = [:]
        if let c = guidance.contentRegionWeights {
            for (layer, cl) in plan.contentLayers {
                let scale = config.contentWeight * cl   // α · c_l; w_k is linear in (c_r, background)
                content[layer] = try guidance.control.contentWeights(at: layer, regionWeights: c.map { $0 * scale }, background: scale)
            }
        }
        contentWeights = content
        self.notices = notices
    }
}
