import Foundation

/// `plan.json`: the resolved list of a sweep's runs, written by the runner before any run starts (`nst-exp run`), and
/// read back by resume (indices stay stable across edits, `SweepPlan.reconciled`) and by the reports (`SweepResults`).
public struct PlanFile: Codable, Equatable, Sendable {
    /// The version this build writes (`FileFormat`).
    public static let currentVersion = 1

    /// One planned run.
    public struct Run: Codable, Equatable, Sendable {
        public var index: Int
        /// `<index>-<8 hex>` (`PlannedRun.id`).
        public var id: String
        /// The run folder relative to the sweep folder (`runs/<id>`).
        public var dir: String
        /// The swept values of this run (dotted key → value as the sweep wrote it).
        public var params: [String: JSONValue]
        /// SHA-256 of the canonical configuration; nil only in a plan the report rebuilt from run folders.
        public var configHash: String?

        public init(index: Int, id: String, dir: String, params: [String: JSONValue], configHash: String?) {
            self.index = index; self.id = id; self.dir = dir; self.params = params; self.configHash = configHash
        }

        enum CodingKeys: String, CodingKey { case index, id, dir, params, configHash = "config_hash" }
    }

    public var formatVersion: Int
    public var name: String
    /// Dotted keys that vary across runs, in plan order.
    public var swept: [String]
    /// The sweep's `report` block (rows, columns, … of `SweepResults.Layout`), or nil.
    public var report: JSONValue?
    public var runs: [Run]

    public init(name: String, swept: [String], report: JSONValue?, runs: [Run]) {
        formatVersion = Self.currentVersion
        self.name = name; self.swept = swept; self.report = report; self.runs = runs
    }

    public init(plan: SweepPlan) {
        self.init(name: plan.sweep.name, swept: plan.swept, report: plan.sweep.report,
                  runs: plan.runs.map { Run(index: $0.index, id: $0.id, dir: $0.directory, params: $0.params, configHash: $0.configHash) })
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", name, swept, report, runs
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try FileFormat.version(in: c, forKey: .formatVersion, newest: Self.currentVersion)
        name = try c.decode(String.self, forKey: .name)
        swept = try c.decode([String].self, forKey: .swept)
        report = try c.decodeIfPresent(JSONValue.self, forKey: .report)
        if report == .null { report = nil }
        runs = try c.decode([Run].self, forKey: .runs)
    }

    // `report` is written as an explicit null when the sweep has none.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(name, forKey: .name)
        try c.encode(swept, forKey: .swept)
        try c.encode(report ?? .null, forKey: .report)
        try c.encode(runs, forKey: .runs)
    }

    /// Writes `folder/plan.json` atomically.
    func write(in folder: URL) throws {
        try SweepFiles.writeJSON(self, to: folder.appendingPathComponent("plan.json"))
    }

    /// The runs recorded in `folder/plan.json`, or [] if there is none.
    static func recorded(in folder: URL) throws -> [SweepPlan.Recorded] {
        let url = folder.appendingPathComponent("plan.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        do {
            let file = try JSONDecoder().decode(PlanFile.self, from: Data(contentsOf: url))
            return try file.runs.map { run in
                guard let hash = run.configHash else {
                    throw SweepError.io(path: url.path, reason: "run \(run.id) has no config_hash, so the plan cannot be "
                                        + "compared with the sweep; move the folder away or pass another --output")
                }
                return SweepPlan.Recorded(index: run.index, configHash: hash)
            }
        } catch let error as SweepError {
            throw error
        } catch var error as NewerFormatError {
            error.path = url.path
            throw error
        } catch {
            throw SweepError.io(path: url.path, reason: "existing plan is unreadable (\(SweepResults.describe(error))); "
                                + "move the folder away or pass another --output")
        }
    }
}
