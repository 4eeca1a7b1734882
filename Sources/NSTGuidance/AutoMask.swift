import CBLAS
import Foundation
import NSTImage
import NSTNetwork
import NSTTensor

/// What an automatic segmentation clusters.
public enum AutoMaskMethod: String, CaseIterable, Codable, Sendable {
    /// VGG-19 relu3_1 and relu4_1 features (each L2-normalised; relu5_1 optional) and position (colour optional),
    /// clustered jointly over both images, then smoothed (Potts ICM); small islands, boundary bands and content-only
    /// regions merged, style-only regions left unused; the content's labels then carried over from the style map by
    /// nearest neighbours (`AutoMaskContentLabels.transferred`); edges snapped to colour.
    case features
    /// The baseline: k-means on CIELAB colour alone, jointly over both images, each pixel to its nearest centre.
    case color
}

/// Settings of `AutoMask.segment`; the defaults are the measured choice (README, *Automatic masks*).
public struct AutoMaskOptions: Equatable, Sendable {
    /// Number of regions; nil = chosen among 2…`maxRegions` (`AutoMask.segment`: most separable style regions, then
    /// most regions, then the largest mean silhouette; 1 if fewer than two style regions are separable).
    public var regions: Int? = nil
    /// Largest K tried when `regions` is nil.
    public var maxRegions: Int = 5
    public var method: AutoMaskMethod = .features
    /// Seed of the k-means++ initialisations; the same seed and inputs give the same maps.
    public var seed: UInt64 = 0
    /// k-means++ starts per K (`Segmentation.cluster`; 1 or less: a single start): `.color` keeps the one with the
    /// smallest within-cluster sum of squares, `.features` that one unless another's clusters are clearly more shared
    /// by the two images (`Segmentation.Choice.mostShared`). 16, not 8: over seeds 0–4 the nine deep-photo pairs keep
    /// their seed-0 K on 44 of 45 seeds (8 starts: 42; pair01 and pair09 at seed 4 fell to maps agreeing with the
    /// hand-made ones at 0.43–0.52), for 1.5–2 s more per run on 700-pixel pairs (2 cores). README, *Automatic masks*.
    public var restarts: Int = 16
    /// Longest side the images are analysed at (the maps are written at the images' own sizes), in
    /// `analysisSides`.
    public var analysisSide: Int = 320
    /// The analysis sides `segment` accepts. Memory and time grow with the cells (the side squared): `nst-exp mask
    /// --auto` on pair04 (AMD EPYC Zen 1, 2 cores) took 5.8 s and 0.6 GB peak resident at 320 and 75 s and 2.3 GB at 1024
    /// (16 k-means++ starts); 26 s and 1.1 GB at 640 with 8 starts.
    public static let analysisSides = 64...1024
    /// A region's core (`Segmentation.coreShares`) must cover at least this share of each image; smaller, one-sided
    /// or boundary-band regions are merged away.
    public var minimumShare: Double = 0.03
    /// Connected islands below this share of their image join the neighbouring region they touch most.
    public var minimumIsland: Double = 0.004
    /// `.color` only: smallest mean silhouette that counts as separated regions; below it the images form one region.
    public var separation: Float = 0.1
    /// K is chosen among the K whose mean silhouette is at least this share of the best one.
    public var silhouetteShare: Float = 0.75
    /// Weights of the feature groups (squared distances add): `AutoMask.layers` (relu3_1, relu4_1, relu5_1; 0 = not
    /// read), colour (CIELAB / 100), height, width.
    public var deepWeights: [Float] = [1, 1, 0]
    public var colorWeight: Float = 0
    /// `.features`: each image's deep vectors centred on that image's own mean (`FeatureSpace.addDeep`), so that what
    /// sets a photograph and a painting apart as a whole does not decide the clusters.
    public var centred: Bool = true
    /// `.features`: once K is chosen on the point-by-point features, the regions are found again at that K with each
    /// deep vector averaged over the (2r + 1)² cells around it (r = this radius in 4-pixel cells at the analysis size,
    /// 36 pixels across at r = 4 and 320 px), and kept when the content's regions they give are at least as coherent
    /// (`AutoMask.segment`); 0 = point by point only.
    public var poolRadius: Int = 4
    public var positionWeight: (y: Float, x: Float) = (0.6, 0.2)
    /// Potts smoothing strength, in units of the mean squared distance of a cell to its own centre.
    public var smoothness: Float = 0.35
    /// `.features`: the content's labels carried over from the style map by nearest neighbours (`LabelTransfer`), or the
    /// joint clustering's own.
    public var contentLabels: AutoMaskContentLabels = .transferred
    /// `.features`, `.transferred`: κ, the weight of the content's own structure against the transferred scores
    /// (`LabelTransfer.coherent`); 0 = the scores alone.
    public var coherence: Float = 0.2

    public init() {}

    /// The pool radii `segment` accepts: 0 (point by point) to a window wider than any analysis grid (1024 / 4 cells).
    public static let poolRadii = 0...256
    /// The minimum shares `segment` accepts: above a half no two regions fit.
    public static let minimumShares = 0.0...0.5

    /// Refuses settings `segment` cannot use, before any work: a region count, analysis side, pool radius or minimum
    /// share out of its range, and a weight or smoothness that is negative, infinite or NaN (these gave one region
    /// with a misleading notice, or a crash).
    public func validate() throws {
        if let k = regions, !(1...AutoMask.palette.count).contains(k) {
            throw AutoMaskError.invalidRegionCount(k, maximum: AutoMask.palette.count)
        }
        guard Self.analysisSides.contains(analysisSide) else { throw AutoMaskError.invalidAnalysisSide(analysisSide) }
        guard Self.poolRadii.contains(poolRadius) else { throw AutoMaskError.invalidPoolRadius(poolRadius) }
        let defaults = AutoMaskOptions()
        func weight(_ name: String, _ value: Float, default fallback: Float) throws {
            guard value.isFinite, value >= 0 else {
                throw AutoMaskError.invalidSetting(name, value: "\(value)", allowed: "a finite number ≥ 0 (default \(fallback))")
            }
        }
        try weight("colour weight", colorWeight, default: defaults.colorWeight)
        try weight("vertical position weight", positionWeight.y, default: defaults.positionWeight.y)
        try weight("horizontal position weight", positionWeight.x, default: defaults.positionWeight.x)
        try weight("smoothness", smoothness, default: defaults.smoothness)
        try weight("content coherence", coherence, default: defaults.coherence)
        guard deepWeights.count == AutoMask.layers.count, deepWeights.allSatisfy({ $0.isFinite && $0 >= 0 }),
              deepWeights.contains(where: { $0 > 0 }) else {
            throw AutoMaskError.invalidSetting("deep-layer weights", value: deepWeights.map { "\($0)" }.joined(separator: ","),
                allowed: "\(AutoMask.layers.count) finite weights ≥ 0, not all 0, for "
                    + AutoMask.layers.map(\.description).joined(separator: ", "))
        }
        guard Self.minimumShares.contains(minimumShare) else {
            throw AutoMaskError.invalidSetting("minimum share", value: "\(minimumShare)",
                allowed: "\(Self.minimumShares.lowerBound)…\(Self.minimumShares.upperBound) (default \(defaults.minimumShare))")
        }
    }

    /// The `AutoMask.layers` read (weight > 0), with their weights.
    var deepLayers: [(layer: LayerName, weight: Float)] {
        zip(AutoMask.layers, deepWeights).filter { $0.1 > 0 }.map { (layer: $0.0, weight: $0.1) }
    }

    public static func == (a: AutoMaskOptions, b: AutoMaskOptions) -> Bool {
        a.regions == b.regions && a.maxRegions == b.maxRegions && a.method == b.method && a.seed == b.seed && a.restarts == b.restarts
            && a.analysisSide == b.analysisSide && a.minimumShare == b.minimumShare && a.minimumIsland == b.minimumIsland
            && a.separation == b.separation && a.silhouetteShare == b.silhouetteShare && a.deepWeights == b.deepWeights && a.colorWeight == b.colorWeight
            && a.centred == b.centred && a.poolRadius == b.poolRadius
            && a.positionWeight == b.positionWeight && a.smoothness == b.smoothness && a.contentLabels == b.contentLabels
            && a.coherence == b.coherence
    }
}

/// One K tried by `AutoMask.segment`.
public struct AutoMaskCandidate: Equatable, Sendable {
    /// The K asked of the clustering.
    public let regions: Int
    /// Regions in both images left after the small and content-only ones are merged away (style-only ones not counted).
    public let kept: Int
    /// Of those, the style regions the placement measure can tell apart from all others (separability ≥
    /// `Placement.separableAt`).
    public let separable: Int
    public let silhouette: Float

    var summary: String {
        "K=\(regions): " + (kept < regions ? "\(kept) kept, " : "") + "\(separable) separable, silhouette \(String(format: "%.3f", silhouette))"
    }
}

/// Two label maps whose colours correspond (region r has the same colour in both), with how K was chosen.
public struct AutoMaskResult: Sendable {
    /// RGB label maps at the content's and the style's own sizes.
    public let contentMap: Image
    public let styleMap: Image
    /// Region colours, region 0 first (regions ordered by their share of the content).
    public let colors: [RegionColor]
    /// Each region's share of the content and of the style.
    public let contentShares: [Double]
    public let styleShares: [Double]
    /// Every K tried (K ≥ 2), or just the K asked for: the regions kept, how many style regions are separable
    /// (`.features`; 0 for `.color`) and the mean silhouette.
    public let criterion: [AutoMaskCandidate]
    public let notices: [GuidanceNotice]

    public var regionCount: Int { colors.count }

    /// Both images side by side with their regions tinted and outlined, content left.
    public func preview(content: Image, style: Image) throws -> Image {
        let height = 320
        func tinted(_ image: Image, _ map: Image) throws -> Image {
            let w = max(1, Int((Double(image.width) * Double(height) / Double(max(image.height, 1))).rounded()))
            let photo = try image.toRGB().resized(width: w, height: height)
            let labels = AutoMaskResult.nearest(map, width: w, height: height)
            var out = photo
            let plane = w * height
            for y in 0..<height {
                for x in 0..<w {
                    let i = y * w + x
                    let edge = (x + 1 < w && labelDiffers(labels, i, i + 1, plane)) || (y + 1 < height && labelDiffers(labels, i, i + w, plane))
                    for c in 0..<3 {
                        let p = photo.pixels[c * plane + i], l = labels.pixels[c * plane + i]
                        out.pixels[c * plane + i] = edge ? 1 - l * 0.5 : 0.55 * p + 0.45 * l
                    }
                }
            }
            return out
        }
        let a = try tinted(content, contentMap), b = try tinted(style, styleMap)
        let gap = 8, width = a.width + gap + b.width
        var out = Image(width: width, height: height, channels: 3)
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<width {
                    let v: Float = x < a.width ? a.pixels[(c * height + y) * a.width + x]
                        : x < a.width + gap ? 1 : b.pixels[(c * height + y) * b.width + x - a.width - gap]
                    out.pixels[(c * height + y) * width + x] = v
                }
            }
        }
        return out
    }

    /// Nearest-neighbour resampling (label maps must not blend colours).
    static func nearest(_ map: Image, width: Int, height: Int) -> Image {
        var out = Image(width: width, height: height, channels: map.channels)
        for c in 0..<map.channels {
            for y in 0..<height {
                let sy = min(map.height - 1, y * map.height / height)
                for x in 0..<width {
                    let sx = min(map.width - 1, x * map.width / width)
                    out.pixels[(c * height + y) * width + x] = map.pixels[(c * map.height + sy) * map.width + sx]
                }
            }
        }
        return out
    }

    private func labelDiffers(_ labels: Image, _ i: Int, _ j: Int, _ plane: Int) -> Bool {
        labels.pixels[i] != labels.pixels[j] || labels.pixels[plane + i] != labels.pixels[plane + j]
            || labels.pixels[2 * plane + i] != labels.pixels[2 * plane + j]
    }
}

/// Automatic masks: segments a content and a style image into regions that correspond across the two, so that
/// spatial control (Gatys et al. 2017, Sec. 3) can run without hand-drawn label maps.
///
/// Method (`.features`): both images are resized to `analysisSide` and run through VGG-19 once each, and every cell of
/// the relu3_1 grid (stride 4) becomes one vector [w₃·f₃/‖f₃‖, w₄·f₄/‖f₄‖, w₅·f₅/‖f₅‖, w_c·Lab/100, w_y·y, w_x·x]
/// (relu4_1 and relu5_1 bilinearly upsampled to that grid; y, x in 0…1). Defaults w₅ = 0: relu5_1 trades pairs on the
/// nine deep-photo pairs without a net gain, and splits a style of one texture (through the network's zero padding into
/// a frame and an interior; mirror-padded, into a top and a bottom). w_c = 0: colour tied a daytime river to a night
/// skyline in pair01, where the features alone match sky, city and water. The cells of *both* images are clustered
/// together (k-means from the best of `restarts` k-means++ starts drawn from `seed`, `Segmentation.cluster`), so
/// region r means the same kind of stuff in both: correspondence by construction. Then, on each image's grid: a Potts
/// smoothing pass (iterated conditional modes on ‖v − μ_l‖² + λ·#{8-neighbours labelled ≠ l}), connected islands below
/// `minimumIsland` join their main neighbour, and, weakest first, a region whose core (`Segmentation.coreShares`)
/// covers less than `minimumShare` of the style is dissolved into the nearest remaining centres (a band along a
/// boundary mixes two textures and is no region; a content region with no counterpart in the style could not be
/// styled), while one with a core in the style but not in the content becomes style-only: an unused style region
/// (`RegionPairing`) instead of a texture mixed into its neighbour's. Finally the grid labels are upsampled to full
/// resolution, each pixel taking, among its four surrounding cells, the label of the cell whose mean colour is nearest
/// to its own (edges snap to colour edges).
///
/// K, when not given: every K in 2…`maxRegions` is run through the whole pipeline. Among the K whose mean silhouette
/// (Rousseeuw 1987; final labels, a fixed sample of cells of both images, s(i) = (b − a) / max(a, b)) is at least
/// `silhouetteShare` of the best K's, the one whose shared style regions the placement measure can most often tell
/// apart wins (`separableStyleRegions`: separability ≥ `Placement.separableAt`, the placement measure's threshold);
/// ties go to more regions kept, then to the larger silhouette.
/// Fewer than two separable style regions (a style of one texture), or one region left after merging: the images
/// form one region and a notice says so. Departure from a plain silhouette choice: on the nine deep-photo pairs the
/// silhouette of these high-dimensional features is flat across K (0.03–0.18) and cannot tell a one-texture style
/// from a scene; separability is what guidance needs (README, *Automatic masks*). `.color` keeps the silhouette
/// alone, with `separation` as its threshold. The defaults were chosen by measurement on those nine pairs.
///
/// Window-averaged features (`poolRadius`): with K chosen, the regions are found again at that K, each deep vector
/// averaged over the (2r + 1)² cells around it (`FeatureSpace.boxFiltered`), and kept when the content's regions they
/// give (labelled as the point-by-point ones are) have at least the mean silhouette of the point-by-point ones, both
/// measured on the content's point-by-point vectors: a style map whose regions are the content's own objects gives
/// content regions that are compact in the content's features; one that splits what the content has one of, or joins
/// what it keeps apart, cuts across them. A texture is a statistic over a patch (the Gram matrix is one); averaged,
/// pair09's track (rails, sleepers, gravel) is one region instead of rails going with the slopes. Departure: K is still
/// chosen point by point, as averaged silhouettes and separability counts chose K poorly (README).
public enum AutoMask {
    /// Layers the `.features` method reads.
    public static let layers: [LayerName] = ["relu3_1", "relu4_1", "relu5_1"].compactMap { try? LayerName($0) }

    /// Region colours in order: the deep-photo-styletransfer codes, so maps also read under `--palette deep-photo`.
    public static let palette: [RegionColor] = ["blue", "green", "red", "yellow", "lightblue", "purple", "white", "grey", "black"]
        .compactMap { name in RegionColor.deepPhotoPalette.first { $0.name == name }?.color }

    /// Segments `content` and `style` into corresponding regions. `network` is needed by `.features` only.
    /// Refuses, from the images' sizes alone (before any pixel is analysed, so a run's validation can call it), a
    /// content or style image too thin at the analysis size for the VGG-19 layers `.features` reads: relu4_1 (and
    /// relu5_1 when weighted) is out of reach of a shorter side under 8 (16) analysis pixels, an image over 40 : 1 at
    /// the default size. The deepest layer read is named, not the first one missed. `.color` reads no layer.
    public static func checkSizes(content: (width: Int, height: Int), style: (width: Int, height: Int),
                                  options: AutoMaskOptions) throws {
        guard options.method == .features else { return }
        let needed = options.deepLayers.map { VGG19.minimumSide(for: $0.layer) }.max() ?? 1
        for (name, size) in [("content", content), ("style", style)] {
            let analysed = Image.size(width: size.width, height: size.height, longestSide: options.analysisSide)
            if min(analysed.width, analysed.height) < needed {
                throw AutoMaskError.imageTooThin(name, width: size.width, height: size.height,
                                                 analysedWidth: analysed.width, analysedHeight: analysed.height, minimum: needed)
            }
        }
    }

    public static func segment(content: Image, style: Image, network: VGG19?, options: AutoMaskOptions = AutoMaskOptions()) throws -> AutoMaskResult {
        try options.validate()
        try checkSizes(content: (content.width, content.height), style: (style.width, style.height), options: options)
        let a = try AnalysedImage(content.toRGB(), side: options.analysisSide)
        let b = try AnalysedImage(style.toRGB(), side: options.analysisSide)
        var space = FeatureSpace(a, b)
        // `.features` with `poolRadius` > 0: the same features, each averaged over its window of cells.
        var windowSpace: FeatureSpace? = nil
        // The style's feature maps for the separability measure (`separableStyleRegions`, which chooses K and is reported
        // for a K given too), from the same VGG-19 pass as its clustering features; nil when the style at the analysis
        // size is thinner than relu5_1's minimum (then no region counts as separable: one region, with the notice).
        var styleMeasureFeatures: [LayerName: FeatureMap]? = nil
        // `.features` with `.transferred` content labels: the layers compared and both images' maps.
        var transferLayers: [LayerName] = []
        var transferMaps: (content: [LayerName: FeatureMap], style: [LayerName: FeatureMap])? = nil
        switch options.method {
        case .features:
            guard let network else { throw AutoMaskError.networkRequired }
            let deep = options.deepLayers.map(\.layer)
            let measurable = Placement.layers.allSatisfy {
                min(b.image.width, b.image.height) >= VGG19.minimumSide(for: $0)
            }
            func adding(_ extra: [LayerName], to layers: [LayerName]) -> [LayerName] { layers + extra.filter { !layers.contains($0) } }
            transferLayers = options.contentLabels == .transferred ? LabelTransfer.usableLayers(a, b) : []
            let styleLayers = adding(transferLayers, to: measurable ? adding(Placement.layers, to: deep) : deep)
            let contentMaps = network.forward(VGGInput.fromImage(a.image), layers: adding(transferLayers, to: deep))
            let styleMaps = network.forward(VGGInput.fromImage(b.image), layers: styleLayers)
            if measurable { styleMeasureFeatures = styleMaps }
            transferMaps = (contentMaps, styleMaps)
            func features(poolRadius: Int) -> FeatureSpace {
                var f = FeatureSpace(a, b)
                f.addDeep(maps: [contentMaps, styleMaps], a: a, b: b, layers: options.deepLayers, centred: options.centred,
                          poolRadius: poolRadius)
                f.addColor(a, b, weight: options.colorWeight)
                f.addPosition(a, b, weights: options.positionWeight)
                return f
            }
            space = features(poolRadius: 0)
            if options.poolRadius > 0 { windowSpace = features(poolRadius: options.poolRadius) }
        case .color:
            space.addColor(a, b, weight: 1)
        }
        let candidates = options.regions.map { [$0] } ?? Array(2...max(2, min(options.maxRegions, palette.count)))
        var criterion: [AutoMaskCandidate] = []
        var segmentations: [Segmentation] = []
        for k in candidates {
            var s = Segmentation.cluster(space, k: k, seed: options.seed, restarts: options.restarts,
                                         choice: options.method == .features ? .mostShared : .leastSquares)
            var separable = 0
            if options.method == .features {
                s.refine(space, options: options)
                if let features = styleMeasureFeatures { separable = try s.separableStyleRegions(b, space: space, features: features) }
            }
            let candidate = AutoMaskCandidate(regions: k, kept: s.shared, separable: separable,
                                              silhouette: s.count > 1 ? s.silhouette(space) : 0)
            criterion.append(candidate)
            segmentations.append(s)
        }
        // `.features`: among the K whose silhouette is at least `silhouetteShare` of the best, the most separable
        // style regions, then the most regions kept, then the largest silhouette. `.color`: the largest silhouette.
        let floor = options.method == .features ? (criterion.map(\.silhouette).max() ?? 0) * options.silhouetteShare : -Float.infinity
        func key(_ c: AutoMaskCandidate) -> (Int, Int, Float) {
            options.method == .features ? (c.separable, c.kept, c.silhouette) : (0, 0, c.silhouette)
        }
        var chosen = Segmentation.single(space)
        var best: AutoMaskCandidate? = nil
        for (candidate, s) in zip(criterion, segmentations) where candidate.silhouette >= floor {
            if best.map({ let k = key($0); return key(candidate) > (k.0, k.1, k.2 + 1e-6) }) ?? true {
                chosen = s; best = candidate
            }
        }
        // K chosen, but no K gives two regions in both images (counted before the content is relabelled) that separate:
        // one region. Decided first, so that the content is not relabelled for a segmentation thrown away.
        let oneRegion = options.regions == nil && best.map { b in
            chosen.shared < 2 || !(options.method == .features ? b.separable >= 2 : b.silhouette >= options.separation)
        } ?? false
        // The content's labels of a segmentation `s` of `sp` (`chosen`'s or the window-averaged one's): carried over from
        // its style map (`LabelTransfer`), made coherent with the content's point-by-point vectors; or the joint
        // clustering's own.
        let pointwise = space
        func labellingContent(_ s: Segmentation, in sp: FeatureSpace) -> Segmentation {
            guard s.count > 1, !transferLayers.isEmpty, let maps = transferMaps else { return s }
            var out = s
            out.transferContent(LabelTransfer.contentLabels(
                content: a, style: b, contentMaps: maps.content, styleMaps: maps.style, layers: transferLayers,
                styleLabels: s.labels[sp.row(side: 1, 0)...], count: s.count, minimumShare: options.minimumShare,
                coherence: (pointwise.matrix[0..<(pointwise.counts.0 * pointwise.dimension)], pointwise.dimension, options.coherence)),
                space: sp, options: options)
            return out
        }
        // The regions again at the same K from the window-averaged features (`AutoMaskOptions.poolRadius`), kept when the
        // content's regions they give are at least as coherent: the mean silhouette of the content's labels, both measured
        // on the content's point-by-point vectors (`Segmentation.silhouette`, side 0).
        var windowNotice: GuidanceNotice? = nil
        if !oneRegion, chosen.count > 1 {
            let k = options.regions ?? chosen.count
            chosen = labellingContent(chosen, in: space)
            if let w = windowSpace {
                var s = Segmentation.cluster(w, k: k, seed: options.seed, restarts: options.restarts, choice: .mostShared)
                s.refine(w, options: options)
                let window = "\(2 * options.poolRadius + 1) × \(2 * options.poolRadius + 1) cells"
                let pointScore = chosen.silhouette(pointwise, side: 0)
                var figures = "fewer than two regions in both images averaged over \(window)", kept = false
                if s.shared >= 2 {
                    let averaged = labellingContent(s, in: w)
                    let averagedScore = averaged.silhouette(pointwise, side: 0)
                    figures = "content silhouette \(String(format: "%.3f", averagedScore)) averaged over \(window), "
                        + "\(String(format: "%.3f", pointScore)) point by point"
                    kept = averagedScore >= pointScore
                    if kept { chosen = averaged; space = w }
                }
                windowNotice = GuidanceNotice(level: .notice, path: nil, message: "automatic masks: regions from "
                    + (kept ? "VGG-19 features averaged over \(window)" : "point-by-point VGG-19 features") + " (\(figures))")
            }
        }
        var notices: [GuidanceNotice] = []
        if let asked = options.regions {
            if chosen.count < asked {
                notices.append(GuidanceNotice(level: .notice, path: nil,
                    message: "automatic masks: \(asked) regions asked, \(chosen.count) kept (the others covered < "
                        + "\(String(format: "%.0f", 100 * options.minimumShare)) % of one image)"))
            }
        } else if let best {
            let table = criterion.map(\.summary).joined(separator: "; ")
            if oneRegion {
                chosen = Segmentation.single(space)
                let why = options.method == .features
                    ? "fewer than two style regions whose textures can be told apart (separability ≥ \(Placement.separableAt))"
                    : "best mean silhouette \(String(format: "%.3f", max(best.silhouette, 0))) < \(options.separation)"
                notices.append(GuidanceNotice(level: .notice, path: nil,
                    message: "automatic masks: one region: no K gives two regions that separate in both images, as with a style "
                        + "of one texture (\(why); \(table)), so spatial control changes nothing"))
            } else {
                let rule = options.method == .features
                    ? "the most separable style regions, then the most regions, among the K whose mean silhouette is ≥ "
                        + "\(options.silhouetteShare) of the best"
                    : "the largest mean silhouette"
                let unused = chosen.count - chosen.shared
                let styleOnly = unused == 0 ? "" : " and \(unused) style-only (a texture of the style no part of the content resembles: left unused)"
                notices.append(GuidanceNotice(level: .notice, path: nil,
                    message: "automatic masks: \(chosen.shared) regions\(styleOnly), \(rule) (\(table))"))
            }
        }
        if let windowNotice { notices.append(windowNotice) }
        chosen.orderByContentShare(space)
        let colors = Array(palette.prefix(chosen.count))
        let full: ([Int32], [Int32])
        switch options.method {
        case .features: full = (chosen.upsampled(a, side: 0, space: space), chosen.upsampled(b, side: 1, space: space))
        case .color: full = (chosen.nearestColor(a), chosen.nearestColor(b))
        }
        func shares(_ labels: [Int32]) -> [Double] {
            var n = [Int](repeating: 0, count: colors.count)
            for l in labels { n[Int(l)] += 1 }
            return n.map { Double($0) / Double(max(labels.count, 1)) }
        }
        return AutoMaskResult(contentMap: render(full.0, width: a.original.width, height: a.original.height, colors: colors),
                              styleMap: render(full.1, width: b.original.width, height: b.original.height, colors: colors),
                              colors: colors, contentShares: shares(full.0), styleShares: shares(full.1),
                              criterion: criterion, notices: notices)
    }

    static func render(_ labels: [Int32], width: Int, height: Int, colors: [RegionColor]) -> Image {
        var out = Image(width: width, height: height, channels: 3)
        let plane = width * height
        for i in 0..<plane {
            let c = colors[Int(labels[i])]
            out.pixels[i] = c.red
            out.pixels[plane + i] = c.green
            out.pixels[2 * plane + i] = c.blue
        }
        return out
    }

    /// CIE L*a*b* (D65) of an sRGB colour with channels in 0…1.
    static func lab(_ r: Float, _ g: Float, _ b: Float) -> (Float, Float, Float) {
        func linear(_ c: Float) -> Float { c <= 0.04045 ? c / 12.92 : powf((c + 0.055) / 1.055, 2.4) }
        let rl = linear(r), gl = linear(g), bl = linear(b)
        let x = (0.4124 * rl + 0.3576 * gl + 0.1805 * bl) / 0.95047
        let y = 0.2126 * rl + 0.7152 * gl + 0.0722 * bl
        let z = (0.0193 * rl + 0.1192 * gl + 0.9505 * bl) / 1.08883
        func f(_ t: Float) -> Float { t > 0.008856 ? cbrtf(t) : 7.787 * t + 16 / 116 }
        let fx = f(x), fy = f(y), fz = f(z)
        return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))
    }
}

/// Errors of `AutoMask.segment`.
public enum AutoMaskError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case invalidRegionCount(Int, maximum: Int)
    case invalidAnalysisSide(Int)
    case invalidPoolRadius(Int)
    /// A weight, smoothness or share out of range: its name, the value given and what is accepted.
    case invalidSetting(String, value: String, allowed: String)
    /// The content or style image's shorter side at the analysis size is under `minimum`, the size of the deepest layer read.
    case imageTooThin(String, width: Int, height: Int, analysedWidth: Int, analysedHeight: Int, minimum: Int)
    case networkRequired

    public var description: String {
        switch self {
        case let .invalidRegionCount(k, maximum):
            return "automatic masks: \(k) regions asked; use 1…\(maximum), or leave the count out to choose it automatically"
        case let .invalidAnalysisSide(side):
            let range = AutoMaskOptions.analysisSides
            return "automatic masks: analysis size \(side) is too " + (side < range.lowerBound ? "small" : "large (memory and time grow with its square)")
                + "; use \(range.lowerBound)…\(range.upperBound) pixels (default \(AutoMaskOptions().analysisSide))"
        case let .invalidPoolRadius(r):
            let range = AutoMaskOptions.poolRadii
            return "automatic masks: pool radius \(r) is " + (r < range.lowerBound ? "negative" : "larger than any analysis grid")
                + "; use 0 (point by point only) or a radius in 4-pixel cells up to \(range.upperBound) (default \(AutoMaskOptions().poolRadius))"
        case let .invalidSetting(name, value, allowed):
            return "automatic masks: \(name) \(value) is out of range; use \(allowed)"
        case let .imageTooThin(name, width, height, analysedWidth, analysedHeight, minimum):
            return "automatic masks: the \(name) image (\(width)×\(height)) is \(analysedWidth)×\(analysedHeight) at the analysis size, "
                + "too thin for the VGG-19 features, which need \(minimum) pixels on its shorter side there; crop it to a less "
                + "elongated shape, or make the label maps another way (`nst-exp mask --auto --method color` reads no layer; "
                + "give them to a run as content_mask and style_masks)"
        case .networkRequired:
            return "automatic masks: the features method needs the VGG-19 network (install the weights with `nst-exp weights install`)"
        }
    }

    public var errorDescription: String? { description }
}

/// An image at the analysis size, its CIELAB pixels, and its grid of stride-4 cells (the relu3_1 positions).
struct AnalysedImage {
    let original: Image
    let image: Image
    let gridWidth: Int
    let gridHeight: Int
    /// Mean L*a*b* of each cell's 4×4 pixels, cell-major (3 values per cell).
    let cellLab: [Float]

    init(_ original: Image, side: Int) throws {
        self.original = original
        image = try original.resized(longestSide: side)
        gridWidth = max(1, image.width / 4)
        gridHeight = max(1, image.height / 4)
        var lab = [Float](repeating: 0, count: 3 * gridWidth * gridHeight)
        let w = image.width, plane = image.width * image.height
        for gy in 0..<gridHeight {
            for gx in 0..<gridWidth {
                var r: Float = 0, g: Float = 0, b: Float = 0, n: Float = 0
                for y in (4 * gy)..<min(4 * gy + 4, image.height) {
                    for x in (4 * gx)..<min(4 * gx + 4, w) {
                        r += image.pixels[y * w + x]; g += image.pixels[plane + y * w + x]; b += image.pixels[2 * plane + y * w + x]; n += 1
                    }
                }
                let (l, aa, bb) = AutoMask.lab(r / n, g / n, b / n)
                let i = 3 * (gy * gridWidth + gx)
                lab[i] = l; lab[i + 1] = aa; lab[i + 2] = bb
            }
        }
        cellLab = lab
    }

    var cells: Int { gridWidth * gridHeight }
}

/// The joint feature matrix: one row per cell, content cells first, then style cells.
struct FeatureSpace {
    private(set) var counts: (Int, Int)
    let grids: [(width: Int, height: Int)]
    private(set) var dimension = 0
    /// Columns of each group, appended in turn; assembled row-major by `matrix`.
    private var groups: [(dimension: Int, values: [Float])] = []
    private(set) var matrix: [Float] = []
    /// ‖row‖² of each row of `matrix`.
    private(set) var rowNorms: [Float] = []

    init(_ a: AnalysedImage, _ b: AnalysedImage) {
        counts = (a.cells, b.cells)
        grids = [(a.gridWidth, a.gridHeight), (b.gridWidth, b.gridHeight)]
    }

    var rows: Int { counts.0 + counts.1 }

    /// The row of cell (side, index).
    func row(side: Int, _ index: Int) -> Int { side == 0 ? index : counts.0 + index }

    mutating func append(dimension d: Int, values: [Float]) {
        precondition(values.count == rows * d)
        groups.append((d, values))
        dimension += d
        assemble()
    }

    /// `matrix` and `rowNorms` from `groups`.
    private mutating func assemble() {
        var m = [Float](repeating: 0, count: rows * dimension)
        var offset = 0
        for g in groups {
            for r in 0..<rows {
                for j in 0..<g.dimension { m[r * dimension + offset + j] = g.values[r * g.dimension + j] }
            }
            offset += g.dimension
        }
        matrix = m
        rowNorms = (0..<rows).map { r in
            var v: Float = 0
            for t in 0..<dimension { v += m[r * dimension + t] * m[r * dimension + t] }
            return v
        }
    }

    /// One group per layer of `layers` (`AutoMaskOptions.deepLayers`), from `maps` = [content's, style's] feature maps.
    /// `centred`: each image's vectors of a layer, v̂(i) = w · f(i)/‖f(i)‖, less that image's mean over its cells,
    ///
    ///     v(i) = v̂(i) − (1/n) Σ_j v̂(j)      (j over the n cells of the image i belongs to)
    ///
    /// Departure from clustering the unit vectors as they are: between a photograph and a painting the mean vectors
    /// differ (pair04: the joint clusters lay almost each in one image, 0.16–0.69 bit of mutual information with the
    /// image), and the gap, not the scene, decided which cells went together. The content's labels are transferred
    /// from uncentred vectors (`LabelTransfer`), so centring shapes the style map and K only. README, *Automatic masks*.
    mutating func addDeep(maps: [[LayerName: FeatureMap]], a: AnalysedImage, b: AnalysedImage, layers used: [(layer: LayerName, weight: Float)],
                          centred: Bool = false, poolRadius: Int = 0) {
        guard !used.isEmpty else { return }
        var perLayer = [[Float]](repeating: [], count: used.count)
        var channels = [Int](repeating: 0, count: used.count)
        for (image, maps) in zip([a, b], maps) {
            for (j, (layer, weight)) in used.enumerated() {
                guard let f = maps[layer] else { continue }
                channels[j] = f.channels
                var v = FeatureSpace.sampled(f, width: image.gridWidth, height: image.gridHeight, weight: weight)
                if poolRadius > 0 {
                    FeatureSpace.boxFiltered(&v, width: image.gridWidth, height: image.gridHeight, dimension: f.channels, radius: poolRadius)
                }
                if centred { FeatureSpace.centre(&v, dimension: f.channels) }
                perLayer[j] += v
            }
        }
        for j in used.indices where channels[j] > 0 { append(dimension: channels[j], values: perLayer[j]) }
    }

    /// Each row of `values` (a width × height grid of rows of `dimension` values, cell-major) replaced by the mean of the
    /// rows within `radius` cells in x and in y, the window clipped at the borders:
    ///
    ///     v'(x, y) = (1/|W|) Σ_{(x', y') ∈ W} v(x', y'),   W = [x − r, x + r] × [y − r, y + r] ∩ grid
    ///
    /// computed as a mean along x, then along y (the clipped window is a product of two intervals, so the two passes
    /// give the 2-D mean): O(rows · dimension · (2r + 1)).
    static func boxFiltered(_ values: inout [Float], width: Int, height: Int, dimension d: Int, radius r: Int) {
        var tmp = [Float](repeating: 0, count: values.count)
        // Along x.
        for y in 0..<height {
            for x in 0..<width {
                let lo = max(x - r, 0), hi = min(x + r, width - 1)
                let out = (y * width + x) * d
                for xx in lo...hi { let src = (y * width + xx) * d; for k in 0..<d { tmp[out + k] += values[src + k] } }
                let inv = 1 / Float(hi - lo + 1)
                for k in 0..<d { tmp[out + k] *= inv }
            }
        }
        // Along y.
        for i in values.indices { values[i] = 0 }
        for y in 0..<height {
            let lo = max(y - r, 0), hi = min(y + r, height - 1)
            let inv = 1 / Float(hi - lo + 1)
            for x in 0..<width {
                let out = (y * width + x) * d
                for yy in lo...hi { let src = (yy * width + x) * d; for k in 0..<d { values[out + k] += tmp[src + k] } }
                for k in 0..<d { values[out + k] *= inv }
            }
        }
    }

    /// Subtracts the mean row from every row of `values` (rows of `dimension` values, cell-major).
    static func centre(_ values: inout [Float], dimension d: Int) {
        let n = values.count / max(d, 1)
        guard n > 0 else { return }
        var mean = [Float](repeating: 0, count: d)
        for i in 0..<n { for k in 0..<d { mean[k] += values[i * d + k] } }
        for k in 0..<d { mean[k] /= Float(n) }
        for i in 0..<n { for k in 0..<d { values[i * d + k] -= mean[k] } }
    }

    /// The two source cells and the weight of the second for cell `i` of `to` cells resampled bilinearly from `from` cells
    /// along one axis (cell centres aligned, clamped at the edges).
    static func bilinearTaps(_ i: Int, from: Int, to: Int) -> (Int, Int, Float) {
        let s = min(max((Float(i) + 0.5) * Float(from) / Float(to) - 0.5, 0), Float(from - 1))
        let i0 = Int(s)
        return (i0, min(i0 + 1, from - 1), s - Float(i0))
    }

    /// A feature map bilinearly resampled to the grid, one L2-normalised, weighted vector per cell (cell-major).
    static func sampled(_ f: FeatureMap, width: Int, height: Int, weight: Float) -> [Float] {
        let c = f.channels
        var out = [Float](repeating: 0, count: width * height * c)
        for gy in 0..<height {
            let (y0, y1, ty) = bilinearTaps(gy, from: f.height, to: height)
            for gx in 0..<width {
                let (x0, x1, tx) = bilinearTaps(gx, from: f.width, to: width)
                let base = (gy * width + gx) * c
                var norm: Float = 0
                for k in 0..<c {
                    let p = k * f.plane
                    let v = (1 - ty) * ((1 - tx) * f.data[p + y0 * f.width + x0] + tx * f.data[p + y0 * f.width + x1])
                        + ty * ((1 - tx) * f.data[p + y1 * f.width + x0] + tx * f.data[p + y1 * f.width + x1])
                    out[base + k] = v
                    norm += v * v
                }
                let scale = norm > 0 ? weight / norm.squareRoot() : 0
                for k in 0..<c { out[base + k] *= scale }
            }
        }
        return out
    }

    mutating func addColor(_ a: AnalysedImage, _ b: AnalysedImage, weight: Float) {
        append(dimension: 3, values: (a.cellLab + b.cellLab).map { $0 * weight / 100 })
    }

    mutating func addPosition(_ a: AnalysedImage, _ b: AnalysedImage, weights: (y: Float, x: Float)) {
        var v: [Float] = []
        for image in [a, b] {
            for gy in 0..<image.gridHeight {
                for gx in 0..<image.gridWidth {
                    v.append(weights.y * Float(gy) / Float(max(image.gridHeight - 1, 1)))
                    v.append(weights.x * Float(gx) / Float(max(image.gridWidth - 1, 1)))
                }
            }
        }
        append(dimension: 2, values: v)
    }

    /// Every `step`-th row (content rows, then style rows, as here); for comparing k-means starts, not for smoothing
    /// (the grids no longer describe the rows).
    func subsampled(every step: Int) -> FeatureSpace {
        let keep = Array(Swift.stride(from: 0, to: rows, by: max(step, 1)))
        var out = self
        out.counts = (keep.filter { $0 < counts.0 }.count, keep.filter { $0 >= counts.0 }.count)
        out.groups = groups.map { g in (g.dimension, keep.flatMap { g.values[($0 * g.dimension)..<(($0 + 1) * g.dimension)] }) }
        out.assemble()
        return out
    }

    /// Squared distances of every row to each of `centers` (k × dimension): ‖x‖² − 2x·c + ‖c‖², the products by
    /// `FewColumnProduct`.
    func distances(to centers: [Float], k: Int) -> [Float] {
        var d = [Float](repeating: 0, count: rows * k)
        FeatureSpace.squaredDistances(matrix[...], rowNorms: rowNorms[...], dimension: dimension, to: centers, k: k, into: &d)
        return d
    }

    /// Squared distances of the rows of `x` (row-major, `dimension` values each, ‖row‖² in `rowNorms`) to each of
    /// `centers` (k × dimension), into `out` (rows × k): ‖x‖² − 2x·c + ‖c‖², the products by `FewColumnProduct`,
    /// clamped at 0. Shared by the k-means (`distances`) and the content-coherence k-means (`LabelTransfer.coherent`).
    static func squaredDistances(_ x: ArraySlice<Float>, rowNorms: ArraySlice<Float>, dimension dim: Int, to centers: [Float], k: Int,
                                 into out: inout [Float]) {
        let n = rowNorms.count
        precondition(x.count == n * dim && centers.count >= k * dim && out.count >= n * k)
        x.withUnsafeBufferPointer { x in
            centers.withUnsafeBufferPointer { c in
                out.withUnsafeMutableBufferPointer { out in
                    guard let x = x.baseAddress, let c = c.baseAddress, let out = out.baseAddress else { return }
                    // out (n × k) = −2 · x (n × dim) · cᵀ (dim × k)
                    FewColumnProduct.forward(x: x, rows: n, dimension: dim, c: c, columns: k, alpha: -2, y: out)
                }
            }
        }
        var cn = [Float](repeating: 0, count: k)
        for j in 0..<k { for t in 0..<dim { cn[j] += centers[j * dim + t] * centers[j * dim + t] } }
        for (r, xn) in rowNorms.enumerated() {
            for j in 0..<k { out[r * k + j] = max(out[r * k + j] + xn + cn[j], 0) }
        }
    }
}

/// Labels of every cell of both images, with the cluster centres.
struct Segmentation {
    var labels: [Int32]
    var centers: [Float]
    var count: Int
    /// Regions with a texture of the style that no part of the content resembles: kept in the style map under a colour
    /// of their own (an unused style region, `RegionPairing`) so that they do not pollute the texture of the region
    /// they border, and never given to content cells.
    var styleOnly: [Bool]

    init(labels: [Int32], centers: [Float], count: Int) {
        self.labels = labels
        self.centers = centers
        self.count = count
        styleOnly = [Bool](repeating: false, count: count)
    }

    /// Regions present in both images.
    var shared: Int { styleOnly.filter { !$0 }.count }

    static func single(_ space: FeatureSpace) -> Segmentation {
        Segmentation(labels: [Int32](repeating: 0, count: space.rows), centers: [Float](repeating: 0, count: space.dimension), count: 1)
    }

    /// How `Segmentation.cluster` picks among its k-means++ starts.
    enum Choice {
        /// The smallest within-cluster sum of squares: plain k-means (the colour baseline).
        case leastSquares
        /// The clusters most shared by the two images (least `imageInformation`; ties: the smaller sum of squares), if
        /// they share them by at least `sharedMargin` more than the start with the smallest sum of squares; else that.
        case mostShared
    }

    /// k-means (Lloyd) on all cells from the best of `restarts` k-means++ starts drawn with SplitMix64(seed). With more
    /// than one start, each is first run to convergence on every `sampleStride`-th cell, the best run there by `choice`
    /// is carried on to all cells. One run's result depends on its start (pair01: K = 2, 3 or 4 by the seed alone);
    /// the best of 16 much less (README, *Automatic masks*), and the starts on a quarter of the cells cost little
    /// against the rest of `AutoMask.segment`.
    ///
    /// Departure from plain k-means: `.features` keeps the start whose clusters the two images share clearly more than
    /// the one with the smallest sum of squares does. Two photographs, or a photograph and a painting, differ as a
    /// whole, and the partition with the smallest sum of squares can be one that splits by image (pair01 at K = 3:
    /// 0.43 bit, one region left after merging; a start 3 % worse in sum of squares shares its clusters at 0.002 bit);
    /// the cells are clustered jointly so that regions correspond, which is what the mutual information measures.
    static func cluster(_ space: FeatureSpace, k: Int, seed: UInt64, restarts: Int = 1, choice: Choice = .leastSquares) -> Segmentation {
        var rng = SplitMix64(seed: seed)
        var centers: [Float]
        if restarts > 1 {
            let sample = space.subsampled(every: sampleStride)
            let runs = (0..<restarts).map { _ in lloyd(sample, centers: seeds(sample, k: k, rng: &rng)) }
            centers = runs[choose(runs, in: sample, by: choice)].segmentation.centers
        } else {
            centers = seeds(space, k: k, rng: &rng)
        }
        var s = lloyd(space, centers: centers).segmentation
        s.compact(space)
        return s
    }

    /// Mutual information in bits between a cell's cluster and its image, each image weighted ½ whatever its size:
    /// 0 when every cluster takes the same share of both images, 1 when no cluster has cells in both.
    func imageInformation(_ space: FeatureSpace) -> Double {
        let joint = sideShares(space).map { $0.map { $0 / 2 } }
        var bits = 0.0
        for side in 0..<2 {
            for j in 0..<count where joint[side][j] > 0 {
                bits += joint[side][j] * log2(joint[side][j] / (0.5 * (joint[0][j] + joint[1][j])))
            }
        }
        return bits
    }

    /// The index of the run `choice` keeps among k-means `runs` (not empty) on `space`.
    static func choose(_ runs: [(segmentation: Segmentation, inertia: Double)], in space: FeatureSpace, by choice: Choice) -> Int {
        let least = runs.indices.min { runs[$0].inertia < runs[$1].inertia } ?? 0
        guard choice == .mostShared else { return least }
        let bits = runs.map { $0.segmentation.imageInformation(space) }
        let shared = runs.indices.min { (bits[$0], runs[$0].inertia) < (bits[$1], runs[$1].inertia) } ?? least
        return bits[least] - bits[shared] >= sharedMargin ? shared : least
    }

    /// How much less mutual information between cluster and image (bits) a start needs to be kept over the one with
    /// the smallest sum of squares (`Choice.mostShared`); smaller differences are noise between near-equal partitions.
    static let sharedMargin = 0.1

    /// Every how many cells the restarts of `cluster` are compared on.
    static let sampleStride = 4

    /// k-means++ (Arthur & Vassilvitskii 2007): k centres drawn from the rows, each with probability proportional to
    /// its squared distance to the nearest centre drawn so far.
    static func seeds(_ space: FeatureSpace, k: Int, rng: inout SplitMix64) -> [Float] {
        let n = space.rows, d = space.dimension
        var centers = [Float](repeating: 0, count: k * d)
        let first = Int(rng.next() % UInt64(n))
        for t in 0..<d { centers[t] = space.matrix[first * d + t] }
        var nearest = [Float](repeating: .infinity, count: n)
        for j in 1..<max(k, 1) {
            let dist = space.distances(to: Array(centers[((j - 1) * d)..<(j * d)]), k: 1)
            var total: Double = 0
            for i in 0..<n { nearest[i] = min(nearest[i], dist[i]); total += Double(nearest[i]) }
            var target = Double(rng.nextUnitFloat()) * total, pick = n - 1
            for i in 0..<n { target -= Double(nearest[i]); if target <= 0 { pick = i; break } }
            for t in 0..<d { centers[j * d + t] = space.matrix[pick * d + t] }
        }
        return centers
    }

    /// Lloyd iterations from `centers` (k × dimension) until at most 0.1 % of the rows change label, at most 60; the
    /// labels and the within-cluster sum of squared distances.
    static func lloyd(_ space: FeatureSpace, centers: [Float]) -> (segmentation: Segmentation, inertia: Double) {
        let n = space.rows, k = centers.count / max(space.dimension, 1)
        var s = Segmentation(labels: [Int32](repeating: -1, count: n), centers: centers, count: k)
        for _ in 0..<60 {
            let dist = space.distances(to: s.centers, k: k)
            var changed = 0
            for i in 0..<n {
                var best = 0
                for j in 1..<k where dist[i * k + j] < dist[i * k + best] { best = j }
                if s.labels[i] != Int32(best) { s.labels[i] = Int32(best); changed += 1 }
            }
            s.updateCenters(space)
            if changed * 1000 <= n { break }
        }
        let dist = space.distances(to: s.centers, k: k)
        var inertia: Double = 0
        for i in 0..<n { inertia += Double(dist[i * k + Int(s.labels[i])]) }
        return (s, inertia)
    }

    /// Each centre to the mean of its cells (an empty cluster keeps its centre).
    mutating func updateCenters(_ space: FeatureSpace) {
        let d = space.dimension
        var sums = [Float](repeating: 0, count: count * d), n = [Int](repeating: 0, count: count)
        space.matrix.withUnsafeBufferPointer { x in
            sums.withUnsafeMutableBufferPointer { out in
                guard let x = x.baseAddress, let out = out.baseAddress else { return }
                for i in 0..<space.rows {
                    let l = Int(labels[i])
                    n[l] += 1
                    cblas_saxpy(Int32(d), 1, x + i * d, 1, out + l * d, 1)
                }
            }
        }
        for j in 0..<count where n[j] > 0 {
            for t in 0..<d { centers[j * d + t] = sums[j * d + t] / Float(n[j]) }
        }
    }

    /// Drops clusters without cells and renumbers the rest in order.
    mutating func compact(_ space: FeatureSpace) {
        var used = [Bool](repeating: false, count: count)
        for l in labels { used[Int(l)] = true }
        let keep = (0..<count).filter { used[$0] }
        guard keep.count < count else { return }
        var map = [Int32](repeating: -1, count: count)
        for (new, old) in keep.enumerated() { map[old] = Int32(new) }
        labels = labels.map { map[Int($0)] }
        let d = space.dimension
        centers = keep.flatMap { Array(centers[($0 * d)..<(($0 + 1) * d)]) }
        styleOnly = keep.map { styleOnly[$0] }
        count = keep.count
    }

    /// Smoothing, islands, then, weakest first: a region whose core is too small in the style is dissolved; one with a
    /// core in the style but not in the content becomes style-only (its content cells go to the nearest shared
    /// region), unless it is the last shared region. Until every region is in both images or style-only.
    mutating func refine(_ space: FeatureSpace, options: AutoMaskOptions) {
        while true {
            smooth(space, strength: options.smoothness)
            mergeIslands(space, minimumShare: options.minimumIsland)
            compact(space)
            updateCenters(space)
            let shares = coreShares(space)
            func weakness(_ j: Int) -> Double { styleOnly[j] ? shares[1][j] : min(shares[0][j], shares[1][j]) }
            guard count > 1, let weakest = (0..<count).min(by: { weakness($0) < weakness($1) }),
                  weakness(weakest) < options.minimumShare else { return }
            if shares[1][weakest] >= options.minimumShare, shared > 1 {
                evictContent(weakest, space)
            } else {
                dissolve(weakest, space)
            }
        }
    }

    /// Replaces the content's labels by `contentLabels` (`LabelTransfer`), merges the content's small islands, and
    /// makes style-only every region the content no longer has (and ordinary every one it now has).
    mutating func transferContent(_ contentLabels: [Int32], space: FeatureSpace, options: AutoMaskOptions) {
        precondition(contentLabels.count == space.counts.0)
        for i in 0..<space.counts.0 { labels[i] = contentLabels[i] }
        mergeIslands(space, minimumShare: options.minimumIsland, sides: [0])
        styleOnly = sideShares(space)[0].map { $0 == 0 }
        updateCenters(space)
    }

    /// Makes region `j` style-only: its content cells go to their nearest centre among the shared regions.
    mutating func evictContent(_ j: Int, _ space: FeatureSpace) {
        styleOnly[j] = true
        let k = count
        let dist = space.distances(to: centers, k: k)
        for i in 0..<space.counts.0 where Int(labels[i]) == j {
            labels[i] = Int32(Segmentation.nearest(dist, row: i, k: k) { !styleOnly[$0] })
        }
        updateCenters(space)
    }

    /// The centre among `0..<k` nearest to row `row` of `dist` (rows × k squared distances) that `allowed` admits;
    /// ties go to the lower index; -1 if none is admitted.
    static func nearest(_ dist: [Float], row: Int, k: Int, allowed: (Int) -> Bool) -> Int {
        var best = -1
        for t in 0..<k where allowed(t) && (best < 0 || dist[row * k + t] < dist[row * k + best]) { best = t }
        return best
    }

    /// Each region's share of each image counting only its core: cells whose neighbours within `coreRadius` cells
    /// (8 analysis pixels) all carry its label. A band along the boundary of two regions, where the deep features mix
    /// both textures, has no core and is dissolved like a small region; a region with a core of a few per cent is a
    /// region of its own.
    func coreShares(_ space: FeatureSpace) -> [[Double]] {
        var n = [[Int]](repeating: [Int](repeating: 0, count: count), count: 2)
        let r = Segmentation.coreRadius
        for side in 0..<2 {
            let (w, h) = space.grids[side], base = space.row(side: side, 0)
            for y in 0..<h {
                for x in 0..<w {
                    let label = labels[base + y * w + x]
                    var core = true
                    scan: for yy in max(0, y - r)...min(h - 1, y + r) {
                        for xx in max(0, x - r)...min(w - 1, x + r) where labels[base + yy * w + xx] != label { core = false; break scan }
                    }
                    if core { n[side][Int(label)] += 1 }
                }
            }
        }
        return [n[0].map { Double($0) / Double(max(space.counts.0, 1)) }, n[1].map { Double($0) / Double(max(space.counts.1, 1)) }]
    }

    /// Radius in grid cells (4 analysis pixels each) of the neighbourhood a core cell shares its label with.
    static let coreRadius = 2

    func sideShares(_ space: FeatureSpace) -> [[Double]] {
        var n = [[Int]](repeating: [Int](repeating: 0, count: count), count: 2)
        for i in 0..<space.rows { n[i < space.counts.0 ? 0 : 1][Int(labels[i])] += 1 }
        return [n[0].map { Double($0) / Double(max(space.counts.0, 1)) }, n[1].map { Double($0) / Double(max(space.counts.1, 1)) }]
    }

    /// Removes cluster `j`: its cells go to their nearest remaining centre.
    mutating func dissolve(_ j: Int, _ space: FeatureSpace) {
        let d = space.dimension
        var kept = centers
        kept.removeSubrange((j * d)..<((j + 1) * d))
        let k = count - 1
        var only = styleOnly
        only.remove(at: j)
        // The last shared region gone: the style-only ones become ordinary regions again (content cells need one).
        if !only.contains(false) { only = [Bool](repeating: false, count: k) }
        let dist = space.distances(to: kept, k: k)
        for i in 0..<space.rows {
            let l = Int(labels[i])
            if l == j {
                let content = i < space.counts.0
                labels[i] = Int32(Segmentation.nearest(dist, row: i, k: k) { !(content && only[$0]) })
            } else if l > j {
                labels[i] = Int32(l - 1)
            }
        }
        centers = kept
        styleOnly = only
        count = k
        updateCenters(space)
    }

    /// Iterated conditional modes on ‖v − μ_l‖² + λ·#{8-neighbours labelled ≠ l}, λ = strength × mean ‖v − μ_own‖².
    mutating func smooth(_ space: FeatureSpace, strength: Float) {
        guard count > 1, strength > 0 else { return }
        let k = count
        let dist = space.distances(to: centers, k: k)
        var mean: Double = 0
        for i in 0..<space.rows { mean += Double(dist[i * k + Int(labels[i])]) }
        let lambda = strength * Float(mean / Double(max(space.rows, 1)))
        for side in 0..<2 {
            let (w, h) = space.grids[side]
            let base = space.row(side: side, 0)
            for _ in 0..<5 {
                var changed = false
                var votes = [Float](repeating: 0, count: k)
                for y in 0..<h {
                    for x in 0..<w {
                        for j in 0..<k { votes[j] = 0 }
                        for dy in -1...1 {
                            for dx in -1...1 where dx != 0 || dy != 0 {
                                let yy = y + dy, xx = x + dx
                                if yy >= 0, yy < h, xx >= 0, xx < w { votes[Int(labels[base + yy * w + xx])] += 1 }
                            }
                        }
                        let total = votes.reduce(0, +)
                        let i = base + y * w + x
                        var best = Int(labels[i]), bestCost = Float.infinity
                        for j in 0..<k where side == 1 || !styleOnly[j] {
                            let cost = dist[i * k + j] + lambda * (total - votes[j])
                            if cost < bestCost - 1e-7 || (abs(cost - bestCost) <= 1e-7 && j == Int(labels[i])) { bestCost = cost; best = j }
                        }
                        if best != Int(labels[i]) { labels[i] = Int32(best); changed = true }
                    }
                }
                if !changed { break }
            }
        }
    }

    /// 4-connected islands smaller than `minimumShare` of their image take the label they share most border with.
    mutating func mergeIslands(_ space: FeatureSpace, minimumShare: Double, sides: [Int] = [0, 1]) {
        for side in sides {
            let (w, h) = space.grids[side]
            let base = space.row(side: side, 0)
            let limit = max(1, Int(minimumShare * Double(w * h)))
            var component = [Int](repeating: -1, count: w * h)
            var stack: [Int] = [], members: [Int] = []
            for start in 0..<(w * h) where component[start] < 0 {
                let label = labels[base + start]
                component[start] = start
                stack = [start]
                members = []
                var border = [Int32: Int]()
                while let p = stack.popLast() {
                    members.append(p)
                    let x = p % w, y = p / w
                    for (xx, yy) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where xx >= 0 && xx < w && yy >= 0 && yy < h {
                        let q = yy * w + xx
                        if labels[base + q] == label {
                            if component[q] < 0 { component[q] = start; stack.append(q) }
                        } else {
                            border[labels[base + q], default: 0] += 1
                        }
                    }
                }
                if members.count < limit, let target = border.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })?.key {
                    for p in members { labels[base + p] = target }
                }
            }
        }
    }

    /// How many shared regions' style parts the placement measure can tell apart from the other style regions: the
    /// style image at the analysis size, measured against itself (`Placement.measure`) with these labels (each grid
    /// cell covers its 4×4 pixels); a region counts when its halves' separability is ≥ `Placement.separableAt`. This
    /// is what spatial control can use: a region whose texture is that of its neighbours is placed no better by
    /// guidance than without it. `features`: the style image's maps at (at least) `Placement.layers`, computed once
    /// for every K.
    func separableStyleRegions(_ style: AnalysedImage, space: FeatureSpace, features: [LayerName: FeatureMap]) throws -> Int {
        let w = style.image.width, h = style.image.height, base = space.row(side: 1, 0)
        guard count > 1 else { return 0 }
        var values = [[Float]](repeating: [Float](repeating: 0, count: w * h), count: count)
        for y in 0..<h {
            let gy = min(y / 4, style.gridHeight - 1)
            for x in 0..<w {
                let gx = min(x / 4, style.gridWidth - 1)
                values[Int(labels[base + gy * style.gridWidth + gx])][y * w + x] = 1
            }
        }
        let regions = values.enumerated().compactMap { r, v -> StyleRegion? in
            guard v.contains(1) else { return nil }
            let guide = Guide(width: w, height: h, values: v)
            return StyleRegion(name: "\(r)", contentGuide: guide, styleIndex: 0, styleGuide: guide)
        }
        guard regions.count > 1 else { return 0 }
        let placement = try Placement.measure(outputFeatures: features, outputSize: (w, h), styleSizes: [(w, h)], regions: regions) { _ in features }
        return placement.regions.filter { r in
            (r.separability ?? 0) >= Placement.separableAt && Int(r.name).map { !styleOnly[$0] } == true
        }.count
    }

    /// Mean silhouette over a fixed sample of at most 1600 cells of both images (`side` nil) or of one (0: the content,
    /// 1: the style), Euclidean distances in `space`.
    func silhouette(_ space: FeatureSpace, side: Int? = nil) -> Float {
        let d = space.dimension
        let range = side.map { $0 == 0 ? 0..<space.counts.0 : space.counts.0..<space.rows } ?? 0..<space.rows
        let stride = max(1, range.count / 1600)
        let sample = Array(Swift.stride(from: range.lowerBound, to: range.upperBound, by: stride))
        let m = sample.count
        var x = [Float](repeating: 0, count: m * d)
        for (r, i) in sample.enumerated() { for t in 0..<d { x[r * d + t] = space.matrix[i * d + t] } }
        var g = [Float](repeating: 0, count: m * m)
        x.withUnsafeBufferPointer { p in
            g.withUnsafeMutableBufferPointer { out in
                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(m), Int32(d), 1, p.baseAddress, Int32(d), 0, out.baseAddress, Int32(m))
            }
        }
        var sum: Double = 0
        var perCluster = [Double](repeating: 0, count: count), sizes = [Int](repeating: 0, count: count)
        for r in 0..<m { sizes[Int(labels[sample[r]])] += 1 }
        for r in 0..<m {
            for j in 0..<count { perCluster[j] = 0 }
            for q in 0..<m where q != r {
                let (lo, hi) = r < q ? (r, q) : (q, r)
                let dd = max(g[r * m + r] + g[q * m + q] - 2 * g[lo * m + hi], 0).squareRoot()
                perCluster[Int(labels[sample[q]])] += Double(dd)
            }
            let own = Int(labels[sample[r]])
            guard sizes[own] > 1 else { continue }
            let a = perCluster[own] / Double(sizes[own] - 1)
            var b = Double.infinity
            for j in 0..<count where j != own && sizes[j] > 0 { b = min(b, perCluster[j] / Double(sizes[j])) }
            if b.isFinite { sum += (b - a) / max(a, b) }
        }
        return Float(sum / Double(max(m, 1)))
    }

    /// Renumbers regions by decreasing share of the content (ties: of the style), so colours are stable.
    mutating func orderByContentShare(_ space: FeatureSpace) {
        let shares = sideShares(space)
        let order = (0..<count).sorted { (i: Int, j: Int) -> Bool in
            let c: [Double] = shares[0], s: [Double] = shares[1]
            if c[i] != c[j] { return c[i] > c[j] }
            if s[i] != s[j] { return s[i] > s[j] }
            return i < j
        }
        var map = [Int32](repeating: 0, count: count)
        for (new, old) in order.enumerated() { map[old] = Int32(new) }
        labels = labels.map { map[Int($0)] }
        let d = space.dimension
        centers = order.flatMap { Array(centers[($0 * d)..<(($0 + 1) * d)]) }
        styleOnly = order.map { styleOnly[$0] }
    }

    /// Full-resolution labels: each pixel takes, among the four grid cells around it, the label of the cell whose
    /// mean colour is nearest to the pixel's (spatially nearer cells win ties through a small distance penalty).
    func upsampled(_ image: AnalysedImage, side: Int, space: FeatureSpace) -> [Int32] {
        let W = image.original.width, H = image.original.height, plane = W * H
        let gw = image.gridWidth, gh = image.gridHeight, base = space.row(side: side, 0)
        var out = [Int32](repeating: 0, count: plane)
        let px = image.original.pixels
        for y in 0..<H {
            let gy = min(max((Float(y) + 0.5) * Float(gh) / Float(H) - 0.5, 0), Float(gh - 1))
            let y0 = Int(gy), y1 = min(y0 + 1, gh - 1)
            for x in 0..<W {
                let gx = min(max((Float(x) + 0.5) * Float(gw) / Float(W) - 0.5, 0), Float(gw - 1))
                let x0 = Int(gx), x1 = min(x0 + 1, gw - 1)
                let cells = [(y0, x0), (y0, x1), (y1, x0), (y1, x1)]
                let first = labels[base + y0 * gw + x0]
                if cells.allSatisfy({ labels[base + $0.0 * gw + $0.1] == first }) { out[y * W + x] = first; continue }
                let i = y * W + x
                let (l, a, b) = AutoMask.lab(px[i], px[plane + i], px[2 * plane + i])
                var best = first, bestCost = Float.infinity
                for (cy, cx) in cells {
                    let c = 3 * (cy * gw + cx)
                    let dl = l - image.cellLab[c], da = a - image.cellLab[c + 1], db = b - image.cellLab[c + 2]
                    let sy = gy - Float(cy), sx = gx - Float(cx)
                    let cost = dl * dl + da * da + db * db + 25 * (sy * sy + sx * sx)
                    if cost < bestCost { bestCost = cost; best = labels[base + cy * gw + cx] }
                }
                out[i] = best
            }
        }
        return out
    }

    /// Full-resolution labels of the colour baseline: every pixel to the nearest centre in CIELAB.
    func nearestColor(_ image: AnalysedImage) -> [Int32] {
        let plane = image.original.width * image.original.height, px = image.original.pixels
        return (0..<plane).map { i in
            let (l, a, b) = AutoMask.lab(px[i], px[plane + i], px[2 * plane + i])
            var best: Int32 = 0, bestCost = Float.infinity
            for j in 0..<count {
                let c = centers[(j * 3)..<(j * 3 + 3)].map { $0 * 100 }
                let cost = (l - c[0]) * (l - c[0]) + (a - c[1]) * (a - c[1]) + (b - c[2]) * (b - c[2])
                if cost < bestCost { bestCost = cost; best = Int32(j) }
            }
            return best
        }
    }
}
