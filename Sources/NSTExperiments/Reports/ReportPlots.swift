import Foundation
import NSTGuidance
import NSTTransfer

/// A picture in a report: a PNG (and SVG when drawn by gnuplot), relative to the report folder, with a caption.
public struct ReportFigure: Equatable, Sendable {
    /// Path of the PNG relative to the report folder.
    public var png: String
    /// Path of the SVG relative to the report folder, if there is one.
    public var svg: String?
    public var title: String
    public var caption: String
}

/// The gnuplot plots of a sweep: loss curves per run, all runs overlaid, final loss against each swept key, heat maps.
struct ReportPlots {
    let gnuplot: Gnuplot
    let results: SweepResults
    /// The report folder; plots go to `plots/` inside it.
    let folder: URL

    static let width = 900, height = 560

    var plotsFolder: URL { folder.appendingPathComponent("plots") }

    func figure(_ stem: String, title: String, caption: String) -> ReportFigure {
        ReportFigure(png: "plots/\(stem).png", svg: "plots/\(stem).svg", title: title, caption: caption)
    }

    /// Loss values for a log axis: zero and negative values (e.g. a TV term with γ = 0) are left out.
    static func positive(_ v: Double) -> Double { v > 0 ? v : .nan }

    /// Total and each weighted term against iteration, on a log scale.
    func lossCurves(_ run: SweepResults.Run) throws -> ReportFigure? {
        guard let log = run.losses, let iterations = log.column(LossLogColumns.iteration), !log.rows.isEmpty else { return nil }
        let terms = ([LossLogColumns.total] + log.terms).filter { log.column($0)?.contains { $0 > 0 } ?? false }
        guard !terms.isEmpty else { return nil }
        let columns = terms.compactMap { log.column($0) }
        let rows = iterations.indices.map { i in [iterations[i]] + columns.map { Self.positive($0[i]) } }
        let label = run.label(keys: results.swept)
        var body = Gnuplot.preamble
        body += "set title \(Gnuplot.quote("Run \(run.indexLabel)" + (label.isEmpty ? "" : ": \(label)")))\n"
        body += "set xlabel 'iteration'\nset ylabel 'weighted loss (log scale)'\nset logscale y\nset format y '%.0e'\n"
        body += "set key top right\n"
        body += "plot " + terms.enumerated().map { i, term in
            "$losses using 1:\(i + 2) with lines lw \(term == "total" ? 3 : 2) title \(Gnuplot.quote(term))"
        }.joined(separator: ", ") + "\n"
        let stem = "loss-\(run.id)"
        try gnuplot.render(body, data: Gnuplot.datablock("losses", rows: rows),
                           to: plotsFolder.appendingPathComponent(stem), width: Self.width, height: Self.height)
        return figure(stem, title: "Loss curves, run \(run.indexLabel)",
                      caption: "Total loss and its weighted terms per iteration of run \(run.indexLabel) (\(run.state.rawValue))"
                        + (label.isEmpty ? "." : ", \(label)."))
    }

    /// The total loss of every run on one log-scale plot.
    func overlay() throws -> ReportFigure? {
        let logged = results.runs.filter { ($0.losses?.column(LossLogColumns.total)?.contains { $0 > 0 }) ?? false }
        guard !logged.isEmpty else { return nil }
        var data = "", plots: [String] = []
        for (n, run) in logged.enumerated() {
            guard let log = run.losses, let it = log.column(LossLogColumns.iteration), let total = log.column(LossLogColumns.total) else { continue }
            data += Gnuplot.datablock("run\(n)", rows: it.indices.map { [it[$0], Self.positive(total[$0])] })
            let label = results.swept.isEmpty ? "run \(run.indexLabel)" : run.label(keys: results.swept)
            let dash = run.state == .finished ? "" : " dt 2"
            plots.append("$run\(n) using 1:2 with lines\(dash) title \(Gnuplot.quote(label + (run.state == .finished ? "" : " (\(run.state.rawValue))")))")
        }
        let crowded = logged.count > 8
        var body = Gnuplot.preamble
        body += "set title \(Gnuplot.quote(logged.count == 1 ? "Total loss" : "Total loss of all \(logged.count) runs"))\n"
        body += "set xlabel 'iteration'\nset ylabel 'total loss (log scale)'\nset logscale y\nset format y '%.0e'\n"
        body += crowded ? "set key outside right top font ',9' noopaque\n" : "set key top right\n"
        body += "plot " + plots.joined(separator: ", ") + "\n"
        try gnuplot.render(body, data: data, to: plotsFolder.appendingPathComponent("all-runs"),
                           width: crowded ? 1200 : Self.width, height: Self.height)
        return figure("all-runs", title: "All runs overlaid",
                      caption: "Total loss per iteration of every run with a loss log; dashed lines are runs that did not finish.")
    }

    /// Final loss terms against one swept key; one line per combination of the other swept keys.
    func finalAgainst(_ key: String) throws -> ReportFigure? {
        let finished = results.runs.filter { $0.state == .finished && $0.final != nil }
        guard !finished.isEmpty else { return nil }
        let values = JSONValue.axisOrder(finished.compactMap { $0.params[key] })
        let numeric = values.allSatisfy { $0.number != nil }
        let numbers = values.compactMap(\.number)
        let logX = numeric && (numbers.min() ?? 0) > 0 && (numbers.max() ?? 1) / (numbers.min() ?? 1) >= 100
        func x(_ v: JSONValue) -> Double { numeric ? (v.number ?? .nan) : Double(values.firstIndex(of: v) ?? 0) }
        let others = results.swept.filter { $0 != key }
        var groups: [[JSONValue]] = [], members: [[SweepResults.Run]] = []
        for run in finished {
            let g = others.map { run.params[$0] ?? .null }
            if let i = groups.firstIndex(of: g) { members[i].append(run) } else { groups.append(g); members.append([run]) }
        }
        let terms = (["total"] + results.termNames).filter { t in finished.contains { ($0.final?[term: t] ?? 0) > 0 } }
        guard !terms.isEmpty else { return nil }
        var data = ""
        for (g, runs) in members.enumerated() {
            let sorted = runs.compactMap { r in r.params[key].map { (x($0), r) } }.sorted { $0.0 < $1.0 }
            data += Gnuplot.datablock("g\(g)", rows: sorted.map { p in [p.0] + terms.map { Self.positive(p.1.final?[term: $0] ?? .nan) } })
        }
        let showKey = !others.isEmpty && groups.count <= 8
        var body = Gnuplot.preamble
        body += "set multiplot layout \((terms.count + 1) / 2),\(min(terms.count, 2)) title \(Gnuplot.quote("Final loss against \(key)")) font ',13'\n"
        body += "set logscale y\nset format y '%.0e'\nset xlabel \(Gnuplot.quote(key))\n"
        if logX { body += "set logscale x\n" }
        if !numeric {
            body += "set xtics (" + values.enumerated().map { "\(Gnuplot.quote($1.label)) \($0)" }.joined(separator: ", ") + ")\n"
            body += "set xrange [-0.5:\(Double(values.count) - 0.5)]\n"
        } else {
            body += "set offsets graph 0.05, graph 0.05, 0, 0\n"
        }
        for (t, term) in terms.enumerated() {
            body += "set title \(Gnuplot.quote(term == "total" ? "total" : "\(term) term"))\n"
            body += "set ylabel \(Gnuplot.quote("final \(term) (log)"))\n"
            body += t == 0 && showKey ? "set key top left font ',9'\n" : "unset key\n"
            body += "plot " + groups.indices.map { g in
                "$g\(g) using 1:\(t + 2) with linespoints lt \(g % Gnuplot.palette.count + 1) title \(Gnuplot.quote(zip(others, groups[g]).map { "\($0)=\($1.label)" }.joined(separator: ", ")))"
            }.joined(separator: ", ") + "\n"
        }
        body += "unset multiplot\n"
        let stem = "final-vs-" + Self.fileSafe(key)
        try gnuplot.render(body, data: data, to: plotsFolder.appendingPathComponent(stem),
                           width: Self.width, height: 240 + 240 * ((terms.count + 1) / 2))
        return figure(stem, title: "Final loss against \(key)",
                      caption: "Final weighted loss terms of the finished runs against \(key)"
                        + (others.isEmpty ? "." : "; one line per combination of \(others.joined(separator: ", "))."))
    }

    /// Wall-clock and CPU seconds of every finished run as horizontal bars, under a bar for the report block's
    /// `reference_seconds` (e.g. a published run time), each bar labelled in seconds and minutes.
    func runTimes() throws -> ReportFigure? {
        guard let reference = results.layout?.referenceSeconds, reference > 0 else { return nil }
        let timed = results.runs.filter { $0.state == .finished && ($0.seconds ?? 0) > 0 }
        guard !timed.isEmpty else { return nil }
        let referenceLabel = results.layout?.referenceLabel ?? "reference"
        // Top to bottom: the reference, then the runs in order (gnuplot's y grows upwards).
        var bars: [(label: String, seconds: Double, colour: Int)] = [(referenceLabel, reference, 2)]
        for run in timed {
            let label = results.swept.isEmpty || results.runs.count == 1 ? "run \(run.indexLabel)" : run.label(keys: results.swept)
            bars.append(("\(label), wall-clock", run.seconds ?? 0, 1))
            if let cpu = run.cpuSeconds, cpu > 0 { bars.append(("\(label), CPU", cpu, 3)) }
        }
        let rows = bars.enumerated().map { i, bar in [Double(bars.count - 1 - i), bar.seconds, Double(bar.colour)] }
        func text(_ s: Double) -> String { s >= 120 ? String(format: "%.0f s (%.1f min)", s, s / 60) : String(format: "%.1f s", s) }
        var body = Gnuplot.preamble
        body += "set title 'Run time'\nunset key\nset style fill solid 0.85 noborder\n"
        body += "set xlabel 'seconds'\nset xrange [0:\((bars.map(\.seconds).max() ?? 1) * 1.45)]\n"
        body += Self.barAxis(bars.map { ($0.label, $0.seconds, text($0.seconds)) })
        body += "plot $times using ($2/2):1:($2/2):(0.35):3 with boxxyerror lc variable\n"
        let longest = bars.map(\.label.count).max() ?? 10
        try gnuplot.render(body, data: Gnuplot.datablock("times", rows: rows), to: plotsFolder.appendingPathComponent("run-time"),
                           width: max(Self.width, 700 + 7 * longest), height: 200 + 60 * bars.count)
        return figure("run-time", title: "Run time against \(referenceLabel)",
                      caption: "Wall-clock and CPU seconds (all threads) of each finished run on this machine (\(machine)) against \(referenceLabel) "
                        + "(\(text(reference))).")
    }

    /// The y axis of a horizontal bar chart (the run-time and placement charts): bar i at y = count − 1 − i, so the
    /// first bar is on top, labelled by a tic, with its value printed past its end. Tic labels are format strings to
    /// gnuplot, so a literal % is written %%.
    static func barAxis(_ bars: [(label: String, x: Double, value: String)]) -> String {
        var body = "set yrange [-0.6:\(Double(bars.count) - 0.4)]\nset grid noytics\nset ytics scale 0\n"
        body += "set ytics (" + bars.enumerated().map {
            "\(Gnuplot.quote($1.label.replacingOccurrences(of: "%", with: "%%"))) \(bars.count - 1 - $0)"
        }.joined(separator: ", ") + ")\n"
        for (i, bar) in bars.enumerated() {
            body += "set label \(Gnuplot.quote(bar.value)) at \(bar.x),\(bars.count - 1 - i) offset 0.6,0 left\n"
        }
        return body
    }

    /// One horizontal bar per region of every guided run: its placement ratio (log scale) with lines at 1 (below: the
    /// region is nearer another region's texture) and at the goal; regions under 5 % of the image and regions whose
    /// style regions are not separable are drawn pale.
    func placement() throws -> ReportFigure? {
        let measured = results.runs.filter { $0.placement?.regions.contains { $0.ratio != nil } ?? false }
        guard !measured.isEmpty else { return nil }
        var bars: [(label: String, ratio: Double, colour: Int)] = []
        for run in measured {
            guard let p = run.placement else { continue }
            let label = results.swept.isEmpty || results.runs.count == 1 ? "run \(run.indexLabel)" : run.label(keys: results.swept)
            for r in p.regions {
                guard let ratio = r.ratio, ratio > 0 else { continue }
                let scored = r.share >= Placement.minimumShare && (r.separability ?? .infinity) >= Placement.separableAt
                let colour = !scored ? 4 : (ratio >= Placement.goal ? 2 : (ratio >= 1 ? 5 : 7))
                bars.append(("\(label) · \(r.name) (\(String(format: "%.0f", 100 * r.share)) %)", ratio, colour))
            }
        }
        let lo = min(0.5, (bars.map(\.ratio).min() ?? 1) / 1.5), hi = max(Placement.goal * 3, (bars.map(\.ratio).max() ?? 1) * 3)
        let rows = bars.enumerated().map { i, bar in [Double(bars.count - 1 - i), bar.ratio, Double(bar.colour)] }
        var body = Gnuplot.preamble
        body += "set title 'Placement per region (ratio = nearest other style region / own; log scale)'\nunset key\n"
        body += "set style fill solid 0.85 noborder\nset logscale x\nset xlabel 'placement ratio'\n"
        body += "set xrange [\(lo):\(hi)]\n"
        body += Self.barAxis(bars.map { ($0.label, $0.ratio, String(format: "%.2f×", $0.ratio)) })
        body += "set arrow from 1,graph 0 to 1,graph 1 nohead lw 2 dt 2\n"
        body += "set arrow from \(Placement.goal),graph 0 to \(Placement.goal),graph 1 nohead lw 1 dt 3\n"
        // Bars start at x = lo (a log axis has no 0): centre and half-width in log space.
        body += "plot $ratios using (sqrt(\(lo)*$2)):1:(\(lo)):($2):($1-0.35):($1+0.35):3 with boxxyerror lc variable\n"
        let longest = bars.map(\.label.count).max() ?? 10
        try gnuplot.render(body, data: Gnuplot.datablock("ratios", rows: rows), to: plotsFolder.appendingPathComponent("placement"),
                           width: max(Self.width, 700 + 7 * longest), height: 200 + 28 * bars.count)
        return figure("placement", title: "Placement per region",
                      caption: "For each region of each guided run: min over the other style regions q of L[r][q] / L[r][r], L the guided "
                        + "style distance over relu1_1…relu5_1 (nst-exp placement). Above 1 (dashed) the region is nearest its own style "
                        + "region's texture; the dotted line is the goal \(String(format: "%.0f", Placement.goal))×. Pale bars: regions under "
                        + "\(String(format: "%.0f", 100 * Placement.minimumShare)) % of the image or whose style regions are not separable.")
    }

    /// "AMD EPYC …, 2 threads" from manifest.json, for captions about timing.
    var machine: String {
        var parts: [String] = []
        if case .string(let cpu)? = results.manifest?["cpu"] { parts.append(cpu) }
        if let threads = results.manifest?["threads"]?.number { parts.append("\(Int(threads)) thread" + (threads == 1 ? "" : "s")) }
        return parts.isEmpty ? "machine not recorded" : parts.joined(separator: ", ")
    }

    /// log10 of the final total loss over the rows × columns grid, one map per page.
    func heatMaps(_ grid: ReportGrid) throws -> [ReportFigure] {
        guard let rowKey = grid.rowKey, let columnKey = grid.columnKey else { return [] }
        var figures: [ReportFigure] = []
        for (p, page) in grid.pages.enumerated() {
            var rows: [[Double]] = [], labels = ""
            for (r, line) in page.cells.enumerated() {
                for (c, run) in line.enumerated() {
                    let total = run.flatMap { $0.state == .finished ? $0.final?.total : nil }
                    rows.append([Double(c), Double(r), total.map { $0 > 0 ? log10($0) : .nan } ?? .nan])
                    let text = total.map { String(format: "%.3g", $0) } ?? (run?.state.rawValue ?? "no run")
                    labels += "set label \(Gnuplot.quote(text)) at \(c),\(r) center front boxed\n"
                }
            }
            guard rows.contains(where: { $0[2].isFinite }) else { continue }
            var body = Gnuplot.preamble
            let title = "log10 final total loss" + (page.caption.isEmpty ? "" : " (\(page.caption))")
            body += "set title \(Gnuplot.quote(title))\nunset grid\nset style textbox opaque fc rgb 'white' noborder\n"
            body += "set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')\n"
            body += "set cblabel 'log10(total)'\nset xlabel \(Gnuplot.quote(columnKey))\nset ylabel \(Gnuplot.quote(rowKey))\n"
            body += "set xtics (" + grid.columnValues.enumerated().map { "\(Gnuplot.quote($1.label)) \($0)" }.joined(separator: ", ") + ")\n"
            body += "set ytics (" + grid.rowValues.enumerated().map { "\(Gnuplot.quote($1.label)) \($0)" }.joined(separator: ", ") + ")\n"
            body += "set xrange [-0.5:\(Double(grid.columnValues.count) - 0.5)]\nset yrange [\(Double(grid.rowValues.count) - 0.5):-0.5]\n"
            body += "set tics scale 0\nunset key\n" + labels
            body += "plot $heat using 1:2:3 with image\n"
            let stem = grid.pages.count == 1 ? "heatmap" : "heatmap-\(p + 1)"
            try gnuplot.render(body, data: Gnuplot.datablock("heat", rows: rows), to: plotsFolder.appendingPathComponent(stem),
                               width: max(640, 140 * grid.columnValues.count + 260), height: max(420, 90 * grid.rowValues.count + 180))
            figures.append(figure(stem, title: "Heat map" + (page.caption.isEmpty ? "" : ", \(page.caption)"),
                                  caption: "Final total loss of each \(rowKey) × \(columnKey) cell (colour: log10; label: value)."
                                    + (page.caption.isEmpty ? "" : " Other keys fixed at \(page.caption)."))
            )
        }
        return figures
    }

    /// A key as a file-name part (`layer_weights.relu1_1` → `layer_weights.relu1_1`, unsafe characters → `-`).
    static func fileSafe(_ key: String) -> String {
        String(key.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." ? $0 : "-" })
    }
}
