import Foundation
import NSTTransfer

/// Several sweeps side by side: runs are matched by their values of every key any of the sweeps varies (a key a
/// sweep does not vary is read from its runs' config.json), so runs with the same settings line up.
public struct SweepComparison: Sendable {
    /// Runs of different sweeps that share the values of `keys`.
    public struct Match: Sendable {
        public var values: [String: JSONValue]
        /// One entry per sweep, nil where that sweep has no such run.
        public var runs: [SweepResults.Run?]
        /// "style_weight=100, tv_weight=0".
        public func label(keys: [String]) -> String {
            keys.map { "\($0)=\(values[$0]?.label ?? "–")" }.joined(separator: ", ")
        }
    }

    public var sweeps: [SweepResults]
    /// Distinct display names of the sweeps, in order.
    public var labels: [String]
    /// The union of the sweeps' swept keys: what runs are matched on.
    public var keys: [String]
    public var matches: [Match]

    public init(_ sweeps: [SweepResults]) throws {
        guard sweeps.count >= 2 else { throw ReportError.nothingToCompare(count: sweeps.count) }
        self.sweeps = sweeps
        var labels: [String] = []
        for sweep in sweeps {
            var label = sweep.name, n = 2
            while labels.contains(label) { label = "\(sweep.name) (\(n))"; n += 1 }
            labels.append(label)
        }
        self.labels = labels
        var keys: [String] = []
        for key in sweeps.flatMap(\.swept) where !keys.contains(key) { keys.append(key) }
        self.keys = keys
        var order: [[JSONValue]] = [], matches: [Match] = []
        for (s, sweep) in sweeps.enumerated() {
            for run in sweep.runs {
                let values = keys.map { run.value(for: $0) ?? .null }
                if let i = order.firstIndex(of: values), matches[i].runs[s] == nil {
                    matches[i].runs[s] = run
                } else {
                    var runs = [SweepResults.Run?](repeating: nil, count: sweeps.count)
                    runs[s] = run
                    order.append(values)
                    matches.append(Match(values: Dictionary(uniqueKeysWithValues: zip(keys, values)), runs: runs))
                }
            }
        }
        self.matches = matches
    }

    /// The report folder when none is given: `Reports/compare-<name>-vs-<name>…`. A name is read from the sweep's
    /// `plan.json`, which a user may have edited, so each is reduced to one safe file-name part (`../x` → `..-x`).
    public var defaultFolder: String {
        "Reports/compare-" + sweeps.map { ReportPlots.fileSafe($0.name) }.joined(separator: "-vs-")
    }

    /// Matches that at least two sweeps have a run for.
    public var shared: [Match] { matches.filter { $0.runs.compactMap { $0 }.count >= 2 } }

    /// Settings every run of a sweep shares but whose value differs between sweeps (what the comparison is about).
    public var differingSettings: [(key: String, values: [String])] {
        let perSweep = sweeps.map { sweep -> [String: JSONValue] in
            let configs = sweep.runs.compactMap { run -> [String: JSONValue]? in
                if case .object(let o)? = run.config { return o }
                return nil
            }
            guard let first = configs.first else { return [:] }
            return first.filter { key, value in configs.allSatisfy { $0[key] == value } }
        }
        let skipped: Set<String> = ["output", "log", "print_every"]
        let allKeys = Set(perSweep.flatMap(\.keys)).subtracting(skipped).subtracting(keys).sorted()
        return allKeys.compactMap { key in
            let values = perSweep.map { $0[key] }
            guard Set(values.map { $0?.jsonText ?? "" }).count > 1 else { return nil }
            return (key, values.map { $0?.label ?? "(varies or absent)" })
        }
    }
}

/// Writes the comparison report: sweeps, differing settings, matched runs side by side, and the union of the runs tables.
public struct ComparisonWriter: Sendable {
    public var gnuplot: Gnuplot
    public var thumbnailSize: Int

    public init(gnuplot: Gnuplot? = nil, thumbnailSize: Int = 256) throws {
        self.gnuplot = try gnuplot ?? Gnuplot()
        self.thumbnailSize = thumbnailSize
    }

    /// Loads the sweep folders and writes the comparison into `output`.
    public func write(sweeps folders: [URL], to output: URL) throws -> ReportWriter.Summary {
        try write(SweepComparison(folders.map(SweepResults.load)), to: output)
    }

    public func write(_ comparison: SweepComparison, to folder: URL) throws -> ReportWriter.Summary {
        try ReportWriter.prepare(folder)
        var warnings = comparison.sweeps.enumerated().flatMap { s, sweep in sweep.warnings.map { "\(comparison.labels[s]): \($0)" } }
        var thumbnails: [String: ContactSheet.Thumbnail] = [:]
        for (s, sweep) in comparison.sweeps.enumerated() {
            for run in sweep.runs {
                guard let image = run.finalImage else { continue }
                do {
                    thumbnails[Self.key(s, run)] = try ContactSheet.Thumbnail.make(
                        from: image, to: folder.appendingPathComponent("images/\(s + 1)-\(run.id).png"), longestSide: thumbnailSize)
                } catch {
                    warnings.append("\(comparison.labels[s]) run \(run.id): final image could not be read: \(error)")
                }
            }
        }
        var figures: [ReportFigure] = []
        let shown = comparison.shared.isEmpty ? comparison.matches : comparison.shared
        if shown.contains(where: { m in m.runs.enumerated().contains { s, r in r.map { thumbnails[Self.key(s, $0)] != nil } ?? false } }) {
            let cells: [[ContactSheet.Cell?]] = shown.map { match in
                match.runs.enumerated().map { s, run -> ContactSheet.Cell? in
                    var lines = comparison.keys.map { "\($0)=\(match.values[$0]?.label ?? "–")" }
                    guard let run else { return ContactSheet.Cell(thumbnail: nil, lines: lines, placeholder: "not in this sweep") }
                    lines.append(run.final?.total.map { "loss \(String(format: "%.3g", $0))" } ?? run.state.rawValue)
                    return ContactSheet.Cell(thumbnail: thumbnails[Self.key(s, run)], lines: lines, placeholder: run.state.rawValue)
                }
            }
            let sheet = ContactSheet(title: "Matching runs side by side", subtitle: "one column per sweep, one row per setting",
                                     columnHeaders: comparison.labels, cells: cells)
            try sheet.render(with: gnuplot, to: folder.appendingPathComponent("contact-sheet"))
            figures.append(ReportFigure(png: "contact-sheet.png", svg: nil, title: "Matching runs side by side",
                                        caption: "Each row holds the runs with the same \(comparison.keys.joined(separator: ", ")); each column is one sweep."))
        }
        if let plot = try finalLossPlot(comparison, matches: shown, folder: folder) { figures.append(plot) }

        var document = ReportDocument(title: "Comparison: " + comparison.labels.joined(separator: " vs "))
        document.blocks.append(.paragraph("\(comparison.sweeps.count) sweeps, \(comparison.matches.count) distinct settings of \(comparison.keys.isEmpty ? "(nothing varied)" : comparison.keys.joined(separator: ", ")), \(comparison.shared.count) of them run in more than one sweep."))
        document.blocks.append(.heading("Sweeps"))
        document.blocks.append(.table(ReportDocument.Table(
            headers: ["sweep", "folder", "runs", "finished", "failed", "varied"],
            rows: comparison.sweeps.enumerated().map { s, sweep in
                [.init(comparison.labels[s]), .init(sweep.directory.lastPathComponent), .init(String(sweep.runs.count)),
                 .init(String(sweep.runs(.finished).count)), .init(String(sweep.runs(.failed).count), alert: !sweep.runs(.failed).isEmpty),
                 .init(sweep.swept.joined(separator: ", "))]
            })))
        let differing = comparison.differingSettings
        if !differing.isEmpty {
            document.blocks.append(.subheading("Settings that differ between the sweeps"))
            document.blocks.append(.table(ReportDocument.Table(headers: ["parameter"] + comparison.labels,
                                                               rows: differing.map { [.init($0.key)] + $0.values.map { .init($0) } })))
        }
        if !warnings.isEmpty { document.blocks += [.subheading("Notes"), .list(warnings)] }
        if !figures.isEmpty { document.blocks += [.heading("Side by side"), .figures(figures)] }
        document.blocks += [.heading("Matching runs"), .table(matchTable(comparison, matches: shown, thumbnails: thumbnails))]
        document.blocks += [.heading("All runs"), .paragraph("The union of the sweeps' runs tables; click a header to sort."),
                            .table(unionTable(comparison, thumbnails: thumbnails))]
        return try ReportWriter.save(document, to: folder, figures: figures, warnings: warnings)
    }

    static func key(_ sweep: Int, _ run: SweepResults.Run) -> String { "\(sweep)/\(run.id)" }

    func matchTable(_ c: SweepComparison, matches: [SweepComparison.Match],
                    thumbnails: [String: ContactSheet.Thumbnail]) -> ReportDocument.Table {
        let headers = c.keys + c.labels.flatMap { ["\($0): total", "\($0): seconds", "\($0): image"] }
        let rows = matches.map { match -> [ReportDocument.Cell] in
            var row = c.keys.map { ReportDocument.Cell(match.values[$0]?.label ?? "", sortKey: match.values[$0]?.number) }
            for (s, run) in match.runs.enumerated() {
                let total = run?.final?.total, seconds = run?.seconds
                row.append(.init(total.map { String(format: "%.4g", $0) } ?? (run?.state.rawValue ?? "–"), sortKey: total,
                                 alert: run?.state == .failed))
                row.append(.init(seconds.map { String(format: "%.1f", $0) } ?? "", sortKey: seconds))
                row.append(run.flatMap { r in thumbnails[Self.key(s, r)].map { _ in .init("\(c.labels[s]) run \(r.indexLabel)", image: "images/\(s + 1)-\(r.id).png") } } ?? .init(""))
            }
            return row
        }
        return ReportDocument.Table(headers: headers, rows: rows, sortable: true)
    }

    func unionTable(_ c: SweepComparison, thumbnails: [String: ContactSheet.Thumbnail]) -> ReportDocument.Table {
        let terms = ["total"] + LossTerms.columns(of: c.sweeps.map(\.termNames))
        let headers = ["sweep", "#", "status"] + c.keys + terms + ["iterations", "seconds", "image"]
        var rows: [[ReportDocument.Cell]] = []
        for (s, sweep) in c.sweeps.enumerated() {
            for run in sweep.runs {
                func number(_ v: Double?, _ f: String = "%.4g") -> ReportDocument.Cell { .init(v.map { String(format: f, $0) } ?? "", sortKey: v) }
                var row: [ReportDocument.Cell] = [.init(c.labels[s]), .init(run.indexLabel, sortKey: Double(run.index)),
                                                  .init(run.state.rawValue, alert: run.state == .failed || run.state == .interrupted)]
                row += c.keys.map { k in let v = run.value(for: k); return .init(v?.label ?? "", sortKey: v?.number) }
                row += terms.map { number(run.final?[term: $0]) }
                row += [number(run.iterations.map(Double.init), "%.0f"), number(run.seconds, "%.1f")]
                row.append(thumbnails[Self.key(s, run)] != nil ? .init("run \(run.indexLabel)", image: "images/\(s + 1)-\(run.id).png") : .init(""))
                rows.append(row)
            }
        }
        return ReportDocument.Table(headers: headers, rows: rows, sortable: true)
    }

    /// Final total loss of each matched setting, one line per sweep.
    func finalLossPlot(_ c: SweepComparison, matches: [SweepComparison.Match], folder: URL) throws -> ReportFigure? {
        guard matches.contains(where: { $0.runs.contains { ($0?.final?.total ?? 0) > 0 } }) else { return nil }
        var data = ""
        for s in c.sweeps.indices {
            data += Gnuplot.datablock("s\(s)", rows: matches.enumerated().map { i, m in
                [Double(i), ReportPlots.positive(m.runs[s].flatMap { $0.state == .finished ? $0.final?.total : nil } ?? .nan)]
            })
        }
        var body = Gnuplot.preamble
        body += "set title 'Final total loss of matching runs'\nset ylabel 'final total loss (log scale)'\nset logscale y\nset format y '%.0e'\n"
        body += "set xtics rotate by -30 font ',9' (" + matches.enumerated().map { "\(Gnuplot.quote($1.label(keys: c.keys))) \($0)" }.joined(separator: ", ") + ")\n"
        body += "set xrange [-0.5:\(Double(matches.count) - 0.5)]\nset bmargin 8\nset key top right\n"
        body += "plot " + c.sweeps.indices.map { "$s\($0) using 1:2 with linespoints title \(Gnuplot.quote(c.labels[$0]))" }.joined(separator: ", ") + "\n"
        try gnuplot.render(body, data: data, to: folder.appendingPathComponent("plots/final-loss"),
                           width: max(900, 60 * matches.count + 200), height: 600)
        return ReportFigure(png: "plots/final-loss.png", svg: "plots/final-loss.svg", title: "Final loss per setting",
                            caption: "Final total loss of each matching setting, one line per sweep (missing points: no finished run).")
    }
}
