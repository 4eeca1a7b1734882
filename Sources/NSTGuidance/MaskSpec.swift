import Foundation
import NSTImage

/// Errors in a mask's JSON shape file or threshold rules; each names the file, the offending key or text and a fix.
public enum MaskSpecError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case unreadable(path: String, reason: String)
    /// A key the format does not know, with its path inside the JSON (e.g. `shapes[1].colour`).
    case unknownKey(path: String, keyPath: String, allowed: [String])
    /// Malformed JSON, a missing key or a value of the wrong type.
    case invalidJSON(path: String, keyPath: String, detail: String)
    /// A value of the right type but out of range (a zero size, a polygon with two points, a bad colour).
    case invalidValue(path: String, keyPath: String, value: String, hint: String)
    /// A threshold rule that does not parse.
    case invalidRule(rule: String, detail: String)
    /// An output size that is not WIDTHxHEIGHT with positive sides.
    case invalidSize(value: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read mask specification \(path): \(reason)"
        case let .unknownKey(path, keyPath, allowed):
            return "\(path): unknown key '\(keyPath)'; allowed here: \(allowed.joined(separator: ", ")). Fix the spelling or remove it."
        case let .invalidJSON(path, keyPath, detail):
            return "\(path): \(keyPath.isEmpty ? "" : "at '\(keyPath)': ")\(detail). See Masks/README.md for the format."
        case let .invalidValue(path, keyPath, value, hint):
            return "\(path): '\(keyPath)' = \(value) is invalid: \(hint)"
        case let .invalidRule(rule, detail):
            return "threshold rule '\(rule)': \(detail). Write COLOUR: CONDITION, e.g. \"#87CEEB: b > 0.6 && b > r\" "
                + "(variables r g b h s v y; operators < <= > >=; && binds tighter than ||)."
        case let .invalidSize(value):
            return "invalid size '\(value)': write WIDTHxHEIGHT with positive integers, e.g. 512x384."
        }
    }

    public var errorDescription: String? { description }
}

/// A label map drawn from shapes, as read from JSON:
///
///     { "width": 451, "height": 300, "background": "#000000", "antialias": true,
///       "shapes": [ { "type": "rectangle", "color": "#FF0000", "x": 0, "y": 0, "width": 100, "height": 50 },
///                   { "type": "ellipse", "color": "blue", "cx": 200, "cy": 150, "rx": 80, "ry": 60 },
///                   { "type": "polygon", "color": "#00FF00", "points": [[10, 10], [90, 20], [50, 80]] } ] }
///
/// Coordinates are in a width×height pixel frame (normally the photo's size); shapes are painted in order over the
/// background, later ones on top. Every shape may carry a "name" (documentation only). Unknown keys are errors.
public struct MaskSpec: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var background: RegionColor
    public var antialias: Bool
    public var shapes: [MaskShape]

    public init(width: Int, height: Int, background: RegionColor, antialias: Bool = true, shapes: [MaskShape]) {
        self.width = width
        self.height = height
        self.background = background
        self.antialias = antialias
        self.shapes = shapes
    }

    /// Reads and validates a JSON shape file.
    public static func load(_ url: URL) throws -> MaskSpec {
        let data: Data
        do { data = try FileIO.read(url.path) } catch let error as FileIOError {
            throw MaskSpecError.unreadable(path: url.path, reason: error.reason)
        }
        return try decode(data, path: url.path)
    }

    /// Parses JSON bytes; `path` names the source in errors.
    public static func decode(_ data: Data, path: String) throws -> MaskSpec {
        do {
            try DuplicateKeyScan.check(data)
            return try JSONDecoder().decode(MaskSpecDocument.self, from: data).spec
        } catch let duplicate as DuplicateJSONKey {
            throw MaskSpecError.invalidJSON(path: path, keyPath: duplicate.path, detail: duplicate.detail)
        } catch let e as SpecKeyError {
            switch e {
            case let .unknown(keyPath, allowed): throw MaskSpecError.unknownKey(path: path, keyPath: keyPath, allowed: allowed)
            case let .invalid(keyPath, value, hint): throw MaskSpecError.invalidValue(path: path, keyPath: keyPath, value: value, hint: hint)
            }
        } catch let e as DecodingError {
            if let syntax = JSONSyntax.firstError(in: data) {
                throw MaskSpecError.invalidJSON(path: path, keyPath: "", detail: "not valid JSON: \(syntax)")
            }
            throw MaskSpecError.invalidJSON(path: path, keyPath: e.jsonPath, detail: e.problem)
        }
    }
}

/// One shape of a `MaskSpec`, with the colour it paints.
public struct MaskShape: Equatable, Sendable {
    /// The geometry, in the spec's pixel frame (x right, y down; a pixel's centre is at +0.5).
    public enum Geometry: Equatable, Sendable {
        case rectangle(x: Double, y: Double, width: Double, height: Double)
        case ellipse(centerX: Double, centerY: Double, radiusX: Double, radiusY: Double)
        /// Closed polygon, even-odd filling.
        case polygon(points: [(x: Double, y: Double)])

        public static func == (a: Geometry, b: Geometry) -> Bool {
            switch (a, b) {
            case let (.rectangle(a1, a2, a3, a4), .rectangle(b1, b2, b3, b4)): return [a1, a2, a3, a4] == [b1, b2, b3, b4]
            case let (.ellipse(a1, a2, a3, a4), .ellipse(b1, b2, b3, b4)): return [a1, a2, a3, a4] == [b1, b2, b3, b4]
            case let (.polygon(p), .polygon(q)): return p.count == q.count && zip(p, q).allSatisfy { $0.x == $1.x && $0.y == $1.y }
            default: return false
            }
        }
    }

    public var name: String?
    public var color: RegionColor
    public var geometry: Geometry

    public init(name: String? = nil, color: RegionColor, geometry: Geometry) {
        self.name = name
        self.color = color
        self.geometry = geometry
    }

    /// Whether the point (in the spec's frame) lies inside.
    func contains(_ px: Double, _ py: Double) -> Bool {
        switch geometry {
        case let .rectangle(x, y, w, h):
            return px >= x && px < x + w && py >= y && py < y + h
        case let .ellipse(cx, cy, rx, ry):
            let dx = (px - cx) / rx, dy = (py - cy) / ry
            return dx * dx + dy * dy <= 1
        case let .polygon(points):
            var inside = false
            var j = points.count - 1
            for i in points.indices {
                let (xi, yi) = points[i], (xj, yj) = points[j]
                if (yi > py) != (yj > py), px < (xj - xi) * (py - yi) / (yj - yi) + xi { inside.toggle() }
                j = i
            }
            return inside
        }
    }

    /// Bounding box (minX, minY, maxX, maxY) in the spec's frame.
    var bounds: (Double, Double, Double, Double) {
        switch geometry {
        case let .rectangle(x, y, w, h): return (x, y, x + w, y + h)
        case let .ellipse(cx, cy, rx, ry): return (cx - rx, cy - ry, cx + rx, cy + ry)
        case let .polygon(points):
            return (points.map(\.x).min() ?? 0, points.map(\.y).min() ?? 0, points.map(\.x).max() ?? 0, points.map(\.y).max() ?? 0)
        }
    }
}

// MARK: JSON decoding with unknown-key rejection

enum SpecKeyError: Error {
    case unknown(keyPath: String, allowed: [String])
    case invalid(keyPath: String, value: String, hint: String)
}

extension Decoder {
    /// Throws for the first key outside `allowed`, naming its full path.
    func rejectUnknownKeys(_ allowed: [String]) throws {
        if let (_, path) = try unknownKeys(valid: allowed).first { throw SpecKeyError.unknown(keyPath: path, allowed: allowed) }
    }
}

private struct MaskSpecDocument: Decodable {
    let spec: MaskSpec
    enum Keys: String, CodingKey { case width, height, background, antialias, shapes, description }

    init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(["width", "height", "background", "antialias", "shapes", "description"])
        let c = try decoder.container(keyedBy: Keys.self)
        let width = try c.decode(Int.self, forKey: .width), height = try c.decode(Int.self, forKey: .height)
        for (key, v) in [("width", width), ("height", height)] where v < 1 || v > 20_000 {
            throw SpecKeyError.invalid(keyPath: key, value: "\(v)", hint: "the frame's sides must lie in 1...20000 pixels")
        }
        let background = try decodeColor(c, .background, default: "#000000")
        let shapes = try c.decode([ShapeDocument].self, forKey: .shapes).map(\.shape)
        spec = MaskSpec(width: width, height: height, background: background,
                        antialias: try c.decodeIfPresent(Bool.self, forKey: .antialias) ?? true, shapes: shapes)
    }
}

private func decodeColor<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K, default fallback: String? = nil) throws -> RegionColor {
    let text = try fallback.map { try c.decodeIfPresent(String.self, forKey: key) ?? $0 } ?? c.decode(String.self, forKey: key)
    do { return try RegionColor(parsing: text) } catch {
        throw SpecKeyError.invalid(keyPath: jsonPathText(c.codingPath + [key]), value: "'\(text)'",
                                   hint: "write #RRGGBB or one of \(RegionColor.paletteNames.joined(separator: ", "))")
    }
}

private struct ShapeDocument: Decodable {
    let shape: MaskShape
    enum Keys: String, CodingKey { case type, name, color, x, y, width, height, cx, cy, rx, ry, points }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decode(String.self, forKey: .type)
        let common = ["type", "name", "color"]
        let geometry: MaskShape.Geometry
        func positive(_ key: Keys) throws -> Double {
            let v = try c.decode(Double.self, forKey: key)
            guard v > 0, v.isFinite else {
                throw SpecKeyError.invalid(keyPath: jsonPathText(c.codingPath + [key]), value: "\(v)", hint: "it must be positive")
            }
            return v
        }
        switch type {
        case "rectangle":
            try decoder.rejectUnknownKeys(common + ["x", "y", "width", "height"])
            geometry = .rectangle(x: try c.decode(Double.self, forKey: .x), y: try c.decode(Double.self, forKey: .y),
                                  width: try positive(.width), height: try positive(.height))
        case "ellipse":
            try decoder.rejectUnknownKeys(common + ["cx", "cy", "rx", "ry"])
            geometry = .ellipse(centerX: try c.decode(Double.self, forKey: .cx), centerY: try c.decode(Double.self, forKey: .cy),
                                radiusX: try positive(.rx), radiusY: try positive(.ry))
        case "polygon":
            try decoder.rejectUnknownKeys(common + ["points"])
            let raw = try c.decode([[Double]].self, forKey: .points)
            let path = jsonPathText(c.codingPath + [Keys.points])
            guard raw.count >= 3 else {
                throw SpecKeyError.invalid(keyPath: path, value: "\(raw.count) points", hint: "a polygon needs at least 3 [x, y] points")
            }
            if let bad = raw.firstIndex(where: { $0.count != 2 }) {
                throw SpecKeyError.invalid(keyPath: "\(path)[\(bad)]", value: "\(raw[bad])", hint: "each point is [x, y]")
            }
            geometry = .polygon(points: raw.map { (x: $0[0], y: $0[1]) })
        default:
            throw SpecKeyError.invalid(keyPath: jsonPathText(c.codingPath + [Keys.type]), value: "'\(type)'",
                                       hint: "use rectangle, ellipse or polygon")
        }
        shape = MaskShape(name: try c.decodeIfPresent(String.self, forKey: .name), color: try decodeColor(c, .color), geometry: geometry)
    }
}
