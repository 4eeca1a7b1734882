import ArgumentParser
import Dispatch
import Foundation
import NSTExperiments
import NSTTransfer

/// `nst-exp run SWEEP`: plans, validates and runs a hyperparameter sweep, resuming from its output folder.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a sweep file: every run of a grid of configurations, resumable, with provenance.",
        discussion: """
        Results go to Reports/<name>/ (plan.json, manifest.json, runs.csv, runs/<index>-<hash>/). Rerunning the \
        same command skips finished runs and reruns unfinished ones. Run indices never change: a sweep edited in a \
        way that alters existing runs is refused unless --allow-changed. One runner at a time per output folder \
        (shards of one sweep share it); another is refused unless --wait.
        """)

    @Argument(help: "The sweep file (JSON).")
    var sweep: String

    @Flag(help: "List the runs and validate every configuration and input, without running anything.")
    var dryRun = false

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a key for every run, e.g. --set iterations=50 (repeatable; the value is JSON, else a string).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Output folder (default: Reports/<name>).")
    var output: String?

    @Flag(help: "Rerun runs that failed before.")
    var retryFailed = false

    @Flag(help: "Rerun every run, even finished ones.")
    var force = false

    @Flag(help: "Accept a sweep that changed since the output folder was written; changed runs get new indices.")
    var allowChanged = false

    @Flag(help: "Stop at the first failed run.")
    var failFast = false

    @Option(help: ArgumentHelp("Run only shard k of n: the runs whose index mod n equals k.", valueName: "k/n"))
    var shard: String?

    @Flag(help: "If another runner holds the output folder, wait for it to end instead of refusing.")
    var wait = false

    @Option(help: ArgumentHelp("Refuse sweeps with more runs than this.", valueName: "n"))
    var maxRuns = SweepOptions.defaultMaxRuns

    @Flag(help: "Recompute content and style targets for every run (to measure what sharing them saves).")
    var noShare = false

    @Flag(help: "Do not build <output>/report/ at the end (shards never do: run `nst-exp report` after merging).")
    var noReport = false

    func run() throws {
        // Before any work starts threads (see InterruptHandler): Ctrl-C ends the current run after its iteration.
        let stopFlag = StopFlag()
        let interrupt = dryRun ? nil : InterruptHandler(stopFlag: stopFlag) {
            FileHandle.standardError.write(Data("\nstopping after the current iteration (Ctrl-C again to quit at once)\n".utf8))
        }
        defer { withExtendedLifetime(interrupt) {} }
        var sweep = try Sweep.load(from: URL(fileURLWithPath: self.sweep))
        for text in overrides { try sweep.override(text) }
        var options = SweepOptions(output: output.map { URL(fileURLWithPath: $0) } ?? SweepOptions.defaultOutput(for: sweep))
        options.retryFailed = retryFailed
        options.force = force
        options.allowChanged = allowChanged
        options.failFast = failFast
        // A bad --shard is a bad option: exit 64, as for any other.
        do { options.shard = try shard.map(SweepOptions.parseShard) } catch let error as SweepError {
            throw ValidationError(error.description)
        }
        options.shareTargets = !noShare
        options.wait = wait
        guard maxRuns >= 1 else { throw ValidationError("--max-runs \(maxRuns): give a count of at least 1") }
        options.maxRuns = maxRuns
        let runner = try SweepRunner(sweep: sweep, options: options, stopFlag: stopFlag, validate: false)
        for i in runner.plan.unmatchedExcludes {
            FileHandle.standardError.write(Data(("warning: \(self.sweep): exclude[\(i)] matches no run, so it drops nothing; "
                + "check its values against the grid (types too: \"1\" is not 1)\n").utf8))
        }
        if dryRun {
            try printPlan(runner)
            return
        }
        let validation = ValidationProgress(total: runner.plan.runs.count)
        try runner.plan.validate { position, _ in validation.update(position + 1) }
        validation.finish()
        let display = SweepDisplay(name: sweep.name, folder: options.output.path)
        let summary = try runner.run(progress: display.handle)
        display.finish(summary)
        if shard == nil && !noReport { writeReport(options.output) }
        if summary.interrupted { throw ExitCode(130) }
        if summary.failed > 0 { throw ExitCode.failure }
    }

    /// Builds the report; a report that cannot be drawn (e.g. no gnuplot) is a note, not a failed sweep.
    private func writeReport(_ folder: URL) {
        do {
            let report = try ReportWriter().write(sweep: folder)
            print("report: \(report.index.path)")
        } catch {
            print("report not written: \(error)")
        }
    }

    /// The listing, streamed: each run's line is printed once it has been validated (progress on stderr).
    private func printPlan(_ runner: SweepRunner) throws {
        let plan = runner.plan
        let selection = runner.selection
        print("sweep '\(plan.sweep.name)': \(plan.runs.count) runs" + (runner.options.shard.map { ", shard \($0.k)/\($0.n): \(selection.count)" } ?? "")
              + "; swept: " + (plan.swept.isEmpty ? "nothing" : plan.swept.joined(separator: ", ")))
        print("output: \(runner.options.output.path)")
        let shard = runner.options.shard
        let validation = ValidationProgress(total: plan.runs.count)
        try plan.validate { position, run in
            if shard.map({ run.index % $0.n == $0.k }) ?? true {
                let params = plan.swept.map { "\($0)=\(run.params[$0]?.description ?? "")" }.joined(separator: "  ")
                validation.clear()
                print("  \(run.id)  \(runner.needsRun(run) ? "to run " : "done   ")  \(params)")
            }
            validation.update(position + 1)
        }
        validation.finish()
        print("all \(plan.runs.count) configurations and their inputs are valid (dry run: nothing was computed)")
    }
}

/// "validating runs: 1200/10000" on stderr while a sweep is checked: redrawn on a terminal, a line every few
/// seconds otherwise; nothing for checks that end within a second.
final class ValidationProgress {
    private let total: Int
    private let terminal = isatty(STDERR_FILENO) == 1
    private let started = Date()
    private var last = Date.distantPast
    private var drawn = false

    init(total: Int) { self.total = total }

    func update(_ done: Int) {
        let now = Date()
        guard now.timeIntervalSince(started) >= 1, now.timeIntervalSince(last) >= (terminal ? 0.2 : 5) else { return }
        last = now
        fflush(stdout)
        let text = "validating runs: \(done)/\(total)"
        FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[2K" + text : text + "\n").utf8))
        drawn = terminal
    }

    /// Erases the progress line (before other output on a terminal).
    func clear() {
        guard drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        drawn = false
    }

    func finish() {
        fflush(stdout)   // the listing so far, before anything on stderr
        clear()
        let seconds = Date().timeIntervalSince(started)
        if seconds >= 1 {
            FileHandle.standardError.write(Data(String(format: "validated %d runs in %.1f s\n", total, seconds).utf8))
        }
    }
}
