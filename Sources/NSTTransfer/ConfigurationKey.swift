import Foundation
import NSTImage

/// One run-configuration key and everything that reads or writes it: the JSON reader and writer, the command line of
/// `nst-exp stylize` and its help, the per-key validation and sweep path resolution all derive from the entries of
/// `RunConfiguration.table` (RunConfiguration+Keys.swift). Adding a key is one entry there plus the property it sets.
public struct ConfigurationKey: @unchecked Sendable {
    /// JSON name (snake_case).
    public let name: String
    /// One line for `nst-exp stylize --help`.
    public let help: String
    /// The `nst-exp stylize` option (`--kebab-name`); nil for a key set only by a configuration file or `--set`.
    public let flag: String?
    /// The option's value in help (`n`, `image`, `l1,l2,…`).
    public let valueName: String
    /// Each occurrence of the option adds one entry (`--style a.png --style b.png`); otherwise the last one counts.
    public let repeatable: Bool
    /// The value of the option given alone (`--auto-masks` means `--auto-masks auto`); nil = a value is required.
    public let bareValue: String?
    /// Its values are file paths (a sweep resolves them against the sweep file's folder).
    public let isPath: Bool
    /// Its JSON values are integers or lists of integers (Foundation's refusal of a fraction is reported per key).
    public let isInteger: Bool
    /// The default as help shows it (empty: none shown, for a required key).
    public let defaultText: String

    let read: (KeyedDecodingContainer<AnyCodingKey>, inout RunConfiguration) throws -> Void
    let write: (RunConfiguration, inout KeyedEncodingContainer<AnyCodingKey>) throws -> Void
    let parse: ([String], inout RunConfiguration) throws -> Void
    let check: (RunConfiguration) throws -> Void
}

/// When a key is written by `encode`.
enum KeyEncoding {
    /// Always (an optional key only when set).
    case always
    /// Only when its value differs from the default, so configurations that leave it alone encode (and hash, for sweep
    /// provenance and resume) exactly as before the key existed.
    case unlessDefault
}

/// A per-key check run by `RunConfiguration.checkValues()`: throws `ConfigurationError.invalidValue` naming the key.
struct KeyCheck<Value> {
    let run: (Value, String) throws -> Void

    /// The value lies in `range`; `what` says what it counts.
    static func within<T: Comparable>(_ range: ClosedRange<T>, _ what: String) -> KeyCheck<T> {
        KeyCheck<T> { value, key in
            guard range.contains(value) else {
                throw ConfigurationError.invalidValue(key: key, value: "\(value)",
                                                      hint: "\(what) (allowed \(range.lowerBound)…\(range.upperBound))")
            }
        }
    }

    /// A loss weight: finite and ≥ 0.
    static var weight: KeyCheck<Float> {
        KeyCheck<Float> { value, key in
            guard value.isFinite, value >= 0 else {
                throw ConfigurationError.invalidValue(key: key, value: "\(value)", hint: "weights must be finite and ≥ 0")
            }
        }
    }

    /// `check` on the value when it is set.
    static func whenSet<T>(_ check: KeyCheck<T>) -> KeyCheck<T?> {
        KeyCheck<T?> { value, key in if let value { try check.run(value, key) } }
    }
}

extension ConfigurationKey {
    /// A key held by the property at `path`.
    /// - Parameters:
    ///   - flag: the command-line option; the default is `--` and the name in kebab case, nil for none.
    ///   - defaultText: the default in help (default: the default value's command-line text).
    ///   - read: how the JSON value is read (default: the value type's reader).
    ///   - commandLine: how the option's values (every occurrence, in order) set the configuration (default: the last
    ///     occurrence, parsed by the value type).
    static func key<V: ConfigurationValue>(
        _ name: String, _ path: WritableKeyPath<RunConfiguration, V>, _ help: String,
        flag: String? = "", value valueName: String? = nil, default defaultText: String? = nil,
        isPath: Bool = false, encoding: KeyEncoding = .always, check: KeyCheck<V>? = nil,
        repeatable: Bool = false, bareValue: String? = nil,
        read: ((KeyedDecodingContainer<AnyCodingKey>, AnyCodingKey) throws -> V?)? = nil,
        commandLine: (([String], inout RunConfiguration) throws -> Void)? = nil
    ) -> ConfigurationKey {
        let codingKey = AnyCodingKey(name), defaultValue = RunConfiguration()[keyPath: path]
        let cliFlag = flag.map { $0.isEmpty ? "--" + name.replacingOccurrences(of: "_", with: "-") : $0 }
        return ConfigurationKey(
            name: name, help: help, flag: cliFlag, valueName: valueName ?? V.valueName, repeatable: repeatable,
            bareValue: bareValue, isPath: isPath, isInteger: V.isInteger,
            defaultText: defaultText ?? defaultValue.commandLineText,
            read: { container, c in
                if let value = try (read ?? V.read)(container, codingKey) { c[keyPath: path] = value }
            },
            write: { c, container in
                let value = c[keyPath: path]
                if encoding == .unlessDefault, value == defaultValue { return }
                try value.write(to: &container, key: codingKey)
            },
            parse: commandLine ?? { values, c in
                guard let text = values.last else { return }
                guard let value = V(commandLine: text) else {
                    throw ConfigurationError.invalidValue(key: cliFlag ?? name, value: text, hint: "expected \(V.commandLineForm)")
                }
                c[keyPath: path] = value
            },
            check: { c in try check?.run(c[keyPath: path], name) })
    }
}

// MARK: value types

/// A type a run-configuration key can hold: how it is read from and written to JSON, parsed from one command-line
/// value, and shown in help.
protocol ConfigurationValue: Equatable {
    /// The value of `key`; nil when the key is absent or null (the configuration keeps its value).
    static func read(_ container: KeyedDecodingContainer<AnyCodingKey>, _ key: AnyCodingKey) throws -> Self?
    func write(to container: inout KeyedEncodingContainer<AnyCodingKey>, key: AnyCodingKey) throws
    /// The value of a command-line text, or nil when the text is not one.
    init?(commandLine text: String)
    /// The value as a command-line text (help's defaults).
    var commandLineText: String { get }
    /// What a command-line value must look like ("an integer"), for errors.
    static var commandLineForm: String { get }
    /// The value's placeholder in help.
    static var valueName: String { get }
    static var isInteger: Bool { get }
}

extension ConfigurationValue where Self: Codable {
    static func read(_ container: KeyedDecodingContainer<AnyCodingKey>, _ key: AnyCodingKey) throws -> Self? {
        try container.decodeIfPresent(Self.self, forKey: key)
    }
    func write(to container: inout KeyedEncodingContainer<AnyCodingKey>, key: AnyCodingKey) throws {
        try container.encode(self, forKey: key)
    }
}

extension ConfigurationValue {
    var commandLineText: String { "\(self)" }
    static var isInteger: Bool { false }
}

extension Int: ConfigurationValue {
    init?(commandLine text: String) { self.init(text) }
    static var commandLineForm: String { "an integer" }
    static var valueName: String { "n" }
    static var isInteger: Bool { true }
}

extension UInt64: ConfigurationValue {
    init?(commandLine text: String) { self.init(text) }
    static var commandLineForm: String { "an integer ≥ 0" }
    static var valueName: String { "n" }
    static var isInteger: Bool { true }
}

extension Float: ConfigurationValue {
    init?(commandLine text: String) { self.init(text) }
    static var commandLineForm: String { "a number" }
    static var valueName: String { "x" }
}

extension Double: ConfigurationValue {
    init?(commandLine text: String) { self.init(text) }
    static var commandLineForm: String { "a number" }
    static var valueName: String { "x" }
}

extension String: ConfigurationValue {
    init?(commandLine text: String) { self = text }
    static var commandLineForm: String { "a text" }
    static var valueName: String { "text" }
}

extension Bool: ConfigurationValue {
    init?(commandLine text: String) { self.init(text) }
    static var commandLineForm: String { "true or false" }
    static var valueName: String { "true|false" }
}

/// An optional key: absent leaves it, null clears it, a value sets it; written only when set.
extension Optional: ConfigurationValue where Wrapped: ConfigurationValue {
    static func read(_ container: KeyedDecodingContainer<AnyCodingKey>, _ key: AnyCodingKey) throws -> Wrapped?? {
        guard container.contains(key) else { return nil }
        return .some(try Wrapped.read(container, key))
    }
    func write(to container: inout KeyedEncodingContainer<AnyCodingKey>, key: AnyCodingKey) throws {
        if let self { try self.write(to: &container, key: key) }
    }
    init?(commandLine text: String) {
        guard let value = Wrapped(commandLine: text) else { return nil }
        self = .some(value)
    }
    var commandLineText: String { map(\.commandLineText) ?? "none" }
    static var commandLineForm: String { Wrapped.commandLineForm }
    static var valueName: String { Wrapped.valueName }
    static var isInteger: Bool { Wrapped.isInteger }
}

/// A list: on the command line its entries separated by commas (`256,512`).
extension Array: ConfigurationValue where Element: ConfigurationValue & Codable {
    init?(commandLine text: String) {
        var values: [Element] = []
        for entry in CommandLineText.entries(text) {
            guard let value = Element(commandLine: entry) else { return nil }
            values.append(value)
        }
        self = values
    }
    var commandLineText: String { map(\.commandLineText).joined(separator: ",") }
    static var commandLineForm: String { "a comma-separated list, each entry \(Element.commandLineForm)" }
    static var valueName: String { "\(Element.valueName)1,\(Element.valueName)2,…" }
    static var isInteger: Bool { Element.isInteger }
}

/// A key whose values are the raw values of a string enum: JSON and command line name a case, and a wrong name is
/// refused with the list of cases.
protocol ConfigurationEnum: ConfigurationValue, RawRepresentable, CaseIterable, Codable where RawValue == String {}

extension ConfigurationEnum {
    static func read(_ container: KeyedDecodingContainer<AnyCodingKey>, _ key: AnyCodingKey) throws -> Self? {
        guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let value = Self(commandLine: text) else {
            throw ConfigurationError.invalidValue(key: key.stringValue, value: "\"\(text)\"", hint: "use " + commandLineForm)
        }
        return value
    }
    init?(commandLine text: String) { self.init(rawValue: text) }
    var commandLineText: String { rawValue }
    static var commandLineForm: String { "one of " + allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ") }
    static var valueName: String { allCases.map(\.rawValue).joined(separator: "|") }
}

/// Helpers for command-line values.
enum CommandLineText {
    /// The comma-separated entries of `text`, trimmed, without empty ones.
    static func entries(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A JSON value that is one string or a list (`"style": "a.png"` or `["a.png", "b.png"]`).
    static func oneOrMany<E: Decodable>(_ single: @escaping (String) -> E) -> (KeyedDecodingContainer<AnyCodingKey>, AnyCodingKey) throws -> [E]? {
        { container, key in
            guard container.contains(key) else { return nil }
            if let text = try? container.decode(String.self, forKey: key) { return [single(text)] }
            return try container.decode([E].self, forKey: key)
        }
    }
}
