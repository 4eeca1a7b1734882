import NSTNetwork
import NSTTensor

/// One region of a run: where it applies in the output, which style image supplies it and where in that image.
public struct StyleRegion: Equatable, Sendable {
    /// For messages, e.g. "white (#FFFFFF)" or "sky".
    public var name: String
    /// The content guide, at the content image's size (or the working size after `prepared`).
    public var contentGuide: Guide
    /// Index of the style image in the run's list.
    public var styleIndex: Int
    /// The style guide, at that style image's size (or its working size after `prepared`).
    public var styleGuide: Guide
    /// λ_r; nil takes the run's `RegionWeighting`.
    public var weight: Float?

    public init(name: String, contentGuide: Guide, styleIndex: Int, styleGuide: Guide, weight: Float? = nil) {
        self.name = name
        self.contentGuide = contentGuide
        self.styleIndex = styleIndex
        self.styleGuide = styleGuide
        self.weight = weight
    }
}

/// Spatial control for a run (Gatys et al. 2017, Sec. 3): the regions, how their guides are feathered and carried to
/// each layer, and how the regions are weighted. `styleLayers` turns it into one `GuidedStyleLayer` per style layer.
///
/// A transfer uses it like this:
/// 1. regions: `LabelMap.load(...).conformed(toWidth:height:)` for the content and style maps, then
///    `SpatialControl.labelMaps(content:style:)` (one style image) or `SpatialControl.region(color:...)` per style image;
///    greyscale masks: `GuideConformance.loadMask` and `StyleRegion(...)`. Print the returned notices.
/// 2. `SpatialControl(regions:propagation:featherRadius:weighting:).prepared(contentWidth:contentHeight:styleSizes:)`
///    at the working sizes the images are resized to.
/// 3. Forward each style image once; `styleLayers(styleFeatures:layerWeights:)` with s_l per style layer.
/// 4. Each iteration, per style layer l: `loss += layers[l].evaluate(F_l, gradient: dF_l)` (adds ∂L/∂F into dF_l),
///    then `VGG19.backward` of the accumulated gradients.
public struct SpatialControl: Equatable, Sendable {
    public var regions: [StyleRegion]
    public var propagation: GuidePropagation
    /// Gaussian feathering of every guide, in pixels at the working size (0 = hard guides); see `Guide.feathered`.
    public var featherRadius: Double
    public var weighting: RegionWeighting

    /// `propagation` nil picks `PropagationMode.defaultMode` for the number of distinct style images.
    public init(regions: [StyleRegion], propagation: GuidePropagation? = nil, featherRadius: Double = 0,
                weighting: RegionWeighting = .uniform) {
        self.regions = regions
        let styles = Set(regions.map(\.styleIndex)).count
        self.propagation = propagation ?? GuidePropagation(mode: .defaultMode(styleImageCount: styles))
        self.featherRadius = featherRadius
        self.weighting = weighting
    }

    /// Regions from a content label map and one style image's label map (both already conformed to their images'
    /// sizes with `LabelMap.conformed`); notices: the content map's summary, unused style regions, empty regions.
    public static func labelMaps(content: LabelMap, style: LabelMap, styleIndex: Int = 0) throws
        -> (regions: [StyleRegion], notices: [GuidanceNotice]) {
        let (pairs, notices) = try RegionPairing.pair(content: content, style: style)
        let regions = pairs.map { StyleRegion(name: $0.color.description, contentGuide: $0.content, styleIndex: styleIndex, styleGuide: $0.style) }
        return (regions, [content.summary, style.summary] + notices
                    + RegionPairing.emptyRegionWarnings(pairs, contentPath: content.path, stylePath: style.path))
    }

    /// A region for one of several style images: the content map's region of `color`, supplied by the style map's
    /// region of the same colour, or by the whole style image when it has no map. Maps must already be conformed.
    public static func region(color: RegionColor, content: LabelMap, styleIndex: Int, style: LabelMap?,
                              styleWidth: Int, styleHeight: Int, weight: Float? = nil) throws -> StyleRegion {
        guard let target = content.region(matching: color) else {
            throw GuidanceError.missingContentRegion(path: content.path, color: color.description,
                                                     colors: content.regions.map(\.color.description))
        }
        var styleGuide = Guide(width: styleWidth, height: styleHeight, value: 1)
        if let style {
            guard let source = style.region(matching: color) else {
                throw GuidanceError.missingStyleRegion(contentPath: content.path, color: color.description,
                                                       contentColors: content.regions.map(\.color.description),
                                                       stylePath: style.path, styleColors: style.regions.map(\.color.description))
            }
            styleGuide = source.guide
        }
        return StyleRegion(name: target.color.description, contentGuide: target.guide, styleIndex: styleIndex,
                           styleGuide: styleGuide, weight: weight)
    }

    /// λ_r: given weights where set, the `weighting` rule elsewhere.
    public var regionWeights: [Float] {
        let defaults = weighting.weights(contentGuides: regions.map(\.contentGuide))
        return zip(regions, defaults).map { $0.weight ?? $1 }
    }

    /// The guides area-resampled to the working sizes (the output's and each style image's), then feathered.
    public func prepared(contentWidth: Int, contentHeight: Int, styleSizes: [(width: Int, height: Int)]) throws -> SpatialControl {
        var copy = self
        copy.regions = try regions.map { r in
            guard styleSizes.indices.contains(r.styleIndex) else {
                throw GuidanceError.regionCountMismatch(what: "style image sizes (region \(r.name) uses style \(r.styleIndex))",
                                                        count: styleSizes.count, expected: r.styleIndex + 1)
            }
            var r = r
            let size = styleSizes[r.styleIndex]
            r.contentGuide = try r.contentGuide.resampled(width: contentWidth, height: contentHeight).feathered(radius: featherRadius)
            r.styleGuide = try r.styleGuide.resampled(width: size.width, height: size.height).feathered(radius: featherRadius)
            return r
        }
        return copy
    }

    /// One `GuidedStyleLayer` per style layer (`layerWeights[l]` = s_l times the layer's weight), from the style images'
    /// features at those layers (`styleFeatures[i]` for style image i, computed at the guides' working size).
    /// Warnings name regions that vanish at some layer under the propagation mode.
    public func styleLayers(styleFeatures: [[LayerName: FeatureMap]], layerWeights: [LayerName: Float]) throws
        -> (layers: [LayerName: GuidedStyleLayer], notices: [GuidanceNotice]) {
        let regionTargets = try regions.map { r in
            guard styleFeatures.indices.contains(r.styleIndex) else {
                throw GuidanceError.regionCountMismatch(what: "style feature sets (region \(r.name) uses style \(r.styleIndex))",
                                                        count: styleFeatures.count, expected: r.styleIndex + 1)
            }
            let features = styleFeatures[r.styleIndex].filter { layerWeights[$0.key] != nil }
            return try GuidedStyleTargets.targets(features: features, styleGuide: r.styleGuide, propagation: propagation)
        }
        return try styleLayers(regionTargets: regionTargets, layerWeights: layerWeights)
    }

    /// The same from targets computed elsewhere (e.g. shared across runs): `regionTargets[r]` holds A^r_l at every
    /// layer of `layerWeights`, as `GuidedStyleTargets.targets` gives it for region r's style features and guide.
    public func styleLayers(regionTargets: [[LayerName: GuidedGram?]], layerWeights: [LayerName: Float]) throws
        -> (layers: [LayerName: GuidedStyleLayer], notices: [GuidanceNotice]) {
        guard regionTargets.count == regions.count else {
            throw GuidanceError.regionCountMismatch(what: "style target sets", count: regionTargets.count, expected: regions.count)
        }
        let layers = layerWeights.keys.sorted()
        let contentGuides = propagation.propagate(regions.map(\.contentGuide), to: layers)
        var targets: [LayerName: [GuidedGram?]] = [:]
        var styleGuides: [LayerName: [Guide]] = [:]
        for (r, regionTarget) in zip(regions, regionTargets) {
            for l in layers { targets[l, default: []].append(regionTarget[l] ?? nil) }
            for (l, g) in propagation.propagate(r.styleGuide, to: layers) { styleGuides[l, default: []].append(g) }
        }
        let weights = regionWeights
        var result: [LayerName: GuidedStyleLayer] = [:]
        for l in layers {
            result[l] = try GuidedStyleLayer(guides: contentGuides[l] ?? [], targets: targets[l] ?? [], weights: weights,
                                             layerWeight: layerWeights[l] ?? 0)
        }
        let names = regions.map(\.name)
        let notices = GuidedStyleTargets.vanishingRegionWarnings(contentGuides, names: names, side: "content")
            + GuidedStyleTargets.vanishingRegionWarnings(styleGuides, names: names, side: "style")
        return (result, notices)
    }

    /// Per-region content weighting (c_r, one per region) at the content layer, for `GuidedContentWeights.evaluate`.
    public func contentWeights(at layer: LayerName, regionWeights c: [Float], background: Float = 1) throws -> GuidedContentWeights {
        let guides = propagation.propagate(regions.map(\.contentGuide), to: [layer])[layer] ?? []
        return try GuidedContentWeights(guides: guides, regionWeights: c, background: background)
    }
}
