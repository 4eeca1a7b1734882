import Foundation
import NSTGuidance
import NSTImage
import Testing
@testable import NSTTransfer
import NSTTestSupport

/// Spatial-control keys of the run configuration and their validation before any work.
struct SpatialConfigurationTests {
    /// coffee.png (600×400; Masks/coffee_regions.png: black, red, white, yellow) in the style of astronaut.png
    /// (512×512; Masks/astronaut_regions.png: those four, blue and green).
    func examplePair() -> RunConfiguration {
        var config = RunConfiguration()
        config.content = exampleImage("content/coffee.png")
        config.style = [exampleImage("content/astronaut.png")]
        config.palette = .deepPhoto   // the colours of Masks/, anti-aliased edges in no region
        config.output = FileManager.default.temporaryDirectory.appendingPathComponent("nst-spatial-unused.png").path
        config.size = 64
        return config
    }

    @Test("spatial keys decode in snake_case, round-trip, and typos name the nearest key")
    func keys() throws {
        let json = """
            {"content": "c.png", "style": ["a.png", "b.png"], "content_mask": "cm.png", "style_masks": ["am.png", null],
             "regions": [{"color": "#00FF00", "style": 1, "style_guide": "sky.jpg", "weight": 0.5, "content_weight": 2}],
             "propagation": "all", "erosion": -1, "feather_radius": 4, "region_weighting": "area",
             "content_region_weights": {"green": 2}, "mask_tolerance": 0.2, "palette": "deep-photo"}
            """
        let config = try RunConfiguration.decode(from: Data(json.utf8))
        #expect(config.styleMasks == ["am.png", nil])
        #expect(config.regions.first?.style == 1 && config.regions.first?.styleGuide == "sky.jpg" && config.regions.first?.contentWeight == 2)
        #expect(config.propagation == .all && config.erosion == -1 && config.featherRadius == 4)
        #expect(config.regionWeighting == .area && config.palette == .deepPhoto && config.contentRegionWeights == ["green": 2])
        #expect(try RunConfiguration.decode(from: try JSONEncoder().encode(config)) == config)
        #expect(try RunConfiguration.decode(from: Data(#"{"style_masks": "m.png"}"#.utf8)).styleMasks == ["m.png"])

        #expect(throws: ConfigurationError.unknownKey(path: "regions[0].colour", suggestion: "color")) {
            try RunConfiguration.decode(from: Data(#"{"regions": [{"colour": "red"}]}"#.utf8))
        }
        #expect(throws: ConfigurationError.unknownKey(path: "feathr_radius", suggestion: "feather_radius")) {
            try RunConfiguration.decode(from: Data(#"{"feathr_radius": 3}"#.utf8))
        }
        #expect(throws: ConfigurationError.self) { try RunConfiguration.decode(from: Data(#"{"propagation": "outside"}"#.utf8)) }
    }

    @Test("a mask whose aspect ratio differs is an error naming both sizes and the file")
    func wrongAspect() throws {
        var config = examplePair()   // coffee, 600×400
        let mask = maskFile("astronaut_regions.png")   // 512×512: the astronaut's map, not the coffee's
        var region = RegionSpec()
        region.contentGuide = mask
        config.regions = [region]
        let error = try #require(throws: ConfigurationError.self) { try config.plan() }
        guard case let .guidance(key, .sizeMismatch(path, mw, mh, iw, ih)) = error else {
            Issue.record("expected a size mismatch, got \(error)"); return
        }
        #expect(key == "regions[0].content_guide" && path == mask)
        #expect((mw, mh, iw, ih) == (512, 512, 600, 400))
        #expect(error.description.contains("512×512") && error.description.contains("600×400") && error.description.contains(mask))
    }

    @Test("a mask of the same aspect ratio within 1 % is resampled with a notice", .needsSharedImages)
    func resampledMask() throws {
        var config = examplePair()
        config.content = sharedImage("gatys/tubingen.jpg")            // 1024×768, the same photo as pair04 at full size
        config.style = [sharedImage("gatys/starry_night.jpg")]        // 1024×640 vs the 700×437 map: 0.1 % apart
        config.contentMask = sharedImage("masked/pair04_content_mask.png")
        config.styleMasks = [sharedImage("masked/pair04_style_mask.png")]
        let plan = try config.plan()
        let resampled = plan.notices.filter { $0.message.contains("resampled the mask") }
        #expect(resampled.count == 2)
        #expect(plan.guidance?.control.regions.allSatisfy { $0.contentGuide.width == 1024 && $0.styleGuide.width == 1024 } == true)
    }

    @Test("a content colour missing from the style map is an error listing both maps' colours")
    func missingColor() throws {
        var config = examplePair()
        config.content = exampleImage("content/chelsea.png")
        config.contentMask = maskFile("chelsea_regions.png")                 // white, black, green
        config.style = [exampleImage("content/coffee.png")]
        config.styleMasks = [maskFile("coffee_regions.png")]                 // black, red, white, yellow: no green
        let error = try #require(throws: ConfigurationError.self) { try config.plan() }
        guard case let .guidance(_, .missingStyleRegion(_, color, contentColors, stylePath, styleColors)) = error else {
            Issue.record("expected a missing style region, got \(error)"); return
        }
        #expect(stylePath.hasSuffix("coffee_regions.png") && color.contains("green"))
        #expect(contentColors.count == 3 && styleColors.count == 4 && contentColors.contains(color))
        #expect(error.description.contains("yellow") && error.description.contains("black"))

        var explicit = examplePair()
        explicit.content = exampleImage("content/chelsea.png")
        explicit.contentMask = maskFile("chelsea_regions.png")
        var region = RegionSpec()
        region.color = "purple"
        explicit.regions = [region]
        let missing = try #require(throws: ConfigurationError.self) { try explicit.plan() }
        guard case .guidance("regions[0].color", .missingContentRegion) = missing else {
            Issue.record("expected a missing content region, got \(missing)"); return
        }
    }

    @Test("an empty region is a warning, not an error; masks may be greyscale or RGB")
    func emptyRegion() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = examplePair()
        let empty = try writeMask("empty.png", in: folder, width: 600, height: 400) { _, _ in false }
        let left = try writeMask("left.png", in: folder, width: 600, height: 400) { x, _ in x < 300 }
        var a = RegionSpec(), b = RegionSpec()
        a.contentGuide = empty
        b.contentGuide = left
        b.styleGuide = maskFile("astronaut_regions.png")   // RGB, read as grey
        config.regions = [a, b]
        let plan = try config.plan()
        #expect(plan.notices.contains { $0.level == .warning && $0.path == empty && $0.message.contains("empty") })
        let regions = try #require(plan.guidance?.control.regions)
        #expect(regions.count == 2 && regions[0].contentGuide.isEmpty && abs(regions[1].contentGuide.share - 0.5) < 1e-6)
        #expect(regions[1].styleGuide.width == 512 && regions[1].styleGuide.height == 512)
    }

    @Test("guidance-only keys without masks, style_blend with masks and bad values are rejected")
    func misuse() throws {
        var config = examplePair()
        config.featherRadius = 3
        #expect(throws: ConfigurationError.invalidValue(key: "feather_radius", value: "set",
            hint: "it has no effect without content_mask or regions; add a content label map or remove it")) { try config.plan() }
        config = examplePair()
        config.contentMask = maskFile("coffee_regions.png")
        #expect(throws: ConfigurationError.self) { try config.plan() }   // no style map for the one style
        config.styleMasks = [maskFile("astronaut_regions.png")]
        config.styleBlend = [1]
        #expect(throws: ConfigurationError.self) { try config.plan() }
        config.styleBlend = nil
        config.contentRegionWeights = ["orange": 2]
        let error = try #require(throws: ConfigurationError.self) { try config.plan() }
        #expect(error.description.contains("content_region_weights.orange") && error.description.contains("black"))
        config.contentRegionWeights = ["black": 0.5]
        let weights = try #require(try config.plan().guidance?.contentRegionWeights)
        #expect(weights.sorted() == [0.5, 1, 1, 1])
    }
}
