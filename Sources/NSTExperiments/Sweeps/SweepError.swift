import NSTNetwork
import Foundation
import NSTTransfer

/// A sweep that cannot be planned or run; every case names the file, the JSON path or run, and the fix.
public enum SweepError: Error, CustomStringConvertible, LocalizedError {
    /// The sweep file cannot be read or is not JSON.
    case unreadable(path: String, reason: String)
    /// A key that neither the sweep nor the run configuration has.
    case unknownKey(file: String, path: String, suggestion: String?)
    /// A value of the wrong type or shape at a JSON path of the sweep.
    case malformed(file: String, path: String, detail: String)
    /// A run's configuration is invalid; `location` says which part of the sweep set the offending value.
    case invalidRun(file: String, run: String, location: String, ConfigurationError)
    /// Two runs would have the same configuration.
    case duplicateRuns(file: String, first: Int, second: Int, params: String)
    /// A `--set key=value` that cannot be applied.
    case invalidOverride(text: String, hint: String)
    /// The sweep changed since the output folder was written, altering runs that already exist there.
    case changed(folder: String, details: [String])
    /// A `--shard` that is not k/n with 0 ≤ k < n.
    case invalidShard(text: String)
    /// Reading or writing the output folder failed.
    case io(path: String, reason: String)
    /// The VGG-19 weights cannot be loaded.
    case weights(path: String, reason: String)
    /// Another runner holds the output folder's lock.
    case locked(folder: String, holders: [String])
    /// A stop request (Ctrl-C) ended the wait for the folder's lock.
    case lockWaitStopped(folder: String)
    /// The sweep has more runs than `--max-runs` allows.
    case tooManyRuns(file: String, count: Int, limit: Int)
    /// Nothing is left to run (every run excluded, or an empty shard).
    case noRuns(file: String, detail: String)
    /// Files the finished runs were made from have changed since `manifest.json` recorded them.
    case inputsChanged(folder: String, files: [String])
    /// An input (the sweep file or a run's image, mask or weights) is a file the runner writes or clears in its folder.
    case inputInOutput(role: String, path: String, written: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read sweep file \(path): \(reason)."
        case let .unknownKey(file, path, suggestion):
            let hint = suggestion.map { " Did you mean '\($0)'?" } ?? ""
            return "\(file): unknown key '\(path)'.\(hint) Sweep keys are name, description, base, grid, zip, include, "
                + "exclude, seeds, report; run keys are the snake_case keys of a run configuration (dotted when nested)."
        case let .malformed(file, path, detail):
            return "\(file): '\(path)' \(detail)."
        case let .invalidRun(file, run, location, error):
            var text = "\(file): \(run) (value from \(location)): \(error.description)"
            // A --set path is relative to the current folder, as the image error itself says; a file's to its folder.
            if case .image = error, !location.hasPrefix("--set") {
                text += " In a sweep, relative paths are relative to the sweep file's folder."
            }
            return text
        case let .duplicateRuns(file, first, second, params):
            return "\(file): runs \(first) and \(second) have the same configuration (\(params)); "
                + "remove the repeated value, or exclude one of them."
        case let .invalidOverride(text, hint):
            return "--set \(text): \(hint)."
        case let .changed(folder, details):
            let shown = details.prefix(5).joined(separator: "; ") + (details.count > 5 ? "; … (\(details.count) in all)" : "")
            return "the sweep changed since \(folder) was written: \(shown). Existing runs keep their index; pass "
                + "--allow-changed to run the new configurations under new indices, or --output a fresh folder."
        case let .invalidShard(text):
            return "--shard \(text): expected k/n with 0 ≤ k < n, e.g. 0/4."
        case let .io(path, reason):
            return "cannot write \(path): \(reason)."
        case let .weights(path, reason):
            return "cannot load the VGG-19 weights \(path): \(reason)."
        case let .locked(folder, holders):
            return "\(folder) is in use by another nst-exp run: \(holders.joined(separator: "; ")). Wait for it to end "
                + "(or pass --wait to start when it does), or give this run another --output folder."
        case let .lockWaitStopped(folder):
            return "stopped while waiting for the lock of \(folder); nothing was run."
        case let .tooManyRuns(file, count, limit):
            guard count < Int.max else {
                return "\(file): the sweep has more runs than can be counted, more than --max-runs \(limit). Check the grid "
                    + "(each key multiplies the count)."
            }
            return "\(file): the sweep has \(count) runs, more than --max-runs \(limit). Check the grid (each key multiplies "
                + "the count), or pass --max-runs \(count) if you mean it."
        case let .noRuns(file, detail):
            return "\(file): \(detail)."
        case let .inputsChanged(folder, files):
            let shown = files.prefix(5).joined(separator: "; ") + (files.count > 5 ? "; … (\(files.count) in all)" : "")
            return "input files changed since the runs in \(folder) were made: \(shown). Their results no longer follow "
                + "from these files; pass --force to run every run again with them, or --output a fresh folder (or put "
                + "the old files back)."
        case let .inputInOutput(role, path, written):
            return "\(role) \(path) is \(written), which the sweep writes or clears; move the file out of the output "
                + "folder, or give --output another folder."
        }
    }

    public var errorDescription: String? { description }
}

/// The candidate nearest to `word` (see `NameSuggestion`), or nil if there are none.
func nearestKey(to word: String, among candidates: [String]) -> String? {
    NameSuggestion.nearest(to: word, among: candidates)
}
