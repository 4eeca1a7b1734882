import Foundation

/// Where JSON text goes wrong, in words with a line and column: Foundation's parser only says "The given data
/// was not valid JSON", and accepts nothing it cannot represent (a number such as `1e999` overflows a Double).
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line and column (in bytes from the line start, +1).
    public let line: Int, column: Int
    public let reason: String

    public var description: String { "\(reason) at line \(line), column \(column)" }
}

/// A strict RFC 8259 syntax check that finds the first error and its position, used to explain why a
/// configuration, sweep or shape file was refused. It validates only; decoding stays with JSONDecoder.
public enum JSONSyntax {
    /// Deeper nesting is reported as an error (Foundation refuses it too).
    static let maximumDepth = 512

    /// The first syntax error of `data`, or nil if it is valid JSON.
    public static func firstError(in data: Data) -> JSONSyntaxError? {
        var scanner = Scanner(bytes: [UInt8](data))
        do {
            scanner.skipWhitespace()
            try scanner.value(depth: 0)
            scanner.skipWhitespace()
            if scanner.i < scanner.bytes.count { throw scanner.fail("unexpected text after the JSON value") }
            return nil
        } catch let error as JSONSyntaxError {
            return error
        } catch {
            return nil
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ reason: String, at position: Int? = nil) -> JSONSyntaxError {
            let end = min(position ?? i, bytes.count)
            var line = 1, lineStart = 0
            for k in 0..<end where bytes[k] == 0x0A {
                line += 1
                lineStart = k + 1
            }
            return JSONSyntaxError(line: line, column: end - lineStart + 1, reason: reason)
        }

        var current: String {
            guard i < bytes.count else { return "the end of the file" }
            let byte = bytes[i]
            return (0x21...0x7E).contains(byte) ? "'\(Character(UnicodeScalar(byte)))'" : String(format: "byte 0x%02X", byte)
        }

        mutating func skipWhitespace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func value(depth: Int) throws {
            guard depth < JSONSyntax.maximumDepth else { throw fail("nesting deeper than \(JSONSyntax.maximumDepth) levels") }
            guard i < bytes.count else { throw fail("expected a value, found the end of the file") }
            switch bytes[i] {
            case UInt8(ascii: "{"): try object(depth: depth + 1)
            case UInt8(ascii: "["): try array(depth: depth + 1)
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: throw fail("expected a value, found \(current)")
            }
        }

        mutating func object(depth: Int) throws {
            i += 1
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return }
            while true {
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key in double quotes, found \(current)") }
                try string()
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after the key, found \(current)") }
                i += 1
                skipWhitespace()
                try value(depth: depth)
                skipWhitespace()
                guard i < bytes.count else { throw fail("expected ',' or '}', found the end of the file") }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return }
                guard bytes[i] == UInt8(ascii: ",") else { throw fail("expected ',' or '}', found \(current)") }
                i += 1
            }
        }

        mutating func array(depth: Int) throws {
            i += 1
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return }
            while true {
                skipWhitespace()
                try value(depth: depth)
                skipWhitespace()
                guard i < bytes.count else { throw fail("expected ',' or ']', found the end of the file") }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return }
                guard bytes[i] == UInt8(ascii: ",") else { throw fail("expected ',' or ']', found \(current)") }
                i += 1
            }
        }

        mutating func string() throws {
            let start = i
            i += 1
            while i < bytes.count {
                let byte = bytes[i]
                if byte == UInt8(ascii: "\"") { i += 1; return }
                if byte < 0x20 { throw fail("control character inside a string (escape it)") }
                if byte == UInt8(ascii: "\\") {
                    i += 1
                    guard i < bytes.count else { break }
                    switch bytes[i] {
                    case UInt8(ascii: "u"):
                        let hex = bytes[min(i + 1, bytes.count)..<min(i + 5, bytes.count)]
                        guard hex.count == 4, hex.allSatisfy({ Character(UnicodeScalar($0)).isHexDigit }) else {
                            throw fail("\\u must be followed by four hex digits")
                        }
                        i += 4
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"): break
                    default: throw fail("invalid escape \\\(Character(UnicodeScalar(bytes[i])))")
                    }
                }
                i += 1
            }
            throw fail("string never closed (missing '\"')", at: start)
        }

        mutating func number() throws {
            let start = i
            func digits() -> Int {
                let from = i
                while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
                return i - from
            }
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            let leadingZero = i < bytes.count && bytes[i] == UInt8(ascii: "0")
            let integer = digits()
            guard integer > 0 else { throw fail("expected digits in a number", at: start) }
            if leadingZero, integer > 1 { throw fail("numbers must not have leading zeros", at: start) }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                guard digits() > 0 else { throw fail("expected digits after the decimal point", at: start) }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard digits() > 0 else { throw fail("expected digits in the exponent", at: start) }
            }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            if let value = Double(text), !value.isFinite {
                throw fail("number \(text) is too large (beyond ±1.8e308)", at: start)
            }
        }

        mutating func literal(_ word: String) throws {
            let utf8 = Array(word.utf8)
            guard i + utf8.count <= bytes.count, Array(bytes[i..<(i + utf8.count)]) == utf8 else {
                throw fail("expected a value, found \(current) (strings need double quotes)")
            }
            i += utf8.count
        }
    }
}
