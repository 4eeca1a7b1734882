import NSTNetwork
import Foundation

/// A coding key for any string, used to list the keys actually present in a JSON object.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string; intValue = nil }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

extension Decoder {
    /// Throws `ConfigurationError.unknownKey` for the first key of this object that is not in `valid`,
    /// naming its JSON path and the nearest valid key (edit distance), so typos never pass silently.
    func rejectUnknownKeys(valid: [String]) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue })
        where !valid.contains(key.stringValue) {
            throw ConfigurationError.unknownKey(path: jsonPath(codingPath + [key]),
                                                suggestion: nearest(to: key.stringValue, among: valid))
        }
    }
}

/// "a.b[2].c" for a coding path.
func jsonPath(_ path: [CodingKey]) -> String {
    var text = ""
    for key in path {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
        }
    }
    return text.isEmpty ? "(top level)" : text
}

/// The candidate nearest to `word` (see `NameSuggestion`), or nil if there are none.
func nearest(to word: String, among candidates: [String]) -> String? {
    NameSuggestion.nearest(to: word, among: candidates)
}
