import Foundation
import Testing
@testable import NSTImage
import NSTTestSupport

@Suite("Decoding real images", .needsSharedImages)
struct RealImageDecodingTests {
    @Test("baseline colour JPEG: tubingen.jpg is 1024×768 RGB with varied content")
    func baselineJPEG() throws {
        let image = try ImageIO.load(sharedImageURL("gatys/tubingen.jpg"))
        #expect((image.width, image.height, image.channels) == (1024, 768, 3))
        #expect(image.pixels.allSatisfy { (0...1).contains($0) })
        // A photo, not a flat fill: its red and blue planes differ and the samples spread over the range.
        let plane = image.width * image.height
        let red = image.pixels[0..<plane].reduce(0, +) / Float(plane)
        let blue = image.pixels[(2 * plane)...].reduce(0, +) / Float(plane)
        #expect(abs(red - blue) > 0.005)
        #expect((image.pixels.max() ?? 0) - (image.pixels.min() ?? 0) > 0.9)
    }

    @Test("greyscale JPEG: escher_sphere.jpg decodes to one channel, 960×1475")
    func greyscaleJPEG() throws {
        let image = try ImageIO.load(sharedImageURL("gatys/escher_sphere.jpg"))
        #expect((image.width, image.height, image.channels) == (960, 1475, 1))
    }

    @Test("progressive JPEG: frida_kahlo.jpg decodes to 384×500 RGB")
    func progressiveJPEG() throws {
        let url = sharedImageURL("gatys/frida_kahlo.jpg")
        let bytes = [UInt8](try Data(contentsOf: url))
        // Guard the premise: the file really carries an SOF2 (progressive) marker.
        #expect(zip(bytes, bytes.dropFirst()).contains { $0 == 0xFF && $1 == 0xC2 })
        let image = try ImageIO.load(url)
        #expect((image.width, image.height, image.channels) == (384, 500, 3))
    }

    @Test("RGB PNG: masked/pair01_content.png decodes to 700×437×3")
    func rgbPNG() throws {
        let image = try ImageIO.load(sharedImageURL("masked/pair01_content.png"))
        #expect((image.width, image.height, image.channels) == (700, 437, 3))
        #expect((image.pixels.max() ?? 0) > (image.pixels.min() ?? 0))
    }

    @Test("the format comes from the magic bytes, not the extension")
    func sniffsFormat() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let misnamed = folder.appendingPathComponent("actually-a-jpeg.png")
        try FileManager.default.copyItem(at: sharedImageURL("gatys/frida_kahlo.jpg"), to: misnamed)
        let image = try ImageIO.load(misnamed)
        #expect((image.width, image.height) == (384, 500))
    }
}

@Suite("Decoding PNG colour types and depths")
struct PNGVariantTests {
    /// Colour-space chunks a 16-bit file may carry: none, sRGB, gAMA 1/2.2 and gAMA 1.0 (linear).
    static let colourTags: [[(String, [UInt8])]] = [
        [], [("sRGB", [0])], [("gAMA", PNGBytes.bigEndian32(45455))], [("gAMA", PNGBytes.bigEndian32(100_000))],
    ]

    @Test("16-bit grey keeps every 16-bit code, whatever gamma the file declares (no gamma is applied)",
          arguments: 0..<4)
    func sixteenBitGrey(tag: Int) throws {
        let codes = [0, 1, 2, 257, 32768, 40000, 65534, 65535]
        let data = PNGBytes.file(width: 4, height: 2, bitDepth: 16, colorType: 0,
                                 rows: [codes[0..<4].flatMap(PNGBytes.bigEndian16),
                                        codes[4..<8].flatMap(PNGBytes.bigEndian16)],
                                 chunksBeforeData: Self.colourTags[tag])
        let image = try ImageIO.decode(data, name: "grey16.png")
        #expect((image.width, image.height, image.channels) == (4, 2, 1))
        #expect(image.pixels.map { code($0, max: 65535) } == codes)
    }

    @Test("16-bit RGBA: colour codes kept exactly, alpha dropped")
    func sixteenBitRGBA() throws {
        let pixels = [[1000, 2000, 3000, 0], [65535, 1, 30000, 65535]]
        let data = PNGBytes.file(width: 2, height: 1, bitDepth: 16, colorType: 6,
                                 rows: [pixels.flatMap { $0.flatMap(PNGBytes.bigEndian16) }])
        let image = try ImageIO.decode(data, name: "rgba16.png")
        #expect((image.width, image.height, image.channels) == (2, 1, 3))
        // Planar: R of both pixels, then G, then B; a fully transparent pixel keeps its colour.
        #expect(image.pixels.map { code($0, max: 65535) } == [1000, 65535, 2000, 1, 3000, 30000])
    }

    @Test("8-bit grey+alpha gives one channel of the grey values")
    func greyAlpha() throws {
        let data = PNGBytes.file(width: 3, height: 1, bitDepth: 8, colorType: 4,
                                 rows: [[10, 255, 128, 0, 250, 77]])
        let image = try ImageIO.decode(data, name: "greyalpha.png")
        #expect(image.channels == 1)
        #expect(image.pixels.map { code($0, max: 255) } == [10, 128, 250])
    }

    @Test("8-bit RGBA gives three channels, alpha dropped")
    func rgba() throws {
        let data = PNGBytes.file(width: 2, height: 1, bitDepth: 8, colorType: 6,
                                 rows: [[1, 2, 3, 0, 200, 100, 50, 255]])
        let image = try ImageIO.decode(data, name: "rgba.png")
        #expect(image.channels == 3)
        #expect(image.pixels.map { code($0, max: 255) } == [1, 200, 2, 100, 3, 50])
    }

    @Test("4-bit palette with tRNS expands to the palette colours; transparency ignored")
    func palette() throws {
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 12, 34, 56]
        // Indices 3,0 | 1,2 packed two per byte (high nibble first); width 3 leaves the last nibble as padding.
        let data = PNGBytes.file(width: 3, height: 2, bitDepth: 4, colorType: 3,
                                 rows: [[0x30, 0x10], [0x21, 0x30]],
                                 chunksBeforeData: [("PLTE", palette), ("tRNS", [0, 128])])
        let image = try ImageIO.decode(data, name: "palette.png")
        #expect((image.width, image.height, image.channels) == (3, 2, 3))
        let indices = [3, 0, 1, 2, 1, 3]
        let expected = (0..<3).flatMap { c in indices.map { Int(palette[$0 * 3 + c]) } }
        #expect(image.pixels.map { code($0, max: 255) } == expected)
    }

    @Test("2-bit grey expands 0…3 to 0, 85, 170, 255")
    func lowBitGrey() throws {
        let data = PNGBytes.file(width: 4, height: 1, bitDepth: 2, colorType: 0, rows: [[0b00_01_10_11]])
        let image = try ImageIO.decode(data, name: "grey2.png")
        #expect(image.pixels.map { code($0, max: 255) } == [0, 85, 170, 255])
    }
}
