import Foundation
import Testing
@testable import NSTImage
import NSTTestSupport

@Suite("Writing and reading back")
struct RoundTripTests {
    /// An image already on the 8-bit grid, so PNG must reproduce it bit for bit.
    private func quantized(_ image: Image, levels: Float) -> Image {
        Image(width: image.width, height: image.height, channels: image.channels,
              pixels: image.pixels.map { ($0 * levels).rounded() / levels })
    }

    @Test("8-bit PNG round trip is exact, RGB and grey", arguments: [1, 3])
    func pngEightBit(channels: Int) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = quantized(randomImage(width: 37, height: 23, channels: channels, seed: 7), levels: 255)
        let url = folder.appendingPathComponent("out.png")
        try ImageIO.save(original, to: url)
        let loaded = try ImageIO.load(url)
        #expect((loaded.width, loaded.height, loaded.channels) == (37, 23, channels))
        #expect(loaded.pixels.map { code($0, max: 255) } == original.pixels.map { code($0, max: 255) })
    }

    @Test("16-bit PNG round trip keeps 16-bit codes exactly")
    func pngSixteenBit() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = quantized(randomImage(width: 19, height: 11, channels: 3, seed: 11), levels: 65535)
        let url = folder.appendingPathComponent("deep.PNG")
        try ImageIO.save(original, to: url, pngBitDepth: .sixteen)
        let loaded = try ImageIO.load(url)
        #expect(loaded.pixels.map { code($0, max: 65535) } == original.pixels.map { code($0, max: 65535) })
    }

    @Test("JPEG at quality 95 is close to the original photo; lower quality is further away", .needsSharedImages)
    func jpegQuality() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let photo = try ImageIO.load(sharedImageURL("masked/pair01_content.png"))
            .cropped(x: 100, y: 100, width: 256, height: 192)
        func meanAbsoluteError(quality: Int) throws -> Float {
            let url = folder.appendingPathComponent("q\(quality).jpg")
            try ImageIO.save(photo, to: url, quality: quality)
            let loaded = try ImageIO.load(url)
            #expect((loaded.width, loaded.height, loaded.channels) == (256, 192, 3))
            return zip(loaded.pixels, photo.pixels).map { abs($0 - $1) }.reduce(0, +) / Float(photo.pixels.count)
        }
        let high = try meanAbsoluteError(quality: 95)
        let low = try meanAbsoluteError(quality: 20)
        #expect(high < 0.01)
        #expect(low > high)
    }

    @Test("a grey image saved as JPEG stays one channel")
    func jpegGrey() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("grey.jpeg")
        let grey = Image(width: 16, height: 8, channels: 1, pixels: (0..<128).map { Float($0 % 16) / 15 })
        try ImageIO.save(grey, to: url)
        let loaded = try ImageIO.load(url)
        #expect(loaded.channels == 1)
        #expect(zip(loaded.pixels, grey.pixels).allSatisfy { abs($0 - $1) < 0.03 })
    }

    @Test("saving clamps to 0...1, maps NaN to 0 and rounds to the nearest code")
    func clampsAndRounds() throws {
        let image = Image(width: 6, height: 1, channels: 1,
                          pixels: [.nan, -0.5, 1.7, 0.5, 0.3 / 255, 0.6 / 255])
        let loaded = try ImageIO.decode(try ImageIO.encode(image, as: .png), name: "clamped.png")
        #expect(loaded.pixels.map { code($0, max: 255) } == [0, 0, 255, 128, 0, 1])
    }

    @Test("saving replaces an existing file and leaves no temporary files behind")
    func atomicReplace() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("result.png")
        try ImageIO.save(Image(width: 4, height: 4, channels: 3), to: url)
        try ImageIO.save(Image(width: 8, height: 2, channels: 1, pixels: [Float](repeating: 1, count: 16)), to: url)
        let loaded = try ImageIO.load(url)
        #expect((loaded.width, loaded.height, loaded.channels) == (8, 2, 1))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["result.png"])
    }
}
