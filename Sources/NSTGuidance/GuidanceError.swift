import Foundation

/// Everything that can go wrong reading or matching guides; each case names the file or value and says how to fix it.
public enum GuidanceError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A mask whose aspect ratio differs from its image's by more than `GuideConformance.aspectTolerance`.
    case sizeMismatch(path: String, maskWidth: Int, maskHeight: Int, imageWidth: Int, imageHeight: Int)
    /// A content region colour that no style label map contains.
    case missingStyleRegion(contentPath: String, color: String, contentColors: [String], stylePath: String, styleColors: [String])
    /// A region colour asked for that the content label map does not contain.
    case missingContentRegion(path: String, color: String, colors: [String])
    /// A label map in which no palette colour covers any pixel.
    case noRegions(path: String, unmatchedShare: Double, tolerance: Float)
    /// A colour written as text that is not #RRGGBB (or a palette name).
    case invalidColor(value: String, context: String)
    /// A matching tolerance outside (0, 1].
    case invalidTolerance(value: Float)
    /// Guides that must share one size do not.
    case guideSizesDiffer(name: String, width: Int, height: Int, expectedWidth: Int, expectedHeight: Int)
    /// Per-region lists (guides, targets, weights) whose lengths disagree.
    case regionCountMismatch(what: String, count: Int, expected: Int)
    /// A negative feathering radius or band width.
    case invalidRadius(parameter: String, value: Double)
    /// A boundary measurement without a boundary (the mask all on one side), or whose band leaves a side no interior.
    case noBoundary(reason: String)

    public var description: String {
        switch self {
        case let .sizeMismatch(path, mw, mh, iw, ih):
            return "mask \(path) is \(mw)×\(mh) but its image is \(iw)×\(ih); the aspect ratios differ by more than 1 %, "
                + "so resampling would distort the regions. Re-export the mask at \(iw)×\(ih)."
        case let .missingStyleRegion(contentPath, color, contentColors, stylePath, styleColors):
            return "content region \(color) of \(contentPath) has no matching region in the style map \(stylePath). "
                + "Content colours: \(contentColors.joined(separator: ", ")); style colours: \(styleColors.joined(separator: ", ")). "
                + "Paint that region into the style map, recolour it in the content map, or raise the colour tolerance."
        case let .missingContentRegion(path, color, colors):
            return "region colour \(color) does not occur in the content map \(path), whose colours are \(colors.joined(separator: ", ")). "
                + "Pick one of those or repaint the map."
        case let .noRegions(path, unmatched, tolerance):
            return "label map \(path): no pixel matches any palette colour within tolerance \(tolerance) "
                + "(\(String(format: "%.1f", 100 * unmatched)) % unmatched). Check the palette or raise the tolerance."
        case let .invalidColor(value, context):
            return "invalid colour '\(value)' in \(context): write #RRGGBB (e.g. #FF331F) or a palette name "
                + "(\(RegionColor.paletteNames.joined(separator: ", ")))."
        case let .invalidTolerance(value):
            return "colour tolerance \(value) is outside (0, 1]; 0.1 matches the deep-photo-styletransfer thresholds."
        case let .guideSizesDiffer(name, w, h, ew, eh):
            return "guide \(name) is \(w)×\(h) but \(ew)×\(eh) was expected; resample the guides to one size first."
        case let .regionCountMismatch(what, count, expected):
            return "\(count) \(what) given for \(expected) regions; give exactly one per region."
        case let .invalidRadius(parameter, value):
            return "\(parameter) = \(value) is negative; use 0 (off) or a positive number of pixels."
        case let .noBoundary(reason):
            return "boundary energy: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// Something the caller should show the user but that does not stop the run (a resampled mask, an empty region).
public struct GuidanceNotice: Equatable, Sendable, CustomStringConvertible {
    /// How serious the notice is.
    public enum Level: String, Sendable { case notice, warning }
    public let level: Level
    /// The file the notice is about, if any.
    public let path: String?
    public let message: String

    public init(level: Level, path: String?, message: String) {
        self.level = level
        self.path = path
        self.message = message
    }

    public var description: String { "\(level.rawValue): \(path.map { "\($0): " } ?? "")\(message)" }
}
