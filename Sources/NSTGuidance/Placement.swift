import Foundation
import NSTImage
import NSTNetwork
import NSTTensor

// Placement: did each region of an output take its own style region's texture?
//
// For content region r of the output x and style region q (the style guide of region q of the run), with guided
// (region-mean) Gram matrices G^r_l(x) and A^q_l at the style layers l = relu1_1 … relu5_1 (GuidedGram; guides
// carried to each layer by area resampling, `PropagationMode.simple`, whatever the run used):
//
//     L[r][q] = Σ_l s_l · mean_ij((G^r_l(x) − A^q_l)²),   s_l = 1/N_l²
//
// the guided style loss region r would have if region q were its target. The placement ratio of r is
//
//     ratio_r = min_{q ≠ r} L[r][q] / L[r][r]
//
// above 1 region r is nearer its own style region than any other's; below 1 it took another region's texture.
// The same ratio per layer (L_l instead of the sum) shows at which depth a region went wrong.
//
// Separability of the style image: style region p is split in two halves a, b (across its longer extent at the
// median of its mass) and each half is measured like an output region, against the other half instead of p itself
// (a half is part of p, so against p it would look closer than any independent sample):
//
//     ratio_a = min_{q ≠ p} D(A^p_a, A^q) / D(A^p_a, A^p_b),   separability_p = √(ratio_a · ratio_b)
//
// with D = the same Σ_l s_l · mean((·)²): about the ratio a second sample of p's texture would score. Two style
// regions of the same texture give about 1; below `separableAt` the style regions cannot be told apart by this
// measure, and a low ratio is not counted as a failure. The same per layer (D_l instead of the sum) says at which
// depths the style regions can be told apart at all: a region's layer ratio below 1 at a layer where its style region
// is not separable (often relu5_1, whose positions are few at 256–512 px) is not counted as a wrong layer. A ratio whose own distance is 0 (identical Grams) is capped
// at `ratioCap` so that it stays a finite JSON number.

/// The placement measurement of one output against the style regions of a run.
public struct Placement: Codable, Equatable, Sendable {
    /// The layers measured: relu1_1, relu2_1, relu3_1, relu4_1, relu5_1.
    public static let layers: [LayerName] = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"].compactMap { try? LayerName($0) }
    /// The ratio a region should reach to count as placed.
    public static let goal = 3.0
    /// Regions below this share of the output are reported but not held to the goal.
    public static let minimumShare = 0.05
    /// Style regions whose separability is below this cannot be held to the goal: a second sample of the region's own
    /// texture would not be clearly nearer to it than to another region.
    public static let separableAt = 1.5
    /// Largest ratio reported (an own distance of 0 would give infinity).
    public static let ratioCap = 1e6

    /// One content region's figures.
    public struct Region: Codable, Equatable, Sendable {
        public var name: String
        /// Share of the output's pixels in the region (Σ_k T_k / pixels, soft guides count fractionally).
        public var share: Double
        /// min_{q≠r} L[r][q] / L[r][r]; nil with a single region.
        public var ratio: Double?
        /// The other region q that attains the minimum.
        public var nearestOther: String?
        /// The same ratio at each layer (L_l instead of the sum over layers), keyed by layer name.
        public var layerRatios: [String: Double]
        /// separability of the region's style region (see the file's comment); nil with a single region or when a
        /// half of the style region is empty.
        public var separability: Double?
        /// The separability per layer, keyed by layer name (absent in records made before it was measured).
        public var layerSeparability: [String: Double]?
        /// `placed` (ratio ≥ goal), `weak` (1 ≤ ratio < goal), `wrong` (ratio < 1: nearer another region's texture),
        /// `not separable` (the style regions cannot be told apart), `single region`.
        public var verdict: String

        enum CodingKeys: String, CodingKey {
            case name, share, ratio, nearestOther = "nearest_other", layerRatios = "layer_ratios", separability,
                 layerSeparability = "layer_separability", verdict
        }

        /// Layers where the region is nearer another region's texture than its own (ratio < 1) although its style
        /// region can be told apart from the others there (layer separability ≥ `separableAt`, or not measured).
        public var wrongLayers: [String] {
            layerRatios.filter { $0.value < 1 && isSeparable(at: $0.key) }.keys.sorted()
        }

        /// Whether the region's style region can be told apart from the others at `layer` (true when not measured).
        public func isSeparable(at layer: String) -> Bool { (layerSeparability?[layer] ?? .infinity) >= Placement.separableAt }
    }

    public var regions: [Region]
    /// Layer names, in the order of `layerMatrices`.
    public var layers: [String]
    /// L[r][q], summed over the layers.
    public var matrix: [[Double]]
    /// L_l[r][q] per layer.
    public var layerMatrices: [String: [[Double]]]
    /// D(A^p, A^q) between the style regions, summed over the layers.
    public var styleMatrix: [[Double]]
    /// ratio_a and ratio_b of the two halves of each style region ([] when a half is empty).
    public var styleHalfRatios: [[Double]]

    /// The definition in one paragraph, written into every JSON encoding so a reader needs nothing else.
    public static let definition = "L[r][q] = sum over layers l of s_l * mean((G^r_l(output) - A^q_l)^2), s_l = 1/N_l^2, "
        + "G^r_l the region-mean Gram matrix of output region r, A^q_l that of style region q, guides area-resampled to each layer. "
        + "ratio_r = min over q != r of L[r][q] / L[r][r]: > 1 region r is nearer its own style region's texture than any "
        + "other's, < 1 it took another region's. layer_ratios: the same per layer. separability "
        + "= each half of the style region measured against the other regions and against its other half, min over q of D(half, A^q) / D(half, other half), geometric mean of the two halves (about what a second sample of the texture scores; below separable_at the style regions "
        + "cannot be told apart: verdict 'not separable'; layer_separability: the same per layer). Regions under minimum_share of the image are not held to the goal. "
        + "geometric_mean_ratio: over regions >= minimum_share; worst_ratio and meets_goal: over those with separable style regions."

    enum CodingKeys: String, CodingKey {
        case regions, layers, matrix, layerMatrices = "layer_matrices", styleMatrix = "style_matrix"
        case styleHalfRatios = "style_half_ratios"
        case geometricMeanRatio = "geometric_mean_ratio", worstRatio = "worst_ratio", meetsGoal = "meets_goal"
        case goal, minimumShare = "minimum_share", separableAt = "separable_at", definition
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        regions = try c.decode([Region].self, forKey: .regions)
        layers = try c.decode([String].self, forKey: .layers)
        matrix = try c.decode([[Double]].self, forKey: .matrix)
        layerMatrices = try c.decode([String: [[Double]]].self, forKey: .layerMatrices)
        styleMatrix = try c.decode([[Double]].self, forKey: .styleMatrix)
        styleHalfRatios = try c.decodeIfPresent([[Double]].self, forKey: .styleHalfRatios) ?? []   // absent in early records
    }

    /// The fields, then the summary figures and the definition (read back they are recomputed, not decoded).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(regions, forKey: .regions)
        try c.encode(layers, forKey: .layers)
        try c.encode(matrix, forKey: .matrix)
        try c.encode(layerMatrices, forKey: .layerMatrices)
        try c.encode(styleMatrix, forKey: .styleMatrix)
        try c.encode(styleHalfRatios, forKey: .styleHalfRatios)
        try c.encode(geometricMeanRatio, forKey: .geometricMeanRatio)
        try c.encode(worstRatio, forKey: .worstRatio)
        try c.encode(meetsGoal, forKey: .meetsGoal)
        try c.encode(Placement.goal, forKey: .goal)
        try c.encode(Placement.minimumShare, forKey: .minimumShare)
        try c.encode(Placement.separableAt, forKey: .separableAt)
        try c.encode(Placement.definition, forKey: .definition)
    }

    /// Regions covering ≥ `minimumShare` whose style region is separable: the ones held to the goal.
    public var scoredRegions: [Region] {
        regions.filter { $0.share >= Placement.minimumShare && $0.ratio != nil && ($0.separability ?? .infinity) >= Placement.separableAt }
    }

    /// Geometric mean of the ratios of the regions covering ≥ `minimumShare` (nil if none has a ratio).
    public var geometricMeanRatio: Double? {
        let ratios = regions.filter { $0.share >= Placement.minimumShare }.compactMap(\.ratio).filter { $0 > 0 }
        guard !ratios.isEmpty else { return nil }
        return exp(ratios.map { log($0) }.reduce(0, +) / Double(ratios.count))
    }

    /// Smallest ratio among the scored regions (nil if none).
    public var worstRatio: Double? { scoredRegions.compactMap(\.ratio).min() }

    /// Every scored region reaches the goal (true when there is nothing to score).
    public var meetsGoal: Bool { scoredRegions.allSatisfy { ($0.ratio ?? .infinity) >= Placement.goal } }

    /// Measures `output` against the style regions: `regions[r].contentGuide` is where region r lies in the output
    /// (any size with the output's aspect ratio; area-resampled to it), `regions[r].styleGuide` where its texture lies
    /// in `styles[regions[r].styleIndex]` (likewise). The images are measured at the sizes given: resize them first
    /// (as a run does) so the style's texture scale matches the output's.
    public static func measure(network: VGG19, output: Image, styles: [Image], regions: [StyleRegion]) throws -> Placement {
        try VGG19.validate(width: output.width, height: output.height, layers: layers)
        for s in styles { try VGG19.validate(width: s.width, height: s.height, layers: layers) }
        var styleFeatures: [Int: [LayerName: FeatureMap]] = [:]
        return try measure(outputFeatures: network.forward(VGGInput.fromImage(output), layers: layers),
                           outputSize: (output.width, output.height), styleSizes: styles.map { ($0.width, $0.height) },
                           regions: regions) { i in
            if let f = styleFeatures[i] { return f }
            let f = network.forward(VGGInput.fromImage(styles[i]), layers: layers)
            styleFeatures[i] = f
            return f
        }
    }

    /// The same from feature maps already computed at (at least) `layers`: the output's, and `styleFeatures(i)` for
    /// style image i (called once or more per region; cache if it computes), whose size is `styleSizes[i]`.
    public static func measure(outputFeatures: [LayerName: FeatureMap], outputSize: (width: Int, height: Int),
                               styleSizes: [(width: Int, height: Int)], regions: [StyleRegion],
                               styleFeatures: (Int) throws -> [LayerName: FeatureMap]) throws -> Placement {
        var contentGuides: [Guide] = [], styleTargets: [[LayerName: GuidedGram?]] = [], halves: [[[LayerName: GuidedGram?]]] = []
        let propagation = GuidePropagation(mode: .simple)
        for r in regions {
            guard styleSizes.indices.contains(r.styleIndex) else {
                throw GuidanceError.regionCountMismatch(what: "style images (region \(r.name) uses style \(r.styleIndex))",
                                                        count: styleSizes.count, expected: r.styleIndex + 1)
            }
            let size = styleSizes[r.styleIndex]
            let features = try styleFeatures(r.styleIndex)
            contentGuides.append(try r.contentGuide.resampled(width: outputSize.width, height: outputSize.height))
            let styleGuide = try r.styleGuide.resampled(width: size.width, height: size.height)
            styleTargets.append(try GuidedStyleTargets.targets(features: features, styleGuide: styleGuide, propagation: propagation))
            halves.append(try styleGuide.halves().map {
                try GuidedStyleTargets.targets(features: features, styleGuide: $0, propagation: propagation)
            })
        }
        let propagated = propagation.propagate(contentGuides, to: layers)
        var outputGrams: [LayerName: [GuidedGram?]] = [:]
        for l in layers {
            guard let f = outputFeatures[l] else { continue }
            outputGrams[l] = (propagated[l] ?? []).map { GuidedGram(features: f, guide: $0) }
        }
        let shares = contentGuides.map(\.share)
        return Placement(names: regions.map(\.name), shares: shares, outputGrams: outputGrams, styleTargets: styleTargets,
                         styleHalves: halves)
    }

    /// From Gram matrices computed elsewhere: `outputGrams[l][r]` = G^r_l(x), `styleTargets[q][l]` = A^q_l,
    /// `styleHalves[p]` = the two halves' targets of style region p (empty if unknown). Missing Grams (a guide empty at
    /// a layer) leave that layer out of the pairs that need them.
    public init(names: [String], shares: [Double], outputGrams: [LayerName: [GuidedGram?]],
                styleTargets: [[LayerName: GuidedGram?]], styleHalves: [[[LayerName: GuidedGram?]]]) {
        let n = names.count
        let used = Placement.layers.filter { outputGrams[$0] != nil }
        func distance(_ a: GuidedGram?, _ b: GuidedGram?) -> Double? {
            guard let a, let b else { return nil }
            return a.meanSquaredDifference(to: b) / Double(a.channels * a.channels)   // s_l · mean((·)²), s_l = 1/N²
        }
        var perLayer: [String: [[Double]]] = [:]
        var total = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        var styleTotal = total
        for l in used {
            var m = total.map { $0.map { _ in 0.0 } }
            for r in 0..<n {
                for q in 0..<n {
                    let g = outputGrams[l].flatMap { r < $0.count ? $0[r] : nil }
                    let a = q < styleTargets.count ? styleTargets[q][l] ?? nil : nil
                    m[r][q] = distance(g, a) ?? 0
                    let ap = r < styleTargets.count ? styleTargets[r][l] ?? nil : nil
                    styleTotal[r][q] += distance(ap, a) ?? 0
                }
            }
            perLayer[l.description] = m
            for r in 0..<n { for q in 0..<n { total[r][q] += m[r][q] } }
        }
        var halfRatios: [[Double]] = []
        var layerSeparabilities: [[String: Double]?] = []
        for p in 0..<n {
            guard n > 1, p < styleHalves.count, styleHalves[p].count == 2 else {
                halfRatios.append([]); layerSeparabilities.append(nil); continue
            }
            // rows[h][l][q] = D_l(half h of p, target q), the other half standing for p itself.
            let rows = styleHalves[p].indices.map { h -> [LayerName: [Double]] in
                let half = styleHalves[p][h], other = styleHalves[p][1 - h]
                var rows: [LayerName: [Double]] = [:]
                for l in used {
                    var row = [Double](repeating: 0, count: n)
                    for q in 0..<n where q < styleTargets.count {
                        let target = q == p ? other[l] ?? nil : styleTargets[q][l] ?? nil
                        row[q] = distance(half[l] ?? nil, target) ?? 0
                    }
                    rows[l] = row
                }
                return rows
            }
            halfRatios.append(rows.map { perLayer -> Double in
                var row = [Double](repeating: 0, count: n)
                for l in used { for q in 0..<n { row[q] += perLayer[l]?[q] ?? 0 } }
                return Placement.ratio(row, p)?.0 ?? 0
            })
            var separabilities: [String: Double] = [:]
            for l in used {
                let a = rows[0][l].flatMap { Placement.ratio($0, p)?.0 } ?? 0, b = rows[1][l].flatMap { Placement.ratio($0, p)?.0 } ?? 0
                separabilities[l.description] = (a * b).squareRoot()
            }
            layerSeparabilities.append(separabilities)
        }
        let ratio = Placement.ratio
        regions = (0..<n).map { r in
            let main = ratio(total[r], r)
            var layerRatios: [String: Double] = [:]
            for (l, m) in perLayer { if let (x, _) = ratio(m[r], r) { layerRatios[l] = x } }
            let halves = halfRatios[r]
            let separability = halves.count == 2 ? (halves[0] * halves[1]).squareRoot() : nil
            let verdict: String
            if let (x, _) = main {
                if let s = separability, s < Placement.separableAt { verdict = "not separable" }
                else if x >= Placement.goal { verdict = "placed" }
                else if x >= 1 { verdict = "weak" }
                else { verdict = "wrong" }
            } else {
                verdict = "single region"
            }
            return Region(name: names[r], share: r < shares.count ? shares[r] : 0, ratio: main?.0,
                          nearestOther: main.map { names[$0.1] }, layerRatios: layerRatios, separability: separability,
                          layerSeparability: layerSeparabilities[r], verdict: verdict)
        }
        layers = used.map(\.description)
        matrix = total
        layerMatrices = perLayer
        styleMatrix = styleTotal
        styleHalfRatios = halfRatios
    }
}

extension Placement {
    /// min over q ≠ r of row[q] / row[r] and the q attaining it (capped at `ratioCap`); nil with a single entry.
    static func ratio(_ row: [Double], _ r: Int) -> (Double, Int)? {
        let others = row.indices.filter { $0 != r }
        guard let q = others.min(by: { row[$0] < row[$1] }) else { return nil }
        return (row[q] >= ratioCap * row[r] ? ratioCap : row[q] / row[r], q)
    }
}

extension Guide {
    /// The guide split in two across its longer extent (rows if the region is taller than wide, else columns) at the
    /// median of its mass; [] when the guide is empty or one half would be.
    public func halves() -> [Guide] {
        var rows = [Double](repeating: 0, count: height), cols = [Double](repeating: 0, count: width)
        for y in 0..<height { for x in 0..<width { let v = Double(self[y, x]); rows[y] += v; cols[x] += v } }
        func extent(_ a: [Double]) -> Int {
            guard let first = a.firstIndex(where: { $0 > 0 }), let last = a.lastIndex(where: { $0 > 0 }) else { return 0 }
            return last - first + 1
        }
        let byRows = extent(rows) >= extent(cols)
        let profile = byRows ? rows : cols
        let total = profile.reduce(0, +)
        guard total > 0 else { return [] }
        var cumulative = 0.0, cut = 0
        for (i, v) in profile.enumerated() {
            cumulative += v
            if cumulative >= total / 2 { cut = i + 1; break }
        }
        var a = self, b = self
        for y in 0..<height {
            for x in 0..<width where (byRows ? y : x) < cut { b[y, x] = 0 }
            for x in 0..<width where (byRows ? y : x) >= cut { a[y, x] = 0 }
        }
        guard !a.isEmpty, !b.isEmpty else { return [] }
        return [a, b]
    }
}

extension Placement {
    /// What `measureFiles` measured, for reports and JSON.
    public struct FileMeasurement: Codable, Equatable, Sendable {
        public var image: String
        public var style: String
        public var contentMask: String
        public var styleMask: String
        /// Width × height at which the output and the style image were measured.
        public var outputSize: [Int]
        public var styleSize: [Int]
        public var placement: Placement

        enum CodingKeys: String, CodingKey {
            case image, style, contentMask = "content_mask", styleMask = "style_mask", outputSize = "output_size"
            case styleSize = "style_size", placement
        }
    }

    /// Loads an output, a style image and their label maps, pairs the maps' colours (`SpatialControl.labelMaps`),
    /// scales the output's longest side to `size` (nil keeps it) and the style's to `styleScale` times the output's
    /// (as a run does), and measures. Notices: the maps' summaries, resampled masks, unused colours.
    public static func measureFiles(network: VGG19, output: URL, style: URL, contentMask: URL, styleMask: URL,
                                    palette: Palette? = nil, tolerance: Float = 0.1, size: Int? = nil,
                                    styleScale: Double = 1) throws -> (measurement: FileMeasurement, notices: [GuidanceNotice]) {
        var image = try ImageIO.load(output)
        if let size, size != max(image.width, image.height) { image = try image.resized(longestSide: size) }
        var styleImage = try ImageIO.load(style)
        let styleSide = max(1, Int((Double(max(image.width, image.height)) * styleScale).rounded()))
        if styleSide != max(styleImage.width, styleImage.height) { styleImage = try styleImage.resized(longestSide: styleSide) }
        // Before the maps: at a --size too small for the network, the maps' aspect check would blame the map.
        try VGG19.validate(width: image.width, height: image.height, layers: layers)
        try VGG19.validate(width: styleImage.width, height: styleImage.height, layers: layers)
        let (contentMap, contentNotices) = try LabelMap.load(contentMask, palette: palette, tolerance: tolerance)
            .conformed(toWidth: image.width, height: image.height)
        let (styleMap, styleNotices) = try LabelMap.load(styleMask, palette: palette, tolerance: tolerance)
            .conformed(toWidth: styleImage.width, height: styleImage.height)
        let (regions, pairNotices) = try SpatialControl.labelMaps(content: contentMap, style: styleMap)
        let placement = try measure(network: network, output: image, styles: [styleImage], regions: regions)
        let m = FileMeasurement(image: output.path, style: style.path, contentMask: contentMask.path, styleMask: styleMask.path,
                                outputSize: [image.width, image.height], styleSize: [styleImage.width, styleImage.height],
                                placement: placement)
        return (m, contentNotices + styleNotices + pairNotices)
    }

    /// A plain-text table: L[r][q] with each region's share, ratio, per-layer ratios and verdict, then the style
    /// image's own separability.
    public var table: String {
        let names = regions.map(\.name)
        let width = max(12, (names.map(\.count).max() ?? 0) + 1)
        func pad(_ s: String, _ n: Int = width) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        func num(_ x: Double?) -> String { x.map { String(format: $0 >= 100 ? "%.0f" : ($0 >= 10 ? "%.1f" : "%.2f"), $0) } ?? "–" }
        var lines: [String] = []
        lines.append("L[r][q] = Σ_l s_l·mean((G^r_l(output) − A^q_l)²), l = \(layers.joined(separator: ",")), s_l = 1/N_l²; rows: output regions r, columns: style regions q")
        lines.append(pad("r \\ q") + names.map { pad($0) }.joined())
        for (r, row) in matrix.enumerated() {
            lines.append(pad(names[r]) + row.map { pad(String(format: "%.4g", $0)) }.joined())
        }
        lines.append("")
        lines.append(pad("region") + pad("share", 8) + pad("ratio", 9) + pad("nearest", width) + layers.map { pad($0, 9) }.joined()
                     + pad("separab.", 10) + "verdict")
        for r in regions {
            lines.append(pad(r.name) + pad(String(format: "%.1f %%", 100 * r.share), 8) + pad(num(r.ratio), 9)
                         + pad(r.nearestOther ?? "–", width) + layers.map { l in
                             let mark = r.isSeparable(at: l) ? "" : "*"
                             return pad(num(r.layerRatios[l]) + mark, 9) }.joined()
                         + pad(num(r.separability), 10) + r.verdict)
        }
        lines.append("")
        lines.append("ratio = min over q≠r of L[r][q] / L[r][r] (> 1: nearer its own style region); per layer the same with L_l.")
        lines.append("* = at this layer the style region is not separable from the others (its halves' layer separability below \(num(Placement.separableAt))): a ratio below 1 there is not a wrong texture.")
        lines.append("separability = the same ratio for each half of the style region, its own distance taken to the other half (geometric mean): about what a second sample of its texture scores; below \(num(Placement.separableAt)) the style regions cannot be told apart.")
        let summary = "geometric mean over regions ≥ \(Int(100 * Placement.minimumShare)) %: \(num(geometricMeanRatio)); worst scored region: \(num(worstRatio)); goal ≥ \(num(Placement.goal)) on every scored region: \(scoredRegions.isEmpty ? "no region to score (none ≥ \(Int(100 * Placement.minimumShare)) % with a separable style region)" : meetsGoal ? "met" : "not met")"
        lines.append(summary)
        return lines.joined(separator: "\n")
    }
}
