import Foundation
import NSTImage
import NSTTransfer

/// One swept key and the values it takes, in order.
public struct SweepDimension: Equatable, Sendable {
    /// Dotted run-configuration key, e.g. `style_weight` or `layer_weights.style.relu1_1`.
    public let key: String
    public let values: [JSONValue]
}

/// A parsed sweep file: a base configuration, a grid, a zipped dimension, extra and excluded runs, seeds.
///
/// Grammar (JSON; every key optional except that some run must name `content` and `style`):
/// ```
/// name     string            output folder name (default: the file's stem)
/// base     object            run-configuration keys shared by every run (nested or dotted)
/// grid     {key: values}     cartesian product; values are a list, {"range": [start, stop, step]} (stop excluded),
///                            {"linspace": [a, b, n]} or {"logspace": [a, b, n]} (10^a … 10^b, n values)
/// zip      {key: values}     one dimension whose keys advance together (equal lengths)
/// include  [object]          extra runs: base + these keys (crossed with seeds unless they set `seed`)
///                            `label` (in include, zip and exclude) names a run for reports; not a run key
/// exclude  [object]          drop every run whose values match all keys of one entry
/// seeds    values            the innermost dimension, on key `seed`
/// report   object            passed through to plan.json for `nst-exp report` (e.g. rows, columns)
/// ```
/// Relative image and weights paths are relative to the sweep file's folder.
public struct Sweep: Sendable {
    /// The sweep file as given.
    public let source: URL
    /// Its exact bytes (copied into the output folder).
    public let data: Data
    public var name: String
    /// Base configuration as a JSON object (dotted keys expanded).
    public var base: JSONValue
    /// Grid dimensions in key order (sorted by key, so the order does not depend on JSON object ordering).
    public var grid: [SweepDimension]
    /// Linked dimensions (sorted by key), all of one length.
    public var zip: [SweepDimension]
    /// Extra runs, as dotted key → value, in file order.
    public var include: [[String: JSONValue]]
    /// Partial matches on dotted keys; a run matching every key of any entry is dropped.
    public var exclude: [[String: JSONValue]]
    /// Values of `seed`, the innermost dimension; nil = no seed dimension.
    public var seeds: [JSONValue]?
    /// The `report` block, passed through.
    public var report: JSONValue?
    /// Where each key's value came from (for error messages): dotted key → location in the file.
    var origins: [String: String] = [:]

    /// Keys a sweep file may have at the top level.
    public static let topLevelKeys = ["name", "description", "base", "grid", "zip", "include", "exclude", "seeds", "report"]
    /// A run's name in reports (contact sheets, runs tables), set in `include` entries or zipped; it is not part of the
    /// run configuration, so it neither changes the config hash nor reaches the run.
    public static let labelKey = "label"
    /// Run-configuration keys whose values are file paths, resolved against the sweep file's folder.
    public static var pathKeys: [String] { RunConfiguration.pathKeys }
    /// Keys of a `regions` entry whose values are file paths.
    static let regionPathKeys = ["content_guide", "style_guide"]

    /// Reads and parses a sweep file.
    public static func load(from url: URL) throws -> Sweep {
        let data: Data
        do { data = try FileIO.read(url.path) } catch let error as FileIOError {
            throw SweepError.unreadable(path: url.path, reason: error.reason)
        }
        return try Sweep(data: data, source: url)
    }

    /// Parses sweep JSON; `source` is the file (its folder anchors relative paths, its name appears in errors).
    public init(data: Data, source: URL) throws {
        self.source = source
        self.data = data
        let file = source.path
        let root: JSONValue
        do {
            try DuplicateKeyScan.check(data)
            root = try JSONValue.parse(data)
        } catch let duplicate as DuplicateJSONKey {
            throw SweepError.malformed(file: file, path: duplicate.path, detail: duplicate.detail)
        } catch {
            throw SweepError.unreadable(path: file, reason: JSONSyntax.firstError(in: data).map { "not valid JSON (\($0))" }
                                            ?? (error as? DecodingError)?.text ?? "not valid JSON (\(error.localizedDescription))")
        }
        guard case .object(let top) = root else {
            throw SweepError.malformed(file: file, path: "(top level)", detail: "must be a JSON object")
        }
        for key in top.keys.sorted() where !Sweep.topLevelKeys.contains(key) {
            throw SweepError.unknownKey(file: file, path: key, suggestion: nearestKey(to: key, among: Sweep.topLevelKeys))
        }
        let parser = SweepParser(file: file)
        name = try parser.name(top["name"], default: source.deletingPathExtension().lastPathComponent)
        if let description = top["description"], !description.isString {
            throw SweepError.malformed(file: file, path: "description", detail: "must be a string")
        }
        var origins: [String: String] = [:]
        base = try parser.base(top["base"], origins: &origins)
        grid = try parser.dimensions(top["grid"], section: "grid", origins: &origins)
        zip = try parser.dimensions(top["zip"], section: "zip", origins: &origins)
        if Set(zip.map(\.values.count)).count > 1 {
            let text = zip.map { "\($0.key): \($0.values.count)" }.joined(separator: ", ")
            throw SweepError.malformed(file: file, path: "zip", detail: "lists must have equal lengths (\(text))")
        }
        include = try parser.partialRuns(top["include"], section: "include", origins: &origins)
        exclude = try parser.partialRuns(top["exclude"], section: "exclude", origins: &origins)
        seeds = try top["seeds"].map { try parser.values($0, path: "seeds") }
        if let seeds {
            for (i, seed) in seeds.enumerated() {
                guard case .int(let s) = seed, s >= 0 else {
                    throw SweepError.malformed(file: file, path: "seeds[\(i)]", detail: "must be an integer ≥ 0, got \(seed.jsonText)")
                }
            }
            origins["seed"] = "seeds"
        }
        report = top["report"]
        if let report { try parser.checkReport(report) }
        self.origins = origins
        let swept = grid.map(\.key) + zip.map(\.key) + (seeds == nil ? [] : ["seed"])
        if let repeated = Dictionary(grouping: swept, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw SweepError.malformed(file: file, path: repeated, detail: "is swept twice (in grid, zip or seeds); sweep each key in one place")
        }
    }

    /// Applies a command-line override `key=value` (value parsed as JSON, else taken as a string).
    ///
    /// The key is fixed for every run: it leaves the grid (or replaces `seeds`), and it cannot be part of a zip.
    /// A relative path given this way is relative to the current folder, as a shell user expects.
    public mutating func override(_ text: String) throws {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw SweepError.invalidOverride(text: text, hint: "write key=value, e.g. style_weight=1e4")
        }
        let key = String(text[..<equals]), raw = String(text[text.index(after: equals)...])
        do {
            try SweepParser(file: "--set").checkKey(key, path: key)
        } catch let error as SweepError {
            if case let .unknownKey(_, _, suggestion) = error {
                throw SweepError.invalidOverride(text: text, hint: "unknown key '\(key)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
            }
            throw error
        }
        do { try DuplicateKeyScan.check(Data(raw.utf8)) } catch let duplicate as DuplicateJSONKey {
            throw SweepError.invalidOverride(text: text, hint: "\(duplicate)")
        }
        var value = (try? JSONValue.parse(Data(raw.utf8))) ?? .string(raw)
        if Sweep.pathKeys.contains(key) {
            value = Sweep.absolutePaths(value, key: key, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        }
        if zip.contains(where: { $0.key == key }) {
            throw SweepError.invalidOverride(text: text, hint: "'\(key)' is linked in zip; edit the sweep file instead")
        }
        grid.removeAll { $0.key == key }
        if key == "seed" { seeds = nil }
        base.set(value, at: key)
        for i in include.indices { include[i][key] = nil }
        origins[key] = "--set \(key)"
    }

    /// Makes relative paths of a path key absolute against `folder` (leaves "content"/"noise"/"style" of `init` alone;
    /// in `regions`, the guide paths of each entry).
    static func absolutePaths(_ value: JSONValue, key: String, relativeTo folder: URL) -> JSONValue {
        func resolve(_ path: String) -> String {
            if key == "init", ["content", "noise", "style"].contains(path) { return path }
            if path.hasPrefix("/") || path.isEmpty { return path }
            return folder.appendingPathComponent(path).standardizedFileURL.path
        }
        func resolveRegion(_ entry: JSONValue) -> JSONValue {
            guard case .object(var o) = entry else { return entry }
            for k in regionPathKeys { if case .string(let s)? = o[k] { o[k] = .string(resolve(s)) } }
            return .object(o)
        }
        switch value {
        case .array(let a) where key == "regions": return .array(a.map(resolveRegion))
        case .string(let s): return .string(resolve(s))
        case .array(let a): return .array(a.map { if case .string(let s) = $0 { return .string(resolve(s)) }; return $0 })
        default: return value
        }
    }
}

/// The parsing rules of the sweep grammar, with JSON paths for every error.
struct SweepParser {
    let file: String

    func name(_ value: JSONValue?, default fallback: String) throws -> String {
        guard let value else { return fallback }
        // Control characters: a newline in the name split export's #SBATCH --job-name line, and Slurm then ignored
        // every directive after it.
        guard case .string(let s) = value, !s.isEmpty, !s.contains("/"), s != ".", s != "..",
              !s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw SweepError.malformed(file: file, path: "name", detail: "must be a non-empty string without '/' or control characters (it names the output folder and the Slurm job)")
        }
        return s
    }

    /// The `report` block, checked at load (a bad one used to surface only when the report was drawn, after every run):
    /// its keys are `SweepResults.Layout`'s, with the types the report reads.
    func checkReport(_ report: JSONValue) throws {
        guard case .object(let block) = report else {
            throw SweepError.malformed(file: file, path: "report", detail: "must be an object such as {\"rows\": \"style_weight\", \"columns\": \"tv_weight\"}")
        }
        let keys = SweepResults.Layout.keys
        for key in block.keys.sorted() where !keys.contains(key) {
            let hint = nearestKey(to: key, among: keys).map { "; did you mean '\($0)'?" } ?? ""
            throw SweepError.malformed(file: file, path: "report.\(key)", detail: "is not a report key (\(keys.joined(separator: ", ")))\(hint)")
        }
        for (key, value) in block.sorted(by: { $0.key < $1.key }) {
            let fits: Bool, expected: String
            switch key {
            case "wrap":
                if case .int(let n) = value { fits = n >= 1 } else { fits = false }
                expected = "an integer ≥ 1 (images per row)"
            case "reference_seconds":
                switch value {
                case .int(let n): fits = n > 0
                case .double(let x): fits = x > 0 && x.isFinite
                default: fits = false
                }
                expected = "a number of seconds > 0"
            default:
                fits = value.isString
                expected = key == "reference_label" ? "a string" : "a string naming a swept key, e.g. \"style_weight\" or \"label\""
            }
            guard fits else { throw SweepError.malformed(file: file, path: "report.\(key)", detail: "must be \(expected), got \(value.jsonText)") }
        }
    }

    /// Checks a dotted key against the run-configuration schema.
    func checkKey(_ key: String, path: String) throws {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        // The runner names every run's files itself (runs/<id>/final.png, losses.csv); these keys were dropped silently.
        if ["output", "log"].contains(parts[0]) {
            throw SweepError.malformed(file: file, path: path, detail: "is set by the runner for each run (runs/<id>/final.png and "
                + "losses.csv); remove it, and give the sweep's folder with `nst-exp run --output`")
        }
        guard RunConfiguration.keys.contains(parts[0]) else {
            throw SweepError.unknownKey(file: file, path: path, suggestion: nearestKey(to: parts[0], among: RunConfiguration.keys + ["layer_weights.style.<layer>"]))
        }
        guard parts.count > 1 else { return }
        guard parts[0] == "layer_weights" else {
            throw SweepError.unknownKey(file: file, path: path, suggestion: parts[0])
        }
        guard ["content", "style"].contains(parts[1]) else {
            throw SweepError.unknownKey(file: file, path: path, suggestion: "layer_weights." + (nearestKey(to: parts[1], among: ["content", "style"]) ?? "style"))
        }
        guard parts.count <= 3, parts.count < 3 || !parts[2].isEmpty else {
            throw SweepError.unknownKey(file: file, path: path, suggestion: "layer_weights.\(parts[1]).\(parts.count > 2 ? parts[2] : "relu1_1")")
        }
    }

    /// A run label: a non-empty string.
    func checkLabel(_ value: JSONValue, path: String) throws {
        guard case .string(let text) = value, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SweepError.malformed(file: file, path: path, detail: "must be a non-empty string naming the run, got \(value.jsonText)")
        }
    }

    /// `base`: an object of run keys; dotted keys are expanded into nested objects.
    func base(_ value: JSONValue?, origins: inout [String: String]) throws -> JSONValue {
        guard let value else { return .object([:]) }
        guard case .object(let o) = value else {
            throw SweepError.malformed(file: file, path: "base", detail: "must be an object of run-configuration keys")
        }
        var result = JSONValue.object([:])
        for key in o.keys.sorted() {
            try checkKey(key, path: "base.\(key)")
            // "a.b.c" after a nested "a": {"b": {"c": …}} (sorted, the nested one comes first): one of the two was
            // dropped silently.
            if key.contains("."), let earlier = result.value(at: key) {
                let top = key.prefix { $0 != "." }
                throw SweepError.malformed(file: file, path: "base.\(key)", detail: "is also set inside base.\(top) "
                    + "(to \(earlier.jsonText)); set it in one place")
            }
            result.set(o[key] ?? .null, at: key)
            origins[key] = "base.\(key)"
        }
        // Nested objects (layer_weights) are checked key by key by the configuration decoder later; its error paths
        // get the "base." prefix there.
        return result
    }

    /// `grid` or `zip`: key → list or generator.
    func dimensions(_ value: JSONValue?, section: String, origins: inout [String: String]) throws -> [SweepDimension] {
        guard let value else { return [] }
        guard case .object(let o) = value else {
            throw SweepError.malformed(file: file, path: section, detail: "must be an object mapping keys to lists of values")
        }
        return try o.keys.sorted().map { key in
            let path = "\(section).\(key)"
            origins[key] = path
            if key == Sweep.labelKey {
                // Labels name cases; a grid of them would cross names with nothing to name.
                guard section == "zip" else {
                    throw SweepError.malformed(file: file, path: path, detail: "labels name individual runs: put them in zip (beside the keys they describe) or in include entries")
                }
                let labels = try values(o[key] ?? .null, path: path)
                for (i, label) in labels.enumerated() { try checkLabel(label, path: "\(path)[\(i)]") }
                return SweepDimension(key: key, values: labels)
            }
            try checkKey(key, path: path)
            return SweepDimension(key: key, values: try values(o[key] ?? .null, path: path))
        }
    }

    /// A list, or `{"range"|"linspace"|"logspace": [a, b, c]}`.
    func values(_ value: JSONValue, path: String) throws -> [JSONValue] {
        switch value {
        case .array(let list):
            guard !list.isEmpty else { throw SweepError.malformed(file: file, path: path, detail: "is an empty list; give at least one value") }
            return list
        case .object(let o) where o.count == 1:
            let (kind, arguments) = (o.keys.first ?? "", o.values.first ?? .null)
            let generators = ["range", "linspace", "logspace"]
            guard generators.contains(kind) else {
                throw SweepError.unknownKey(file: file, path: "\(path).\(kind)", suggestion: nearestKey(to: kind, among: generators))
            }
            guard case .array(let args) = arguments, args.count == 3, args.allSatisfy({ $0.number != nil }) else {
                throw SweepError.malformed(file: file, path: "\(path).\(kind)", detail: "must be a list of three numbers, e.g. [2, 5, 4]")
            }
            return try generate(kind, args, path: "\(path).\(kind)")
        default:
            throw SweepError.malformed(file: file, path: path,
                detail: "must be a list of values or {\"range\"|\"linspace\"|\"logspace\": [a, b, n]}, got \(value.jsonText); a fixed value belongs in base")
        }
    }

    static let maximumValues = 10_000

    private func generate(_ kind: String, _ args: [JSONValue], path: String) throws -> [JSONValue] {
        let a = args[0].number ?? 0, b = args[1].number ?? 0, c = args[2].number ?? 0
        if kind == "range" {
            // Python's range: start, start+step, … while < stop (> stop for a negative step); integers stay integers.
            guard c != 0, c.isFinite, a.isFinite, b.isFinite else {
                throw SweepError.malformed(file: file, path: path, detail: "needs a finite, non-zero step")
            }
            let count = max(0, Int(((b - a) / c - 1e-9).rounded(.up)))
            guard count >= 1 else { throw SweepError.malformed(file: file, path: path, detail: "is empty (stop is excluded; step \(c) never reaches it)") }
            guard count <= SweepParser.maximumValues else { throw SweepError.malformed(file: file, path: path, detail: "makes \(count) values; at most \(SweepParser.maximumValues)") }
            let integral = args.allSatisfy { if case .int = $0 { return true }; return false }
            return (0..<count).map { i in integral ? .int(Int(a) + i * Int(c)) : .double(a + Double(i) * c) }
        }
        guard case .int(let n) = args[2], n >= 1, n <= SweepParser.maximumValues else {
            throw SweepError.malformed(file: file, path: path, detail: "needs a count n between 1 and \(SweepParser.maximumValues) as its third entry")
        }
        // linspace: a + (b − a)·i/(n − 1), both ends included; logspace: 10 raised to the linspace.
        let points = (0..<n).map { i in n == 1 ? a : a + (b - a) * Double(i) / Double(n - 1) }
        if kind == "linspace" { return points.map { .double($0) } }
        return points.map { .double(Double(String(format: "%.12g", pow(10, $0))) ?? pow(10, $0)) }
    }

    /// `include` / `exclude`: a list of objects of dotted keys.
    func partialRuns(_ value: JSONValue?, section: String, origins: inout [String: String]) throws -> [[String: JSONValue]] {
        guard let value else { return [] }
        guard case .array(let list) = value else {
            throw SweepError.malformed(file: file, path: section, detail: "must be a list of objects, e.g. [{\"optimizer\": \"adam\"}]")
        }
        return try list.enumerated().map { i, entry in
            guard case .object(let o) = entry, !o.isEmpty else {
                throw SweepError.malformed(file: file, path: "\(section)[\(i)]", detail: "must be a non-empty object of run-configuration keys")
            }
            for key in o.keys.sorted() {
                if key == Sweep.labelKey {
                    try checkLabel(o[key] ?? .null, path: "\(section)[\(i)].\(key)")
                } else {
                    try checkKey(key, path: "\(section)[\(i)].\(key)")
                }
                if section == "include" { origins[key] = origins[key] ?? "\(section)[\(i)].\(key)" }
            }
            return o
        }
    }
}
