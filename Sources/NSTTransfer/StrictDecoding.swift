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

/// The candidate with the smallest Levenshtein distance to `word` (ties: the first), or nil if there are none.
func nearest(to word: String, among candidates: [String]) -> String? {
    let target = Array(word.lowercased())
    return candidates.min { levenshtein(Array($0.lowercased()), target) < levenshtein(Array($1.lowercased()), target) }
}

/// Levenshtein edit distance (insertions, deletions, substitutions of one character each cost 1).
func levenshtein(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
