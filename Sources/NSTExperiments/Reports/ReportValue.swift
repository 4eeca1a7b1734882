import Foundation

/// A JSON value as it appears in a sweep's plan and run files (parameter values, config entries).
public enum ReportValue: Codable, Hashable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([ReportValue])
    case object([String: ReportValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([ReportValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: ReportValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// The number, if this is one.
    public var number: Double? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// The value at a dotted key path (`layer_weights.relu1_1`) inside an object.
    public func value(atDottedKey key: String) -> ReportValue? {
        var current = self
        for part in key.split(separator: ".") {
            guard case .object(let o) = current, let next = o[String(part)] else { return nil }
            current = next
        }
        return current
    }

    /// A short human label: numbers in compact form, paths by their file name, lists joined by "+" (or first…last).
    public var label: String {
        switch self {
        case .null: return "–"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return ReportValue.format(n)
        case .string(let s): return s.contains("/") ? (s as NSString).lastPathComponent : s
        case .array(let a):
            // Long lists (layer sets) as first…last, so labels stay short enough for plots and contact sheets.
            if a.count > 3, let first = a.first, let last = a.last { return "\(first.label)…\(last.label) (\(a.count))" }
            return a.isEmpty ? "[]" : a.map(\.label).joined(separator: "+")
        case .object: return canonical
        }
    }

    /// Canonical JSON text (sorted keys), used to match values across sweeps.
    public var canonical: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self), let text = String(data: data, encoding: .utf8) else { return label }
        return text
    }

    public var description: String { label }

    /// Compact number text: integers plainly, very large or small magnitudes as 1e+05 style, else up to 4 significant digits.
    public static func format(_ n: Double) -> String {
        guard n.isFinite else { return n.isNaN ? "nan" : (n > 0 ? "inf" : "-inf") }
        if n == n.rounded(), abs(n) < 1e5 { return String(Int(n)) }
        let magnitude = abs(n)
        if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.3g", n) }
        return String(format: "%.4g", n)
    }

    /// Orders values for an axis: numbers ascending, then everything else by first appearance.
    public static func axisOrder(_ values: [ReportValue]) -> [ReportValue] {
        var seen = Set<ReportValue>(), unique: [ReportValue] = []
        for v in values where seen.insert(v).inserted { unique.append(v) }
        let numbers = unique.filter { $0.number != nil }.sorted { ($0.number ?? 0) < ($1.number ?? 0) }
        return numbers + unique.filter { $0.number == nil }
    }
}
