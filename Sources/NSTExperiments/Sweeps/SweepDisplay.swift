import Foundation
import NSTTransfer

/// Progress of `nst-exp run` on stdout: the overall line (runs done of total, failures, ETA) above the per-run line on a
/// terminal; plain lines otherwise. It lives beside `ConsoleProgress` (a single run's progress) in the library: the
/// command-line front end only wires events to it, and both renderers share one duration format.
public final class SweepDisplay {
    private let name: String
    private let folder: String
    private let terminal = isatty(STDOUT_FILENO) == 1
    private var drawn = false

    public init(name: String, folder: String) {
        self.name = name
        self.folder = folder
    }

    public func handle(_ event: SweepEvent) {
        switch event {
        case let .skipped(run, status, state):
            permanent("\(overall(state))  \(run.id) already \(status.rawValue), skipped")
        case let .runStarted(run, state):
            if terminal { draw(overall(state), "\(run.id) \(params(run)) starting") } else { permanent("\(overall(state))  \(run.id) \(params(run)) started") }
        case let .iteration(run, report, state):
            guard terminal else { return }
            draw(overall(state), String(format: "%@  iteration %d/%d  loss %.4g  %.1f s", run.id, report.iteration,
                                        report.totalIterations, report.losses.total, report.seconds))
        case let .notice(run, text):
            // On stderr like stylize's notices; the progress lines are redrawn below it.
            clear()
            fflush(stdout)
            FileHandle.standardError.write(Data("\(run.id): \(text)\n".utf8))
        case let .message(text):
            clear()
            fflush(stdout)
            FileHandle.standardError.write(Data((text + "\n").utf8))
        case let .runEnded(run, record, state):
            let loss = record.final.map { String(format: ", loss %.4g", $0.total) } ?? ""
            let error = record.error.map { ": \($0)" } ?? ""
            permanent(String(format: "%@  %@ %@ in %.1f s%@%@", overall(state), run.id, record.status.rawValue, record.seconds, loss, error))
        }
    }

    public func finish(_ summary: SweepSummary) {
        clear()
        var text = "sweep '\(name)': \(summary.finished) finished, \(summary.failed) failed of \(summary.selected)"
            + " (\(summary.executed) run now, \(summary.skipped) already done) in " + ConsoleProgress.duration(summary.seconds)
        if summary.claimedElsewhere > 0 { text += "; \(summary.claimedElsewhere) left to other runners that had claimed them" }
        if summary.interrupted { text += "; interrupted, rerun the same command to resume" }
        print(text)
        if summary.targetHits + summary.targetMisses > 0 {
            print(String(format: "shared targets: %d computed (%.2f s), %d reused (about %.2f s saved)",
                         summary.targetMisses, summary.targetComputeSeconds, summary.targetHits, summary.targetSavedSeconds))
        }
        print("results: \(folder)/runs.csv")
    }

    private func overall(_ s: SweepProgress) -> String {
        "[\(s.done)/\(s.total) done, \(s.failed) failed" + (s.eta.map { ", ETA " + ConsoleProgress.duration($0) } ?? "") + "]"
    }

    private func params(_ run: PlannedRun) -> String {
        run.params.keys.sorted().map { "\($0)=\(run.params[$0]?.description ?? "")" }.joined(separator: " ")
    }

    private func draw(_ top: String, _ bottom: String) {
        clear()
        FileHandle.standardOutput.write(Data((top + "\n" + bottom).utf8))
        drawn = true
    }

    private func clear() {
        guard terminal, drawn else { return }
        // Erase the per-run line, move up, erase the overall line.
        FileHandle.standardOutput.write(Data("\r\u{1B}[2K\u{1B}[1A\r\u{1B}[2K".utf8))
        drawn = false
    }

    private func permanent(_ line: String) {
        clear()
        print(line)
        fflush(stdout)
    }
}
