import Foundation

/// How the reports show a sweep's values (parameter values, config entries) on axes, in tables and under images.
extension JSONValue {
    /// A short human label: numbers in compact form, paths by their file name, lists joined by "+" (or first…last).
    public var label: String {
        switch self {
        case .null: return "–"
        case .bool(let b): return b ? "true" : "false"
        case .int, .double: return JSONValue.format(number ?? 0)
        case .string(let s): return s.contains("/") ? (s as NSString).lastPathComponent : s
        case .array(let a):
            // Long lists (layer sets) as first…last, so labels stay short enough for plots and contact sheets.
            if a.count > 3, let first = a.first, let last = a.last { return "\(first.label)…\(last.label) (\(a.count))" }
            return a.isEmpty ? "[]" : a.map(\.label).joined(separator: "+")
        case .object: return jsonText
        }
    }

    /// Compact number text: integers plainly, very large or small magnitudes as 1e+05 style, else up to 4 significant digits.
    public static func format(_ n: Double) -> String {
        guard n.isFinite else { return n.isNaN ? "nan" : (n > 0 ? "inf" : "-inf") }
        if n == n.rounded(), abs(n) < 1e5 { return String(Int(n)) }
        let magnitude = abs(n)
        if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.3g", n) }
        return String(format: "%.4g", n)
    }

    /// Orders values for an axis: numbers ascending, then everything else by first appearance.
    public static func axisOrder(_ values: [JSONValue]) -> [JSONValue] {
        var seen = Set<JSONValue>(), unique: [JSONValue] = []
        for v in values where seen.insert(v).inserted { unique.append(v) }
        let numbers = unique.filter { $0.number != nil }.sorted { ($0.number ?? 0) < ($1.number ?? 0) }
        return numbers + unique.filter { $0.number == nil }
    }
}
