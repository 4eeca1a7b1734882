/// A content region and the style region that supplies its texture.
public struct RegionPair: Equatable, Sendable {
    /// The content map's colour of the region.
    public let color: RegionColor
    /// Where in the output the region applies (content image size).
    public let content: Guide
    /// Which part of the style image supplies it (style image size).
    public let style: Guide
}

/// Matching the regions of a content label map with those of a style label map.
public enum RegionPairing {
    /// Pairs every content region with the style region of the same colour (within the style map's tolerance).
    /// A content colour missing from the style map is an error listing both maps' colours; style regions the content
    /// lacks are unused and reported as a notice.
    public static func pair(content: LabelMap, style: LabelMap) throws -> (pairs: [RegionPair], notices: [GuidanceNotice]) {
        var pairs: [RegionPair] = []
        for region in content.regions {
            guard let match = style.region(matching: region.color) else {
                throw GuidanceError.missingStyleRegion(contentPath: content.path, color: region.color.description,
                                                       contentColors: content.regions.map(\.color.description),
                                                       stylePath: style.path, styleColors: style.regions.map(\.color.description))
            }
            pairs.append(RegionPair(color: region.color, content: region.guide, style: match.guide))
        }
        let unused = style.regions.filter { s in content.region(matching: s.color) == nil }
        let notices = unused.isEmpty ? [] : [GuidanceNotice(level: .notice, path: style.path,
            message: "style regions with no content region, unused: \(unused.map(\.color.description).joined(separator: ", "))")]
        return (pairs, notices)
    }

    /// Warnings for regions whose content or style guide is empty (they contribute nothing).
    public static func emptyRegionWarnings(_ pairs: [RegionPair], contentPath: String?, stylePath: String?) -> [GuidanceNotice] {
        pairs.flatMap { p -> [GuidanceNotice] in
            var out: [GuidanceNotice] = []
            if p.content.isEmpty {
                out.append(GuidanceNotice(level: .warning, path: contentPath, message: "region \(p.color) is empty in the content guide"))
            }
            if p.style.isEmpty {
                out.append(GuidanceNotice(level: .warning, path: stylePath, message: "region \(p.color) is empty in the style guide"))
            }
            return out
        }
    }
}

/// How region weights λ_r are chosen when the user gives none.
public enum RegionWeighting: String, Codable, Sendable, CaseIterable {
    /// λ_r = 1/R.
    case uniform
    /// λ_r = area share of region r in the content guides, a_r / Σ_q a_q with a_r = Σ_k T^r_k.
    case area

    /// The weights for regions with these content guides; all zero-area regions get 0 under `area`.
    public func weights(contentGuides: [Guide]) -> [Float] {
        let r = contentGuides.count
        guard r > 0 else { return [] }
        switch self {
        case .uniform:
            return [Float](repeating: 1 / Float(r), count: r)
        case .area:
            let areas = contentGuides.map(\.mass)
            let total = areas.reduce(0, +)
            guard total > 0 else { return [Float](repeating: 0, count: r) }
            return areas.map { Float($0 / total) }
        }
    }
}
