import Foundation
import NSTGuidance
import NSTImage
import NSTTransfer

/// How a run ended, as recorded in its `status.json`.
public enum RunStatus: String, Codable, Sendable {
    case finished, failed, interrupted
}

/// The weighted loss terms at the end of a run: `total` and one key per term of the objective (`content`, `style`, `tv`,
/// then any other term the run used, e.g. `photorealism`), as the object `final` of status.json.
public struct FinalLosses: Codable, Equatable, Sendable {
    public struct Term: Equatable, Sendable {
        public var name: String
        public var value: Double
        public init(name: String, value: Double) { self.name = name; self.value = value }
    }
    public var total: Double
    /// The terms, in objective order (`LossTerms.registered`).
    public var terms: [Term]

    public init(total: Double, terms: [Term]) {
        self.total = total
        self.terms = terms
    }

    /// The last evaluation's terms.
    public init(_ losses: LossBreakdown) {
        self.init(total: Double(losses.total), terms: losses.terms.map { Term(name: $0.name, value: Double($0.value)) })
    }

    /// `total` or a term by name.
    public subscript(term name: String) -> Double? { name == "total" ? total : terms.first { $0.name == name }?.value }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.init(stringValue) }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        total = try c.decode(Double.self, forKey: Key("total"))
        let names = c.allKeys.map(\.stringValue).filter { $0 != "total" }
        terms = try LossTerms.ordered(names).map { Term(name: $0, value: try c.decode(Double.self, forKey: Key($0))) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(total, forKey: Key("total"))
        for term in terms { try c.encode(term.value, forKey: Key(term.name)) }
    }
}

/// A run folder's `status.json`, written last and atomically: its presence means the run ended. The runner writes it,
/// resume reads it to skip finished runs, and the reports read it (`SweepResults`).
public struct RunRecord: Codable, Equatable, Sendable {
    /// The version this build writes (`FileFormat`).
    public static let currentVersion = 1

    public var formatVersion = RunRecord.currentVersion
    public var index: Int
    public var id: String
    public var status: RunStatus
    public var error: String?
    public var configHash: String
    public var final: FinalLosses?
    public var iterations: Int
    public var seconds: Double
    /// CPU seconds of the process (all threads) during the run; wall-clock time alone misleads on a shared machine.
    public var cpuSeconds: Double?
    public var peakRSSMiB: Double
    /// ISO-8601.
    public var started: String
    public var ended: String
    /// The final image's name inside the run folder.
    public var output: String
    /// For a guided run: whether each region took its own style region's texture (`Placement`), measured on the final
    /// image; nil without spatial control or when the run produced no image.
    public var placement: Placement?
    /// The final image's mean matting-Laplacian energy against the content (`StyleTransfer.photorealismEnergy`, what
    /// `nst-exp photorealism` prints; lower is more photorealistic); nil when the run produced no image.
    public var photorealismEnergy: Double?

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case index, id, status, error, final, iterations, seconds, started, ended, output
        case configHash = "config_hash", peakRSSMiB = "peak_rss_mib", cpuSeconds = "cpu_seconds"
        case placement, photorealismEnergy = "photorealism_energy"
    }

    public init(index: Int, id: String, status: RunStatus, error: String?, configHash: String, final: FinalLosses?,
                iterations: Int, seconds: Double, cpuSeconds: Double? = nil, peakRSSMiB: Double, started: String, ended: String,
                output: String, placement: Placement? = nil, photorealismEnergy: Double? = nil) {
        self.index = index; self.id = id; self.status = status; self.error = error; self.configHash = configHash
        self.final = final; self.iterations = iterations; self.seconds = seconds; self.cpuSeconds = cpuSeconds
        self.peakRSSMiB = peakRSSMiB
        self.started = started; self.ended = ended; self.output = output
        self.placement = placement
        self.photorealismEnergy = photorealismEnergy
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try FileFormat.version(in: c, forKey: .formatVersion, newest: Self.currentVersion)
        index = try c.decode(Int.self, forKey: .index)
        id = try c.decode(String.self, forKey: .id)
        status = try c.decode(RunStatus.self, forKey: .status)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        configHash = try c.decode(String.self, forKey: .configHash)
        final = try c.decodeIfPresent(FinalLosses.self, forKey: .final)
        iterations = try c.decode(Int.self, forKey: .iterations)
        seconds = try c.decode(Double.self, forKey: .seconds)
        cpuSeconds = try c.decodeIfPresent(Double.self, forKey: .cpuSeconds)
        peakRSSMiB = try c.decode(Double.self, forKey: .peakRSSMiB)
        started = try c.decode(String.self, forKey: .started)
        ended = try c.decode(String.self, forKey: .ended)
        output = try c.decode(String.self, forKey: .output)
        placement = try c.decodeIfPresent(Placement.self, forKey: .placement)
        photorealismEnergy = try c.decodeIfPresent(Double.self, forKey: .photorealismEnergy)
    }

    // `error` and `final` are written as explicit nulls, as the output format asks.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(index, forKey: .index)
        try c.encode(id, forKey: .id)
        try c.encode(status, forKey: .status)
        try c.encode(error, forKey: .error)
        try c.encode(configHash, forKey: .configHash)
        try c.encode(final, forKey: .final)
        try c.encode(iterations, forKey: .iterations)
        try c.encode(seconds, forKey: .seconds)
        try c.encodeIfPresent(cpuSeconds, forKey: .cpuSeconds)
        try c.encode(peakRSSMiB, forKey: .peakRSSMiB)
        try c.encode(started, forKey: .started)
        try c.encode(ended, forKey: .ended)
        try c.encode(output, forKey: .output)
        try c.encodeIfPresent(placement, forKey: .placement)
        try c.encodeIfPresent(photorealismEnergy, forKey: .photorealismEnergy)
    }

    /// Reads `status.json` in `folder`; nil if absent or unreadable (an unfinished run).
    public static func read(in folder: URL) -> RunRecord? {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("status.json")) else { return nil }
        return try? JSONDecoder().decode(RunRecord.self, from: data)
    }

    /// Writes `status.json` atomically (temporary file + rename).
    public func write(in folder: URL) throws {
        try SweepFiles.writeJSON(self, to: folder.appendingPathComponent("status.json"))
    }
}

/// File helpers of the sweep output folder.
enum SweepFiles {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }

    static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let data: Data
        do { data = try encoder().encode(value) } catch {
            throw SweepError.io(path: url.path, reason: "cannot encode: \(error)")
        }
        try write(data + Data("\n".utf8), to: url)
    }

    /// Atomic write (`FileIO.write`): readers (other shards, the report) see the old file or the new one, never a
    /// torn one.
    static func write(_ data: Data, to url: URL) throws {
        do { try FileIO.write(data, to: url.path) } catch let error as FileIOError {
            throw SweepError.io(path: url.path, reason: error.reason)
        }
    }

    /// Creates a folder and its parents (`FileIO.makeFolder`).
    static func makeFolder(_ url: URL) throws {
        do { try FileIO.makeFolder(url.path) } catch let error as FileIOError {
            throw SweepError.io(path: error.path, reason: error.reason)
        }
    }

    static func timestamp(_ date: Date = Date()) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}

/// `runs.csv`: one row per planned run, rebuilt from the run folders on disk so concurrent shards never lose rows.
public enum RunsTable {
    /// The CSV text for `plan`, reading each run's `status.json` under `folder`.
    public static func csv(plan: SweepPlan, folder: URL) -> String {
        let records = plan.runs.map { RunRecord.read(in: folder.appendingPathComponent($0.directory)) }
        let terms = LossTerms.columns(of: records.compactMap { $0?.final?.terms.map(\.name) })
        let header = ["index", "id", "status"] + plan.swept + ["total"] + terms + ["iterations", "seconds", "peak_rss_mib"]
            + ["placement_worst", "placement_mean", "placement_regions", "photorealism_energy"]
        var lines = [header.map(field).joined(separator: ",")]
        for (run, record) in zip(plan.runs, records) {
            let status = record.map { $0.configHash == run.configHash ? $0.status.rawValue : "stale" } ?? "pending"
            var row = ["\(run.index)", run.id, status] + plan.swept.map { run.params[$0].map(\.description) ?? "" }
            if let record, record.configHash == run.configHash {
                let f = record.final
                row += (["total"] + terms).map { name in f?[term: name].map { "\($0)" } ?? "" }
                row += ["\(record.iterations)", String(format: "%.3f", record.seconds), String(format: "%.1f", record.peakRSSMiB)]
                // Guided runs: worst scored region's placement ratio, geometric mean over regions ≥ 5 %, every region.
                let p = record.placement
                row += [p?.worstRatio.map { String(format: "%.3f", $0) } ?? "", p?.geometricMeanRatio.map { String(format: "%.3f", $0) } ?? "",
                        p.map { $0.regions.map { "\($0.name)=\($0.ratio.map { String(format: "%.3f", $0) } ?? "-")" }.joined(separator: "; ") } ?? ""]
                row.append(record.photorealismEnergy.map { String(format: "%.6g", $0) } ?? "")
            } else {
                row += Array(repeating: "", count: header.count - row.count)   // a run without a record fills every column
            }
            lines.append(row.map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Rewrites `runs.csv` atomically.
    public static func write(plan: SweepPlan, folder: URL) throws {
        try SweepFiles.write(Data(csv(plan: plan, folder: folder).utf8), to: folder.appendingPathComponent("runs.csv"))
    }

    /// RFC 4180 quoting when needed.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
