import Foundation

/// Everything that can go wrong reading, writing or reshaping an image; each case names the file or value and says how to fix it.
public enum ImageError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case emptyFile(path: String)
    /// The leading bytes match neither PNG nor JPEG.
    case unknownFormat(path: String, leadingBytes: String)
    /// The decoder rejected the data (truncated, damaged, not really this format).
    case corrupt(path: String, format: String, detail: String)
    /// A valid file in a flavour this decoder does not handle (e.g. CMYK JPEG).
    case unsupported(path: String, detail: String)
    /// The header declares more pixels than `ImageIO.maxPixelCount`; refused before allocating.
    case tooLarge(path: String, width: Int, height: Int, limit: Int)
    case unsupportedExtension(path: String, pathExtension: String)
    case invalidQuality(path: String, quality: Int)
    case writeFailed(path: String, reason: String)
    case invalidSize(width: Int, height: Int)
    /// A resize target such as longestSide or pixelCount that is not positive.
    case invalidResizeTarget(parameter: String, value: Int)
    case invalidCrop(x: Int, y: Int, width: Int, height: Int, imageWidth: Int, imageHeight: Int)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "image file not found: \(path). Check the path (relative paths resolve against the working directory)."
        case .unreadable(let path, let reason):
            // The hint fits a permission error only; a directory or a FIFO given as an image says what it is.
            let hint = reason.contains("ermission") ? " Check the file's permissions." : " Give the path of a PNG or JPEG file."
            return "cannot read image \(path): \(reason).\(hint)"
        case .emptyFile(let path):
            return "image file \(path) is empty (0 bytes). Re-export or re-download it."
        case .unknownFormat(let path, let leadingBytes):
            return "\(path) is neither PNG nor JPEG (first bytes: \(leadingBytes)). Convert it to .png or .jpg."
        case .corrupt(let path, let format, let detail):
            return "\(path) is not a readable \(format): \(detail). The file is probably truncated or damaged; re-export it."
        case .unsupported(let path, let detail):
            return "\(path): \(detail). Convert it to an 8- or 16-bit RGB or greyscale PNG or JPEG."
        case .tooLarge(let path, let width, let height, let limit):
            return "\(path) declares \(width)×\(height) = \(width * height) pixels, over the limit of \(limit). "
                + "Downscale it first; if the header is unexpected, the file is damaged."
        case .unsupportedExtension(let path, let pathExtension):
            return "cannot save \(path): unknown extension '.\(pathExtension)'. Use .png, .jpg or .jpeg."
        case .invalidQuality(let path, let quality):
            return "cannot save \(path): JPEG quality \(quality) is outside 1...100. 95 is a good default."
        case .writeFailed(let path, let reason):
            return "cannot write image \(path): \(reason). Check that the folder exists, is writable and has free space."
        case .invalidSize(let width, let height):
            return "invalid image size \(width)×\(height): both sides must be at least 1 pixel."
        case .invalidResizeTarget(let parameter, let value):
            return "invalid resize target \(parameter) = \(value): it must be at least 1."
        case .invalidCrop(let x, let y, let width, let height, let imageWidth, let imageHeight):
            return "crop rectangle x=\(x) y=\(y) \(width)×\(height) does not fit in the \(imageWidth)×\(imageHeight) image; "
                + "keep it inside 0..<width, 0..<height with a positive size."
        }
    }

    public var errorDescription: String? { description }
}
