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
    /// The longest side a run may resize an image to (run configurations' `size`, `scales`, `features --size`).
    public static let maxSide = 16_384

    /// Loads a PNG or JPEG, sniffing the format from the magic bytes (the extension is ignored).
    public static func load(_ url: URL) throws -> Image {
        if let cache = DecodedImages.current {   // inside DecodedImages.scoped: decode each file once
            return try cache.image(at: url.path) { try DecodedImages.$current.withValue(nil) { try load(url) } }
        }
        let path = url.path
        guard FileIO.kind(path) != .missing else { throw ImageError.fileNotFound(path: path) }
        let data: Data
        do {
            data = try FileIO.read(path)
        } catch let error as FileIOError {
            throw ImageError.unreadable(path: path, reason: error.reason)
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

    /// Saves as PNG or JPEG according to the extension through `FileIO.write`: a regular file is replaced
    /// atomically (a crash never leaves a partial file at `url`), a device or FIFO is written directly.
    public static func save(_ image: Image, to url: URL, quality: Int = 95, pngBitDepth: PNGBitDepth = .eight) throws {
        guard let format = ImageFormat(pathExtension: url.pathExtension) else {
            throw ImageError.unsupportedExtension(path: url.path, pathExtension: url.pathExtension)
        }
        let data = try encode(image, as: format, quality: quality, pngBitDepth: pngBitDepth, name: url.path)
        do {
            try FileIO.write(data, to: url.path)
        } catch let error as FileIOError {
            throw ImageError.writeFailed(path: url.path, reason: error.reason)
        }
    }
}
