import ArgumentParser
import Foundation
import NSTImage
import NSTTransfer

/// `nst-exp refine`: the guided-filter refinement of a stylized image with its content as the guide (`GuidedFilter`),
/// the post-process of the photorealistic preset applied to any image.
struct RefineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refine",
        abstract: "Guided-filter refinement of a stylized image, with the content image as the guide.",
        discussion: """
            nst-exp refine out.png --content content.png --output out_refined.png
            Every (2r+1)² window of the image is replaced by its best ridge-regularised affine function of the content's \
            RGB, averaged over the windows covering each pixel (He, Sun & Tang 2010): local colour changes stay, \
            distortions that are not a colour transform of the content go. The content is resampled to the image's \
            size (aspect ratios within 1 %). The same refinement runs inside a run with the key guided_filter_radius.
            """)

    @Argument(help: "The image to refine (a stylized output of --content).")
    var image: String

    @Option(help: "The content image the image was made from: the guide.")
    var content: String

    @Option(help: "Window radius r (windows of (2r+1)² pixels).")
    var radius: Int = GuidedFilter.presetRadius

    @Option(help: "ε of the guided filter: the ridge on each window's affine fit, with images in [0, 1]; larger smooths more.")
    var epsilon: Double = GuidedFilter.presetEpsilon

    @Option(help: "Where to write the refined image (.png or .jpg).")
    var output: String

    func validate() throws {
        // The bounds of the run keys guided_filter_radius (without 0, "off") and guided_filter_epsilon.
        guard (1...RunLimits.maxGuidedFilterRadius).contains(radius) else {
            throw ValidationError("--radius must be from 1 to \(RunLimits.maxGuidedFilterRadius), got \(radius)")
        }
        guard epsilon >= RunLimits.minimumEpsilon, epsilon <= 1, epsilon.isFinite else {
            throw ValidationError("--epsilon must be in [\(RunLimits.minimumEpsilon), 1] (smaller is lost in float rounding), got \(epsilon)")
        }
        try refuseCollision(inputs: [("the image", image), ("--content", content)], outputs: [("--output", output)],
                            writing: "the refined image")
        // Before the filtering (minutes on large images at a large radius), not after it.
        guard ImageFormat(pathExtension: URL(fileURLWithPath: output).pathExtension) != nil else {
            throw ValidationError("--output \(output): end the name in .png or .jpg")
        }
        try refuseUnwritable([("--output", output)])
    }

    func run() throws {
        let picture = try ImageIO.load(URL(fileURLWithPath: image)).toRGB()
        let source = try ImageIO.load(URL(fileURLWithPath: content)).toRGB()
        let guide = try contentGuide(source, path: content, for: picture, at: image, purpose: "refine")
        let refined = GuidedFilter.refine(picture, guide: guide, radius: radius, epsilon: epsilon)
        try ImageIO.save(refined, to: URL(fileURLWithPath: output))
        print("wrote \(output) (\(picture.width)×\(picture.height), r = \(radius), ε = \(epsilon))")
    }
}
