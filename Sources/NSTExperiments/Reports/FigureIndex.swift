import Foundation

/// One page over several sweeps that together reproduce a paper's or report's figures: each sweep folder under
/// a root is a figure group, rebuilt from its logs and shown with its description, figures and timing.
public struct FigureIndex: Sendable {
    public var writer: ReportWriter

    public init(writer: ReportWriter) { self.writer = writer }

    /// Rebuilds the report of every sweep folder directly under `root` (folders with plan.json, in name order)
    /// and writes `root/index.html` and `root/README.md` showing all of them.
    public func write(root: URL, title: String = "Figures of the report, reproduced") throws -> ReportWriter.Summary {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).sorted().filter {
            fm.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent("plan.json").path)
        }
        guard !names.isEmpty else {
            throw ReportError.notASweep(path: root.path, hint: "no sweep folders (with plan.json) inside; run the sweeps first, e.g. scripts/report-figures.sh")
        }
        var document = ReportDocument(title: title)
        document.blocks.append(.paragraph("Each section is one sweep file; every picture was made from the logs of that sweep's runs. The full report of a group (runs table, loss curves per run, provenance) is in <group>/report/index.html."))
        document.blocks.append(.list(names))
        var figures: [ReportFigure] = [], warnings: [String] = []
        for name in names {
            let results = try SweepResults.load(root.appendingPathComponent(name))
            let summary = try writer.write(results)
            warnings += summary.warnings.map { "\(name): \($0)" }
            let source = Self.sweepSource(results) ?? "\(name)/\(results.sweepFile ?? "sweep.json")"
            let made = " Made by \(source) (copied to \(name)/\(results.sweepFile ?? "sweep.json")); full report: \(name)/report/index.html."
            // The description's first sentence names the figure group, so each caption says what it shows on its own.
            let topic = results.sweepDescription.flatMap(Self.topic).map { $0 + " " } ?? ""
            // Per-run loss curves stay in the group's own report, except for a single run, where its curves (every
            // loss term) say more than the overlay of one total.
            let single = results.runs.count == 1
            let shown = summary.figures.filter { single ? $0.png != "plots/all-runs.png" : !$0.png.hasPrefix("plots/loss-") }
                .map { figure -> ReportFigure in
                var f = figure
                f.png = "\(name)/report/\(figure.png)"
                f.svg = figure.svg.map { "\(name)/report/\($0)" }
                f.caption = topic + f.caption + made
                return f
            }
            figures += shown
            document.blocks.append(.heading(name))
            if let text = results.sweepDescription { document.blocks.append(.paragraph(text)) }
            document.blocks.append(.paragraph(Self.timing(results)))
            if !results.swept.isEmpty || results.runs.count > 1 {
                document.blocks.append(.table(Self.runsTable(results)))
            }
            if !shown.isEmpty { document.blocks.append(.figures(shown)) }
        }
        if !warnings.isEmpty { document.blocks += [.heading("Notes"), .list(warnings)] }
        return try ReportWriter.save(document, to: root, figures: figures, warnings: warnings)
    }

    /// The first sentence of a description: up to the first ". " that is not an abbreviation such as "et al." or "Fig.".
    static func topic(_ description: String) -> String? {
        let abbreviations = ["al.", "Fig.", "e.g.", "i.e.", "Sec.", "vs.", "cf."]
        var end = description.startIndex
        while let stop = description.range(of: ". ", range: end..<description.endIndex) {
            let word = description[..<stop.upperBound].split(separator: " ").last.map(String.init) ?? ""
            if !abbreviations.contains(word) { return String(description[..<stop.lowerBound]) + "." }
            end = stop.upperBound
        }
        let whole = description.trimmingCharacters(in: .whitespacesAndNewlines)
        return whole.isEmpty ? nil : whole
    }

    /// Index, status, swept values, final loss, iterations and seconds of every run.
    static func runsTable(_ results: SweepResults) -> ReportDocument.Table {
        let rows = results.runs.map { run -> [ReportDocument.Cell] in
            var row: [ReportDocument.Cell] = [.init(run.indexLabel), .init(run.state.rawValue, alert: run.state != .finished)]
            for key in results.swept { row.append(.init(run.params[key]?.label ?? "")) }
            let total = run.final?.total.map { String(format: "%.4g", $0) } ?? ""
            let seconds = run.seconds.map { String(format: "%.1f", $0) } ?? ""
            row += [.init(total), .init(run.iterations.map(String.init) ?? ""), .init(seconds)]
            return row
        }
        return ReportDocument.Table(headers: ["#", "status"] + results.swept + ["final total loss", "iterations", "seconds"], rows: rows)
    }

    /// "4 runs finished in 812 s (203 s per run, 1.02 s per iteration)".
    static func timing(_ results: SweepResults) -> String {
        let finished = results.runs(.finished)
        let seconds = finished.compactMap(\.seconds).reduce(0, +)
        let iterations = finished.compactMap(\.iterations).reduce(0, +)
        var text = "\(finished.count) of \(results.runs.count) runs finished"
        guard !finished.isEmpty, seconds > 0 else { return text + "." }
        text += String(format: " in %.0f s (%.0f s per run", seconds, seconds / Double(finished.count))
        if iterations > 0 { text += String(format: ", %.2f s per iteration", seconds / Double(iterations)) }
        let cpu = finished.compactMap(\.cpuSeconds)
        if cpu.count == finished.count { text += String(format: "; %.0f s of CPU time", cpu.reduce(0, +)) }
        return text + ")."
    }

    /// The sweep file as given on the command line that ran it (from manifest.json), with any `--set`
    /// overrides, e.g. "Experiments/report/2a-weight-ratio.json with --set iterations=30".
    static func sweepSource(_ results: SweepResults) -> String? {
        var words: [String] = []
        switch results.manifest?["command_line"] {
        case .string(let line)?: words = line.split(separator: " ").map(String.init)
        case .array(let list)?: words = list.compactMap { if case .string(let w) = $0 { return w } else { return nil } }
        default: return nil
        }
        guard let file = words.first(where: { $0.hasSuffix(".json") }) else { return nil }
        var overrides: [String] = []
        for (i, word) in words.enumerated() {
            if word == "--set", i + 1 < words.count { overrides.append("--set \(words[i + 1])") }
            else if word.hasPrefix("--set=") { overrides.append("--set \(word.dropFirst("--set=".count))") }
        }
        return overrides.isEmpty ? file : "\(file) with \(overrides.joined(separator: " "))"
    }
}
