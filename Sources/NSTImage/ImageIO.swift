import Foundation

/// Bits per sample when writing PNG.
public enum PNGBitDepth: Int, Sendable {
    case eight = 8, sixteen = 16
}

/// File formats the codecs can write, chosen from a path extension.
public enum ImageFormat: String, Sendable {
    case png, jpeg

    /// .png → PNG, .jpg/.jpeg → JPEG (case-insensitive); nil for anything else.
    public init?(pathExtension: String) {
        switch pathExtension.lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        default: return nil
        }
    }
}

/// Reading and writing PNG and JPEG files.
public enum ImageIO {
    /// Files whose header declares more pixels than this are refused before any pixel memory is allocated.
    public static let maxPixelCount = 100_000_000

    /// Loads a PNG or JPEG, sniffing the format from the magic bytes (the extension is ignored).
    public static func load(_ url: URL) throws -> Image {
        if let cache = DecodedImages.current {   // inside DecodedImages.scoped: decode each file once
            return try cache.image(at: url.path) { try DecodedImages.$current.withValue(nil) { try load(url) } }
        }
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImageError.fileNotFound(path: path)
        }
        guard !isDirectory.boolValue else { throw ImageError.unreadable(path: path, reason: "it is a directory") }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageError.unreadable(path: path, reason: error.localizedDescription)
        }
        return try decode(data, name: path)
    }

    /// Decodes PNG or JPEG bytes; `name` is used in error messages.
    public static func decode(_ data: Data, name: String) throws -> Image {
        guard !data.isEmpty else { throw ImageError.emptyFile(path: name) }
        if data.starts(with: PNGCodec.signature) { return try PNGCodec.decode(data, path: name) }
        if data.starts(with: JPEGCodec.signature) { return try JPEGCodec.decode(data, path: name) }
        let leading = data.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
        throw ImageError.unknownFormat(path: name, leadingBytes: leading)
    }

    /// Encodes to PNG (8- or 16-bit) or JPEG (`quality` 1...100); samples are clamped to 0...1, NaN becomes 0.
    public static func encode(_ image: Image, as format: ImageFormat, quality: Int = 95,
                              pngBitDepth: PNGBitDepth = .eight, name: String = "<memory>") throws -> Data {
        switch format {
        case .png:
            return try PNGCodec.encode(image, bitDepth: pngBitDepth, path: name)
        case .jpeg:
            guard (1...100).contains(quality) else { throw ImageError.invalidQuality(path: name, quality: quality) }
            return try JPEGCodec.encode(image, quality: quality, path: name)
        }
    }

    /// Saves as PNG or JPEG according to the extension, atomically: a crash never leaves a partial file at `url`.
    public static func save(_ image: Image, to url: URL, quality: Int = 95, pngBitDepth: PNGBitDepth = .eight) throws {
        guard let format = ImageFormat(pathExtension: url.pathExtension) else {
            throw ImageError.unsupportedExtension(path: url.path, pathExtension: url.pathExtension)
        }
        let data = try encode(image, as: format, quality: quality, pngBitDepth: pngBitDepth, name: url.path)
        try writeAtomically(data, to: url)
    }

    /// Writes to a hidden temporary file in the destination folder, flushes it to disk, then rename(2)s it over
    /// `url`; rename within one file system is atomic, so readers see the old file or the complete new one.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        let path = url.path
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial").path
        func failure(_ step: String) -> ImageError {
            .writeFailed(path: path, reason: "\(step): \(String(cString: strerror(errno)))")
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw failure("cannot create a temporary file beside it") }
        var failed: ImageError?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count, let base = raw.baseAddress {
                let written = write(descriptor, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failed = failure("write")
                    return
                }
                offset += written
            }
        }
        if failed == nil, fsync(descriptor) != 0 { failed = failure("fsync") }
        if close(descriptor) != 0, failed == nil { failed = failure("close") }
        if failed == nil, rename(temporary, path) != 0 { failed = failure("rename") }
        if let failed {
            unlink(temporary)
            throw failed
        }
    }
}
