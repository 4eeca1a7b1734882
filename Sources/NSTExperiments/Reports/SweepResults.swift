import Foundation
import NSTGuidance
import NSTImage
import NSTTransfer

/// Everything a sweep's output folder records, read back from the files alone (plan.json, manifest.json and each
/// run's status.json, config.json, losses.csv and images), so that merged Slurm shards read like one sweep.
public struct SweepResults: Sendable {
    /// Rows and columns of the contact sheet and heat map, from the sweep's `report` block.
    public struct Layout: Codable, Equatable, Sendable {
        public var rows: String?
        public var columns: String?
        /// Images per row when the sheet has one axis (default 6), e.g. 2 to set pairs of labelled runs side by side.
        public var wrap: Int?
        /// A run time to compare the runs' wall-clock seconds with (e.g. a published figure), and what it is.
        public var referenceSeconds: Double?
        public var referenceLabel: String?

        public init(rows: String?, columns: String?, wrap: Int? = nil, referenceSeconds: Double? = nil, referenceLabel: String? = nil) {
            self.rows = rows; self.columns = columns; self.wrap = wrap
            self.referenceSeconds = referenceSeconds; self.referenceLabel = referenceLabel
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case rows, columns, wrap, referenceSeconds = "reference_seconds", referenceLabel = "reference_label"
        }

        /// The keys of a sweep's `report` block.
        public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }
    }

    /// Where a run stands, as far as its folder tells.
    public enum State: String, Sendable, CaseIterable {
        case finished, failed, interrupted
        /// The folder exists but has no status.json: the run crashed or was killed, or is still running.
        case unfinished
        /// No folder yet: the run has not started (e.g. another shard's, not merged in).
        case pending
    }

    /// The final weighted loss terms of a run: total and each term of its objective, in objective order.
    public struct Losses: Equatable, Sendable {
        public var total: Double?
        public var names: [String]
        public var values: [Double?]
        public init(total: Double?, terms: [(name: String, value: Double?)]) {
            self.total = total
            names = terms.map(\.name)
            values = terms.map(\.value)
        }
        /// `total` or a term by name (`content`, `style`, `tv`, …); nil when the run has no such term.
        public subscript(term name: String) -> Double? {
            name == "total" ? total : names.firstIndex(of: name).flatMap { values[$0] }
        }
    }

    /// The loss-term columns of the runs table and the plots: every term some run has, in objective order.
    public var termNames: [String] { LossTerms.columns(of: runs.compactMap { $0.final?.names }) }

    /// A snapshot image saved during the run.
    public struct Snapshot: Equatable, Sendable {
        public var iteration: Int
        public var file: URL
    }

    /// One run of the sweep.
    public struct Run: Sendable {
        public var index: Int
        public var id: String
        /// The run folder, and its path relative to the sweep folder.
        public var directory: URL
        public var relativePath: String
        /// The swept values of this run.
        public var params: [String: JSONValue]
        public var state: State
        public var error: String?
        /// Final losses from status.json, or the last logged row for runs that did not finish.
        public var final: Losses?
        public var iterations: Int?
        public var seconds: Double?
        /// CPU seconds (all threads), when status.json records them.
        public var cpuSeconds: Double?
        public var peakRSSMiB: Double?
        /// Placement of the final image (guided runs), from status.json.
        public var placement: Placement?
        /// Mean matting-Laplacian energy of the final image against the content (status.json; `nst-exp photorealism`).
        public var photorealismEnergy: Double?
        public var started: String?
        public var losses: LossLogTable?
        /// The full resolved configuration (config.json), if present.
        public var config: JSONValue?
        public var finalImage: URL?
        public var snapshots: [Snapshot]

        /// "0003" style index label.
        public var indexLabel: String { String(format: "%04d", index) }

        /// A value of this run for a key: its swept value, else the value in its config.json.
        public func value(for key: String) -> JSONValue? {
            params[key] ?? config?.value(at: key)
        }

        /// "#3  loss 1.23e+06" (or "#3  failed" before a final loss): a run's line under its image on a contact sheet.
        public var sheetLine: String {
            final?.total.map { "#\(indexLabel)  loss \(String(format: "%.3g", $0))" } ?? "#\(indexLabel)  \(state.rawValue)"
        }

        /// "placement 4.1× (worst 2.0×)" for a guided run: geometric mean over regions ≥ 5 % and the worst region held
        /// to the goal ("n/s" when every such region's style regions are not separable); nil without placement.
        public var placementLine: String? {
            guard let p = placement, let mean = p.geometricMeanRatio else { return nil }
            return String(format: "placement %.1f× (worst ", mean) + (p.worstRatio.map { String(format: "%.1f×)", $0) } ?? "n/s)")
        }

        /// Whether the run asked for photorealism: the preset, the photorealism term or the guided-filter refinement.
        public var isPhotorealistic: Bool {
            value(for: "photorealistic") == .bool(true) || (value(for: PhotorealismTerm.weight.key)?.number ?? 0) > 0
                || (value(for: "guided_filter_radius")?.number ?? 0) > 0
        }

        /// "photorealism energy 2.1e-04" (lower is more photorealistic); nil when not measured.
        public var photorealismLine: String? {
            photorealismEnergy.map { String(format: "photorealism energy %.2g", $0) }
        }

        /// The run's `label` from the sweep file, if it has one.
        public var name: String? {
            if case .string(let text)? = params[Sweep.labelKey], !text.isEmpty { return text }
            return nil
        }

        /// "style_weight=100, tv_weight=0" for the given keys, or the run's label when the sweep gave it one (the label
        /// says what the case is; its keys, such as masks and region lists, would not fit on a plot).
        public func label(keys: [String]) -> String {
            if let name { return name }
            return keys.map { "\($0)=\(value(for: $0)?.label ?? "–")" }.joined(separator: ", ")
        }
    }

    public var directory: URL
    public var name: String
    /// Keys that vary across runs, in the plan's order.
    public var swept: [String]
    public var layout: Layout?
    public var runs: [Run]
    /// manifest.json as parsed, if present.
    public var manifest: [String: JSONValue]?
    /// The copy of the sweep file (`sweep.json`), if present.
    public var sweepFile: String?
    /// The sweep file's `description`, if it has one.
    public var sweepDescription: String?
    /// Things the loader tolerated and the reader should know (missing plan, unreadable run files).
    public var warnings: [String]

    /// Runs in a given state.
    public func runs(_ state: State) -> [Run] { runs.filter { $0.state == state } }

    /// Reads a sweep folder. Without plan.json the runs are found from `runs/*/config.json` and the swept keys
    /// are those whose values differ between runs.
    public static func load(_ directory: URL) throws -> SweepResults {
        let fm = FileManager.default
        let kind = FileIO.kind(directory.path)
        guard kind == .directory else {
            let what = kind == .missing ? "the folder does not exist" : "it is \(kind), not a folder"
            throw ReportError.notASweep(path: directory.path, hint: "\(what); give the output folder of `nst-exp run`, e.g. Reports/<name>")
        }
        var warnings: [String] = []
        let planURL = directory.appendingPathComponent("plan.json")
        let plan: PlanFile
        if fm.fileExists(atPath: planURL.path) {
            plan = try decodeJSON(PlanFile.self, at: planURL)
        } else {
            plan = try reconstructPlan(from: directory)
            warnings.append("plan.json is missing; runs were found from runs/*/config.json and the swept keys guessed from their differences")
        }
        let layout: Layout?
        do {
            layout = try plan.report.map { try JSONDecoder().decode(Layout.self, from: JSONEncoder().encode($0)) }
        } catch {
            throw ReportError.malformedFile(path: planURL.path, reason: "\"report\": \(describe(error))")
        }
        var runs: [Run] = []
        for planned in plan.runs {
            do {
                let run = try readRun(planned, sweep: directory)
                if run.state == .finished, run.finalImage == nil {
                    warnings.append("run \(planned.id): finished, but its image is gone (deleted?); `nst-exp run` on the sweep makes it again")
                }
                runs.append(run)
            } catch let error as ReportError {
                warnings.append("run \(planned.id): \(error)")
                var broken = Run(index: planned.index, id: planned.id, directory: directory.appendingPathComponent(planned.dir),
                                 relativePath: planned.dir, params: planned.params, state: .failed, snapshots: [])
                broken.error = "the report could not read this run's files: \(error)"
                runs.append(broken)
            }
        }
        let manifestURL = directory.appendingPathComponent("manifest.json")
        var manifest: [String: JSONValue]?
        if fm.fileExists(atPath: manifestURL.path) {
            if case .object(let o) = try decodeJSON(JSONValue.self, at: manifestURL) { manifest = o }
        }
        let sweepFile = fm.fileExists(atPath: directory.appendingPathComponent("sweep.json").path) ? "sweep.json" : nil
        var sweepDescription: String?
        if sweepFile != nil, let data = FileManager.default.contents(atPath: directory.appendingPathComponent("sweep.json").path),
           case .object(let top)? = try? JSONDecoder().decode(JSONValue.self, from: data), case .string(let text)? = top["description"] {
            sweepDescription = text
        }
        return SweepResults(directory: directory, name: plan.name, swept: plan.swept, layout: layout,
                            runs: runs.sorted { $0.index < $1.index }, manifest: manifest,
                            sweepFile: sweepFile, sweepDescription: sweepDescription, warnings: warnings)
    }

    static func readRun(_ planned: PlanFile.Run, sweep: URL) throws -> Run {
        let fm = FileManager.default
        let folder = sweep.appendingPathComponent(planned.dir)
        var run = Run(index: planned.index, id: planned.id, directory: folder, relativePath: planned.dir,
                      params: planned.params, state: .pending, snapshots: [])
        guard fm.fileExists(atPath: folder.path) else { return run }
        run.state = .unfinished
        let configURL = folder.appendingPathComponent("config.json")
        if fm.fileExists(atPath: configURL.path) { run.config = try decodeJSON(JSONValue.self, at: configURL) }
        run.losses = try LossLogTable.load(folder.appendingPathComponent("losses.csv"))
        let statusURL = folder.appendingPathComponent("status.json")
        var output = "final.png"
        if fm.fileExists(atPath: statusURL.path) {
            let record = try decodeJSON(RunRecord.self, at: statusURL)
            switch record.status {
            case .finished: run.state = .finished
            case .failed: run.state = .failed
            case .interrupted: run.state = .interrupted
            }
            run.error = record.error
            run.final = record.final.map { f in Losses(total: f.total, terms: f.terms.map { ($0.name, $0.value) }) }
            run.iterations = record.iterations
            run.seconds = record.seconds
            run.cpuSeconds = record.cpuSeconds
            run.peakRSSMiB = record.peakRSSMiB
            run.placement = record.placement
            run.photorealismEnergy = record.photorealismEnergy
            run.started = record.started
            output = record.output
        }
        if let log = run.losses, !log.rows.isEmpty {
            if run.final == nil {
                run.final = Losses(total: log.last(LossLogColumns.total), terms: log.terms.map { ($0, log.last($0)) })
            }
            if run.iterations == nil { run.iterations = log.last(LossLogColumns.iteration).map { Int($0) } }
            if run.seconds == nil { run.seconds = log.last(LossLogColumns.seconds) }
        }
        let image = folder.appendingPathComponent(output)
        if fm.fileExists(atPath: image.path) { run.finalImage = image }
        run.snapshots = snapshots(in: folder)
        return run
    }

    /// `snapshot-<iteration>.png` (or .jpg) files, by iteration.
    static func snapshots(in folder: URL) -> [Snapshot] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.compactMap { name -> Snapshot? in
            guard name.hasPrefix("snapshot-") else { return nil }
            let stem = (name as NSString).deletingPathExtension.dropFirst("snapshot-".count)
            guard let iteration = Int(stem) else { return nil }
            return Snapshot(iteration: iteration, file: folder.appendingPathComponent(name))
        }.sorted { $0.iteration < $1.iteration }
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, at url: URL) throws -> T {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ReportError.malformedFile(path: url.path, reason: "unreadable")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch var error as NewerFormatError {
            error.path = url.path
            throw ReportError.newerFormat(error)
        } catch {
            throw ReportError.malformedFile(path: url.path, reason: Self.describe(error))
        }
    }

    static func describe(_ error: Error) -> String { (error as? DecodingError)?.text ?? error.localizedDescription }
}

extension SweepResults {
    /// The plan of a folder whose plan.json is gone, found from `runs/<index>-<hash>/config.json`; swept keys are the
    /// top-level config keys whose values differ.
    static func reconstructPlan(from directory: URL) throws -> PlanFile {
        let runsFolder = directory.appendingPathComponent("runs")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: runsFolder.path) else {
            throw ReportError.notASweep(path: directory.path, hint: "it has neither plan.json nor a runs/ folder; give the output folder of `nst-exp run`")
        }
        var found: [(index: Int, id: String, config: [String: JSONValue])] = []
        for name in names.sorted() {
            let parts = name.split(separator: "-", maxSplits: 1)
            guard parts.count == 2, let index = Int(parts[0]) else { continue }
            let url = runsFolder.appendingPathComponent(name).appendingPathComponent("config.json")
            var config: [String: JSONValue] = [:]
            if FileManager.default.fileExists(atPath: url.path),
               case .object(let o) = try decodeJSON(JSONValue.self, at: url) { config = o }
            found.append((index, name, config))
        }
        let keys = Set(found.flatMap { $0.config.keys }).sorted()
        let swept = keys.filter { key in Set(found.map { $0.config[key] ?? .null }).count > 1 }
        let runs = found.map { run in
            PlanFile.Run(index: run.index, id: run.id, dir: "runs/\(run.id)",
                         params: Dictionary(uniqueKeysWithValues: swept.map { ($0, run.config[$0] ?? .null) }), configHash: nil)
        }
        return PlanFile(name: directory.lastPathComponent, swept: swept, report: nil, runs: runs)
    }
}
