import Foundation
import Testing
import NSTImage
@testable import NSTGuidance
import NSTTestSupport

@Suite struct LabelMapTests {
    /// MANIFEST: pair01 content mask has black 50.1, white 31.5, green 16.9 % (+ grey 0.1 %), off-palette 1.4 %.
    @Test(.needsSharedImages) func deepPhotoPaletteReproducesTheManifestShares() throws {
        let map = try LabelMap.load(sharedImageURL("masked/pair01_content_mask.png"), palette: .deepPhoto)
        #expect(map.regions.map(\.color.hex) == ["#00FF00", "#000000", "#FFFFFF"])
        #expect(abs((share(map, "black") ?? 0) - 0.501) < 0.0015)
        #expect(abs((share(map, "white") ?? 0) - 0.315) < 0.0015)
        #expect(abs((share(map, "green") ?? 0) - 0.169) < 0.0015)
        // The 0.1 % grey edge class falls below the minimum share and counts as unmatched with the off-palette pixels.
        #expect(map.droppedColors.map(\.color.hex) == ["#808080"])
        #expect(abs(map.unmatchedShare - 0.015) < 0.002)
        #expect(map.summary.description.contains("% of pixels in no region"))
        // Regions are disjoint binary guides.
        let total = map.regions.reduce(0.0) { $0 + $1.guide.mass } / Double(map.width * map.height)
        #expect(abs(total + map.unmatchedShare - 1) < 1e-9)
    }

    /// pair05 style: all nine palette colours; black is mostly #010101, which the tolerance absorbs.
    @Test(.needsSharedImages) func nineColourKitchenMap() throws {
        let map = try LabelMap.load(sharedImageURL("masked/pair05_style_mask.png"), palette: .deepPhoto)
        #expect(map.regions.count == 9)
        #expect(abs((share(map, "black") ?? 0) - 0.331) < 0.002)
        #expect(abs((share(map, "lightblue") ?? 0) - 0.012) < 0.002)
        #expect(abs(map.unmatchedShare - 0.031) < 0.003)
    }

    @Test(.needsSharedImages) func discoveredPaletteFindsTheMainColours() throws {
        let map = try LabelMap.load(sharedImageURL("masked/pair09_style_mask.png"))
        // White is a gradient #F8F8F8…#FFFFFF and red largely #FE0000: both still one region each.
        #expect(map.regions.count == 3)
        #expect(abs((share(map, "black") ?? 0) - 0.402) < 0.003)
        #expect(abs((share(map, "red") ?? 0) - 0.305) < 0.005)
        #expect(abs((share(map, "white") ?? 0) - 0.285) < 0.005)
    }

    /// Doodle maps use arbitrary colours (#FF331F, #C00000) that no fixed palette knows.
    @Test(.needsSharedImages) func doodleMapsWithArbitraryColours() throws {
        let style = try LabelMap.load(sharedImageURL("doodle/set01_style_mask.png"))
        let expected: [(String, Double)] = [("#FFFFFF", 0.384), ("#FF331F", 0.261), ("#0000FF", 0.172), ("#00FF00", 0.093), ("#C00000", 0.072)]
        #expect(style.regions.map(\.color.hex) == expected.map(\.0))
        for (hex, listed) in expected {
            let s = share(style, hex) ?? 0
            #expect(s >= listed - 0.001 && s < listed + 0.02, "\(hex): \(s)")
        }
        let content = try LabelMap.load(sharedImageURL("doodle/set01_content_mask.png"))
        let (pairs, notices) = try RegionPairing.pair(content: content, style: style)
        #expect(pairs.count == 5 && notices.isEmpty)
        for p in pairs { #expect(p.content.width == 512 && p.style.width == 512 && !p.content.isEmpty && !p.style.isEmpty) }
        // An explicit palette of the same colours gives the same regions.
        let palette = try Palette(colors: expected.map { try RegionColor(parsing: $0.0) }, tolerance: 0.1)
        let explicit = try LabelMap.load(sharedImageURL("doodle/set01_style_mask.png"), palette: palette)
        #expect(explicit.regions.map(\.guide) == style.regions.map(\.guide))
    }

    @Test(.needsSharedImages) func pairingMatchesColoursAndReportsUnusedStyleRegions() throws {
        let content = try LabelMap.load(sharedImageURL("masked/pair07_content_mask.png"), palette: .deepPhoto)
        let style = try LabelMap.load(sharedImageURL("masked/pair07_style_mask.png"), palette: .deepPhoto)
        let (pairs, notices) = try RegionPairing.pair(content: content, style: style)
        #expect(Set(pairs.map(\.color.hex)) == ["#0000FF", "#00FF00", "#FFFF00", "#FF0000"])
        #expect(notices.count == 1 && notices[0].message.contains("black"))
        #expect(RegionPairing.emptyRegionWarnings(pairs, contentPath: nil, stylePath: nil).isEmpty)
    }

    /// The style map of pair07 has a black region its content map lacks: used the other way round, black is missing.
    @Test(.needsSharedImages) func missingStyleColourListsBothMaps() throws {
        let content = try LabelMap.load(sharedImageURL("masked/pair07_style_mask.png"), palette: .deepPhoto)
        let style = try LabelMap.load(sharedImageURL("masked/pair07_content_mask.png"), palette: .deepPhoto)
        do {
            _ = try RegionPairing.pair(content: content, style: style)
            Issue.record("expected missingStyleRegion")
        } catch let GuidanceError.missingStyleRegion(contentPath, color, contentColors, stylePath, styleColors) {
            #expect(color == "black (#000000)")
            #expect(contentPath.hasSuffix("pair07_style_mask.png") && stylePath.hasSuffix("pair07_content_mask.png"))
            #expect(contentColors.count == 5 && styleColors.count == 4)
            let text = GuidanceError.missingStyleRegion(contentPath: contentPath, color: color, contentColors: contentColors,
                                                        stylePath: stylePath, styleColors: styleColors).description
            #expect(text.contains("yellow (#FFFF00)") && text.contains("tolerance"))
        }
    }

    @Test(.needsSharedImages) func sizeRuleResamplesSimilarAspectsAndRejectsOthers() throws {
        let map = try LabelMap.load(sharedImageURL("masked/pair01_content_mask.png"), palette: .deepPhoto)
        // 700×437 → 350×218: aspect 1.6018 vs 1.6055, within 1 %.
        let (small, notices) = try map.conformed(toWidth: 350, height: 218)
        #expect(notices.count == 1 && notices[0].description.contains("700×437") && notices[0].description.contains("350×218"))
        #expect(small.width == 350 && small.regions.allSatisfy { $0.guide.width == 350 && $0.guide.height == 218 })
        for (a, b) in zip(map.regions, small.regions) { #expect(abs(a.guide.share - b.guide.share) < 0.01) }
        #expect(try map.conformed(toWidth: 700, height: 437).notices.isEmpty)
        #expect(throws: GuidanceError.sizeMismatch(path: map.path, maskWidth: 700, maskHeight: 437, imageWidth: 700, imageHeight: 393)) {
            try map.conformed(toWidth: 700, height: 393)
        }
    }

    /// spatial/: JPEG guides stored as three equal channels, mostly 0 or 255, with JPEG noise at the edges.
    @Test(.needsSharedImages) func greyscaleJPEGGuidesPartitionTheImage() throws {
        let sky = try GuideConformance.loadMask(sharedImageURL("spatial/fig2_style1_mask_sky.jpg"), imageWidth: 800, imageHeight: 518)
        let nosky = try GuideConformance.loadMask(sharedImageURL("spatial/fig2_style1_mask_nosky.jpg"), imageWidth: 800, imageHeight: 518)
        #expect(sky.notices.isEmpty && nosky.notices.isEmpty)
        #expect(abs(sky.guide.share - 0.323) < 0.01 && abs(nosky.guide.share - 0.677) < 0.01)
        let mean = zip(sky.guide.values, nosky.guide.values).reduce(0.0) { $0 + Double(abs($1.0 + $1.1 - 1)) } / Double(sky.guide.count)
        #expect(mean < 0.01)
    }

    @Test(.needsSharedImages) func largeContentGuideIsResampledOrRefused() throws {
        let url = sharedImageURL("spatial/fig2_content_mask_sky.jpg")
        // 3090×2059 against 618×412: aspect 1.5007 vs 1.5.
        let (guide, notices) = try GuideConformance.loadMask(url, imageWidth: 618, imageHeight: 412)
        #expect(guide.width == 618 && guide.height == 412 && notices.count == 1)
        #expect(abs(guide.share - 0.277) < 0.01)
        do {
            _ = try GuideConformance.loadMask(url, imageWidth: 800, imageHeight: 600)
            Issue.record("expected sizeMismatch")
        } catch let e as GuidanceError {
            #expect(e.description.contains("3090×2059") && e.description.contains("800×600") && e.description.contains(url.path))
        }
    }

    @Test func roundingAtSmallSizesIsNoAspectMismatch() throws {
        // A 700×437 mask for an image scaled to 20 px: 20×12 (12.49 rounded), 4 % off in aspect, one pixel in size.
        #expect(try GuideConformance.check(path: "m.png", width: 700, height: 437, imageWidth: 20, imageHeight: 12) != nil)
        #expect(try GuideConformance.check(path: "m.png", width: 437, height: 700, imageWidth: 12, imageHeight: 20) != nil)
        // Two pixels off is another shape, at any size.
        #expect(throws: GuidanceError.self) {
            try GuideConformance.check(path: "m.png", width: 700, height: 437, imageWidth: 20, imageHeight: 10)
        }
        #expect(throws: GuidanceError.self) {
            try GuideConformance.check(path: "m.png", width: 800, height: 600, imageWidth: 800, imageHeight: 500)
        }
    }

    @Test func emptyMaskWarnsAndUnreadableMaskFails() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("empty.png")
        try ImageIO.save(Image(width: 8, height: 6, channels: 1), to: url)
        let (guide, notices) = try GuideConformance.loadMask(url, imageWidth: 8, imageHeight: 6)
        #expect(guide.isEmpty && notices.map(\.level) == [.warning])
        #expect(throws: ImageError.self) { try GuideConformance.loadMask(folder.appendingPathComponent("missing.png"), imageWidth: 8, imageHeight: 6) }
        // A label map in which nothing matches the palette.
        let grey = folder.appendingPathComponent("grey.png")
        try ImageIO.save(Image(width: 4, height: 4, channels: 3, pixels: [Float](repeating: 0.3, count: 48)), to: grey)
        #expect(throws: GuidanceError.noRegions(path: grey.path, unmatchedShare: 1, tolerance: 0.1)) {
            try LabelMap.load(grey, palette: .deepPhoto)
        }
    }

    @Test func coloursParseAndBadOnesAreRejected() throws {
        #expect(try RegionColor(parsing: "#FF331F").hex == "#FF331F")
        #expect(try RegionColor(parsing: "c00000").hex == "#C00000")
        #expect(try RegionColor(parsing: "#0f0").hex == "#00FF00")
        #expect(try RegionColor(parsing: "LightBlue").hex == "#00FFFF")
        #expect(throws: GuidanceError.invalidColor(value: "#12345", context: "a colour")) { try RegionColor(parsing: "#12345") }
        #expect(throws: GuidanceError.invalidTolerance(value: 0)) { try Palette(colors: [], tolerance: 0) }
    }
}
