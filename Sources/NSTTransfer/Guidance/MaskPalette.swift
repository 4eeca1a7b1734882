/// Which colours a label map is read with.
public enum MaskPalette: String, Codable, Sendable, CaseIterable {
    /// Discover each map's colours (clusters covering ≥ 0.5 % of its pixels); suits any colour coding.
    case auto
    /// The nine colour codes of deep-photo-styletransfer (blue, green, black, white, red, yellow, grey, lightblue, purple).
    case deepPhoto = "deep-photo"
}
