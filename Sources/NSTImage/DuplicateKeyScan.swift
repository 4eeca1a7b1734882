import Foundation

/// A key that occurs twice in one JSON object, with both values as written and where they are.
///
/// JSONSerialization and JSONDecoder accept such objects and silently keep one of the values, so a configuration
/// or sweep with `"style_weight"` written twice would run with whichever the parser picked. `DuplicateKeyScan`
/// finds them first; run configurations (`RunConfiguration.decode`), sweeps and their `--set` values (`Sweep`) and
/// mask shape files (`MaskSpec.decode`) all call it.
public struct DuplicateJSONKey: Error, Equatable, Sendable, CustomStringConvertible {
    /// JSON path of the key, e.g. `layer_weights.style.relu1_1` or `include[2].optimizer`.
    public let path: String
    /// The first and the second value, as written (shortened when long).
    public let first: String
    public let second: String
    /// 1-based line and column (in characters) of each occurrence of the key.
    public let firstLine: Int, firstColumn: Int
    public let line: Int, column: Int

    /// What is wrong, without the key: "appears twice: 1000 at line 2, column 3 and 2000 at line 5, column 3; …".
    public var detail: String {
        "appears twice: \(first) at line \(firstLine), column \(firstColumn) and \(second) at line \(line), "
            + "column \(column); JSON readers silently keep only one, so remove the other"
    }

    public var description: String { "key '\(path)' \(detail)" }
}

/// A strict pass over JSON text that reports the first duplicate key of any object, at any depth.
///
/// It is a tokenizer, not a parser: text that is not valid JSON is left to the real parser (the scan returns
/// without a finding), so syntax errors keep their usual messages. Keys are compared after unescaping, as the
/// parsers compare them (`"a"` and `"\u0061"` are the same key). Nesting deeper than `maximumDepth` is not scanned.
public enum DuplicateKeyScan {
    /// Deeper than any configuration; Foundation's parser refuses nesting beyond 512 anyway.
    static let maximumDepth = 512
    /// Values longer than this are shortened in messages.
    public static let valueLength = 60

    /// Throws `DuplicateJSONKey` for the first key that occurs twice in one object.
    public static func check(_ data: Data) throws {
        let bytes = [UInt8](data)
        var scanner = Scanner(bytes: bytes)
        do {
            scanner.skipWhitespace()
            try scanner.value(path: "", depth: 0)
        } catch let found as DuplicateJSONKey {
            throw found
        } catch {
            return   // not JSON (or too deep): the parser reports it
        }
    }

    private struct Stop: Error {}

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipWhitespace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func value(path: String, depth: Int) throws {
            guard i < bytes.count, depth <= DuplicateKeyScan.maximumDepth else { throw Stop() }
            switch bytes[i] {
            case UInt8(ascii: "{"): try object(path: path, depth: depth + 1)
            case UInt8(ascii: "["): try array(path: path, depth: depth + 1)
            case UInt8(ascii: "\""): _ = try string()
            default:
                // Numbers and literals: their characters; the parser judges them.
                let start = i
                while i < bytes.count, !",]} \t\r\n".utf8.contains(bytes[i]) { i += 1 }
                if i == start { throw Stop() }
            }
        }

        mutating func object(path: String, depth: Int) throws {
            i += 1
            var seen: [String: (key: Int, value: Range<Int>)] = [:]
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return }
            while true {
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Stop() }
                let keyStart = i
                let key = try string()
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Stop() }
                i += 1
                skipWhitespace()
                let valueStart = i
                let child = path.isEmpty ? key : path + "." + key
                try value(path: child, depth: depth)
                let valueRange = valueStart..<i
                if let first = seen[key] {
                    let (l1, c1) = position(first.key), (l2, c2) = position(keyStart)
                    throw DuplicateJSONKey(path: child, first: text(first.value), second: text(valueRange),
                                           firstLine: l1, firstColumn: c1, line: l2, column: c2)
                }
                seen[key] = (keyStart, valueRange)
                skipWhitespace()
                guard i < bytes.count else { throw Stop() }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return }
                throw Stop()
            }
        }

        mutating func array(path: String, depth: Int) throws {
            i += 1
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return }
            var index = 0
            while true {
                skipWhitespace()
                try value(path: "\(path)[\(index)]", depth: depth)
                index += 1
                skipWhitespace()
                guard i < bytes.count else { throw Stop() }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return }
                throw Stop()
            }
        }

        /// A string literal starting at the quote; returns its unescaped text.
        mutating func string() throws -> String {
            i += 1
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() {
                scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                raw.removeAll()
            }
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") { i += 1; flush(); return String(scalars) }
                if b != UInt8(ascii: "\\") { raw.append(b); i += 1; continue }
                flush()
                guard i + 1 < bytes.count else { throw Stop() }
                let e = bytes[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"),
                       bytes[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: scalars.append(Unicode.Scalar(e))
                }
            }
            throw Stop()
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
                throw Stop()
            }
            i += 4
            return code
        }

        /// 1-based line and column (characters, not bytes) of a byte offset.
        func position(_ offset: Int) -> (Int, Int) {
            var line = 1, column = 1
            for b in bytes[..<offset] {
                if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
            }
            return (line, column)
        }

        /// A value as written, on one line and shortened.
        func text(_ range: Range<Int>) -> String {
            let words = String(decoding: bytes[range], as: UTF8.self).split(whereSeparator: \.isWhitespace).joined(separator: " ")
            return words.count <= DuplicateKeyScan.valueLength ? words : String(words.prefix(DuplicateKeyScan.valueLength - 1)) + "…"
        }
    }
}
