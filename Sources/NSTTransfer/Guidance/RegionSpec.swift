/// One explicit region of the run configuration (JSON object in `regions`).
///
/// Where it applies: `content_guide` (a greyscale mask file) or `color` (a colour of `content_mask`). Which style
/// supplies it: `style` (index into `style`, default 0) and `style_guide` (a greyscale mask of that style image) or
/// `style_color` (a colour of that style's label map in `style_masks`; defaults to `color`); with neither and no label
/// map, the whole style image. `weight` is λ_r (default from `region_weighting`), `content_weight` is c_r (default 1).
public struct RegionSpec: Codable, Equatable, Sendable {
    public var contentGuide: String? = nil
    public var color: String? = nil
    public var style: Int = 0
    public var styleGuide: String? = nil
    public var styleColor: String? = nil
    public var weight: Float? = nil
    public var contentWeight: Float? = nil

    /// An empty region specification (set `content_guide` or `color`).
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case contentGuide = "content_guide", color, style, styleGuide = "style_guide", styleColor = "style_color"
        case weight, contentWeight = "content_weight"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(valid: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        contentGuide = try c.decodeIfPresent(String.self, forKey: .contentGuide)
        color = try c.decodeIfPresent(String.self, forKey: .color)
        style = try c.decodeIfPresent(Int.self, forKey: .style) ?? 0
        styleGuide = try c.decodeIfPresent(String.self, forKey: .styleGuide)
        styleColor = try c.decodeIfPresent(String.self, forKey: .styleColor)
        weight = try c.decodeIfPresent(Float.self, forKey: .weight)
        contentWeight = try c.decodeIfPresent(Float.self, forKey: .contentWeight)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(contentGuide, forKey: .contentGuide)
        try c.encodeIfPresent(color, forKey: .color)
        try c.encode(style, forKey: .style)
        try c.encodeIfPresent(styleGuide, forKey: .styleGuide)
        try c.encodeIfPresent(styleColor, forKey: .styleColor)
        try c.encodeIfPresent(weight, forKey: .weight)
        try c.encodeIfPresent(contentWeight, forKey: .contentWeight)
    }
}

extension RegionSpec {
    /// One region from its command-line text: comma-separated `key=value` entries with the keys of a JSON `regions`
    /// entry, written with - or _ (`color=#00FF00,style=1,style-color=white`).
    public init(parsing text: String) throws {
        self.init()
        func refuse(_ value: String, _ hint: String) -> ConfigurationError {
            ConfigurationError.invalidValue(key: "--region", value: value, hint: hint)
        }
        for entry in CommandLineText.entries(text) {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw refuse(entry, "write key=value (in '\(text)')") }
            let key = parts[0].replacingOccurrences(of: "-", with: "_"), value = parts[1]
            func number() throws -> Float {
                guard let v = Float(value) else { throw refuse(entry, "\(parts[0]) must be a number") }
                return v
            }
            switch key {
            case "color": color = value
            case "content_guide": contentGuide = value
            case "style":
                guard let index = Int(value) else { throw refuse(entry, "style must be a style index (0, 1, …)") }
                style = index
            case "style_color": styleColor = value
            case "style_guide": styleGuide = value
            case "weight": weight = try number()
            case "content_weight": contentWeight = try number()
            default:
                let keys = CodingKeys.allCases.map { $0.rawValue.replacingOccurrences(of: "_", with: "-") }
                throw refuse(entry, "unknown key '\(parts[0])'; use " + keys.joined(separator: ", "))
            }
        }
    }
}
