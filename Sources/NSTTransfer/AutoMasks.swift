import Foundation
import NSTGuidance
import NSTImage
import NSTNetwork

/// The run-configuration key `auto_masks`: label maps made by `AutoMask.segment` instead of drawn ones.
/// JSON `true` (K chosen automatically) or a region count K ≥ 1; `false`/absent = off. CLI: `--auto-masks [K]`.
public enum AutoMaskRegions: Codable, Equatable, Sendable, CustomStringConvertible {
    case automatic
    case count(Int)

    /// nil = chosen by `AutoMask.segment`'s criterion (most separable style regions).
    public var regions: Int? {
        if case .count(let k) = self { return k }
        return nil
    }

    /// "auto" / "true" or an integer.
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "auto", "true": self = .automatic
        default:
            guard let k = Int(text) else { return nil }
            self = .count(k)
        }
    }

    public var description: String {
        switch self {
        case .automatic: return "auto"
        case .count(let k): return "\(k)"
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let flag = try? c.decode(Bool.self) {
            guard flag else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "use true (choose K) or a region count; leave the key out for no automatic masks")
            }
            self = .automatic
        } else if let k = try? c.decode(Int.self) {
            self = .count(k)
        } else {
            throw DecodingError.typeMismatch(Int.self, .init(codingPath: decoder.codingPath,
                debugDescription: "auto_masks is true (choose the number of regions) or a region count"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .automatic: try c.encode(true)
        case .count(let k): try c.encode(k)
        }
    }
}

extension RunConfiguration {
    /// Where a run with `auto_masks` writes its label maps: beside the output, `<stem>_content_mask.png` and
    /// `<stem>_style_mask.png` (reports read them from there).
    public static func autoMaskPaths(output: String) -> (content: String, style: String) {
        let stem = (output as NSString).deletingPathExtension
        return (stem + "_content_mask.png", stem + "_style_mask.png")
    }

    /// Checks `auto_masks` against the keys it replaces.
    func checkAutoMasks() throws {
        guard let autoMasks else { return }
        if let k = autoMasks.regions, !(1...AutoMask.palette.count).contains(k) {
            throw ConfigurationError.invalidValue(key: "auto_masks", value: "\(k)",
                hint: "use true (choose the number of regions) or a count in 1…\(AutoMask.palette.count)")
        }
        if contentMask != nil || !styleMasks.isEmpty || !regions.isEmpty {
            let key = contentMask != nil ? "content_mask" : !styleMasks.isEmpty ? "style_masks" : "regions"
            throw ConfigurationError.invalidValue(key: "auto_masks", value: autoMasks.description,
                hint: "it makes the label maps itself; remove \(key) or auto_masks")
        }
        if style.count != 1 {
            throw ConfigurationError.invalidValue(key: "auto_masks", value: autoMasks.description,
                hint: "automatic masks pair one content with one style image (\(style.count) given); give one style or draw the masks")
        }
    }

    /// The `AutoMask.segment` settings of a run: the defaults, with `auto_masks`'s count and the run's `seed`.
    private var autoMaskOptions: AutoMaskOptions {
        var options = AutoMaskOptions()
        options.regions = autoMasks?.regions
        options.seed = seed
        return options
    }

    /// `AutoMaskError`s as errors of the key `auto_masks`.
    private func asAutoMasksKey<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as AutoMaskError {
            throw ConfigurationError.invalidValue(key: "auto_masks", value: autoMasks?.description ?? "", hint: error.description)
        }
    }

    /// Refuses, from their sizes (validation, `--dry-run` included), images `makeAutoMasks` could not segment.
    func checkAutoMaskSizes(content: Image, styles: [Image]) throws {
        guard autoMasks != nil, let style = styles.first else { return }
        try asAutoMasksKey {
            try AutoMask.checkSizes(content: (content.width, content.height), style: (style.width, style.height), options: autoMaskOptions)
        }
    }

    /// Segments the content and the style image (`AutoMask.segment`, seeded by `seed`).
    func makeAutoMasks(content: Image, style: Image, network: VGG19) throws -> AutoMaskResult {
        try asAutoMasksKey { try AutoMask.segment(content: content, style: style, network: network, options: autoMaskOptions) }
    }

    /// The automatic maps as the label maps of a run (names say where they come from).
    static func labelMaps(_ result: AutoMaskResult, output: String) throws -> (content: LabelMap, style: LabelMap) {
        let palette = try Palette(colors: result.colors)
        let paths = autoMaskPaths(output: output)
        return (LabelMap(image: result.contentMap, palette: palette, path: paths.content),
                LabelMap(image: result.styleMap, palette: palette, path: paths.style))
    }
}
