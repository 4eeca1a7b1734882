import ArgumentParser
import Foundation
import NSTGuidance
import NSTImage
import NSTNetwork

/// `nst-exp mask`: builds a colour label map from JSON shapes or from colour rules on a photo.
struct MaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mask",
        abstract: "Build a colour label map (PNG) from a JSON file of shapes, from colour thresholds on an image, or automatically for a content/style pair.",
        discussion: """
            Automatic:  nst-exp mask --auto --content C --style S [--regions K] --output content_mask.png --style-output style_mask.png
                          segments both images into corresponding regions (same colour = same region) from VGG-19 features
                          and position; without --regions, K is the one in 2…5 with the most style regions the placement
                          measure can tell apart, among the K whose mean silhouette is near the best (1 if fewer than two
                          separate). Writes a preview (both images with their regions overlaid) beside the content map.
            Shapes:     nst-exp mask --shapes Masks/chelsea_regions.json --output Masks/chelsea_regions.png
            Thresholds: nst-exp mask --image photo.png --rule "#0000FF: b > 0.55 && b > r" --rule "green: g > r && g > b" \\
                          --background black --output photo_regions.png
            A rule is COLOUR: CONDITION; the first rule that holds colours the pixel. Conditions compare the variables
            r g b (0…1), h (hue, degrees), s v (HSV, 0…1) and y (luma) with numbers or each other (< <= > >=),
            joined by && and || (&& binds tighter). See Masks/README.md for the JSON format.
            """)

    @Option(help: "JSON file of shapes (see Masks/README.md).")
    var shapes: String?

    @Option(help: "Image to threshold with --rule.")
    var image: String?

    @Option(help: "Threshold rule COLOUR: CONDITION (repeatable, first match wins).")
    var rule: [String] = []

    @Option(help: "Colour of pixels no rule matches (threshold mode); #RRGGBB or a palette name.")
    var background: String = "black"

    @Option(help: "Output size WIDTHxHEIGHT (default: the JSON frame or the image's size).")
    var size: String?

    @Flag(inversion: .prefixedNo, help: "Anti-alias shape edges (overrides the JSON's \"antialias\").")
    var antialias: Bool?

    @Option(name: .shortAndLong, help: "Output label map (.png); with --auto, the content image's map.")
    var output: String

    @Flag(help: "Segment --content and --style automatically into corresponding regions.")
    var auto = false

    @Option(help: "Content image (--auto).")
    var content: String?

    @Option(help: "Style image (--auto).")
    var style: String?

    @Option(help: "Label map of the style image (--auto, .png).")
    var styleOutput: String?

    @Option(help: "Number of regions (--auto, 1…\(AutoMask.palette.count); default: the K in 2…5 with the most separable style regions, then the most regions; 1 if fewer than two).")
    var regions: Int?

    @Option(help: "features (VGG-19 + colour + position) or color (k-means on colour, the baseline).")
    var method: String = AutoMaskMethod.features.rawValue

    @Option(help: "How the content's regions are labelled (features): \(AutoMaskContentLabels.allCases.map(\.rawValue).joined(separator: " or ")): carried over from the style's regions by nearest VGG-19 neighbours, or the joint clustering's own.")
    var contentLabels: String = AutoMaskOptions().contentLabels.rawValue

    @Option(help: "Seed of the clustering.")
    var seed: UInt64 = 0

    @Option(help: "Longest side the images are analysed at, \(AutoMaskOptions.analysisSides.lowerBound)…\(AutoMaskOptions.analysisSides.upperBound) (default: \(AutoMaskOptions().analysisSide)).")
    var analysisSize: Int?

    @Option(help: "Weight of CIELAB colour against the VGG-19 features (default: \(AutoMaskOptions().colorWeight)).")
    var colorWeight: Float?

    @Option(help: "Weights of the VGG-19 layers \(AutoMask.layers.map(\.description).joined(separator: ", ")), comma-separated (default: \(AutoMaskOptions().deepWeights.map { String(format: "%g", $0) }.joined(separator: ","))).")
    var deepWeights: String?

    @Flag(name: .customLong("centre"), inversion: .prefixedNo,
          help: "Centre each image's VGG-19 vectors on its own mean before the joint clustering (--auto, features).")
    var centre: Bool = AutoMaskOptions().centred

    @Option(help: "Window radius in 4-pixel cells: once K is chosen, the regions are found again from VGG-19 vectors averaged over (2r+1)² cells and kept when the content's regions they give are at least as coherent (mean silhouette on the content's point-by-point vectors); 0 = point by point only (default: \(AutoMaskOptions().poolRadius)).")
    var poolRadius: Int?

    @Option(help: "Weight of the content's own structure against the transferred labels' scores (k-means on the content's vectors; 0 = the scores alone; default: \(AutoMaskOptions().coherence)).")
    var coherence: Float?

    @Option(help: "Weight of the vertical position (default: \(AutoMaskOptions().positionWeight.y)).")
    var positionWeight: Float?

    @Option(help: "Smallest share of each image a region must cover (default: \(AutoMaskOptions().minimumShare)).")
    var minimumShare: Double?

    @Option(help: "Potts smoothing strength (default: \(AutoMaskOptions().smoothness)).")
    var smoothness: Float?

    @Option(help: "Preview image (default: <output>_preview.png; 'none' to skip).")
    var preview: String?

    @Option(help: "Reference (hand-made) content label map: prints the mean IoU after the best one-to-one matching.")
    var compareContent: String?

    @Option(help: "Reference style label map, with --compare-content.")
    var compareStyle: String?

    @Option(help: "VGG-19 safetensors file (default: the installed weights).")
    var weights: String?

    @Flag(help: "With --auto: print the result as JSON.")
    var json = false

    /// `--deep-weights w3,w4,w5`: one finite weight ≥ 0 per `AutoMask.layers` entry.
    private func parsedDeepWeights() throws -> [Float]? {
        guard let deepWeights else { return nil }
        let values = deepWeights.split(separator: ",", omittingEmptySubsequences: false).map { Float($0.trimmingCharacters(in: .whitespaces)) }
        let weights = values.compactMap { $0 }
        guard weights.count == AutoMask.layers.count, values.count == weights.count, weights.allSatisfy({ $0 >= 0 && $0.isFinite }),
              weights.contains(where: { $0 > 0 }) else {
            throw ValidationError("--deep-weights \(deepWeights): give \(AutoMask.layers.count) finite weights ≥ 0, not all 0, "
                + "comma-separated, for " + AutoMask.layers.map(\.description).joined(separator: ", ") + " (e.g. 1,1,1)")
        }
        return weights
    }

    func validate() throws {
        if auto {
            _ = try parsedDeepWeights()
            guard content != nil, style != nil, let styleOutput else {
                throw ValidationError("--auto needs --content IMAGE, --style IMAGE, --output CONTENT_MAP.png and --style-output STYLE_MAP.png")
            }
            guard shapes == nil, image == nil, rule.isEmpty, size == nil, antialias == nil else {
                throw ValidationError("--auto does not combine with --shapes, --image, --rule, --size or --antialias "
                    + "(the automatic maps take the images' own sizes)")
            }
            for path in [output, styleOutput] where URL(fileURLWithPath: path).pathExtension.lowercased() != "png" {
                throw ValidationError("\(path): label maps must be .png (JPEG compression would blur the region colours)")
            }
            guard AutoMaskMethod(rawValue: method) != nil else { throw ValidationError("--method \(method): use features or color") }
            guard AutoMaskContentLabels(rawValue: contentLabels) != nil else {
                throw ValidationError("--content-labels \(contentLabels): use \(AutoMaskContentLabels.allCases.map(\.rawValue).joined(separator: " or "))")
            }
            guard (compareContent == nil) == (compareStyle == nil) else {
                throw ValidationError("give both --compare-content and --compare-style (the reference maps of both images)")
            }
            do { try autoOptions().validate() } catch let error as AutoMaskError { throw ValidationError(error.description) }
            try checkAutoPaths(styleOutput: styleOutput)
            return
        }
        guard content == nil, style == nil, styleOutput == nil, regions == nil, compareContent == nil else {
            throw ValidationError("--content, --style, --style-output, --regions and --compare-* belong to --auto")
        }
        guard (shapes == nil) != (image == nil) else { throw ValidationError("give exactly one of --shapes FILE or --image FILE") }
        if image != nil && rule.isEmpty { throw ValidationError("--image needs at least one --rule \"COLOUR: CONDITION\"") }
        if shapes != nil && !rule.isEmpty { throw ValidationError("--rule applies to --image, not to --shapes") }
        guard URL(fileURLWithPath: output).pathExtension.lowercased() == "png" else {
            throw ValidationError("--output must be a .png: JPEG compression would blur the region colours")
        }
        let inputs = [("--shapes", shapes), ("--image", image)].compactMap { role, path in path.map { (role: role, path: $0) } }
        try refuseCollision(inputs: inputs, outputs: [("--output", output)], writing: "the label map")
    }

    /// The preview's path: `--preview`, or `<output>_preview.png`; nil for `--preview none`.
    private var previewPath: String? {
        let path = preview ?? (output as NSString).deletingPathExtension + "_preview.png"
        return path == "none" ? nil : path
    }

    /// Before any work: no file written is read or written twice (an input would be lost, or one map replaced by
    /// another), and every file written can be.
    private func checkAutoPaths(styleOutput: String) throws {
        if let previewPath, ImageFormat(pathExtension: URL(fileURLWithPath: previewPath).pathExtension) == nil {
            throw ValidationError("--preview \(previewPath): end the name in .png or .jpg, or give none")
        }
        let inputs = [("--content", content), ("--style", style), ("--compare-content", compareContent),
                      ("--compare-style", compareStyle), ("--weights", weights ?? VGGWeights.defaultURL.path)]
            .compactMap { role, path in path.map { (role: role, path: $0) } }
        let outputs = [("--output", output), ("--style-output", styleOutput)] + (previewPath.map { [("--preview", $0)] } ?? [])
        try refuseCollision(inputs: inputs, outputs: outputs, writing: "a map or the preview")
        try refuseUnwritable(outputs)
    }

    /// The `AutoMask.segment` settings the options give (unchecked; `AutoMaskOptions.validate`).
    private func autoOptions() throws -> AutoMaskOptions {
        var options = AutoMaskOptions()
        options.regions = regions
        if let kind = AutoMaskMethod(rawValue: method) { options.method = kind }
        options.seed = seed
        if let labels = AutoMaskContentLabels(rawValue: contentLabels) { options.contentLabels = labels }
        if let analysisSize { options.analysisSide = analysisSize }
        if let colorWeight { options.colorWeight = colorWeight }
        if let positionWeight { options.positionWeight.y = positionWeight }
        options.centred = centre
        if let poolRadius { options.poolRadius = poolRadius }
        if let minimumShare { options.minimumShare = minimumShare }
        if let smoothness { options.smoothness = smoothness }
        if let coherence { options.coherence = coherence }
        if let weights = try parsedDeepWeights() { options.deepWeights = weights }
        return options
    }

    func run() throws {
        if auto { return try runAuto() }
        if shapes != nil || image != nil { try refuseUnwritable([("--output", output)]) }
        let dimensions = try size.map(MaskBuilder.parseSize)
        let label: Image
        if let shapes {
            var spec = try MaskSpec.load(URL(fileURLWithPath: shapes))
            if let antialias { spec.antialias = antialias }
            label = try MaskBuilder.render(spec, width: dimensions?.width, height: dimensions?.height)
        } else if let image {
            var photo = try ImageIO.load(URL(fileURLWithPath: image))
            if let dimensions { photo = try photo.resized(width: dimensions.width, height: dimensions.height) }
            let rules = try rule.map(ThresholdRule.init(parsing:))
            label = MaskBuilder.threshold(photo, rules: rules, background: try RegionColor(parsing: background, context: "--background"))
        } else {
            return
        }
        let url = URL(fileURLWithPath: output)
        try ImageIO.save(label, to: url)
        let map = LabelMap(image: label, palette: try Palette.discover(in: label), path: output)
        print("wrote \(label.width)×\(label.height) label map \(output)")
        print(map.summary)
    }

    private func runAuto() throws {
        guard let content, let style, let styleOutput else { return }
        let options = try autoOptions()
        let contentImage = try ImageIO.load(URL(fileURLWithPath: content)), styleImage = try ImageIO.load(URL(fileURLWithPath: style))
        // The reference maps are read (and their sizes checked against the images) before the analysis, not after it.
        var reference: (content: LabelMap, style: LabelMap)? = nil
        if let compareContent, let compareStyle {
            func load(_ path: String, _ image: Image) throws -> LabelMap {
                let map = try ImageIO.load(URL(fileURLWithPath: path))
                _ = try GuideConformance.check(path: path, width: map.width, height: map.height,
                                               imageWidth: image.width, imageHeight: image.height)
                let isDeepPhoto = LabelMap(image: map, palette: Palette.deepPhoto, path: path).unmatchedShare < 0.1
                return try LabelMap.load(URL(fileURLWithPath: path), palette: isDeepPhoto ? Palette.deepPhoto : nil)
            }
            reference = (try load(compareContent, contentImage), try load(compareStyle, styleImage))
        }
        let network = options.method == .features
            ? VGG19(weights: try weights.map { try VGGWeights.load(from: URL(fileURLWithPath: $0)) } ?? VGGWeights.loadInstalled())
            : nil
        let clock = ContinuousClock(), start = clock.now
        let result = try AutoMask.segment(content: contentImage, style: styleImage, network: network, options: options)
        let seconds = (clock.now - start).components
        let elapsed = Double(seconds.seconds) + Double(seconds.attoseconds) * 1e-18
        try ImageIO.save(result.contentMap, to: URL(fileURLWithPath: output))
        try ImageIO.save(result.styleMap, to: URL(fileURLWithPath: styleOutput))
        if let previewPath {
            try ImageIO.save(try result.preview(content: contentImage, style: styleImage), to: URL(fileURLWithPath: previewPath))
        }
        var agreement: RegionAgreement? = nil
        if let reference {
            let candidate = (LabelMap(image: result.contentMap, palette: try Palette(colors: result.colors), path: output),
                             LabelMap(image: result.styleMap, palette: try Palette(colors: result.colors), path: styleOutput))
            agreement = RegionAgreement.measure(candidate: candidate, reference: reference)
        }
        if json {
            var object: [String: Any] = [
                "method": options.method.rawValue, "regions": result.regionCount, "seconds": elapsed,
                "colors": result.colors.map(\.hex), "content_shares": result.contentShares, "style_shares": result.styleShares,
                "criterion": result.criterion.map {
                    ["regions": $0.regions, "kept": $0.kept, "separable": $0.separable, "silhouette": Double($0.silhouette)]
                },
                "notices": result.notices.map(\.message),
            ]
            if let agreement {
                object["iou_content"] = agreement.content
                object["iou_style"] = agreement.style
                object["iou_mean"] = agreement.mean
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for notice in result.notices { FileHandle.standardError.write(Data("\(notice)\n".utf8)) }
        let shares = result.colors.indices.map {
            "\(result.colors[$0]) \(String(format: "%.1f", 100 * result.contentShares[$0])) / \(String(format: "%.1f", 100 * result.styleShares[$0])) %"
        }
        print("\(result.regionCount) region\(result.regionCount == 1 ? "" : "s") (share of content / style): \(shares.joined(separator: ", ")) in \(String(format: "%.1f", elapsed)) s")
        print("wrote \(output), \(styleOutput)" + (previewPath.map { ", \($0)" } ?? ""))
        if let agreement {
            print(String(format: "mean IoU vs the reference maps: content %.3f, style %.3f", agreement.content, agreement.style))
        }
    }
}
