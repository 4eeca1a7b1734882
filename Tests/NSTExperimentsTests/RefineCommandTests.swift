import Foundation
import NSTImage
import NSTTransfer
import Testing
import NSTTestSupport

/// `nst-exp refine` and `nst-exp photorealism` as a user runs them, on synthetic images (no ../shared needed).
@Suite struct RefineCommandTests {
    let folder: URL
    init() throws { folder = try temporaryFolder() }

    /// A smooth colour ramp (the content photo) and the same ramp with a 2-px checker painted over it (a "stylized"
    /// image whose texture is no local colour transform of the content).
    static func images(width: Int = 60, height: Int = 40) -> (content: Image, textured: Image) {
        var content = Image(width: width, height: height, channels: 3), textured = content
        for y in 0..<height { for x in 0..<width {
            let rgb: [Float] = [Float(x) / Float(width), Float(y) / Float(height), 0.5]
            let bump: Float = ((x / 2) + (y / 2)) % 2 == 0 ? 0.2 : -0.2
            for c in 0..<3 { content[c, y, x] = rgb[c]; textured[c, y, x] = min(max(rgb[c] + bump, 0), 1) }
        } }
        return (content, textured)
    }

    func save(_ image: Image, _ name: String) throws -> String { try Fixtures.save(image, name, in: folder) }

    @Test func refineWritesTheFilteredImageAndPhotorealismScoresItLower() throws {
        let exe = try nstExecutable()
        let (contentImage, texturedImage) = Self.images()
        let content = try save(contentImage, "content.png"), textured = try save(texturedImage, "textured.png")
        let output = folder.appendingPathComponent("refined.png").path
        let refine = try ChildProcess.run(exe, ["refine", textured, "--content", content, "--radius", "2", "--epsilon", "1e-4",
                                                "--output", output])
        #expect(refine.status == 0 && refine.output.contains("refined.png"), "\(refine.output)")
        let refined = try ImageIO.load(URL(fileURLWithPath: output))
        let expected = GuidedFilter.refine(try ImageIO.load(URL(fileURLWithPath: textured)), guide: try ImageIO.load(URL(fileURLWithPath: content)),
                                           radius: 2, epsilon: 1e-4)
        #expect(refined.width == 60 && refined.height == 40)
        #expect(zip(refined.pixels, expected.pixels).allSatisfy { abs($0 - $1) <= 0.5 / 255 + 1e-6 }, "the file is GuidedFilter.refine's result")

        let measured = try ChildProcess.run(exe, ["photorealism", textured, output, "--content", content, "--json"])
        #expect(measured.status == 0, "\(measured.output)")
        let energies = measured.output.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["energy"] as? Double
        }
        #expect(energies.count == 2 && energies[1] < 0.5 * energies[0], "refining removes most of the texture's energy: \(energies)")

        // An image of another aspect ratio was not made from this content: both commands say so and name the files.
        let wide = try save(Image(width: 90, height: 30, channels: 3), "wide.png")
        for arguments in [["refine", wide, "--content", content, "--output", folder.appendingPathComponent("x.png").path],
                          ["photorealism", wide, "--content", content]] {
            let bad = try ChildProcess.run(exe, arguments)
            #expect(bad.status != 0 && bad.output.contains("wide.png") && bad.output.contains("aspect ratios differ"), "\(bad.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("x.png").path))
    }
}
