import Foundation
import NSTImage
import Testing
import NSTTestSupport
@testable import NSTTransfer

@Suite("Guided-filter refinement")
struct GuidedFilterTests {
    let helpers = PhotorealismTests()

    @Test("q = p − (M p) / n_i: the filter is the matting Laplacian's local affine fit (explicit matrix, 3×3 and 5×5)",
          arguments: [(12, 10, 1), (17, 13, 2)])
    func matchesTheLaplacian(width: Int, height: Int, radius: Int) {
        let image = helpers.contentImage(width: width, height: height, seed: 5)
        let n = width * height, side = 2 * radius + 1
        let explicit = MattingLaplacian.explicitMatrix(image: image, width: width, height: height, radius: radius, epsilon: 1e-4)
        let laplacian = MattingLaplacian(image: image, width: width, height: height, radius: radius, epsilon: 1e-4)
        let p = helpers.randomPlane(n, seed: 11)
        var q = [Double](repeating: 0, count: n)
        p.withUnsafeBufferPointer { pb in q.withUnsafeMutableBufferPointer { laplacian.guidedFilter(pb.baseAddress!, into: $0.baseAddress!) } }
        var worst = 0.0
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                // n_i: window centres (inside the image) within `radius` of i.
                let cx = (max(x - radius, radius)...min(x + radius, width - 1 - radius)).count
                let cy = (max(y - radius, radius)...min(y + radius, height - 1 - radius)).count
                var mp = 0.0
                for j in 0..<n { mp += explicit[i * n + j] * Double(p[j]) }
                worst = max(worst, abs(q[i] - (Double(p[i]) - mp / Double(cx * cy))))
            }
        }
        #expect(side <= min(width, height) && worst < 1e-9, "max |Δ| \(worst)")
    }

    @Test("an image that is an affine function of the guide comes back unchanged; refining noise lowers its matting energy")
    func affineImagesAreFixedAndEnergyDrops() {
        let width = 40, height = 30, n = width * height
        let guidePixels = helpers.contentImage(width: width, height: height, seed: 8)
        let guide = Image(width: width, height: height, channels: 3, pixels: guidePixels)
        var affine = Image(width: width, height: height, channels: 3)
        for i in 0..<n {
            let r = guidePixels[i], g = guidePixels[n + i], b = guidePixels[2 * n + i]
            affine.pixels[i] = 0.1 + 0.5 * r + 0.2 * g
            affine.pixels[n + i] = 0.3 * g + 0.3 * b
            affine.pixels[2 * n + i] = 0.9 - 0.6 * b
        }
        let kept = GuidedFilter.refine(affine, guide: guide, radius: 1, epsilon: 1e-8)
        let change = zip(kept.pixels, affine.pixels).map { abs($0 - $1) }.max() ?? 1
        #expect(change < 2e-3, "max change \(change)")

        let noisy = Image(width: width, height: height, channels: 3, pixels: helpers.randomPlane(3 * n, seed: 2))
        let refined = GuidedFilter.refine(noisy, guide: guide, radius: 1, epsilon: 1e-4)
        let laplacian = MattingLaplacian(image: guidePixels, width: width, height: height)
        let before = laplacian.meanEnergy(of: noisy.pixels), after = laplacian.meanEnergy(of: refined.pixels)
        #expect(after < 0.25 * before, "energy \(before) → \(after)")
        #expect(refined.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Larger ε smooths more: the refined image moves further from the input.
        let smoother = GuidedFilter.refine(noisy, guide: guide, radius: 1, epsilon: 1e-1)
        func distance(_ a: Image) -> Float { zip(a.pixels, noisy.pixels).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }
        #expect(distance(smoother) > distance(refined))
    }

    @Test("an image smaller than a window is returned as it is")
    func tinyImages() {
        let image = Image(width: 2, height: 5, channels: 3, pixels: helpers.randomPlane(30, seed: 1))
        #expect(GuidedFilter.refine(image, guide: image, radius: 1, epsilon: 1e-4) == image)
    }
}

/// `guided_filter_radius` and `guided_filter_epsilon`: the refinement as a run setting.
@Suite("Guided-filter run setting")
struct GuidedFilterSettingTests {
    @Test("off by default, on in the photorealistic preset, out-of-range values refused with the key")
    func keys() throws {
        #expect(RunConfiguration().guidedFilterRadius == 0)
        let preset = try RunConfiguration.decode(from: Data(#"{"photorealistic": true}"#.utf8))
        #expect(preset.guidedFilterRadius == GuidedFilter.presetRadius && preset.guidedFilterEpsilon == GuidedFilter.presetEpsilon)
        let off = try RunConfiguration.decode(from: Data(#"{"photorealistic": true, "guided_filter_radius": 0}"#.utf8))
        #expect(off.guidedFilterRadius == 0, "an explicit key overrides the preset")
        let defaults = String(decoding: try JSONEncoder().encode(RunConfiguration()), as: UTF8.self)
        #expect(!defaults.contains("guided_filter"), "runs without the filter keep their configuration hash")
        for (json, key) in [(#"{"guided_filter_radius": 17}"#, "guided_filter_radius"), (#"{"guided_filter_radius": -1}"#, "guided_filter_radius"),
                            (#"{"guided_filter_epsilon": 0}"#, "guided_filter_epsilon"), (#"{"guided_filter_epsilon": 2}"#, "guided_filter_epsilon")] {
            var config = try RunConfiguration.decode(from: Data(json.utf8))
            config.content = "c.png"; config.style = ["s.png"]
            #expect { try config.validate() } throws: { error in
                guard case ConfigurationError.invalidValue(let named, _, _) = error else { return false }
                return named == key
            }
        }
    }

    @Test("a run with the filter saves its unfiltered twin refined by the content photo, and lowers the matting energy")
    func runRefinesTheOutput() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var plain = tinyConfiguration(output: folder.appendingPathComponent("plain.png"))
        plain.iterations = 4
        var refined = plain
        refined.output = folder.appendingPathComponent("refined.png").path
        refined.guidedFilterRadius = 2
        refined.guidedFilterEpsilon = 1e-4
        let a = try StyleTransfer(configuration: plain, weights: tinyWeights)
        let b = try StyleTransfer(configuration: refined, weights: tinyWeights)
        let unfiltered = try a.run().image, filtered = try b.run().image
        let guide = try a.plan.content.toRGB().resized(width: unfiltered.width, height: unfiltered.height)
        #expect(filtered.pixels == GuidedFilter.refine(unfiltered, guide: guide, radius: 2, epsilon: 1e-4).pixels)
        #expect(filtered.pixels != unfiltered.pixels)
        let saved = try ImageIO.load(URL(fileURLWithPath: refined.output))
        #expect(zip(saved.pixels, filtered.pixels).allSatisfy { abs($0 - $1) <= 0.5 / 255 + 1e-6 }, "the saved file is the refined image")
        #expect(try b.photorealismEnergy(of: filtered) < a.photorealismEnergy(of: unfiltered))
    }

    @Test("the memory estimate counts one matting Laplacian for the photorealism term and one for the filter")
    func memoryEstimateCountsTheLaplacians() throws {
        let base = tinyConfiguration(output: URL(fileURLWithPath: "/tmp/unused.png"))
        let plan = try base.plan()
        let pixels = plan.stages.map { $0.width * $0.height }.max() ?? 0
        func estimate(_ config: RunConfiguration) -> Int { config.memoryEstimate(stages: plan.stages, styles: plan.styles, images: []).network }
        var filtered = base, both = base
        filtered.guidedFilterRadius = 2
        both.guidedFilterRadius = 2
        both.termSettings[PhotorealismTerm.weight.key] = 1
        #expect(estimate(filtered) - estimate(base) == MattingLaplacian.bytesPerPixel * pixels)
        #expect(estimate(both) - estimate(base) == 2 * MattingLaplacian.bytesPerPixel * pixels)
    }
}
