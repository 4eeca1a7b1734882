import Foundation
import NSTImage

/// Makes label-map images: from shapes (`MaskSpec`) or from colour rules on a photo (`ThresholdRule`).
public enum MaskBuilder {
    /// Samples per pixel side when anti-aliasing (4×4 = 16 samples; edge pixels blend colours by coverage).
    public static let antialiasSamples = 4

    /// Paints the spec's shapes over its background into an RGB image of `width`×`height` (default: the spec's frame,
    /// which is scaled to fit). With anti-aliasing, an edge pixel mixes the colours by the share of its area covered.
    public static func render(_ spec: MaskSpec, width: Int? = nil, height: Int? = nil) throws -> Image {
        let w = width ?? spec.width, h = height ?? spec.height
        guard w >= 1, h >= 1 else { throw ImageError.invalidSize(width: w, height: h) }
        guard w * h <= ImageIO.maxPixelCount else { throw MaskSpecError.invalidSize(value: "\(w)x\(h) (over \(ImageIO.maxPixelCount) pixels)") }
        let plane = w * h
        var rgb = [Float](repeating: 0, count: 3 * plane)
        let background = [spec.background.red, spec.background.green, spec.background.blue]
        for c in 0..<3 { for i in 0..<plane { rgb[c * plane + i] = background[c] } }
        let sx = Double(w) / Double(spec.width), sy = Double(h) / Double(spec.height)
        let s = spec.antialias ? antialiasSamples : 1
        let offsets = (0..<s).map { (Double($0) + 0.5) / Double(s) }
        for shape in spec.shapes {
            let color = [shape.color.red, shape.color.green, shape.color.blue]
            let (x0, y0, x1, y1) = shape.bounds
            let firstX = max(0, Int((x0 * sx).rounded(.down))), lastX = min(w - 1, Int((x1 * sx).rounded(.up)))
            let firstY = max(0, Int((y0 * sy).rounded(.down))), lastY = min(h - 1, Int((y1 * sy).rounded(.up)))
            guard firstX <= lastX, firstY <= lastY else { continue }
            for y in firstY...lastY {
                for x in firstX...lastX {
                    var hits = 0
                    for oy in offsets {
                        for ox in offsets where shape.contains((Double(x) + ox) / sx, (Double(y) + oy) / sy) { hits += 1 }
                    }
                    guard hits > 0 else { continue }
                    let a = Float(hits) / Float(s * s)
                    for c in 0..<3 {
                        let i = c * plane + y * w + x
                        rgb[i] = a * color[c] + (1 - a) * rgb[i]
                    }
                }
            }
        }
        return Image(width: w, height: h, channels: 3, pixels: rgb)
    }

    /// Colours every pixel of `image` by the first rule whose condition holds there, else `background`.
    public static func threshold(_ image: Image, rules: [ThresholdRule], background: RegionColor) -> Image {
        let rgb = image.toRGB()
        let plane = rgb.width * rgb.height
        var out = Image(width: rgb.width, height: rgb.height, channels: 3)
        for i in 0..<plane {
            let sample = PixelSample(red: rgb.pixels[i], green: rgb.pixels[plane + i], blue: rgb.pixels[2 * plane + i])
            let color = rules.first { $0.condition.holds(sample) }?.color ?? background
            out.pixels[i] = color.red
            out.pixels[plane + i] = color.green
            out.pixels[2 * plane + i] = color.blue
        }
        return out
    }

    /// Parses "WIDTHxHEIGHT" (e.g. "512x384").
    public static func parseSize(_ text: String) throws -> (width: Int, height: Int) {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0, w <= 20_000, h <= 20_000 else {
            throw MaskSpecError.invalidSize(value: text)
        }
        return (w, h)
    }
}

/// The values a threshold condition can test at one pixel: r, g, b (0…1), h (hue in degrees 0…360), s, v (HSV
/// saturation and value, 0…1) and y (Rec. 601 luma, 0…1).
struct PixelSample {
    let values: [Character: Float]

    init(red r: Float, green g: Float, blue b: Float) {
        let maxC = max(r, g, b), minC = min(r, g, b), delta = maxC - minC
        var hue: Float = 0
        if delta > 0 {
            if maxC == r { hue = 60 * ((g - b) / delta).truncatingRemainder(dividingBy: 6) }
            else if maxC == g { hue = 60 * ((b - r) / delta + 2) }
            else { hue = 60 * ((r - g) / delta + 4) }
            if hue < 0 { hue += 360 }
        }
        values = ["r": r, "g": g, "b": b, "h": hue, "s": maxC > 0 ? delta / maxC : 0, "v": maxC,
                  "y": 0.299 * r + 0.587 * g + 0.114 * b]
    }
}

/// One rule of `nst-exp mask --rule`: `COLOUR: CONDITION`, where CONDITION is comparisons (`b > 0.6`, `b > r`,
/// `h >= 90`) joined by `&&` and `||` (&& binds tighter; no parentheses). Variables: r g b h s v y (see `PixelSample`).
public struct ThresholdRule: Equatable, Sendable {
    public let color: RegionColor
    public let condition: Condition
    /// The rule as written.
    public let text: String

    /// A disjunction of conjunctions of comparisons.
    public struct Condition: Equatable, Sendable {
        public enum Operand: Equatable, Sendable { case variable(Character), number(Float) }
        public struct Comparison: Equatable, Sendable {
            let left: Operand, op: String, right: Operand
        }
        let alternatives: [[Comparison]]

        func holds(_ p: PixelSample) -> Bool {
            alternatives.contains { $0.allSatisfy { c in Condition.compare(value(c.left, p), c.op, value(c.right, p)) } }
        }

        private func value(_ o: Operand, _ p: PixelSample) -> Float {
            switch o {
            case .variable(let v): return p.values[v] ?? 0
            case .number(let x): return x
            }
        }

        static func compare(_ a: Float, _ op: String, _ b: Float) -> Bool {
            switch op {
            case "<": return a < b
            case "<=": return a <= b
            case ">": return a > b
            default: return a >= b
            }
        }
    }

    /// Parses `COLOUR: CONDITION`; errors say what was expected where.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw MaskSpecError.invalidRule(rule: text, detail: "no ':' between the colour and the condition")
        }
        let colorText = String(text[..<colon]).trimmingCharacters(in: .whitespaces)
        do { color = try RegionColor(parsing: colorText) } catch {
            throw MaskSpecError.invalidRule(rule: text, detail: "'\(colorText)' is not #RRGGBB or a palette colour")
        }
        let body = text[text.index(after: colon)...]
        var alternatives: [[Condition.Comparison]] = []
        for alternative in body.components(separatedBy: "||") {
            var terms: [Condition.Comparison] = []
            for term in alternative.components(separatedBy: "&&") {
                terms.append(try ThresholdRule.comparison(term.trimmingCharacters(in: .whitespaces), rule: text))
            }
            alternatives.append(terms)
        }
        condition = Condition(alternatives: alternatives)
        self.text = text
    }

    private static func comparison(_ term: String, rule: String) throws -> Condition.Comparison {
        for op in ["<=", ">=", "<", ">"] {
            guard let range = term.range(of: op) else { continue }
            let left = try operand(String(term[..<range.lowerBound]), rule: rule)
            let right = try operand(String(term[range.upperBound...]), rule: rule)
            return Condition.Comparison(left: left, op: op, right: right)
        }
        throw MaskSpecError.invalidRule(rule: rule, detail: "'\(term)' is not a comparison like 'b > 0.6'")
    }

    private static func operand(_ raw: String, rule: String) throws -> Condition.Operand {
        let t = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if t.count == 1, let c = t.first, "rgbhsvy".contains(c) { return .variable(c) }
        if let x = Float(t), x.isFinite { return .number(x) }
        throw MaskSpecError.invalidRule(rule: rule, detail: "'\(raw.trimmingCharacters(in: .whitespaces))' is neither a variable (r g b h s v y) nor a number")
    }
}
