import Foundation
import NSTGuidance
import NSTImage
import NSTNetwork
import NSTTensor
import Testing
@testable import NSTTransfer
import NSTTestSupport

/// End-to-end spatial control on the real VGG-19: the example images with the masks of Masks/, and the real masks of
/// ../shared/images when that folder is present.
@Suite("Spatial control in the transfer", .serialized)
struct SpatialTransferTests {
    /// A small guided run: real weights, L-BFGS, content init.
    func guidedConfiguration(output: URL, size: Int = 128, iterations: Int = 40) -> RunConfiguration {
        var config = RunConfiguration()
        config.output = output.path
        config.size = size
        config.iterations = iterations
        config.printEvery = 0
        return config
    }

    func run(_ config: RunConfiguration) throws -> (plan: RunPlan, result: TransferResult, network: VGG19) {
        let transfer = try StyleTransfer(configuration: config, weights: try realWeights.get())
        return (transfer.plan, try transfer.run(), transfer.network)
    }

    @Test("chelsea (Masks/chelsea_regions.png): the cat takes ihc.png's texture, the background hubble_deep_field.jpg's")
    func exampleTwoStylePlacement() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = guidedConfiguration(output: folder.appendingPathComponent("chelsea.png"), iterations: 60)
        config.content = exampleImage("content/chelsea.png")
        config.contentMask = maskFile("chelsea_regions.png")
        config.palette = .deepPhoto
        config.style = [exampleImage("styles/ihc.png"), exampleImage("styles/hubble_deep_field.jpg")]
        var cat = RegionSpec(), eyes = RegionSpec(), background = RegionSpec()
        cat.color = "white"
        eyes.color = "green"
        background.color = "black"; background.style = 1
        config.regions = [cat, eyes, background]
        let (plan, result, network) = try run(config)
        #expect(result.stopReason == .completed && result.image.width == 128)
        let regions = try #require(plan.guidance?.control.regions)
        #expect(regions.count == 3 && regions.map(\.styleIndex) == [0, 0, 1])
        let first = try #require(result.history.first?.losses.style), last = try #require(result.history.last?.losses.style)
        #expect(last < 0.5 * first, "guided style loss \(first) → \(last)")
        for name in ["relu2_1", "relu3_1"] {
            let d = try regionDistances(output: result.image, plan: plan, network: network, layer: try LayerName(name))
            try #require(d.count == 3 && d.allSatisfy { $0.count == 3 }, "\(name): distances \(d)")
            // Region 0 (cat) and 2 (background) against each other's target: each nearer its own (swapped textures
            // would give ratios above 1). Measured after 60 iterations: cat below 0.5 at both layers, background 0.72
            // at relu2_1 and below 0.5 at relu3_1.
            #expect(d[0][0] < 0.8 * d[0][2], "\(name) cat: own \(d[0][0]), background's \(d[0][2])")
            #expect(d[2][2] < 0.8 * d[2][0], "\(name) background: own \(d[2][2]), cat's \(d[2][0])")
        }
    }

    @Test("pair04 (Tübingen → Starry Night, 3 anti-aliased colour regions): each output region takes its own region's texture",
          .needsSharedImages)
    func maskedPairPlacement() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = guidedConfiguration(output: folder.appendingPathComponent("guided.png"), iterations: 60)
        config.content = sharedImage("masked/pair04_content.png")
        config.style = [sharedImage("masked/pair04_style.png")]
        config.contentMask = sharedImage("masked/pair04_content_mask.png")
        config.styleMasks = [sharedImage("masked/pair04_style_mask.png")]
        let (plan, result, network) = try run(config)
        #expect(result.stopReason == .completed)
        #expect(plan.guidance?.control.regions.count == 3)
        #expect(plan.notices.contains { $0.message.contains("% of pixels in no region") })
        let first = try #require(result.history.first?.losses.style), last = try #require(result.history.last?.losses.style)
        #expect(last < 0.3 * first, "guided style loss \(first) → \(last)")
        for name in ["relu2_1", "relu3_1"] {
            let layer = try LayerName(name)
            let before = try regionDistances(output: try plan.content.resized(width: result.image.width, height: result.image.height),
                                             plan: plan, network: network, layer: layer)
            let d = try regionDistances(output: result.image, plan: plan, network: network, layer: layer)
            try #require(d.count == 3 && before.count == 3, "\(name): distances \(d), content photo \(before)")
            for r in d.indices {
                let others = d[r].indices.filter { $0 != r }.map { d[r][$0] }
                // Clearly lower: at least 1.5 times closer than to any other region's target (measured after 60
                // iterations: 1.8–7.5 times), and closer than the content photo itself was (the texture came from
                // the optimisation, not from the photo).
                #expect(d[r][r] < (others.min() ?? 0) / 1.5, "\(name) region \(r): own \(d[r][r]), others \(others)")
                #expect(d[r][r] < before[r][r], "\(name) region \(r): own \(d[r][r]) vs content photo \(before[r][r])")
            }
        }
    }

    @Test("Gatys Fig. 2 two-style guides (spatial/): Tübingen's sky from style 2's sky, the rest from style 1's non-sky",
          .needsSharedImages)
    func twoStyleGuides() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The Fig. 2 content photo is not in shared/ (its 3090×2059 guides do not fit any photo we have), so the
        // content is pair04's Tübingen with its own label map; the style guides are the paper's.
        var config = guidedConfiguration(output: folder.appendingPathComponent("fig2.png"), size: 96, iterations: 40)
        config.content = sharedImage("masked/pair04_content.png")
        config.contentMask = sharedImage("masked/pair04_content_mask.png")
        config.style = [sharedImage("spatial/fig2_style1.jpg"), sharedImage("spatial/fig2_style2.jpg")]
        var sky = RegionSpec(), town = RegionSpec(), tree = RegionSpec()
        sky.color = "black"; sky.style = 1; sky.styleGuide = sharedImage("spatial/fig2_style2_mask_sky.jpg")
        town.color = "white"; town.styleGuide = sharedImage("spatial/fig2_style1_mask_nosky.jpg")
        tree.color = "green"; tree.styleGuide = town.styleGuide
        config.regions = [sky, town, tree]
        let (plan, result, network) = try run(config)
        #expect(result.stopReason == .completed && result.image.width == 96)
        #expect(plan.guidance?.control.propagation.mode == .simple)   // the default with two style images
        let first = try #require(result.history.first?.losses.style), last = try #require(result.history.last?.losses.style)
        #expect(last < 0.5 * first, "guided style loss \(first) → \(last)")
        for name in ["relu2_1", "relu3_1"] {
            let d = try regionDistances(output: result.image, plan: plan, network: network, layer: try LayerName(name))
            try #require(d.count == 3 && d.allSatisfy { $0.count == 3 }, "\(name): distances \(d)")
            #expect(d[0][0] < 0.5 * d[0][1], "\(name) sky: own \(d[0][0]), town's \(d[0][1])")
            #expect(d[1][1] < 0.5 * d[1][0], "\(name) town: own \(d[1][1]), sky's \(d[1][0])")
        }
    }

    @Test("doodle set03 (Seth → Gogh portrait, both label maps) runs end to end and places face and background",
          .needsSharedImages)
    func doodle() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = guidedConfiguration(output: folder.appendingPathComponent("doodle.png"), size: 96, iterations: 40)
        config.content = sharedImage("doodle/set03_content.jpg")
        config.contentMask = sharedImage("doodle/set03_content_mask.png")
        config.style = [sharedImage("doodle/set03_style.jpg")]
        config.styleMasks = [sharedImage("doodle/set03_style_mask.png")]
        config.featherRadius = 2
        let (plan, result, network) = try run(config)
        #expect(result.stopReason == .completed)
        let regions = try #require(plan.guidance?.control.regions)
        #expect(regions.count == 4)
        let first = try #require(result.history.first?.losses.style), last = try #require(result.history.last?.losses.style)
        #expect(last < 0.5 * first, "guided style loss \(first) → \(last)")
        // The two large regions, red (face, 43 %) and blue (background, 40 %).
        let face = try #require(regions.firstIndex { $0.name.contains("#FF0000") || $0.name.hasPrefix("red") })
        let background = try #require(regions.firstIndex { $0.name.contains("#0000FF") || $0.name.hasPrefix("blue") })
        let d = try regionDistances(output: result.image, plan: plan, network: network, layer: try LayerName("relu2_1"))
        try #require(d.count == 4 && d.allSatisfy { $0.count == 4 }, "distances \(d)")
        #expect(d[face][face] < 0.5 * d[face][background], "face: own \(d[face][face]), background's \(d[face][background])")
        #expect(d[background][background] < 0.5 * d[background][face], "background: own \(d[background][background]), face's \(d[background][face])")
    }
}
