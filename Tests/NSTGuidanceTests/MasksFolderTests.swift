import Foundation
import Testing
import NSTImage
@testable import NSTGuidance
import NSTTestSupport

/// The committed masks in Masks/ are what their JSON sources render to, and their regions pair up as documented.
@Suite struct MasksFolderTests {
    static let sources: [(json: String, png: String, size: (Int, Int)?)] = [
        ("chelsea_regions", "chelsea_regions", nil), ("astronaut_regions", "astronaut_regions", nil),
        ("coffee_regions", "coffee_regions", nil), ("style_halves", "style_halves_512", nil),
        ("style_thirds", "style_thirds_512", nil), ("style_grid6", "style_grid6_512", nil),
        ("style_halves", "style_halves_hubble", (1000, 872)),
    ]

    func url(_ name: String, _ ext: String) -> URL { packageRoot.appendingPathComponent("Masks/\(name).\(ext)") }

    @Test func committedPNGsMatchTheirJSON() throws {
        for source in MasksFolderTests.sources {
            let spec = try MaskSpec.load(url(source.json, "json"))
            let rendered = try MaskBuilder.render(spec, width: source.size?.0, height: source.size?.1)
            let committed = try ImageIO.load(url(source.png, "png"))
            #expect(committed.width == rendered.width && committed.height == rendered.height, "\(source.png)")
            let worst = zip(committed.pixels, rendered.pixels).map { abs($0 - $1) }.max() ?? 1
            #expect(worst <= 0.5 / 255 + 1e-6, "\(source.png): differs by \(worst)")
        }
    }

    @Test func contentMasksPairWithTheStyleGuides() throws {
        func map(_ name: String) throws -> LabelMap { try LabelMap.load(url(name, "png"), palette: .deepPhoto) }
        for (content, style, regions) in [("chelsea_regions", "style_thirds_512", 3), ("astronaut_regions", "style_grid6_512", 6),
                                          ("coffee_regions", "style_grid6_512", 4)] {
            let (pairs, _) = try RegionPairing.pair(content: try map(content), style: try map(style))
            #expect(pairs.count == regions, "\(content)")
            #expect(RegionPairing.emptyRegionWarnings(pairs, contentPath: nil, stylePath: nil).isEmpty)
        }
        // chelsea has three colours, the halves only two: green (the eyes) is missing there.
        #expect(throws: GuidanceError.self) { try RegionPairing.pair(content: try map("chelsea_regions"), style: try map("style_halves_512")) }
    }
}
