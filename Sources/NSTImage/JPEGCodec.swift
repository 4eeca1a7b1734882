import CJPEG
import Foundation

/// JPEG through libjpeg(-turbo) via the setjmp-guarded C functions in Sources/CJPEG/shim.h.
/// Baseline and progressive, greyscale (1 channel) and YCbCr/RGB (3 channels); CMYK/YCCK is refused.
/// The EXIF orientation is applied, so the result is upright as a viewer would show it.
enum JPEGCodec {
    static let signature: [UInt8] = [0xFF, 0xD8, 0xFF]
    private static let messageCapacity = 256
    /// An APP1 segment holds at most 65533 payload bytes (16-bit length includes itself).
    private static let exifCapacity = 65536

    static func decode(_ data: Data, path: String) throws -> Image {
        var header = nst_jpeg_header()
        var message = [CChar](repeating: 0, count: messageCapacity)
        var exif = [UInt8](repeating: 0, count: exifCapacity)
        let headerRead = data.withUnsafeBytes { raw in
            nst_jpeg_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &header, &exif, exif.count,
                            nil, 0, &message, message.count)
        }
        guard headerRead == 1 else { throw corrupt(path, message) }
        let width = Int(header.width), height = Int(header.height), components = Int(header.components)
        if header.colorSpace == Int32(JCS_CMYK.rawValue) || header.colorSpace == Int32(JCS_YCCK.rawValue) {
            throw ImageError.unsupported(path: path, detail: "CMYK/YCCK JPEGs (print colour) are not supported")
        }
        guard components == 1 || components == 3 else {
            throw ImageError.unsupported(path: path, detail: "JPEG with \(components) colour components")
        }
        guard width * height <= ImageIO.maxPixelCount else {
            throw ImageError.tooLarge(path: path, width: width, height: height, limit: ImageIO.maxPixelCount)
        }
        var bytes = [UInt8](repeating: 0, count: width * height * components)
        let pixelsRead = data.withUnsafeBytes { raw in
            bytes.withUnsafeMutableBufferPointer { out in
                nst_jpeg_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &header, &exif, exif.count,
                                out.baseAddress, out.count, &message, message.count)
            }
        }
        guard pixelsRead == 1 else { throw corrupt(path, message) }
        let image = SampleCoding.deinterleave(bytes, width: width, height: height, rowBytes: width * components,
                                              stride: components, bytesPerSample: 1, channels: components)
        let orientation = ExifOrientation.parse(app1: Array(exif.prefix(header.exifLength))) ?? .identity
        return image.oriented(orientation)
    }

    /// Baseline JPEG, 4:4:4, optimised Huffman tables; `quality` in 1...100 (libjpeg's scale).
    static func encode(_ image: Image, quality: Int, path: String) throws -> Data {
        let samples = SampleCoding.interleave(image, bytesPerSample: 1)
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: messageCapacity)
        let ok = samples.withUnsafeBufferPointer { rows in
            nst_jpeg_encode(rows.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels),
                            Int32(quality), &output, &size, &message, message.count)
        }
        guard ok == 1, let bytes = output else {
            throw ImageError.writeFailed(path: path, reason: "JPEG encoder: \(SampleCoding.message(message))")
        }
        defer { free(bytes) }
        return Data(bytes: bytes, count: Int(size))
    }

    private static func corrupt(_ path: String, _ message: [CChar]) -> ImageError {
        .corrupt(path: path, format: "JPEG", detail: SampleCoding.message(message))
    }
}
