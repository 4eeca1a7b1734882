import CPNG
import Foundation

/// PNG through libpng's classic API (see Sources/CPNG/shim.h for why not the simplified one).
/// Reads 1–16-bit grey, grey+alpha, palette, RGB and RGBA; keeps stored sample values exactly (no gamma);
/// grey and grey+alpha become 1 channel, the rest 3; alpha and tRNS transparency are dropped, not composited.
enum PNGCodec {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func decode(_ data: Data, path: String) throws -> Image {
        try checkDeclaredSize(data, path: path)
        var header = nst_png_header()
        var message = [CChar](repeating: 0, count: Int(NST_PNG_MESSAGE_CAPACITY))
        let headerRead = data.withUnsafeBytes { raw in
            nst_png_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &header, nil, 0, &message)
        }
        guard headerRead == 1 else {
            throw ImageError.corrupt(path: path, format: "PNG", detail: SampleCoding.message(message))
        }
        let width = Int(header.width), height = Int(header.height)
        guard width * height <= ImageIO.maxPixelCount else {
            throw ImageError.tooLarge(path: path, width: width, height: height, limit: ImageIO.maxPixelCount)
        }
        let stride = Int(header.channels)
        guard (1...4).contains(stride), header.bitDepth == 8 || header.bitDepth == 16 else {
            throw ImageError.unsupported(path: path,
                                         detail: "PNG decodes to \(stride) channels of \(header.bitDepth) bits")
        }
        let rowBytes = header.rowBytes
        var bytes = [UInt8](repeating: 0, count: rowBytes * height)
        let pixelsRead = data.withUnsafeBytes { raw in
            bytes.withUnsafeMutableBufferPointer { out in
                nst_png_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &header,
                               out.baseAddress, out.count, &message)
            }
        }
        guard pixelsRead == 1 else {
            throw ImageError.corrupt(path: path, format: "PNG", detail: SampleCoding.message(message))
        }
        return SampleCoding.deinterleave(bytes, width: width, height: height, rowBytes: rowBytes, stride: stride,
                                         bytesPerSample: Int(header.bitDepth) / 8, channels: stride >= 3 ? 3 : 1)
    }

    /// Reads IHDR's width and height (bytes 16..<24, big-endian, IHDR must be the first chunk) before libpng
    /// sees the file, so a huge declared size is reported as such even when the rest of the file is missing,
    /// and before libpng's own per-side limit would call it corrupt.
    private static func checkDeclaredSize(_ data: Data, path: String) throws {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, bytes[12..<16].elementsEqual(Array("IHDR".utf8)) else { return }
        let field = { (at: Int) in bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        let width = field(16), height = field(20)
        guard width * height <= ImageIO.maxPixelCount else {
            throw ImageError.tooLarge(path: path, width: width, height: height, limit: ImageIO.maxPixelCount)
        }
    }

    static func encode(_ image: Image, bitDepth: PNGBitDepth, path: String) throws -> Data {
        let samples = SampleCoding.interleave(image, bytesPerSample: bitDepth.rawValue / 8)
        var sink = nst_png_sink()
        var message = [CChar](repeating: 0, count: Int(NST_PNG_MESSAGE_CAPACITY))
        let ok = samples.withUnsafeBufferPointer { rows in
            nst_png_encode(rows.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels),
                           Int32(bitDepth.rawValue), &sink, &message)
        }
        guard ok == 1, let bytes = sink.data else {
            throw ImageError.writeFailed(path: path, reason: "PNG encoder: \(SampleCoding.message(message))")
        }
        defer { free(bytes) }
        return Data(bytes: bytes, count: sink.size)
    }
}
