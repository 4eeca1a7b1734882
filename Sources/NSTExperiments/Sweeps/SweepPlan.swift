import Crypto
import Foundation
import NSTImage
import NSTTransfer

/// One run of a sweep: its stable index, id, swept values and full configuration.
public struct PlannedRun: Sendable {
    /// Position in the plan; never reused for another configuration within one output folder.
    public let index: Int
    /// SHA-256 (hex) of the canonical configuration JSON.
    public let configHash: String
    /// The swept values of this run (dotted key → value as the sweep wrote it).
    public let params: [String: JSONValue]
    /// The configuration with input paths as written in the sweep (relative to its folder) and run-folder outputs.
    public let canonical: RunConfiguration
    /// The configuration ready to run: input paths absolute (output and log are set per run folder by the runner).
    public let resolved: RunConfiguration

    /// `<index>-<8 hex>`, e.g. `0007-1a2b3c4d`.
    public var id: String { String(format: "%04d-", index) + configHash.prefix(8) }
    /// Folder relative to the sweep's output folder.
    public var directory: String { "runs/\(id)" }
}

/// The deterministic expansion of a sweep into runs.
///
/// Order: the grid in sorted key order with the last key varying fastest, then the zip dimension, then seeds
/// (innermost); after the grid come the `include` runs in file order (each crossed with the seeds unless it sets
/// `seed`). Excluded runs are dropped and the rest numbered 0, 1, 2, … So run i depends only on the file (and
/// `--set`), never on JSON object order. When an output folder already holds a plan, `reconciled(with:)` keeps
/// every existing configuration at its old index and appends new ones after the highest old index, so indices are
/// never renumbered.
public struct SweepPlan: Sendable {
    public let sweep: Sweep
    public private(set) var runs: [PlannedRun]
    /// Dotted keys that vary across runs: grid keys, zip keys, include keys (with `label`, if any), then `seed`.
    public let swept: [String]
    /// Indices of `exclude` entries that match no run: a value of another type ("1" for 1) or spelling drops nothing.
    public private(set) var unmatchedExcludes: [Int] = []

    /// Expands `sweep`; throws for unknown keys, wrong types, duplicate runs, more than `maxRuns` runs and an
    /// `exclude` that leaves none (no file is opened).
    public init(sweep: Sweep, maxRuns: Int = .max) throws {
        self.sweep = sweep
        let folder = sweep.source.deletingLastPathComponent()
        // Counted before anything is expanded, so a runaway grid fails at once rather than after filling memory.
        let unfiltered = SweepPlan.candidateCount(sweep)
        if unfiltered > maxRuns && (sweep.exclude.isEmpty || unfiltered / 100 > maxRuns) {
            throw SweepError.tooManyRuns(file: sweep.source.path, count: unfiltered, limit: maxRuns)
        }
        var candidates: [(json: JSONValue, origins: [String: String])] = []
        var matched = Set<Int>()
        for assignment in SweepPlan.gridAssignments(sweep) + SweepPlan.includeAssignments(sweep) {
            var json = sweep.base
            var origins = sweep.origins.filter { sweep.base.value(at: $0.key) != nil }
            for (key, value, origin) in assignment {
                json.set(value, at: key)
                origins[key] = origin
            }
            let hits = SweepPlan.matchingExcludes(json, sweep.exclude)
            if !hits.isEmpty { matched.formUnion(hits); continue }
            candidates.append((json, origins))
        }
        unmatchedExcludes = sweep.exclude.indices.filter { !matched.contains($0) }
        if candidates.isEmpty {
            throw SweepError.noRuns(file: sweep.source.path, detail: "exclude removes all \(unfiltered) runs of the sweep, "
                + "so nothing would run; loosen the exclude entries (a run is dropped when it matches every key of one entry)")
        }
        if candidates.count > maxRuns {
            throw SweepError.tooManyRuns(file: sweep.source.path, count: candidates.count, limit: maxRuns)
        }
        let defaults = SweepPlan.defaults
        let keyOrder = SweepPlan.keyOrder(sweep)
        func value(of key: String, in json: JSONValue) -> JSONValue {
            json.value(at: key) ?? defaults.value(at: key) ?? .null
        }
        // With a single run nothing varies; its dimension keys still label it.
        swept = candidates.count <= 1 ? keyOrder
            : keyOrder.filter { key in Set(candidates.map { value(of: key, in: $0.json).jsonText }).count > 1 }
        var runs: [PlannedRun] = []
        var seen: [String: Int] = [:]
        for (index, candidate) in candidates.enumerated() {
            // The label names the run in reports only; it stays out of the configuration and so out of the hash.
            var runJSON = candidate.json
            if case .object(var keys) = runJSON { keys[Sweep.labelKey] = nil; runJSON = .object(keys) }
            let canonical = try SweepPlan.decode(runJSON, origins: candidate.origins, sweep: sweep, index: index)
            let hash = SweepPlan.hash(canonical)
            let params = Dictionary(uniqueKeysWithValues: swept.map { ($0, value(of: $0, in: candidate.json)) })
            if let first = seen[hash] {
                throw SweepError.duplicateRuns(file: sweep.source.path, first: first, second: index,
                                               params: JSONValue.object(params).jsonText)
            }
            seen[hash] = index
            runs.append(PlannedRun(index: index, configHash: hash, params: params, canonical: canonical,
                                   resolved: SweepPlan.resolvePaths(canonical, relativeTo: folder)))
        }
        self.runs = runs
    }

    /// The number of runs before `exclude`: grid × zip × seeds, plus the include entries (× seeds unless they set
    /// `seed`); `Int.max` when that overflows.
    static func candidateCount(_ sweep: Sweep) -> Int {
        let seeds = sweep.seeds?.count ?? 1
        var grid = 1
        for size in sweep.grid.map(\.values.count) + [sweep.zip.first?.values.count ?? 1, seeds] {
            let (product, overflow) = grid.multipliedReportingOverflow(by: size)
            if overflow { return .max }
            grid = product
        }
        if sweep.grid.isEmpty && sweep.zip.isEmpty && sweep.seeds == nil && !sweep.include.isEmpty { grid = 0 }
        let included = sweep.include.reduce(0) { $0 + ($1["seed"] == nil ? seeds : 1) }
        let (total, overflow) = grid.addingReportingOverflow(included)
        return overflow ? .max : total
    }

    /// (key, value, where it came from) for every grid point, in order.
    static func gridAssignments(_ sweep: Sweep) -> [[(String, JSONValue, String)]] {
        var dimensions: [[[(String, JSONValue, String)]]] = sweep.grid.map { d in
            d.values.enumerated().map { i, v in [(d.key, v, "grid.\(d.key)[\(i)]")] }
        }
        if let length = sweep.zip.first?.values.count {
            dimensions.append((0..<length).map { i in sweep.zip.map { ($0.key, $0.values[i], "zip.\($0.key)[\(i)]") } })
        }
        if let seeds = sweep.seeds {
            dimensions.append(seeds.enumerated().map { i, s in [("seed", s, "seeds[\(i)]")] })
        }
        // Mixed-radix counting, last dimension fastest; no dimensions at all = the base alone.
        var points: [[(String, JSONValue, String)]] = [[]]
        for dimension in dimensions {
            points = points.flatMap { prefix in dimension.map { prefix + $0 } }
        }
        return sweep.grid.isEmpty && sweep.zip.isEmpty && sweep.seeds == nil && !sweep.include.isEmpty ? [] : points
    }

    static func includeAssignments(_ sweep: Sweep) -> [[(String, JSONValue, String)]] {
        sweep.include.enumerated().flatMap { i, entry -> [[(String, JSONValue, String)]] in
            let assignment = entry.keys.sorted().map { ($0, entry[$0] ?? .null, "include[\(i)].\($0)") }
            guard let seeds = sweep.seeds, entry["seed"] == nil else { return [assignment] }
            return seeds.enumerated().map { j, s in assignment + [("seed", s, "seeds[\(j)]")] }
        }
    }

    /// The default configuration as JSON: the value of every key a sweep does not set.
    static let defaults: JSONValue = (try? JSONValue.parse(JSONEncoder().encode(RunConfiguration()))) ?? .object([:])

    /// The indices of the `exclude` entries a run matches (every key of the entry).
    static func matchingExcludes(_ json: JSONValue, _ exclude: [[String: JSONValue]]) -> [Int] {
        exclude.indices.filter { i in
            exclude[i].allSatisfy { key, value in (json.value(at: key) ?? defaults.value(at: key) ?? .null).matches(value) }
        }
    }

    static func keyOrder(_ sweep: Sweep) -> [String] {
        var keys = sweep.grid.map(\.key) + sweep.zip.map(\.key)
        for entry in sweep.include {
            for key in entry.keys.sorted() where !keys.contains(key) && key != "seed" { keys.append(key) }
        }
        if sweep.seeds != nil || sweep.include.contains(where: { $0["seed"] != nil }) { keys.append("seed") }
        return keys
    }

    /// Decodes one run's JSON with the strict configuration decoder; errors say which part of the sweep is at fault.
    static func decode(_ json: JSONValue, origins: [String: String], sweep: Sweep, index: Int) throws -> RunConfiguration {
        var config: RunConfiguration
        do {
            config = try RunConfiguration.decode(from: JSONEncoder().encode(json), source: sweep.source.path)
        } catch let error as ConfigurationError {
            throw SweepError.invalidRun(file: sweep.source.path, run: "run \(index)",
                                        location: origin(of: error, in: origins), error)
        } catch {
            throw SweepError.unreadable(path: sweep.source.path, reason: error.localizedDescription)
        }
        // Outputs live in the run folder; these names are what config.json and the hash record.
        config.output = "final.png"
        config.log = "losses.csv"
        return config
    }

    /// The sweep location that set the key an error is about (longest matching dotted prefix).
    static func origin(of error: ConfigurationError, in origins: [String: String]) -> String {
        let key: String
        switch error {
        case let .unknownKey(path, _), let .malformed(path, _): key = path
        case let .missing(k, _), let .invalidValue(k, _, _), let .unknownLayer(k, _, _), let .image(k, _), let .guidance(k, _): key = k
        case let .collision(first, _, _, _): key = first
        case .unreadableFile: key = ""
        case let .duplicateKey(_, duplicate): key = duplicate.path
        }
        // The origin of the key itself, of an enclosing object (`layer_weights` for `layer_weights.style.x`), or of a
        // nested key set on its own (`layer_weights.style.x` for an error about `layer_weights`).
        let matches = origins.filter { key == $0.key || key.hasPrefix($0.key + ".") || key.hasPrefix($0.key + "[")
                                       || $0.key.hasPrefix(key + ".") }
        return matches.max { $0.key.count < $1.key.count }?.value ?? "defaults"
    }

    /// SHA-256 of the configuration encoded with sorted keys (paths as written in the sweep).
    static func hash(_ config: RunConfiguration) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var normalised = config
        normalised.printEvery = 0   // progress printing does not change a result
        let data = (try? encoder.encode(normalised)) ?? Data()
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Input paths (images, weights, label maps and the guides of `regions`) made absolute against the sweep file's
    /// folder.
    static func resolvePaths(_ config: RunConfiguration, relativeTo folder: URL) -> RunConfiguration {
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") || path.isEmpty ? path : folder.appendingPathComponent(path).standardizedFileURL.path
        }
        var c = config
        c.content = c.content.map(resolve)
        c.style = c.style.map(resolve)
        c.weights = c.weights.map(resolve)
        if case .image(let path) = c.initialization { c.initialization = .image(path: resolve(path)) }
        c.contentMask = c.contentMask.map(resolve)
        c.styleMasks = c.styleMasks.map { $0.map(resolve) }
        for i in c.regions.indices {
            c.regions[i].contentGuide = c.regions[i].contentGuide.map(resolve)
            c.regions[i].styleGuide = c.regions[i].styleGuide.map(resolve)
        }
        return c
    }

    /// The runs of shard k of n: those whose index ≡ k (mod n), a stable assignment.
    public func shard(_ k: Int, of n: Int) -> [PlannedRun] {
        runs.filter { $0.index % n == k }
    }

    /// Every distinct input file of the plan (content, styles, init images, weights if given, masks and region
    /// guides), sorted.
    public var inputFiles: [String] {
        var files = Set<String>()
        for run in runs {
            let c = run.resolved
            if let content = c.content { files.insert(content) }
            files.formUnion(c.style)
            if case .image(let path) = c.initialization { files.insert(path) }
            if let weights = c.weights { files.insert(weights) }
            if let mask = c.contentMask { files.insert(mask) }
            files.formUnion(c.styleMasks.compactMap { $0 })
            files.formUnion(c.regions.flatMap { [$0.contentGuide, $0.styleGuide].compactMap { $0 } })
        }
        return files.sorted()
    }

    // MARK: validation

    /// Runs the configuration checks of every run (values, layer names, input files exist and decode) before any
    /// computation, in plan order, calling `progress` after each run with its position. Every run's values are
    /// checked (`checkValues`); the checks that read input files run once per `inputSignature`, so runs that differ
    /// only in loss weights, seeds or iteration counts share them, and each distinct file is decoded once
    /// (`DecodedImages`).
    public func validate(progress: (Int, PlannedRun) -> Void = { _, _ in }) throws {
        let scratch = FileManager.default.temporaryDirectory
        var checked = Set<String>()
        try DecodedImages().scoped {
            for (position, run) in runs.enumerated() {
                var c = run.resolved
                c.output = scratch.appendingPathComponent("nst-validate.png").path
                c.log = nil
                do {
                    try c.checkValues()
                    if checked.insert(SweepPlan.inputSignature(c)).inserted { try c.validate() }
                } catch let error as ConfigurationError {
                    var origins = sweep.origins
                    for key in run.params.keys { origins[key] = "the value \(run.params[key]?.jsonText ?? "") of \(key)" }
                    throw SweepError.invalidRun(file: sweep.source.path, run: "run \(run.id) \(JSONValue.object(run.params).jsonText)",
                                                location: SweepPlan.origin(of: error, in: origins), error)
                }
                progress(position, run)
            }
        }
    }

    /// The configuration with the keys that `checkValues` alone decides set to their defaults (loss weights, with
    /// `tv_weight` reduced to whether it is > 0; seed; learning rate; iterations; print and save intervals): configurations
    /// with equal signatures pass or fail the remaining checks of `plan()` together.
    static func inputSignature(_ config: RunConfiguration) -> String {
        let defaults = RunConfiguration()
        var c = config
        c.contentWeight = defaults.contentWeight
        c.styleWeight = defaults.styleWeight
        c.tvWeight = config.tvWeight > 0 ? 1 : 0   // "nothing to optimise" depends on it being > 0
        c.seed = defaults.seed
        c.learningRate = defaults.learningRate
        c.iterations = defaults.iterations
        c.printEvery = defaults.printEvery
        c.saveEvery = defaults.saveEvery
        return hash(c)
    }

    // MARK: stable indices across edits

    /// An index and config hash recorded by an earlier plan.json.
    public struct Recorded: Sendable, Equatable {
        public let index: Int
        public let configHash: String
        public init(index: Int, configHash: String) { self.index = index; self.configHash = configHash }
    }

    /// Compares with the runs an earlier invocation planned in the same folder. Identical or extended plans pass;
    /// if existing indices would get other configurations, throws `SweepError.changed` unless `allowChanged`, in
    /// which case existing configurations keep their old index and new ones get indices after the highest old one.
    public func reconciled(with recorded: [Recorded], folder: String, allowChanged: Bool) throws -> SweepPlan {
        let old = Dictionary(recorded.map { ($0.index, $0.configHash) }, uniquingKeysWith: { a, _ in a })
        var differences: [String] = []
        for run in runs {
            if let hash = old[run.index], hash != run.configHash {
                differences.append("run \(run.index) was \(hash.prefix(8)), now \(run.configHash.prefix(8))")
            }
        }
        let current = Set(runs.map(\.index))
        for r in recorded where !current.contains(r.index) {
            differences.append("run \(r.index) (\(r.configHash.prefix(8))) is no longer in the sweep")
        }
        if differences.isEmpty { return self }
        guard allowChanged else { throw SweepError.changed(folder: folder, details: differences) }
        let oldIndex = Dictionary(recorded.map { ($0.configHash, $0.index) }, uniquingKeysWith: { a, _ in a })
        var next = (recorded.map(\.index).max() ?? -1) + 1
        var copy = self
        copy.runs = runs.map { run in
            let index: Int
            if let kept = oldIndex[run.configHash] { index = kept } else { index = next; next += 1 }
            return PlannedRun(index: index, configHash: run.configHash, params: run.params,
                              canonical: run.canonical, resolved: run.resolved)
        }.sorted { $0.index < $1.index }
        return copy
    }
}
