import ArgumentParser
import Foundation
import NSTImage
import NSTTransfer

/// `nst-exp photorealism`: the mean matting-Laplacian energy of images given their content image (`MattingLaplacian`).
struct PhotorealismCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "photorealism",
        abstract: "Mean matting-Laplacian energy of each image given the content: lower is more photorealistic.",
        discussion: """
            nst-exp photorealism out.png deep_photo.png --content pair01_content.png
            energy = (1/N) Σ_c V_cᵀ M_I V_c with images RGB in [0, 1]: for every (2r+1)² window and channel, the residual of \
            the best ridge-regularised affine fit of the image to the content's RGB (Levin et al. 2008), per pixel. \
            The content is resampled to each image's size (the aspect ratios must agree within 1 %). A copy of the \
            content scores 0; it is the value of the photorealism term divided by photorealism_weight.
            """)

    @Argument(help: "Images to measure (e.g. stylized outputs of the same content).")
    var images: [String]

    @Option(help: "The content image the outputs were made from.")
    var content: String

    @Option(help: "Window side of the matting Laplacian, odd.")
    var window: Int = 3

    @Option(help: "ε of the matting Laplacian.")
    var epsilon: Double = 1e-7

    @Option(help: "Resample each image to this longest side first (e.g. to compare outputs made at different sizes); default: as is.")
    var size: Int?

    @Flag(help: "Print one JSON object per image instead of a table.")
    var json = false

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image to measure") }
        guard window >= 3, window % 2 == 1 else { throw ValidationError("--window must be odd and ≥ 3, got \(window)") }
        guard epsilon >= RunLimits.minimumEpsilon, epsilon <= 1, epsilon.isFinite else {
            throw ValidationError("--epsilon must be in [\(RunLimits.minimumEpsilon), 1] (smaller is lost in float rounding), got \(epsilon)")
        }
        if let size, size < window { throw ValidationError("--size must be at least the window (\(window)), got \(size)") }
        if let size, let problem = RunLimits.sideProblem(size, option: "--size") { throw ValidationError(problem) }
    }

    func run() throws {
        let source = try ImageIO.load(URL(fileURLWithPath: content)).toRGB()
        try checkDecodable(images)
        if !json { print(["energy", "width", "height", "image"].joined(separator: "\t")) }
        for path in images {
            var image = try ImageIO.load(URL(fileURLWithPath: path)).toRGB()
            if let size, max(image.width, image.height) != size { image = try image.resized(longestSide: size) }
            guard min(image.width, image.height) >= window else {
                // No whole window fits: the energy would be 0, the score of a perfectly photorealistic image.
                throw ValidationError("\(path) is \(image.width)×\(image.height), smaller than the \(window)×\(window) window; "
                    + "use a smaller --window or a larger --size")
            }
            let guide = try contentGuide(source, path: content, for: image, at: path, purpose: "measure")
            let laplacian = MattingLaplacian(image: guide.pixels, width: image.width, height: image.height,
                                             radius: window / 2, epsilon: epsilon)
            let energy = laplacian.meanEnergy(of: image.pixels)
            if json {
                let escaped = path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                print("{\"image\": \"\(escaped)\", \"energy\": \(energy), \"width\": \(image.width), \"height\": \(image.height)}")
            } else {
                print([String(format: "%.6g", energy), "\(image.width)", "\(image.height)", path].joined(separator: "\t"))
            }
        }
    }
}
