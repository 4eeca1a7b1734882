import Foundation
import Testing
@testable import NSTImage

@Suite("EXIF orientation")
struct ExifOrientationTests {
    enum Corner: CaseIterable { case topLeft, topRight, bottomLeft, bottomRight }

    /// Where the stored top-left (white) and top-right (grey) marks must appear on display, from the EXIF 2.3
    /// definitions ("the 0th row is the visual …, the 0th column is the visual …").
    static let expected: [Int: (white: Corner, grey: Corner)] = [
        1: (.topLeft, .topRight), 2: (.topRight, .topLeft), 3: (.bottomRight, .bottomLeft),
        4: (.bottomLeft, .bottomRight), 5: (.topLeft, .bottomLeft), 6: (.topRight, .bottomRight),
        7: (.bottomRight, .topRight), 8: (.bottomLeft, .topLeft),
    ]

    /// An APP1 segment (marker, length, "Exif\0\0", TIFF header, IFD0 with one SHORT entry 0x0112).
    static func exifSegment(orientation: Int, bigEndian: Bool) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: Int) -> [UInt8] { bigEndian ? u16(v >> 16) + u16(v & 0xFFFF) : u16(v & 0xFFFF) + u16(v >> 16) }
        var tiff: [UInt8] = bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]
        tiff += u16(42) + u32(8)
        // A decoy tag first, so the parser has to walk the entries rather than read the first one.
        tiff += u16(2) + u16(0x010F) + u16(2) + u32(4) + Array("Cam\0".utf8)
        tiff += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0)
        tiff += u32(0)
        let payload = Array("Exif\0\0".utf8) + tiff
        return [0xFF, 0xE1] + PNGBytes.bigEndian16(payload.count + 2) + payload
    }

    /// 40×24 black picture with a white 8×8 block at the top-left and a mid-grey one at the top-right.
    static func markedJPEG() throws -> [UInt8] {
        var image = Image(width: 40, height: 24, channels: 3)
        for c in 0..<3 {
            for y in 0..<8 {
                for x in 0..<8 {
                    image[c, y, x] = 1
                    image[c, y, 32 + x] = 0.5
                }
            }
        }
        return [UInt8](try ImageIO.encode(image, as: .jpeg))
    }

    static func cornerMean(_ image: Image, _ corner: Corner) -> Float {
        let grey = image.toGrey()
        let x0 = corner == .topLeft || corner == .bottomLeft ? 0 : grey.width - 8
        let y0 = corner == .topLeft || corner == .topRight ? 0 : grey.height - 8
        var sum: Float = 0
        for y in y0..<(y0 + 8) { for x in x0..<(x0 + 8) { sum += grey[0, y, x] } }
        return sum / 64
    }

    @Test("each orientation 1…8 moves the marked corners and swaps axes where it should",
          arguments: 1...8, [false, true])
    func appliesOrientation(orientation: Int, bigEndian: Bool) throws {
        let jpeg = try Self.markedJPEG()
        // The APP1 segment goes right after SOI (FF D8), where cameras put it.
        let spliced = Data(jpeg[0..<2] + Self.exifSegment(orientation: orientation, bigEndian: bigEndian) + jpeg[2...])
        let image = try ImageIO.decode(spliced, name: "oriented-\(orientation).jpg")
        let swapped = orientation >= 5
        #expect((image.width, image.height) == (swapped ? (24, 40) : (40, 24)))
        guard let marks = Self.expected[orientation] else { Issue.record("no expectation"); return }
        for corner in Corner.allCases {
            let mean = Self.cornerMean(image, corner)
            let target: Float = corner == marks.white ? 1 : corner == marks.grey ? 0.5 : 0
            #expect(abs(mean - target) < 0.05, "orientation \(orientation): \(corner) mean \(mean), expected \(target)")
        }
    }

    @Test("parser: missing tag, bad byte order and out-of-range values give nil")
    func parserRejects() {
        let valid = Array(Self.exifSegment(orientation: 6, bigEndian: true).dropFirst(4))
        #expect(ExifOrientation.parse(app1: valid) == .rotate90)
        var badOrder = valid
        badOrder[6] = 0x58
        #expect(ExifOrientation.parse(app1: badOrder) == nil)
        #expect(ExifOrientation.parse(app1: Array(Self.exifSegment(orientation: 9, bigEndian: false).dropFirst(4))) == nil)
        #expect(ExifOrientation.parse(app1: Array(valid.prefix(20))) == nil)
        #expect(ExifOrientation.parse(app1: Array("Exif\0\0".utf8)) == nil)
    }
}
