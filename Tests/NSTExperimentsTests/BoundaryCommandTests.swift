import Foundation
import NSTImage
import Testing
@testable import NSTExperiments
import NSTTestSupport

/// `nst-exp boundary` as a user runs it on images and a mask.
@Suite struct BoundaryCommandTests {
    let folder: URL
    init() throws { folder = try temporaryFolder() }

    /// A 64×32 grey checker whose right half is brighter (a hard seam at x = 32) or cross-faded over 16 pixels.
    func image(fade: Int) -> Image {
        var image = Image(width: 64, height: 32, channels: 1)
        for y in 0..<32 { for x in 0..<64 {
            let t = fade == 0 ? (x < 32 ? Float(0) : 1) : min(max(Float(x - 32 + fade / 2) / Float(fade), 0), 1)
            image[0, y, x] = 0.3 + 0.4 * t + 0.03 * ((x + y) % 2 == 0 ? 1 : -1)
        } }
        return image
    }

    @Test func ratiosRankAHardSeamAboveACrossFadeAndBadMasksAreErrors() throws {
        let exe = try nstExecutable()
        let hard = folder.appendingPathComponent("hard.png"), faded = folder.appendingPathComponent("faded.png")
        try ImageIO.save(image(fade: 0), to: hard)
        try ImageIO.save(image(fade: 16), to: faded)
        // The mask at twice the size (same aspect): resampled with a notice.
        var mask = Image(width: 128, height: 64, channels: 1)
        for y in 0..<64 { for x in 0..<64 { mask.pixels[y * 128 + x] = 1 } }
        let maskURL = folder.appendingPathComponent("left.png")
        try ImageIO.save(mask, to: maskURL)

        let result = try ChildProcess.run(exe, ["boundary", hard.path, faded.path, "--mask", maskURL.path, "--band", "2"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("mask is 128×64, image is 64×32: resampled"))
        let rows = result.output.split(separator: "\n").filter { $0.hasSuffix(".png") && !$0.hasPrefix("notice") }
            .map { $0.split(separator: "\t") }
        try #require(rows.count == 2 && rows.allSatisfy { $0.count > 4 }, "\(result.output)")
        let ratios = rows.map { Double(String($0[4])) ?? .nan }
        #expect(ratios[0] > 3 && ratios[1] < ratios[0] / 3, "ratios \(ratios)")

        let wide = folder.appendingPathComponent("wide.png")
        try ImageIO.save(Image(width: 100, height: 32, channels: 1), to: wide)
        let bad = try ChildProcess.run(exe, ["boundary", hard.path, "--mask", wide.path])
        #expect(bad.status != 0 && bad.output.contains("is 100×32 but its image is 64×32"), "\(bad.output)")
    }
}
