import ArgumentParser
import Foundation
import NSTGuidance
import NSTImage
import NSTTransfer

/// `nst-exp boundary`: how an image behaves along a mask boundary (`BoundaryEnergy`), e.g. hard against feathered guides.
struct BoundaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "boundary",
        abstract: "Gradient energy along a mask's boundary against each side's interior: ratio > 1 a seam, < 1 a texture-poor band.",
        discussion: """
            nst-exp boundary hard.png feathered.png --mask halves.png --band 3
            The mask (greyscale or RGB, luma ≥ 0.5 is inside) is resampled to each image's size if the aspect ratio agrees
            within 1 %. Columns: band = mean squared gradient within BAND pixels of the boundary; inside/outside = the
            same for each side beyond the band; expected = the band's mean if every pixel had its own side's interior
            mean; ratio = band/expected; deviation = |ln ratio|.
            With --label-map the mask is a colour label map (as --content-mask of stylize): one row per region, its
            boundary against the rest of the image.
            """)

    @Argument(help: "Images to measure (e.g. the outputs of runs that differ only in --feather).")
    var images: [String]

    @Option(help: "Mask whose boundary is measured.")
    var mask: String

    @Option(help: "Half-width of the boundary band in pixels.")
    var band: Int = 3

    @Option(help: "Scale each image's longest side to this many pixels first (0 keeps its size), e.g. to compare outputs made at different sizes.")
    var size: Int = 0

    @Flag(name: .customLong("label-map"), help: "Read --mask as a colour label map and measure every region's boundary.")
    var labelMap = false

    @Option(help: "Label map colours with --label-map: auto (discover) or deep-photo.")
    var palette: String = "auto"

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        guard band >= 0 else { throw ValidationError("--band must be ≥ 0, got \(band)") }
        guard size >= 0 else { throw ValidationError("--size must be ≥ 0 (0 keeps the image's size), got \(size)") }
        if let problem = RunLimits.sideProblem(size, option: "--size") { throw ValidationError(problem) }
        guard MaskPalette(rawValue: palette) != nil else { throw ValidationError("--palette \(palette): use " + MaskPalette.allCases.map(\.rawValue).joined(separator: " or ")) }
    }

    func run() throws {
        try checkDecodable(images)
        if labelMap { return try runLabelMap() }
        print(["band", "inside", "outside", "expected", "ratio", "deviation", "image"].joined(separator: "\t"))
        for path in images {
            let image = try load(path)
            let (guide, notices) = try GuideConformance.loadMask(URL(fileURLWithPath: mask), imageWidth: image.width,
                                                                 imageHeight: image.height)
            for notice in notices { FileHandle.standardError.write(Data("\(notice)\n".utf8)) }
            let e = try BoundaryEnergy(image: image, mask: guide, band: band)
            let numbers = [e.band, e.insideInterior, e.outsideInterior, e.expected].map { String(format: "%.5g", $0) }
                + [e.ratio, e.deviation].map { String(format: "%.3f", $0) }
            print((numbers + [path]).joined(separator: "\t"))
        }
    }

    private func load(_ path: String) throws -> Image {
        let image = try ImageIO.load(URL(fileURLWithPath: path))
        return size > 0 && size != max(image.width, image.height) ? try image.resized(longestSide: size) : image
    }

    /// One row per region of a colour label map: the region's boundary against the rest.
    private func runLabelMap() throws {
        let colors: Palette? = MaskPalette(rawValue: palette) == .deepPhoto
            ? try Palette(colors: RegionColor.deepPhotoPalette.map(\.color)) : nil
        let map = try LabelMap.load(URL(fileURLWithPath: mask), palette: colors)
        print(["band", "inside", "outside", "expected", "ratio", "deviation", "share", "region", "image"].joined(separator: "\t"))
        for (index, path) in images.enumerated() {
            let image = try load(path)
            let (conformed, notices) = try map.conformed(toWidth: image.width, height: image.height)
            if index == 0 { for notice in notices { FileHandle.standardError.write(Data("\(notice)\n".utf8)) } }
            for region in conformed.regions {
                let e = try BoundaryEnergy(image: image, mask: region.guide, band: band)
                let numbers = [e.band, e.insideInterior, e.outsideInterior, e.expected].map { String(format: "%.5g", $0) }
                    + [e.ratio, e.deviation, region.share].map { String(format: "%.3f", $0) }
                print((numbers + [region.color.description, path]).joined(separator: "\t"))
            }
        }
    }
}
