import Foundation
import NSTGuidance
import NSTImage
import NSTNetwork
import NSTTensor

// Resolution of the spatial-control keys of a run configuration into a `SpatialGuidance`: label maps, explicit
// regions and their pairing, c_r, and the checks and notices on the way.

extension RunConfiguration {
    /// True when the run has spatial control (`content_mask`, `regions` or `auto_masks`).
    public var usesSpatialGuidance: Bool { contentMask != nil || !regions.isEmpty || autoMasks != nil }

    /// Reads and checks the masks against the (decoded, not yet resized) images; nil without spatial control.
    /// With `auto_masks`, `automatic` holds the maps (nil while only validating, or one region: no guidance).
    func resolveGuidance(content: Image, styles: [Image], automatic: AutoMaskResult? = nil) throws -> SpatialGuidance? {
        try checkGuidanceValues()
        guard usesSpatialGuidance else { return nil }
        var notices: [GuidanceNotice] = []
        if autoMasks != nil {
            guard let automatic, automatic.regionCount > 1 else { return nil }
            let maps = try RunConfiguration.labelMaps(automatic, output: output)
            notices += [maps.content.summary, maps.style.summary]
            let resolved = try pairedRegions(content: maps.content, styleMaps: [maps.style], styles: styles, notices: &notices)
            var control = SpatialControl(regions: resolved.map(\.region), propagation: propagation.map { GuidePropagation(mode: $0) },
                                         featherRadius: featherRadius, weighting: regionWeighting)
            control.propagation.erosion = erosion
            return SpatialGuidance(control: control, contentRegionWeights: try contentWeights(for: resolved), notices: notices)
        }
        let palette: Palette? = self.palette == .deepPhoto
            ? try guarded("mask_tolerance") { try Palette(colors: RegionColor.deepPhotoPalette.map(\.color), tolerance: maskTolerance) }
            : nil
        func labelMap(_ path: String, key: String, fitting image: Image) throws -> LabelMap {
            let (map, conformNotices) = try guarded(key) {
                try LabelMap.load(URL(fileURLWithPath: path), palette: palette, tolerance: maskTolerance)
                    .conformed(toWidth: image.width, height: image.height)
            }
            notices += conformNotices + [map.summary]
            return map
        }
        let contentMap = try contentMask.map { try labelMap($0, key: "content_mask", fitting: content) }
        var styleMaps: [LabelMap?] = []
        for (index, path) in styleMasks.enumerated() {
            styleMaps.append(try path.map { try labelMap($0, key: "style_masks[\(index)]", fitting: styles[index]) })
        }
        let resolved: [ResolvedRegion]
        if regions.isEmpty, let contentMap {
            resolved = try pairedRegions(content: contentMap, styleMaps: styleMaps, styles: styles, notices: &notices)
        } else {
            resolved = try regions.enumerated().map { index, spec in
                try explicitRegion(spec, index: index, contentMap: contentMap, styleMaps: styleMaps, content: content,
                                   styles: styles, notices: &notices)
            }
        }
        var control = SpatialControl(regions: resolved.map(\.region), propagation: propagation.map { GuidePropagation(mode: $0) },
                                     featherRadius: featherRadius, weighting: regionWeighting)
        control.propagation.erosion = erosion
        let c = try contentWeights(for: resolved)
        return SpatialGuidance(control: control, contentRegionWeights: c, notices: notices)
    }

    /// A region with what identifies it to `content_region_weights`.
    private struct ResolvedRegion {
        var region: StyleRegion
        var color: RegionColor?
        var contentWeight: Float?
    }

    /// Keys that only make sense with masks, and their value ranges.
    private func checkGuidanceValues() throws {
        guard featherRadius.isFinite, featherRadius >= 0 else {
            throw ConfigurationError.invalidValue(key: "feather_radius", value: "\(featherRadius)", hint: "use 0 (hard guides) or a radius in pixels")
        }
        guard maskTolerance > 0, maskTolerance <= 1 else {
            throw ConfigurationError.invalidValue(key: "mask_tolerance", value: "\(maskTolerance)",
                                                  hint: "use a value in (0, 1]; 0.1 matches the deep-photo-styletransfer thresholds")
        }
        if !styleMasks.isEmpty && styleMasks.count != style.count {
            throw ConfigurationError.invalidValue(key: "style_masks", value: "\(styleMasks.map { $0 ?? "null" })",
                hint: "give one label map per style image (\(style.count) styles), null for a style without one")
        }
        for (key, value) in contentRegionWeights.sorted(by: { $0.key < $1.key }) where !(value.isFinite && value >= 0) {
            throw ConfigurationError.invalidValue(key: "content_region_weights.\(key)", value: "\(value)", hint: "weights must be finite and ≥ 0")
        }
        for (i, r) in regions.enumerated() {
            for (name, value) in [("weight", r.weight), ("content_weight", r.contentWeight)] {
                if let value, !(value.isFinite && value >= 0) {
                    throw ConfigurationError.invalidValue(key: "regions[\(i)].\(name)", value: "\(value)", hint: "weights must be finite and ≥ 0")
                }
            }
        }
        if usesSpatialGuidance {
            if let styleBlend {
                throw ConfigurationError.invalidValue(key: "style_blend", value: "\(styleBlend)",
                    hint: "with content_mask or regions the regions decide which style goes where; weight them with regions[].weight instead")
            }
            return
        }
        let idle: [(String, Bool)] = [("style_masks", !styleMasks.isEmpty), ("propagation", propagation != nil),
                                      ("erosion", erosion != 0), ("feather_radius", featherRadius != 0),
                                      ("region_weighting", regionWeighting != .uniform),
                                      ("content_region_weights", !contentRegionWeights.isEmpty)]
        if let key = idle.first(where: \.1)?.0 {
            throw ConfigurationError.invalidValue(key: key, value: "set", hint: "it has no effect without content_mask or regions; add a content label map or remove it")
        }
    }

    /// Label maps only: every content colour is supplied by each style whose map has that colour.
    private func pairedRegions(content: LabelMap, styleMaps: [LabelMap?], styles: [Image],
                               notices: inout [GuidanceNotice]) throws -> [ResolvedRegion] {
        guard styleMaps.count == style.count, styleMaps.allSatisfy({ $0 != nil }) else {
            throw ConfigurationError.missing(key: "style_masks",
                hint: "content_mask needs one style label map per style image (--style-mask, repeated with --style), or explicit regions")
        }
        let maps = styleMaps.compactMap { $0 }
        if maps.count == 1 {
            let (regions, pairNotices) = try guarded("content_mask") { try SpatialControl.labelMaps(content: content, style: maps[0]) }
            notices += pairNotices.filter { n in !notices.contains(n) }
            return zip(regions, content.regions).map { ResolvedRegion(region: $0, color: $1.color, contentWeight: nil) }
        }
        var result: [ResolvedRegion] = []
        for target in content.regions {
            let suppliers = maps.indices.filter { maps[$0].region(matching: target.color) != nil }
            guard !suppliers.isEmpty else {
                throw ConfigurationError.guidance(key: "content_mask", .missingStyleRegion(
                    contentPath: content.path, color: target.color.description,
                    contentColors: content.regions.map(\.color.description), stylePath: maps.map(\.path).joined(separator: ", "),
                    styleColors: Array(Set(maps.flatMap { $0.regions.map(\.color.description) })).sorted()))
            }
            for k in suppliers {
                let region = try guarded("content_mask") {
                    try SpatialControl.region(color: target.color, content: content, styleIndex: k, style: maps[k],
                                              styleWidth: styles[k].width, styleHeight: styles[k].height)
                }
                result.append(ResolvedRegion(region: region, color: target.color, contentWeight: nil))
            }
        }
        return result
    }

    private func explicitRegion(_ spec: RegionSpec, index: Int, contentMap: LabelMap?, styleMaps: [LabelMap?], content: Image,
                                styles: [Image], notices: inout [GuidanceNotice]) throws -> ResolvedRegion {
        let key = "regions[\(index)]"
        guard styles.indices.contains(spec.style) else {
            throw ConfigurationError.invalidValue(key: "\(key).style", value: "\(spec.style)",
                                                  hint: "use an index into style, 0…\(styles.count - 1)")
        }
        let styleImage = styles[spec.style]
        let styleMap = styleMaps.indices.contains(spec.style) ? styleMaps[spec.style] : nil
        var name: String, color: RegionColor? = nil
        let contentGuide: Guide
        switch (spec.contentGuide, spec.color) {
        case let (path?, nil):
            let (guide, maskNotices) = try guarded("\(key).content_guide") {
                try GuideConformance.loadMask(URL(fileURLWithPath: path), imageWidth: content.width, imageHeight: content.height)
            }
            notices += maskNotices
            contentGuide = guide
            name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        case let (nil, text?):
            guard let contentMap else {
                throw ConfigurationError.missing(key: "content_mask", hint: "\(key).color needs a content label map; or give \(key).content_guide")
            }
            let parsed = try guarded("\(key).color") { try RegionColor(parsing: text, context: "\(key).color") }
            guard let region = contentMap.region(matching: parsed) else {
                throw ConfigurationError.guidance(key: "\(key).color", .missingContentRegion(
                    path: contentMap.path, color: parsed.description, colors: contentMap.regions.map(\.color.description)))
            }
            contentGuide = region.guide
            color = region.color
            name = region.color.description
        default:
            throw ConfigurationError.invalidValue(key: key, value: "content_guide and color", hint: "give exactly one of content_guide (a mask) or color (of content_mask)")
        }
        var styleGuide = Guide(width: styleImage.width, height: styleImage.height, value: 1)
        if let path = spec.styleGuide {
            let (guide, maskNotices) = try guarded("\(key).style_guide") {
                try GuideConformance.loadMask(URL(fileURLWithPath: path), imageWidth: styleImage.width, imageHeight: styleImage.height)
            }
            notices += maskNotices
            styleGuide = guide
        } else if let text = spec.styleColor ?? (styleMap == nil ? nil : spec.color) {
            guard let styleMap else {
                throw ConfigurationError.missing(key: "style_masks[\(spec.style)]", hint: "\(key).style_color needs a label map for style \(spec.style)")
            }
            let parsed = try guarded("\(key).style_color") { try RegionColor(parsing: text, context: "\(key).style_color") }
            guard let source = styleMap.region(matching: parsed) else {
                throw ConfigurationError.guidance(key: key, .missingStyleRegion(
                    contentPath: contentMap?.path ?? spec.contentGuide ?? "", color: parsed.description,
                    contentColors: contentMap?.regions.map(\.color.description) ?? [],
                    stylePath: styleMap.path, styleColors: styleMap.regions.map(\.color.description)))
            }
            styleGuide = source.guide
        }
        if contentGuide.isEmpty == false, styleGuide.isEmpty, spec.styleGuide == nil {
            notices.append(GuidanceNotice(level: .warning, path: styleMap?.path, message: "region \(name) is empty in the style guide"))
        }
        if styles.count > 1 { name += " ← style \(spec.style)" }
        return ResolvedRegion(region: StyleRegion(name: name, contentGuide: contentGuide, styleIndex: spec.style,
                                                  styleGuide: styleGuide, weight: spec.weight),
                              color: color, contentWeight: spec.contentWeight)
    }

    /// c_r from `regions[].content_weight` and `content_region_weights` (keyed by colour or region name); nil if neither is set.
    private func contentWeights(for regions: [ResolvedRegion]) throws -> [Float]? {
        var weights = regions.map(\.contentWeight)
        for (key, value) in contentRegionWeights.sorted(by: { $0.key < $1.key }) {
            let color = try? RegionColor(parsing: key)
            let matches = regions.indices.filter { r in
                if let color, let own = regions[r].color { return own.distance(to: color) < maskTolerance }
                return regions[r].region.name == key || regions[r].region.name.hasPrefix(key + " ←")
            }
            guard !matches.isEmpty else {
                throw ConfigurationError.invalidValue(key: "content_region_weights.\(key)", value: "\(value)",
                    hint: "no region is called that; the regions are " + regions.map(\.region.name).joined(separator: ", "))
            }
            for r in matches { weights[r] = value }
        }
        return weights.allSatisfy({ $0 == nil }) ? nil : weights.map { $0 ?? 1 }
    }

    /// Regions that vanish at some style layer of some stage under the propagation mode (skipped there).
    func vanishingRegionWarnings(_ guidance: SpatialGuidance, stages: [RunPlan.Stage], styles: [Image],
                                 styleLayers: [LayerName]) throws -> [GuidanceNotice] {
        var seen = Set<String>(), result: [GuidanceNotice] = []
        for stage in stages {
            let sizes = styles.map { RunConfiguration.scaledSize(width: $0.width, height: $0.height,
                                                                 longestSide: stage.styleLongestSide, pixelCount: nil) }
            let prepared = try guarded("feather_radius") {
                try guidance.prepared(contentWidth: stage.width, contentHeight: stage.height,
                                      styleSizes: sizes.map { (width: $0.0, height: $0.1) })
            }
            let control = prepared.control, names = control.regions.map(\.name)
            let content = control.propagation.propagate(control.regions.map(\.contentGuide), to: styleLayers)
            var style: [LayerName: [Guide]] = [:]
            for r in control.regions {
                for (l, g) in control.propagation.propagate(r.styleGuide, to: styleLayers) { style[l, default: []].append(g) }
            }
            let found = GuidedStyleTargets.vanishingRegionWarnings(content, names: names, side: "content")
                + GuidedStyleTargets.vanishingRegionWarnings(style, names: names, side: "style")
            for n in found where seen.insert(n.message).inserted {
                result.append(GuidanceNotice(level: n.level, path: n.path,
                                             message: n.message + (stages.count > 1 ? " (at \(stage.width)×\(stage.height))" : "")))
            }
        }
        return result
    }
}

/// Runs `body`, turning guidance and image errors into configuration errors that name `key`.
func guarded<T>(_ key: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as GuidanceError {
        throw ConfigurationError.guidance(key: key, error)
    } catch let error as ImageError {
        throw ConfigurationError.image(key: key, error)
    }
}
