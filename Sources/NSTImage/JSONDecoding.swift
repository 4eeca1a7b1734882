import Foundation

// Strict JSON decoding and the text of its problems, shared by every reader of a JSON file (run configurations, mask
// specs, safetensors headers, sweeps and their results), so that each refuses unknown keys and names the place in the
// file the same way. Duplicate keys: `DuplicateKeyScan`; syntax errors with line and column: `JSONSyntax`.

/// A coding key for any string, to list the keys actually present in a JSON object.
public struct AnyCodingKey: CodingKey, Sendable {
    public var stringValue: String
    public var intValue: Int?
    public init(_ string: String) { stringValue = string; intValue = nil }
    public init?(stringValue: String) { self.init(stringValue) }
    public init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

extension Decoder {
    /// The keys of this JSON object that are not in `valid`, sorted, each with its JSON path: the caller refuses the
    /// first with its own error, so a misspelt key never passes silently.
    public func unknownKeys(valid: [String]) throws -> [(key: String, path: String)] {
        let container = try container(keyedBy: AnyCodingKey.self)
        return container.allKeys.filter { !valid.contains($0.stringValue) }.sorted { $0.stringValue < $1.stringValue }
            .map { ($0.stringValue, jsonPathText(codingPath + [$0])) }
    }
}

/// A coding path as JSON path text: `shapes[2].color`; empty for the top level.
public func jsonPathText(_ path: [CodingKey]) -> String {
    var text = ""
    for key in path {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
        }
    }
    return text
}

/// The JSON kind a Swift type is read from, for messages: "an integer", "a string", "a list", …
public func jsonTypeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Int.Type, is UInt64.Type, is Int64.Type, is UInt.Type, is Int32.Type: return "an integer"
    case is Float.Type, is Double.Type: return "a number"
    case is Bool.Type: return "true or false"
    default:
        let name = String(describing: type)
        return name.hasPrefix("Array") ? "a list" : name.hasPrefix("Dictionary") ? "an object" : name
    }
}

extension DecodingError {
    /// Where in the document the problem is (`jsonPathText`; a missing key is included); empty for the document itself.
    public var jsonPath: String {
        switch self {
        case let .keyNotFound(key, context): return jsonPathText(context.codingPath + [key])
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            return jsonPathText(context.codingPath)
        @unknown default: return ""
        }
    }

    /// What is wrong there: "missing key 'shapes'", "expected an integer (…)", "expected a string, found null", or for
    /// the document itself "not valid JSON (…)".
    public var problem: String {
        switch self {
        case let .keyNotFound(key, _): return "missing key '\(key.stringValue)'"
        case let .typeMismatch(type, context): return "expected \(jsonTypeName(type)) (\(context.debugDescription))"
        case let .valueNotFound(type, _): return "expected \(jsonTypeName(type)), found null"
        case let .dataCorrupted(context):
            guard context.codingPath.isEmpty else {
                // Foundation's text for an unknown enum value: "Cannot initialize RunStatus from invalid String value weird".
                let text = context.debugDescription
                if let marker = text.range(of: " from invalid String value ") {
                    return "'\(text[marker.upperBound...])' is not one of the values this key accepts"
                }
                return text
            }
            return "not valid JSON (\(context.underlyingError.map { "\($0)" } ?? context.debugDescription))"
        @unknown default: return "\(self)"
        }
    }

    /// One line: "path: problem", or the problem alone when it concerns the whole document.
    public var text: String { jsonPath.isEmpty ? problem : "\(jsonPath): \(problem)" }
}
