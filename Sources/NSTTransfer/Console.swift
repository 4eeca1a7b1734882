import Dispatch
import Foundation

/// Turns SIGINT (Ctrl-C) into a stop request: the run finishes its iteration, then writes the image and log.
/// A second Ctrl-C exits immediately with status 130. Signals return to their default handling on deinit.
///
/// Create it before any worker threads start (first thing in a command): on Linux the dispatch source reads
/// the signal through a signalfd, which only sees it reliably when every thread blocks SIGINT, and threads
/// inherit the mask of the thread that creates them.
public final class InterruptHandler {
    private let source: DispatchSourceSignal

    /// Installs the handler; `onFirstSignal` runs (off the main thread) when the first Ctrl-C arrives.
    public init(stopFlag: StopFlag, onFirstSignal: @escaping @Sendable () -> Void = {}) {
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        signal(SIGINT, SIG_IGN)   // the dispatch source receives it instead of the default handler
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue(label: "nst.sigint"))
        source.setEventHandler {
            if stopFlag.isRequested { exit(130) }
            stopFlag.request()
            onFirstSignal()
        }
        source.resume()
    }

    deinit {
        source.cancel()
        signal(SIGINT, SIG_DFL)
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    }
}

/// Progress on stdout: a live, rewritten line on a terminal (iteration, loss terms, it/s, ETA), else plain
/// lines every `printEvery` iterations.
public final class ConsoleProgress {
    public let isTerminal: Bool
    public let printEvery: Int
    private var rateStart: (iteration: Int, seconds: Double)? = nil
    private var lineOpen = false
    private var lastReport: IterationReport? = nil

    /// `isTerminal` defaults to whether stdout is a TTY.
    public init(printEvery: Int = 10, isTerminal: Bool = isatty(1) != 0) {
        self.printEvery = printEvery
        self.isTerminal = isTerminal
    }

    /// Renders one event.
    public func handle(_ event: TransferEvent) {
        switch event {
        case let .stageStarted(index, count, width, height, iterations):
            emit("scale \(index + 1)/\(count): \(width)×\(height), \(iterations) iterations")
        case .iteration(let report):
            lastReport = report
            if rateStart == nil || report.iteration == 0 { rateStart = (report.iteration, report.seconds) }
            let line = describe(report)
            if isTerminal {
                write("\r\u{1B}[2K" + line)
                lineOpen = true
            } else if printEvery > 0, report.iteration % printEvery == 0 || report.iteration == report.totalIterations {
                emit(line)
            }
        case let .stageEndedEarly(index, reason):
            emit("scale \(index + 1) ended early: \(reason)")
        case let .saved(path, isFinal):
            emit(isFinal ? "wrote \(path)" : "snapshot \(path)")
        }
    }

    /// Closes the live line and prints the outcome.
    public func finish(_ result: TransferResult) {
        var summary = "\(result.stopReason): \(result.iterations) iterations in \(ConsoleProgress.duration(result.seconds))"
        if let last = result.history.last { summary += ", final loss \(ConsoleProgress.number(last.losses.total))" }
        if let log = result.logPath { summary += "; loss log \(log)" }
        emit(summary)
    }

    func describe(_ r: IterationReport) -> String {
        let l = r.losses
        var text = "it \(r.iteration)/\(r.totalIterations)  loss \(Self.number(l.total)) ("
            + l.terms.map { "\($0.name) \(Self.number($0.value))" }.joined(separator: ", ") + ")"
        if let start = rateStart, r.iteration > start.iteration, r.seconds > start.seconds {
            let rate = Double(r.iteration - start.iteration) / (r.seconds - start.seconds)
            text += String(format: "  %.2f it/s", rate)
            text += "  ETA " + Self.duration(Double(r.totalIterations - r.iteration) / rate)
        }
        return text
    }

    private func emit(_ line: String) {
        write((lineOpen ? "\r\u{1B}[2K" : "") + line + "\n")
        lineOpen = false
        if isTerminal, let report = lastReport, report.iteration < report.totalIterations {
            write(describe(report))
            lineOpen = true
        }
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func number(_ value: Float) -> String { String(format: "%.4g", Double(value)) }

    /// "4.2s", "3m05s", "1h02m": run times and ETAs on the console.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60)
             : s >= 60 ? String(format: "%dm%02ds", s / 60, s % 60) : String(format: "%.1fs", seconds)
    }
}
