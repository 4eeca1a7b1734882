import Foundation
import NSTGuidance
import NSTImage
import NSTNetwork
import NSTTensor
import NSTTransfer

/// How `SweepRunner` treats existing results and which runs it takes.
public struct SweepOptions: Sendable {
    /// The output folder (default `Reports/<name>`).
    public var output: URL
    /// Rerun runs whose status is `failed`.
    public var retryFailed = false
    /// Rerun every run, finished or not.
    public var force = false
    /// Accept a sweep that changed since the output folder was written (changed runs get new indices).
    public var allowChanged = false
    /// Stop at the first failed run.
    public var failFast = false
    /// Run only shard k of n (runs with index mod n == k).
    public var shard: (k: Int, n: Int)? = nil
    /// Compute content features and style Gram targets once per distinct input (off only to measure the saving).
    public var shareTargets = true
    /// When another runner holds the output folder, wait for it instead of refusing.
    public var wait = false
    /// Sweeps with more runs are refused (`--max-runs`).
    public var maxRuns = SweepOptions.defaultMaxRuns
    public static let defaultMaxRuns = 10_000
    /// Recorded in the manifest.
    public var commandLine: [String] = CommandLine.arguments

    /// Options writing to `output`.
    public init(output: URL) { self.output = output }

    /// `Reports/<name>` under the current folder.
    public static func defaultOutput(for sweep: Sweep) -> URL {
        URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Reports").appendingPathComponent(sweep.name)
    }

    /// Parses `k/n`.
    public static func parseShard(_ text: String) throws -> (k: Int, n: Int) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 0, k < n else {
            throw SweepError.invalidShard(text: text)
        }
        return (k, n)
    }
}

/// Where a sweep stands, for the overall progress line.
public struct SweepProgress: Sendable {
    /// Runs of this invocation's selection that have ended (finished, failed, or skipped as already done).
    public var done: Int
    public var total: Int
    public var failed: Int
    /// Estimated seconds left, from the mean duration of the runs executed so far; nil before the first.
    public var eta: Double?
}

/// What a sweep reports while it runs.
public enum SweepEvent {
    /// A run was skipped because its folder already holds a result with the same configuration.
    case skipped(PlannedRun, RunStatus, SweepProgress)
    case runStarted(PlannedRun, SweepProgress)
    case iteration(PlannedRun, IterationReport, SweepProgress)
    case runEnded(PlannedRun, RunRecord, SweepProgress)
    /// A guidance notice or warning of a run (mask resampled, empty region, unmatched label-map pixels), as
    /// `nst-exp stylize` prints it; also written to the run's log.txt.
    case notice(PlannedRun, String)
    /// A note about the sweep as a whole: waiting for the folder's lock, a run claimed by another runner, a stale
    /// claim taken over.
    case message(String)
}

/// The outcome of `SweepRunner.run`.
public struct SweepSummary: Sendable {
    /// Runs in this invocation's selection (the shard, or all).
    public var selected: Int
    public var executed: Int
    public var skipped: Int
    /// Runs left to other runners that had claimed them (shards of another `n` on the same folder).
    public var claimedElsewhere = 0
    public var finished: Int
    public var failed: Int
    /// True if a stop request (SIGINT) ended the sweep early.
    public var interrupted: Bool
    public var seconds: Double
    /// Target-cache lookups answered without a forward pass, those that ran one, and the seconds saved.
    public var targetHits: Int
    public var targetMisses: Int
    public var targetComputeSeconds: Double
    public var targetSavedSeconds: Double
}

/// Executes a sweep's runs into its output folder, resuming from what is on disk.
///
/// Each run writes only its own folder (`runs/<id>/`), with `status.json` last and atomic, so a kill at any moment
/// loses at most the run in progress. A runner holds the output folder's `SweepLock` while it runs (shards share
/// it) and a `RunClaim` on each run it executes, so no two processes run the same run. `runs.csv` is rebuilt from
/// the run folders after every run.
public final class SweepRunner {
    /// Largest final image (pixels) whose photorealism energy a run without the photorealism term or the guided filter
    /// records: 1024×1024, where the measurement's Laplacian takes 184 MiB.
    static let maxEnergyPixels = 1 << 20

    public let plan: SweepPlan
    public let options: SweepOptions
    /// Request a stop (e.g. from SIGINT): the current run ends after its iteration and is recorded as interrupted.
    public let stopFlag: StopFlag
    private var weightsByPath: [String: VGGWeights] = [:]
    private var caches: [String: TargetCache] = [:]

    /// Plans `sweep`, reconciles with an existing plan in the output folder and validates every run (unless
    /// `validate` is false: the caller then calls `plan.validate(progress:)` itself, e.g. to show progress); nothing
    /// is written and no network is run, so configuration errors surface before any work.
    public init(sweep: Sweep, options: SweepOptions, stopFlag: StopFlag = StopFlag(), validate: Bool = true) throws {
        self.stopFlag = stopFlag
        let fresh = try SweepPlan(sweep: sweep, maxRuns: options.maxRuns)
        let recorded = try PlanFile.recorded(in: options.output)
        plan = try fresh.reconciled(with: recorded, folder: options.output.path, allowChanged: options.allowChanged)
        self.options = options
        try SweepRunner.checkInputsOutside(plan: plan, folder: options.output)
        // Before any work, and in a dry run too: a file or an unwritable place as the output folder.
        do { try FileIO.checkFolderCreatable(options.output.path) } catch let error as FileIOError {
            throw SweepError.io(path: error.path, reason: error.reason + "; give --output a folder that can be written")
        }
        if validate { try plan.validate() }
    }

    /// Files in the output folder the runner writes.
    static let written = ["plan.json", "manifest.json", "runs.csv"]

    /// Refuses a sweep whose file or any run's input is one of the runner's own files in `folder` (a sweep file
    /// called manifest.json in its own output folder was replaced by the manifest), or lies in a folder whose contents
    /// it replaces: claims/ and the report's (not `runs/`, whose finished images a later sweep may start from: a run's
    /// folder is replaced only when it runs). The sweep copy `sweep.json` may be the sweep file itself: the copy
    /// writes the same bytes.
    static func checkInputsOutside(plan: SweepPlan, folder: URL) throws {
        let root = FileIO.target(folder.path) ?? folder.standardizedFileURL.path
        let own = written.map { (name: $0, id: FileIO.identity(folder.appendingPathComponent($0).path)) }
        let copy = FileIO.identity(folder.appendingPathComponent("sweep.json").path)
        let cleared = [RunClaim.folder(in: folder), folder.appendingPathComponent(ReportWriter.folderName)].map {
            (FileIO.target($0.path) ?? $0.path) + "/"
        }
        let inputs = [(role: "the sweep file", path: plan.sweep.source.path)] + plan.inputFiles.map { (role: "input", path: $0) }
        for (role, path) in inputs {
            let id = FileIO.identity(path)
            let name = own.first { $0.id == id }?.name ?? (role != "the sweep file" && id == copy ? "sweep.json" : nil)
            let inside = cleared.first { (FileIO.target(path) ?? path).hasPrefix($0) }
            if let place = name.map({ "\(root)/\($0)" }) ?? inside.map({ "inside \($0)" }) {
                throw SweepError.inputInOutput(role: role, path: path, written: place)
            }
        }
    }

    /// The runs this invocation is responsible for.
    public var selection: [PlannedRun] {
        guard let shard = options.shard else { return plan.runs }
        return plan.shard(shard.k, of: shard.n)
    }

    /// The weights file a configuration uses.
    static func weightsPath(_ config: RunConfiguration) -> String {
        config.weights ?? VGGWeights.defaultURL.path
    }

    /// Loads every weights file the selection needs (once each).
    public func loadWeights() throws {
        for path in Set(selection.map { SweepRunner.weightsPath($0.resolved) }).sorted() where weightsByPath[path] == nil {
            do { weightsByPath[path] = try VGGWeights.load(from: URL(fileURLWithPath: path)) } catch {
                throw SweepError.weights(path: path, reason: "\(error)")
            }
        }
    }

    /// Runs the selection; returns when every run has ended, at the first failure with `failFast`, or on a stop request.
    public func run(progress: (SweepEvent) -> Void = { _ in }) throws -> SweepSummary {
        let folder = options.output
        let shardText = options.shard.map { "\($0.k)/\($0.n)" }
        let stopFlag = self.stopFlag
        let lock = try SweepLock.acquire(folder: folder, shard: options.shard, wait: options.wait,
                                         waiting: { progress(.message($0)) }, stop: { stopFlag.isRequested })
        defer { lock.release() }
        if lock.unsupported {
            progress(.message("warning: the file system of \(folder.path) has no locks; runs are still claimed one by one"))
        }
        try checkPlanUnchanged()
        let holder = LockHolder.current(shard: shardText)
        try loadWeights()
        try writePreamble()
        // A sweep may vary `weights`: the manifest's `weights` names the first file, and with several every one is
        // hashed among the inputs too (joining them into one path made the hashing fail).
        let covered = selection.isEmpty ? plan.runs : selection
        let weightsFiles = Set(covered.map { SweepRunner.weightsPath($0.resolved) }).sorted()
        var provenance = try Provenance.collect(
            weights: weightsFiles.first ?? "",
            inputs: plan.inputFiles + (weightsFiles.count > 1 ? weightsFiles : []), commandLine: options.commandLine,
            shard: shardText, convKernels: covered.map(\.resolved.convKernel))
        try checkInputsUnchanged(provenance)
        try SweepFiles.writeJSON(provenance, to: folder.appendingPathComponent("manifest.json"))

        let clock = ContinuousClock(), started = clock.now
        let runs = selection
        var state = SweepProgress(done: 0, total: runs.count, failed: 0, eta: nil)
        var summary = SweepSummary(selected: runs.count, executed: 0, skipped: 0, finished: 0, failed: 0, interrupted: false,
                                   seconds: 0, targetHits: 0, targetMisses: 0, targetComputeSeconds: 0, targetSavedSeconds: 0)
        var executedSeconds = 0.0
        let pending = runs.filter { needsRun($0) }.count
        for run in runs {
            if stopFlag.isRequested { summary.interrupted = true; break }
            let existing = RunRecord.read(in: folder.appendingPathComponent(run.directory))
            if let existing, !needsRun(run) {
                summary.skipped += 1
                state.done += 1
                if existing.status == .failed { state.failed += 1; summary.failed += 1 } else { summary.finished += 1 }
                progress(.skipped(run, existing.status, state))
                continue
            }
            let claim: RunClaim
            switch try RunClaim.take(run.id, in: folder, holder: holder) {
            case .held(let other):
                summary.claimedElsewhere += 1
                state.done += 1
                progress(.message("\(run.id) is being run by \(other?.description ?? "another runner"); left to it"))
                continue
            case .claimed(let taken): claim = taken
            }
            defer { claim.release() }
            if claim.reclaimed {
                progress(.message("\(run.id): taking over the claim of \(claim.replaced?.description ?? "a runner"), which ended without finishing it"))
            }
            // Another runner may have finished it between the check above and the claim.
            if !needsRun(run), let done = RunRecord.read(in: folder.appendingPathComponent(run.directory)) {
                summary.skipped += 1
                state.done += 1
                if done.status == .failed { state.failed += 1; summary.failed += 1 } else { summary.finished += 1 }
                progress(.skipped(run, done.status, state))
                continue
            }
            progress(.runStarted(run, state))
            let record = try execute(run, notice: { progress(.notice(run, $0)) }) { report in
                progress(.iteration(run, report, state))
            }
            summary.executed += 1
            executedSeconds += record.seconds
            switch record.status {
            case .finished: summary.finished += 1; state.done += 1
            case .failed: summary.failed += 1; state.failed += 1; state.done += 1
            case .interrupted: summary.interrupted = true
            }
            let remaining = max(0, pending - summary.executed)
            state.eta = executedSeconds / Double(summary.executed) * Double(remaining)
            try RunsTable.write(plan: plan, folder: folder)
            progress(.runEnded(run, record, state))
            if summary.interrupted || (record.status == .failed && options.failFast) { break }
        }
        try RunsTable.write(plan: plan, folder: folder)
        let d = clock.now - started
        summary.seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        for cache in caches.values {
            summary.targetHits += cache.hits
            summary.targetMisses += cache.misses
            summary.targetComputeSeconds += cache.computeSeconds
            summary.targetSavedSeconds += cache.savedSeconds
        }
        provenance.ended = SweepFiles.timestamp()
        try SweepFiles.writeJSON(provenance, to: folder.appendingPathComponent("manifest.json"))
        return summary
    }

    /// Under the folder's lock: refuses to go on if plan.json changed since this runner planned (another runner
    /// with an edited sweep wrote it while this one waited).
    func checkPlanUnchanged() throws {
        let recorded = try PlanFile.recorded(in: options.output)
        let now = try plan.reconciled(with: recorded, folder: options.output.path, allowChanged: options.allowChanged)
        guard now.runs.map(\.index) == plan.runs.map(\.index), now.runs.map(\.configHash) == plan.runs.map(\.configHash) else {
            throw SweepError.changed(folder: options.output.path, details: ["another runner wrote a different plan.json while this one waited; run the command again"])
        }
    }

    /// The inputs' hashes of an earlier manifest.json (only what `checkInputsUnchanged` compares).
    private struct RecordedInputs: Decodable {
        var weights: Provenance.HashedFile?
        var inputs: [String: String?]?
    }

    /// Refuses to resume when a file the finished runs were made from has changed since the manifest recorded it
    /// (they would be kept as done, and the new manifest would record hashes they were not made from); `--force`
    /// runs everything again.
    func checkInputsUnchanged(_ now: Provenance) throws {
        guard !options.force,
              let data = FileManager.default.contents(atPath: options.output.appendingPathComponent("manifest.json").path),
              let before = try? JSONDecoder().decode(RecordedInputs.self, from: data),
              plan.runs.contains(where: { !needsRun($0) }) else { return }
        var changed: [String] = []
        func compare(_ path: String, _ old: String?, _ new: String?) {
            guard let old, let new, old != new else { return }
            changed.append("\(path) (sha256 \(old.prefix(12))… then, \(new.prefix(12))… now)")
        }
        if let weights = before.weights, weights.path == now.weights.path { compare(weights.path, weights.sha256, now.weights.sha256) }
        for (path, hash) in now.inputs.sorted(by: { $0.key < $1.key }) { compare(path, before.inputs?[path] ?? nil, hash) }
        guard changed.isEmpty else { throw SweepError.inputsChanged(folder: options.output.path, files: changed) }
    }

    /// Whether a run must execute, given what its folder holds.
    public func needsRun(_ run: PlannedRun) -> Bool {
        if options.force { return true }
        let directory = options.output.appendingPathComponent(run.directory)
        guard let record = RunRecord.read(in: directory), record.configHash == run.configHash else { return true }
        switch record.status {
        // A finished run whose image is gone (deleted by hand) runs again.
        case .finished: return !FileManager.default.fileExists(atPath: directory.appendingPathComponent(record.output).path)
        case .failed: return options.retryFailed
        case .interrupted: return true
        }
    }

    /// The sweep copy and plan.json (atomic; every shard writes the same bytes).
    func writePreamble() throws {
        let folder = options.output
        try SweepFiles.makeFolder(folder.appendingPathComponent("runs"))
        try SweepFiles.write(plan.sweep.data, to: folder.appendingPathComponent("sweep.json"))
        try PlanFile(plan: plan).write(in: folder)
    }

    // MARK: one run

    /// Runs one configuration in a fresh folder; failures become a `failed` record rather than an error. The plan's
    /// guidance notices go to the run's log and to `notice`.
    func execute(_ run: PlannedRun, notice: (String) -> Void = { _ in },
                 iteration: (IterationReport) -> Void) throws -> RunRecord {
        let dir = options.output.appendingPathComponent(run.directory)
        try? FileManager.default.removeItem(at: dir)
        try SweepFiles.makeFolder(dir)
        var config = run.resolved
        config.output = dir.appendingPathComponent("final.png").path
        config.log = dir.appendingPathComponent("losses.csv").path
        try SweepFiles.writeJSON(config, to: dir.appendingPathComponent("config.json"))
        let log = RunLog(url: dir.appendingPathComponent("log.txt"))
        let startDate = Date(), startedText = SweepFiles.timestamp(startDate)
        log.line("run \(run.id) started \(startedText)")
        log.line("params \(JSONValue.object(run.params).jsonText)")
        log.line("config_hash \(run.configHash)")
        for line in RunEnvironment.current(convKernel: config.convKernel).summary { log.line(line) }
        if let warning = BLASKernels.current.warning { log.line("warning: \(warning)") }
        PeakMemory.reset()
        let cpuStart = ProcessStats.cpuSeconds()

        var status = RunStatus.finished, errorText: String? = nil, final: FinalLosses? = nil, iterations = 0
        var placement: Placement? = nil, photorealismEnergy: Double? = nil
        do {
            guard let weights = weightsByPath[SweepRunner.weightsPath(config)] else {
                throw SweepError.weights(path: SweepRunner.weightsPath(config), reason: "not loaded")
            }
            let transfer = try StyleTransfer(configuration: config, weights: weights, stopFlag: stopFlag)
            if options.shareTargets { transfer.targetCache = cache(for: SweepRunner.weightsPath(config)) }
            for text in transfer.plan.notices.map(\.description) {
                log.line(text)
                notice(text)
            }
            let every = max(1, config.printEvery)
            let result = try transfer.run { event in
                switch event {
                case .iteration(let report):
                    if report.iteration % every == 0 || report.iteration == report.totalIterations {
                        let terms = report.losses.terms.map { "\($0.name) " + String(format: "%.6g", Double($0.value)) }
                        log.line(String(format: "iteration %d/%d  loss %.6g", report.iteration, report.totalIterations, Double(report.losses.total))
                                 + " (" + terms.joined(separator: ", ") + ")" + String(format: "  %.1f s", report.seconds))
                    }
                    iteration(report)
                case let .stageStarted(index, count, width, height, iterations):
                    log.line("stage \(index + 1)/\(count): \(width)×\(height), \(iterations) iterations")
                case let .stageEndedEarly(index, reason):
                    log.line("stage \(index + 1) ended early: \(reason)")
                case let .saved(path, isFinal):
                    log.line("\(isFinal ? "final image" : "snapshot") \(URL(fileURLWithPath: path).lastPathComponent)")
                }
            }
            try renameSnapshots(in: dir)
            iterations = result.iterations
            if let last = result.history.last?.losses {
                final = FinalLosses(last)
            }
            do {
                placement = try transfer.placement(of: result.image)
                if let placement { log.line("placement\n" + placement.table) }
            } catch {
                log.line("placement not measured: \(error)")
            }
            // The measurement builds the content's matting Laplacian (`MattingLaplacian.bytesPerPixel`); a run whose
            // memory estimate counts none (`mattingLaplacians`) has not budgeted that, so its large images are left
            // unmeasured.
            let pixels = result.image.width * result.image.height
            if pixels <= SweepRunner.maxEnergyPixels || config.mattingLaplacians > 0 {
                do {
                    photorealismEnergy = try transfer.photorealismEnergy(of: result.image)
                    log.line(String(format: "photorealism energy %.6g", photorealismEnergy ?? .nan))
                } catch {
                    log.line("photorealism energy not measured: \(error)")
                }
            } else {
                log.line("photorealism energy not measured: \(pixels) pixels is above \(SweepRunner.maxEnergyPixels) for a run without "
                         + "the photorealism term or the guided filter (nst-exp photorealism measures the image)")
            }
            switch result.stopReason {
            case .completed: status = .finished
            case .interrupted: status = .interrupted; errorText = "interrupted after \(result.iterations) iterations"
            case .diverged(let detail): status = .failed; errorText = "diverged: \(detail)"
            }
        } catch {
            status = .failed
            errorText = "\(error)"
        }
        let seconds = Date().timeIntervalSince(startDate), cpuSeconds = ProcessStats.cpuSeconds() - cpuStart
        if let errorText { log.line("error: \(errorText)") }
        log.line(String(format: "%@ after %.1f s (%.1f s CPU)", status.rawValue, seconds, cpuSeconds))
        log.close()
        let record = RunRecord(index: run.index, id: run.id, status: status, error: errorText, configHash: run.configHash,
                               final: final, iterations: iterations, seconds: seconds,
                               cpuSeconds: cpuSeconds, peakRSSMiB: PeakMemory.mebibytes(),
                               started: startedText, ended: SweepFiles.timestamp(), output: "final.png",
                               placement: placement, photorealismEnergy: photorealismEnergy)
        try record.write(in: dir)
        return record
    }

    private func cache(for weights: String) -> TargetCache {
        if let cache = caches[weights] { return cache }
        let cache = TargetCache()
        caches[weights] = cache
        return cache
    }

    /// StyleTransfer names snapshots `final_<n>.png`; the sweep format wants `snapshot-<5 digits>.png`.
    private func renameSnapshots(in dir: URL) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        for name in names where name.hasPrefix("final_") {
            let stem = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
            guard let n = Int(stem.dropFirst("final_".count)) else { continue }
            let target = dir.appendingPathComponent(String(format: "snapshot-%05d.", n) + ext)
            do { try FileManager.default.moveItem(at: dir.appendingPathComponent(name), to: target) } catch {
                throw SweepError.io(path: target.path, reason: error.localizedDescription)
            }
        }
    }
}

/// A run's plain-text log, appended line by line so a killed run still leaves what it did.
final class RunLog {
    private let handle: FileHandle?

    init(url: URL) {
        // If the file cannot be created, the handle is nil and the run goes on without its text log.
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = FileHandle(forWritingAtPath: url.path)
    }

    func line(_ text: String) {
        handle?.write(Data((text + "\n").utf8))
    }

    func close() { try? handle?.close() }
}

/// The peak resident set size of one run inside a long-lived process.
enum PeakMemory {
    /// Resets the kernel's high-water mark (Linux: writing 5 to /proc/self/clear_refs resets VmHWM).
    static func reset() {
        if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            handle.write(Data("5".utf8))
            try? handle.close()
        }
    }

    /// VmHWM in MiB since the last reset, else the process's peak from getrusage.
    static func mebibytes() -> Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kib = Double(line.split(separator: " ").dropFirst().first ?? "") {
            return kib / 1024
        }
        return ProcessStats.peakRSSMiB()
    }
}
