import Foundation
import NSTNetwork
import NSTGuidance
import NSTImage

/// A run configuration that cannot be used; every case names the key, the offending value and the fix.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A JSON key (or a command-line option, `--name`) that no option has.
    case unknownKey(path: String, suggestion: String?)
    /// A JSON value of the wrong type or shape.
    case malformed(path: String, detail: String)
    /// The configuration file could not be read or is not JSON.
    case unreadableFile(path: String, reason: String)
    /// A key written twice in one JSON object of the file `source`.
    case duplicateKey(source: String, DuplicateJSONKey)
    /// A required option is absent.
    case missing(key: String, hint: String)
    /// An option has a value outside its domain.
    case invalidValue(key: String, value: String, hint: String)
    /// A layer name that VGG-19 does not have.
    case unknownLayer(key: String, name: String, suggestion: String)
    /// An image named by an option is missing or cannot be decoded.
    case image(key: String, ImageError)
    /// A mask or label map that cannot be used (size, missing region colour, bad colour text).
    case guidance(key: String, GuidanceError)
    /// An output names the same file as an input or another output (after resolving links).
    case collision(first: String, firstPath: String, second: String, secondPath: String)

    public var description: String {
        switch self {
        case let .unknownKey(path, suggestion):
            let hint = suggestion.map { " Did you mean '\($0)'?" } ?? ""
            if path.hasPrefix("--") { return "unknown option '\(path)'.\(hint) See `nst-exp stylize --help`." }
            return "unknown configuration key '\(path)'.\(hint) Keys are snake_case; see `nst-exp stylize --help`."
        case let .malformed(path, detail):
            return "configuration value at '\(path)' is malformed: \(detail)."
        case let .unreadableFile(path, reason):
            return "cannot read configuration file \(path): \(reason)."
        case let .duplicateKey(source, duplicate):
            return "\(source): \(duplicate)."
        case let .missing(key, hint):
            return "'\(key)' is required: \(hint)."
        case let .invalidValue(key, value, hint):
            return "'\(key)' = \(value) is invalid: \(hint)."
        case let .unknownLayer(key, name, suggestion):
            return "'\(key)' names unknown VGG-19 layer '\(name)'; did you mean '\(suggestion)'? "
                + "Valid names: conv1_1…conv5_4, relu1_1…relu5_4, pool1…pool5."
        case let .image(key, error):
            return "'\(key)': \(error.description)"
        case let .guidance(key, error):
            return "'\(key)': \(error.description)"
        case let .collision(first, firstPath, second, secondPath):
            let same = firstPath == secondPath ? "\(firstPath)" : "\(firstPath) and \(secondPath) (the same file)"
            return "'\(first)' and '\(second)' both name \(same); writing '\(first)' would destroy it. "
                + "Give '\(first)' another path."
        }
    }

    public var errorDescription: String? { description }
}
