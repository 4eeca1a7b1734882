import Foundation
import Testing
import NSTTestSupport
@testable import NSTImage

func randomImage(width: Int, height: Int, channels: Int, seed: UInt64) -> Image {
    var rng = SplitMix64(seed: seed)
    let pixels = (0..<(width * height * channels)).map { _ in Float.random(in: 0...1, using: &rng) }
    return Image(width: width, height: height, channels: channels, pixels: pixels)
}

/// Builds PNG files byte by byte (PNG spec, ISO/IEC 15948), independent of libpng, so the decoder is tested
/// on colour types and depths the shared images lack. IDAT uses zlib "stored" (uncompressed) deflate blocks.
enum PNGBytes {
    static func file(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, rows: [[UInt8]],
                     chunksBeforeData: [(String, [UInt8])] = []) -> Data {
        var ihdr = bigEndian32(width) + bigEndian32(height)
        ihdr += [bitDepth, colorType, 0, 0, 0]
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        bytes += chunk("IHDR", ihdr)
        for (type, body) in chunksBeforeData { bytes += chunk(type, body) }
        let scanlines: [UInt8] = rows.flatMap { row in [UInt8(0)] + row }  // filter type 0 (None) before every row
        bytes += chunk("IDAT", zlibStored(scanlines))
        bytes += chunk("IEND", [])
        return Data(bytes)
    }

    static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        return bigEndian32(body.count) + typed + bigEndian32(Int(crc32(typed)))
    }

    /// zlib header 0x78 0x01, stored blocks (BFINAL bit, LEN, ~LEN little-endian), Adler-32 big-endian (RFC 1950/1951).
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            out += [final, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            out += data[offset..<(offset + length)]
            offset += length
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        return out + bigEndian32(Int(b << 16 | a))
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian32(_ value: Int) -> [UInt8] {
        [UInt8((value >> 24) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func bigEndian16(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
}

/// The integer code a decoded sample came from, at the given maximum (255 or 65535).
func code(_ value: Float, max: Float) -> Int { Int((value * max).rounded()) }
