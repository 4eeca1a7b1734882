import Foundation

/// Any JSON value: sweep files, plans, run configurations and manifests as the sweep runner writes them and the reports
/// read them. Integers are kept apart from fractions so plans echo values as the sweep wrote them; equality and hashing
/// compare numbers by value (RFC 8259 §6: a number is its value), so `1`, `1.0` and `1e0` are one axis value in a report.
public enum JSONValue: Codable, Hashable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d):
            // Integral doubles (e.g. 10^2 from a logspace) print as integers, like the values a person would type.
            if d.rounded() == d, abs(d) < 1e15 { try c.encode(Int(d)) } else { try c.encode(d) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x == y
        default:
            guard let x = a.number, let y = b.number else { return false }
            return x == y
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(1); hasher.combine(b)
        case .int, .double: hasher.combine(2); hasher.combine(number ?? 0)
        case .string(let s): hasher.combine(3); hasher.combine(s)
        case .array(let a): hasher.combine(4); hasher.combine(a)
        case .object(let o): hasher.combine(5); hasher.combine(o)
        }
    }

    /// Parses JSON text (a document or a bare scalar such as `1e-3`).
    public static func parse(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// True for a JSON string.
    public var isString: Bool { if case .string = self { return true }; return false }

    /// True for a JSON object.
    public var isObject: Bool { if case .object = self { return true }; return false }

    /// The number, if this is one.
    public var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(\.jsonText).joined(separator: ", ") + "]"
        case .object: return jsonText
        }
    }

    /// Compact JSON text with sorted keys (canonical: equal values give equal text).
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "null"
    }

    /// Equality that treats numbers by value at single precision (the configuration stores Float weights),
    /// so `1e-4` in an exclude matches the 0.0001 a run was given.
    public func matches(_ other: JSONValue) -> Bool {
        if let a = number, let b = other.number { return Float(a) == Float(b) }
        switch (self, other) {
        case let (.array(a), .array(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.matches($1) }
        case let (.object(a), .object(b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { value.matches($0) } ?? false }
        // A single string matches a one-element list: `"style": "a.png"` is the same as `["a.png"]`.
        case let (.string, .array(b)) where b.count == 1: return matches(b[0])
        case let (.array(a), .string) where a.count == 1: return a[0].matches(other)
        default: return self == other
        }
    }

    /// The value at a dotted path (`layer_weights.style.relu1_1`), or nil if absent.
    public func value(at path: String) -> JSONValue? {
        var current = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard case .object(let o) = current, let next = o[String(part)] else { return nil }
            current = next
        }
        return current
    }

    /// Sets the value at a dotted path, creating intermediate objects (replacing non-objects on the way).
    public mutating func set(_ value: JSONValue, at path: String) {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        self = JSONValue.setting(value, in: self, at: parts[...])
    }

    private static func setting(_ value: JSONValue, in node: JSONValue, at path: ArraySlice<String>) -> JSONValue {
        guard let head = path.first else { return value }
        var object: [String: JSONValue] = [:]
        if case .object(let o) = node { object = o }
        object[head] = setting(value, in: object[head] ?? .null, at: path.dropFirst())
        return .object(object)
    }
}
