import ArgumentParser
import Foundation
import NSTGuidance
import NSTNetwork
import NSTTransfer

/// `nst-exp placement`: did each region of a guided output take its own style region's texture (`Placement`)?
struct PlacementCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "placement",
        abstract: "Guided style distance of each output region to each style region, the placement ratio per region, and the style's own separability.",
        discussion: """
            nst-exp placement out.png --style style.png --content-mask content_mask.png --style-mask style_mask.png --size 256
            Regions pair the two label maps' colours as a guided run does. L[r][q] = Σ_l s_l·mean((G^r_l − A^q_l)²) over
            relu1_1…relu5_1 (region-mean Gram matrices, guides area-resampled, s_l = 1/N_l²); ratio_r = min over q≠r of
            L[r][q] / L[r][r]: above 1 region r is nearer its own style region's texture than any other's. Per-layer
            ratios show where a region went wrong. separability = the same ratio scored by each half of the style region,
            its own distance taken to the other half (geometric mean): about what a second sample of the texture scores;
            below 1.5 the style regions cannot be told apart ("not separable").
            verdict: placed (ratio ≥ 3), weak (1–3), wrong (< 1), not separable. The goal counts regions ≥ 5 % of the image.
            --json prints, per image, {"image", "style", "content_mask", "style_mask", "output_size", "style_size",
            "placement": {"regions": [{"name", "share", "ratio", "nearest_other", "layer_ratios", "separability",
            "verdict"}], "layers", "matrix", "layer_matrices", "style_matrix", "style_half_ratios",
            "geometric_mean_ratio", "worst_ratio", "meets_goal", "goal", "minimum_share", "separable_at", "definition"}};
            one image gives one object, several an array.
            Exit status 0 even when the goal is not met (the figures are the result); 1 on bad input.
            """)

    @Argument(help: "Output image(s) to measure, e.g. the results of runs that differ only in --propagation.")
    var images: [String]

    @Option(help: "The style image the output was made from.")
    var style: String

    @Option(name: .customLong("content-mask"), help: "Colour label map of the content (where each region lies in the output).")
    var contentMask: String

    @Option(name: .customLong("style-mask"), help: "Colour label map of the style image.")
    var styleMask: String

    @Option(help: "Scale the output's longest side to this many pixels first (0 keeps its size); the style is scaled to match.")
    var size: Int = 0

    @Option(name: .customLong("style-scale"), help: "Style longest side as a multiple of the output's (as the run's style_scale).")
    var styleScale: Double = 1

    @Option(help: "Label map colours: auto (discover) or deep-photo (the nine deep-photo-styletransfer codes).")
    var palette: String = "auto"

    @Option(name: .customLong("mask-tolerance"), help: "Largest per-channel difference for a pixel to match a colour.")
    var maskTolerance: Float = 0.1

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one output image") }
        guard size >= 0 else { throw ValidationError("--size must be ≥ 0 (0 keeps the image's size), got \(size)") }
        guard styleScale.isFinite, styleScale > 0, styleScale <= Double(RunLimits.maxStyleScale) else {
            throw ValidationError("--style-scale must be in (0, \(RunLimits.maxStyleScale)], got \(styleScale)")
        }
        if size > 0, let problem = RunLimits.sideProblem(Int((Double(size) * max(1, styleScale)).rounded()),
                                                          option: styleScale > 1 ? "--size × --style-scale" : "--size") {
            throw ValidationError(problem)
        }
        guard maskTolerance > 0, maskTolerance <= 1 else { throw ValidationError("--mask-tolerance must be in (0, 1], got \(maskTolerance)") }
        guard MaskPalette(rawValue: palette) != nil else { throw ValidationError("--palette \(palette): use " + MaskPalette.allCases.map(\.rawValue).joined(separator: " or ")) }
    }

    func run() throws {
        let paletteColors: Palette? = MaskPalette(rawValue: palette) == .deepPhoto
            ? try Palette(colors: RegionColor.deepPhotoPalette.map(\.color), tolerance: maskTolerance) : nil
        try checkDecodable(images)
        let network = VGG19(weights: try VGGWeights.loadInstalled())
        var results: [Placement.FileMeasurement] = []
        for (index, path) in images.enumerated() {
            let (m, notices) = try Placement.measureFiles(
                network: network, output: URL(fileURLWithPath: path), style: URL(fileURLWithPath: style),
                contentMask: URL(fileURLWithPath: contentMask), styleMask: URL(fileURLWithPath: styleMask),
                palette: paletteColors, tolerance: maskTolerance, size: size > 0 ? size : nil, styleScale: styleScale)
            if index == 0 { for n in notices { FileHandle.standardError.write(Data("\(n)\n".utf8)) } }
            if json {
                results.append(m)
            } else {
                if index > 0 { print("") }
                print("\(path)  (output \(m.outputSize[0])×\(m.outputSize[1]), style \(m.styleSize[0])×\(m.styleSize[1]))")
                print(m.placement.table)
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = results.count == 1 ? try encoder.encode(results[0]) : try encoder.encode(results)
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
