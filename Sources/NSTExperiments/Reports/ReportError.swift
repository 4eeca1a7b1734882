import Foundation

/// What can go wrong while reading a sweep folder or writing its report; each case names the file and a fix.
public enum ReportError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The folder is not a sweep output folder.
    case notASweep(path: String, hint: String)
    /// A JSON or CSV file exists but cannot be parsed.
    case malformedFile(path: String, reason: String)
    /// A file from a newer format version than this build reads (`FileFormat`).
    case newerFormat(NewerFormatError)
    case unwritable(path: String, reason: String)
    /// `gnuplot` is not installed or not on PATH.
    case gnuplotMissing(hint: String)
    /// gnuplot ran but failed; `script` is the line it rejected when known.
    case gnuplotFailed(output: String, status: Int32, stderr: String)
    /// `compare` needs at least two sweeps.
    case nothingToCompare(count: Int)
    /// A report's folder exists, is not empty, and holds no earlier report: clearing its plots/ and images/ would
    /// delete files the report did not write.
    case foreignFolder(path: String, example: String)

    public var description: String {
        switch self {
        case let .notASweep(path, hint):
            return "\(path) is not a sweep output folder: \(hint)"
        case let .malformedFile(path, reason):
            return "cannot parse \(path): \(reason); rerun the sweep (`nst-exp run`) to rewrite it, or delete the run folder to rerun that run"
        case .newerFormat(let error):
            return error.description
        case let .unwritable(path, reason):
            return "cannot write \(path): \(reason); check the folder exists and is writable"
        case .gnuplotMissing(let hint):
            return "gnuplot was not found on PATH; \(hint)"
        case let .gnuplotFailed(output, status, stderr):
            return "gnuplot failed (exit status \(status)) while drawing \(output): \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
        case let .foreignFolder(path, example):
            return "\(path) holds files no nst-exp report wrote (such as \(example)), and a report clears its plots/ and "
                + "images/; move those files away, or give --output a new or empty folder (or one an earlier report of nst-exp wrote)"
        case .nothingToCompare(let count):
            return "compare needs at least two sweep folders, got \(count); pass e.g. `nst-exp compare Reports/a Reports/b`"
        }
    }

    public var errorDescription: String? { description }
}
