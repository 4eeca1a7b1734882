import Foundation
import NSTGuidance
import NSTImage
import NSTNetwork
import NSTTensor
import Testing
@testable import NSTTransfer
import NSTTestSupport

/// Two textures split at `split(x, y)`: orange stripes where true, blue-grey speckle elsewhere.
private func twoTextures(width: Int, height: Int, seed: UInt64, split: (Int, Int) -> Bool) -> Image {
    var rng = SplitMix64(seed: seed)
    var image = Image(width: width, height: height, channels: 3)
    for y in 0..<height {
        for x in 0..<width {
            let rgb: (Float, Float, Float)
            if split(x, y) {
                let t = 0.5 + 0.5 * sinf(Float(x + y) * 2 * .pi / 6)
                rgb = (0.55 + 0.4 * t, 0.3 + 0.25 * t, 0.1)
            } else {
                let v = rng.nextUnitFloat()
                rgb = (0.2 + 0.2 * v, 0.3 + 0.25 * v, 0.55 + 0.4 * v)
            }
            image[0, y, x] = rgb.0; image[1, y, x] = rgb.1; image[2, y, x] = rgb.2
        }
    }
    return image
}

@Suite("auto_masks in a run", .serialized)
struct AutoMaskRunTests {
    func configuration(in folder: URL) throws -> RunConfiguration {
        let content = folder.appendingPathComponent("content.png"), style = folder.appendingPathComponent("style.png")
        try ImageIO.save(twoTextures(width: 128, height: 96, seed: 1) { x, _ in x < 70 }, to: content)
        try ImageIO.save(twoTextures(width: 96, height: 128, seed: 2) { _, y in y >= 50 }, to: style)
        var config = RunConfiguration()
        config.content = content.path
        config.style = [style.path]
        config.output = folder.appendingPathComponent("out.png").path
        config.size = 96
        config.iterations = 3
        config.printEvery = 0
        config.autoMasks = .automatic
        return config
    }

    @Test("JSON: true chooses K, an integer asks for K, false and other values are rejected; absent stays absent")
    func decoding() throws {
        #expect(try RunConfiguration.decode(from: Data(#"{"auto_masks": true}"#.utf8)).autoMasks == .automatic)
        #expect(try RunConfiguration.decode(from: Data(#"{"auto_masks": 3}"#.utf8)).autoMasks == .count(3))
        for bad in [#"{"auto_masks": false}"#, #"{"auto_masks": "many"}"#] {
            #expect(throws: ConfigurationError.self) { try RunConfiguration.decode(from: Data(bad.utf8)) }
        }
        var config = RunConfiguration()
        let plain = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        #expect(!plain.contains("auto_masks"))
        config.autoMasks = .count(2)
        let encoded = try JSONEncoder().encode(config)
        #expect(try RunConfiguration.decode(from: encoded).autoMasks == .count(2))
        #expect(AutoMaskRegions(parsing: "auto") == .automatic && AutoMaskRegions(parsing: "4") == .count(4) && AutoMaskRegions(parsing: "x") == nil)
    }

    @Test("auto_masks conflicts with drawn masks, several styles and counts outside 1…9")
    func conflicts() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = try configuration(in: folder)
        var withMask = base
        withMask.contentMask = base.content
        var twoStyles = base
        twoStyles.style = base.style + base.style
        var zero = base
        zero.autoMasks = .count(0)
        for config in [withMask, twoStyles, zero] {
            do {
                try config.validate()
                Issue.record("expected an error")
            } catch let error as ConfigurationError {
                guard case .invalidValue(let key, _, _) = error else { Issue.record("\(error)"); continue }
                #expect(key == "auto_masks")
            }
        }
        var propagationOnly = base
        propagationOnly.propagation = .simple
        try propagationOnly.validate()   // auto_masks counts as spatial control: propagation is not idle
    }

    @Test("a run segments the images, writes both maps beside the output and is guided by them",
          .enabled(if: (try? realWeights.get()) != nil, "VGG-19 weights not installed"))
    func guidedRun() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try configuration(in: folder)
        let transfer = try StyleTransfer(configuration: config, weights: try realWeights.get())
        #expect(transfer.plan.autoMasks?.regionCount == 2)
        #expect(transfer.plan.guidance?.control.regions.count == 2)
        #expect(transfer.plan.notices.contains { $0.message.contains("automatic masks: 2 regions") })
        let result = try transfer.run()
        #expect(result.stopReason == .completed)
        let paths = RunConfiguration.autoMaskPaths(output: config.output)
        #expect(paths.content == folder.appendingPathComponent("out_content_mask.png").path)
        let contentMap = try ImageIO.load(URL(fileURLWithPath: paths.content))
        let styleMap = try ImageIO.load(URL(fileURLWithPath: paths.style))
        #expect(contentMap.width == 128 && contentMap.height == 96 && styleMap.width == 96 && styleMap.height == 128)
        // The stripes (left 70 columns of the content, bottom of the style) are one colour in both maps.
        let stripes = (contentMap[0, 48, 10], contentMap[1, 48, 10], contentMap[2, 48, 10])
        #expect(stripes == (styleMap[0, 110, 48], styleMap[1, 110, 48], styleMap[2, 110, 48]))
        #expect(stripes != (contentMap[0, 48, 120], contentMap[1, 48, 120], contentMap[2, 48, 120]))

        // One region asked for: no guidance (an unguided run).
        var one = config
        one.autoMasks = .count(1)
        one.output = folder.appendingPathComponent("one.png").path
        let single = try StyleTransfer(configuration: one, weights: try realWeights.get())
        #expect(single.plan.autoMasks?.regionCount == 1 && single.plan.guidance == nil)
    }
}
