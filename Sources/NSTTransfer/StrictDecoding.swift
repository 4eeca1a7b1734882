import NSTImage
import NSTNetwork
import Foundation

extension Decoder {
    /// Throws `ConfigurationError.unknownKey` for the first key of this object that is not in `valid`,
    /// naming its JSON path and the nearest valid key (edit distance), so typos never pass silently.
    func rejectUnknownKeys(valid: [String]) throws {
        if let (key, path) = try unknownKeys(valid: valid).first {
            throw ConfigurationError.unknownKey(path: path, suggestion: nearest(to: key, among: valid))
        }
    }
}

/// "a.b[2].c" for a coding path; "(top level)" for the document.
func jsonPath(_ path: [CodingKey]) -> String {
    let text = jsonPathText(path)
    return text.isEmpty ? "(top level)" : text
}

/// The candidate nearest to `word` (see `NameSuggestion`), or nil if there are none.
func nearest(to word: String, among candidates: [String]) -> String? {
    NameSuggestion.nearest(to: word, among: candidates)
}
