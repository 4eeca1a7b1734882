import ArgumentParser
import Foundation
import NSTGuidance
import NSTImage

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
            """)

    @Argument(help: "Images to measure (e.g. the outputs of runs that differ only in --feather).")
    var images: [String]

    @Option(help: "Mask whose boundary is measured.")
    var mask: String

    @Option(help: "Half-width of the boundary band in pixels.")
    var band: Int = 3

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        guard band >= 0 else { throw ValidationError("--band must be ≥ 0, got \(band)") }
    }

    func run() throws {
        print(["band", "inside", "outside", "expected", "ratio", "deviation", "image"].joined(separator: "\t"))
        for path in images {
            let image = try ImageIO.load(URL(fileURLWithPath: path))
            let (guide, notices) = try GuideConformance.loadMask(URL(fileURLWithPath: mask), imageWidth: image.width,
                                                                 imageHeight: image.height)
            for notice in notices { FileHandle.standardError.write(Data("\(notice)\n".utf8)) }
            let e = try BoundaryEnergy(image: image, mask: guide, band: band)
            let numbers = [e.band, e.insideInterior, e.outsideInterior, e.expected].map { String(format: "%.5g", $0) }
                + [e.ratio, e.deviation].map { String(format: "%.3f", $0) }
            print((numbers + [path]).joined(separator: "\t"))
        }
    }
}
