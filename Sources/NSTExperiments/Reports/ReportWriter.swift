import Foundation
import NSTGuidance
import NSTImage
import NSTTransfer

/// Builds `DIR/report/` for a sweep folder from its files alone: gnuplot plots (PNG and SVG), contact sheets,
/// thumbnails, and the same content as `index.html` and `README.md`.
public struct ReportWriter: Sendable {
    /// What was written.
    public struct Summary: Sendable {
        public var folder: URL
        public var index: URL
        public var readme: URL
        public var figures: [ReportFigure]
        public var warnings: [String]
    }

    public var gnuplot: Gnuplot
    /// Longest side of thumbnails and contact-sheet cells, in pixels.
    public var thumbnailSize: Int

    public init(gnuplot: Gnuplot? = nil, thumbnailSize: Int = 256) throws {
        self.gnuplot = try gnuplot ?? Gnuplot()
        self.thumbnailSize = thumbnailSize
    }

    /// Reads the sweep folder `sweep` and writes its report into `output` (default `sweep/report`).
    public func write(sweep: URL, to output: URL? = nil) throws -> Summary {
        try write(SweepResults.load(sweep), to: output)
    }

    /// Writes the report of already loaded results.
    public func write(_ results: SweepResults, to output: URL? = nil) throws -> Summary {
        let folder = output ?? results.directory.appendingPathComponent(Self.folderName)
        try Self.prepare(folder)
        var warnings = results.warnings
        let thumbnails = makeThumbnails(results, folder: folder, warnings: &warnings)
        let grid = ReportGrid(results)
        if let note = grid.note { warnings.append(note) }

        var sheets = try contactSheets(results, grid: grid, thumbnails: thumbnails, folder: folder)
        if let inputs = try inputSheet(results, thumbnails: thumbnails, folder: folder, warnings: &warnings) { sheets.insert(inputs, at: 0) }
        let snapshotSheets = try self.snapshotSheets(results, folder: folder, warnings: &warnings)
        let plots = ReportPlots(gnuplot: gnuplot, results: results, folder: folder)
        var summaryPlots: [ReportFigure] = []
        if let times = try plots.runTimes() { summaryPlots.append(times) }
        if let overlay = try plots.overlay() { summaryPlots.append(overlay) }
        if let placement = try plots.placement() { summaryPlots.append(placement) }
        // A key zipped with an earlier one would only repeat that key's plot. Labelled runs are cases that differ in
        // several keys at once (masks, styles, sizes), so a loss against any one of them would compare unlike runs.
        let plotted = results.swept.contains(Sweep.labelKey) ? [] : results.swept
        for (k, key) in plotted.enumerated() where !plotted[..<k].contains(where: { ReportGrid.linked($0, key, results.runs) }) {
            if let f = try plots.finalAgainst(key) { summaryPlots.append(f) }
        }
        let heatMaps = try plots.heatMaps(grid)
        var runPlots: [ReportFigure] = []
        for run in results.runs { if let f = try plots.lossCurves(run) { runPlots.append(f) } }

        var document = ReportDocument(title: "Sweep report: \(results.name)")
        document.blocks += overview(results, warnings: warnings)
        document.blocks += [.heading("Runs"),
                            .paragraph("Click a column header to sort (by loss, time, or any parameter). Thumbnails link to the full-size image."),
                            .table(runsTable(results, thumbnails: thumbnails))]
        if !sheets.isEmpty { document.blocks += [.heading("Contact sheet"), .figures(sheets)] }
        if !summaryPlots.isEmpty || !heatMaps.isEmpty { document.blocks += [.heading("Plots"), .figures(summaryPlots + heatMaps)] }
        if !snapshotSheets.isEmpty { document.blocks += [.heading("Snapshots"), .figures(snapshotSheets)] }
        if !runPlots.isEmpty { document.blocks += [.heading("Loss curves per run"), .figures(runPlots)] }
        document.blocks += problems(results)
        document.blocks += provenance(results)
        return try Self.save(document, to: folder, figures: sheets + summaryPlots + heatMaps + snapshotSheets + runPlots, warnings: warnings)
    }

    /// Writes index.html and README.md of a document into `folder`.
    static func save(_ document: ReportDocument, to folder: URL, figures: [ReportFigure], warnings: [String]) throws -> Summary {
        let index = folder.appendingPathComponent("index.html"), readme = folder.appendingPathComponent("README.md")
        do {
            try FileIO.write(Data(document.html().utf8), to: index.path)
            try FileIO.write(Data(document.markdown().utf8), to: readme.path)
        } catch let error as FileIOError {
            throw ReportError.unwritable(path: error.path, reason: error.reason)
        }
        return Summary(folder: folder, index: index, readme: readme, figures: figures, warnings: warnings)
    }

    /// The report's folder inside a sweep folder (`DIR/report`) when no other is given.
    static let folderName = "report"

    /// Marks a folder as a report's from the moment it is prepared, so that a report interrupted before its
    /// index.html may still be cleared by the next.
    static let folderMark = ".nst-report"

    /// Creates the report folder, clearing plots and images of an earlier report so nothing stale remains. A folder,
    /// the sweep's own report/ included, is cleared only when it is new, empty, or was prepared by a report (its
    /// `folderMark`, or an index.html carrying `ReportDocument.generatorMark`); otherwise nothing is touched (a user's
    /// notes in report/plots/ were deleted).
    static func prepare(_ folder: URL) throws {
        let fm = FileManager.default
        if let entries = try? fm.contentsOfDirectory(atPath: folder.path), let first = entries.sorted().first {
            let index = (try? String(contentsOf: folder.appendingPathComponent("index.html"), encoding: .utf8)) ?? ""
            guard index.contains(ReportDocument.generatorMark) || entries.contains(folderMark) else {
                throw ReportError.foreignFolder(path: folder.path, example: first)
            }
        }
        do {
            try FileIO.makeFolder(folder.path)
            try FileIO.write(Data("written by nst-exp report; its plots/ and images/ are replaced by the next report\n".utf8),
                             to: folder.appendingPathComponent(folderMark).path)
        } catch let error as FileIOError {
            throw ReportError.unwritable(path: error.path, reason: error.reason)
        }
        do {
            for sub in ["plots", "images"] {
                let url = folder.appendingPathComponent(sub)
                if fm.fileExists(atPath: url.path) { try fm.removeItem(at: url) }
                try fm.createDirectory(at: url, withIntermediateDirectories: true)
            }
            for name in (try fm.contentsOfDirectory(atPath: folder.path)) where name.hasPrefix("contact-sheet") || name.hasPrefix("snapshots-") {
                try fm.removeItem(at: folder.appendingPathComponent(name))
            }
        } catch {
            throw ReportError.unwritable(path: folder.path, reason: error.localizedDescription)
        }
    }

    // MARK: images

    /// Thumbnails of every final image, `images/<id>.png`, by run id. Undecodable images become warnings.
    func makeThumbnails(_ results: SweepResults, folder: URL, warnings: inout [String]) -> [String: ContactSheet.Thumbnail] {
        var thumbnails: [String: ContactSheet.Thumbnail] = [:]
        for run in results.runs {
            guard let image = run.finalImage else { continue }
            do {
                thumbnails[run.id] = try ContactSheet.Thumbnail.make(
                    from: image, to: folder.appendingPathComponent("images/\(run.id).png"), longestSide: thumbnailSize)
            } catch {
                warnings.append("run \(run.id): final image \(image.path) could not be read: \(error)")
            }
        }
        return thumbnails
    }

    /// One contact sheet per page of the grid.
    func contactSheets(_ results: SweepResults, grid: ReportGrid, thumbnails: [String: ContactSheet.Thumbnail],
                       folder: URL) throws -> [ReportFigure] {
        guard results.runs.contains(where: { thumbnails[$0.id] != nil }) else { return [] }
        var figures: [ReportFigure] = []
        let axes = [grid.rowKey, grid.columnKey].compactMap { $0 }
        // The energy only where some run asks for photorealism, where it is the measure to compare runs on.
        let showsEnergy = results.runs.contains(where: \.isPhotorealistic)
        for (p, page) in grid.pages.enumerated() {
            let cells: [[ContactSheet.Cell?]] = page.cells.map { row in
                row.map { run -> ContactSheet.Cell? in
                    guard let run else { return nil }
                    var lines = grid.isTwoDimensional ? axes.map { "\($0)=\(run.params[$0]?.label ?? "–")" }
                        : run.name.map { [$0] } ?? results.swept.map { "\($0)=\(run.params[$0]?.label ?? "–")" }
                    lines.append(run.sheetLine)
                    if let placement = run.placementLine { lines.append(placement) }
                    if showsEnergy, let energy = run.photorealismLine { lines.append(energy) }
                    return ContactSheet.Cell(thumbnail: thumbnails[run.id], lines: lines,
                                             placeholder: run.state == .finished ? "no image" : run.state.rawValue)
                }
            }
            let twoD = grid.isTwoDimensional
            let sheet = ContactSheet(
                title: "\(results.name): final images",
                subtitle: (twoD ? "rows: \(grid.rowKey ?? ""), columns: \(grid.columnKey ?? "")"
                           : results.swept.contains(Sweep.labelKey) ? "one labelled case of the sweep file per image"
                           : results.swept.isEmpty ? "" : "varied: " + results.swept.joined(separator: ", "))
                    + (page.caption.isEmpty ? "" : (twoD || !axes.isEmpty ? "; " : "") + page.caption),
                columnHeaders: twoD ? grid.columnValues.map { "\(grid.columnKey ?? "")=\($0.label)" } : [],
                rowHeaders: twoD ? grid.rowValues.map(\.label) : [],
                cells: cells)
            let stem = grid.pages.count == 1 ? "contact-sheet" : "contact-sheet-\(p + 1)"
            try sheet.render(with: gnuplot, to: folder.appendingPathComponent(stem))
            let layout = twoD ? "Rows are \(grid.rowKey ?? ""), columns \(grid.columnKey ?? "")." : results.swept.count == 1 ? "Ordered by \(results.swept[0])." : "In run order."
            figures.append(ReportFigure(png: "\(stem).png", svg: nil,
                                        title: "Final images" + (page.caption.isEmpty ? "" : ", \(page.caption)"),
                                        caption: "\(layout) Each image is labelled with its "
                                            + (results.runs.contains { $0.name != nil } ? "case (the run's label in the sweep file)" : "parameters")
                                            + ", run number and final total loss."))
        }
        return figures
    }

    /// When the sweep varies its inputs (`content` or `style`): content, style and result of each run side by
    /// side, the classic layout of Gatys et al.'s figures, with a column for the content label map and for every
    /// further style image and style label map that some run uses. Inputs are read from each run's config.json.
    func inputSheet(_ results: SweepResults, thumbnails: [String: ContactSheet.Thumbnail], folder: URL,
                    warnings: inout [String]) throws -> ReportFigure? {
        guard results.swept.contains(where: { $0 == "content" || $0 == "style" || $0 == "auto_masks" }), results.runs.count <= 12 else { return nil }
        var made: [String: ContactSheet.Thumbnail] = [:]
        func input(_ path: String?) -> ContactSheet.Cell {
            guard let path else { return ContactSheet.Cell(thumbnail: nil, lines: ["–"], placeholder: "none") }
            let name = (path as NSString).lastPathComponent
            if made[path] == nil, FileManager.default.fileExists(atPath: path) {
                do {
                    made[path] = try ContactSheet.Thumbnail.make(from: URL(fileURLWithPath: path),
                        to: folder.appendingPathComponent("images/input-\(made.count)-\(ReportPlots.fileSafe(name)).png"),
                        longestSide: thumbnailSize)
                } catch {
                    warnings.append("input \(path) could not be read: \(error)")
                }
            }
            return ContactSheet.Cell(thumbnail: made[path], lines: [name], placeholder: "not found")
        }
        // config.json holds the resolved paths; the plan keeps them as written in the sweep file.
        func paths(_ run: SweepResults.Run, _ key: String) -> [String?] {
            switch run.config?.value(at: key) ?? run.value(for: key) {
            case .string(let s)?: return [s]
            case .array(let list)?: return list.map { if case .string(let s) = $0 { return s } else { return nil } }
            default: return []
            }
        }
        let runs = results.runs
        // Runs with auto_masks wrote their label maps beside their final image.
        let automatic = runs.map { run -> (content: String, style: String)? in
            guard let value = run.config?.value(at: "auto_masks") ?? run.value(for: "auto_masks"), value != .null else { return nil }
            return RunConfiguration.autoMaskPaths(output: run.directory.appendingPathComponent("final.png").path)
        }
        let styles = runs.map { paths($0, "style") }
        let styleMasks = runs.indices.map { i in automatic[i].map { [$0.style] } ?? paths(runs[i], "style_masks") }
        let contentMasks = runs.indices.map { i in automatic[i]?.content ?? paths(runs[i], "content_mask").first ?? nil }
        var columns: [(header: String, path: (Int) -> String?)] = [("content", { paths(runs[$0], "content").first ?? nil })]
        if contentMasks.contains(where: { $0 != nil }) { columns.append(("content mask", { contentMasks[$0] })) }
        let styleCount = max(1, styles.map(\.count).max() ?? 1)
        for k in 0..<styleCount {
            let name = styleCount == 1 ? "style" : "style \(k + 1)"
            columns.append((name, { styles[$0].count > k ? styles[$0][k] : nil }))
            if styleMasks.contains(where: { $0.count > k && $0[k] != nil }) {
                columns.append((name + " mask", { styleMasks[$0].count > k ? styleMasks[$0][k] : nil }))
            }
        }
        let cells: [[ContactSheet.Cell?]] = runs.indices.map { i in
            let run = runs[i]
            let loss = run.sheetLine
            let result = ContactSheet.Cell(thumbnail: thumbnails[run.id], lines: (run.name.map { [$0] } ?? []) + [loss],
                                           placeholder: run.state.rawValue)
            return columns.map { input($0.path(i)) } + [result]
        }
        guard !made.isEmpty else { return nil }
        let sheet = ContactSheet(title: "\(results.name): inputs and results", columnHeaders: columns.map(\.header) + ["result"], cells: cells)
        try sheet.render(with: gnuplot, to: folder.appendingPathComponent("contact-sheet-inputs"))
        let masks = columns.count > 1 + styleCount ? " and label maps" : ""
        return ReportFigure(png: "contact-sheet-inputs.png", svg: nil, title: "Inputs and results",
                            caption: "Each row is one run: its content image, its style image\(styleCount > 1 ? "s" : "")\(masks) and the result, with the final total loss.")
    }

    /// For runs that saved snapshots: the snapshots and the final image in a row, labelled by iteration.
    func snapshotSheets(_ results: SweepResults, folder: URL, warnings: inout [String]) throws -> [ReportFigure] {
        var figures: [ReportFigure] = []
        for run in results.runs where !run.snapshots.isEmpty {
            var cells: [ContactSheet.Cell] = []
            for snapshot in run.snapshots {
                do {
                    let thumb = try ContactSheet.Thumbnail.make(
                        from: snapshot.file, to: folder.appendingPathComponent("images/\(run.id)-snapshot-\(snapshot.iteration).png"),
                        longestSide: min(thumbnailSize, 200))
                    cells.append(ContactSheet.Cell(thumbnail: thumb, lines: ["iteration \(snapshot.iteration)"]))
                } catch {
                    warnings.append("run \(run.id): snapshot \(snapshot.file.path) could not be read: \(error)")
                }
            }
            if let final = run.finalImage, let thumb = try? ContactSheet.Thumbnail.make(
                from: final, to: folder.appendingPathComponent("images/\(run.id)-final-small.png"), longestSide: min(thumbnailSize, 200)) {
                cells.append(ContactSheet.Cell(thumbnail: thumb, lines: ["final (\(run.iterations.map(String.init) ?? "?") it.)"]))
            }
            guard !cells.isEmpty else { continue }
            let width = min(ReportGrid.maxColumns, cells.count)
            let rows = stride(from: 0, to: cells.count, by: width).map { s in (s..<(s + width)).map { $0 < cells.count ? cells[$0] : nil } }
            let label = run.label(keys: results.swept)
            let sheet = ContactSheet(title: "Run \(run.indexLabel): snapshots", subtitle: label, cells: rows)
            let stem = "snapshots-\(run.id)"
            try sheet.render(with: gnuplot, to: folder.appendingPathComponent(stem))
            figures.append(ReportFigure(png: "\(stem).png", svg: nil, title: "Snapshots of run \(run.indexLabel)",
                                        caption: "The image as the optimisation proceeds" + (label.isEmpty ? "." : " (\(label)).")))
        }
        return figures
    }

    // MARK: text

    func overview(_ results: SweepResults, warnings: [String]) -> [ReportDocument.Block] {
        let counts = SweepResults.State.allCases.compactMap { state -> String? in
            let n = results.runs(state).count
            return n == 0 ? nil : "\(n) \(state.rawValue)"
        }
        var blocks: [ReportDocument.Block] = results.sweepDescription.map { [.paragraph($0)] } ?? []
        blocks += [
            .paragraph("\(results.runs.count) runs: \(counts.joined(separator: ", ")). Rebuilt from the files in \(results.directory.lastPathComponent)/ (plan.json and each run's status.json, config.json and losses.csv)."),
            .heading("What the sweep varied"),
        ]
        if results.swept.isEmpty {
            blocks.append(.paragraph("Nothing: every run has the same configuration."))
        } else {
            blocks.append(.table(ReportDocument.Table(
                headers: ["parameter", "values", "count"],
                rows: results.swept.map { key in
                    let values = JSONValue.axisOrder(results.runs.compactMap { $0.params[key] })
                    return [.init(key), .init(values.map(\.label).joined(separator: ", ")), .init(String(values.count))]
                })))
        }
        let fixed = fixedSettings(results)
        if !fixed.isEmpty {
            blocks.append(.subheading("Settings shared by all runs"))
            blocks.append(.table(ReportDocument.Table(headers: ["parameter", "value"],
                                                      rows: fixed.map { [.init($0.key), .init($0.value)] })))
        }
        if !warnings.isEmpty { blocks += [.subheading("Notes"), .list(warnings)] }
        if let file = results.sweepFile, let text = try? String(contentsOf: results.directory.appendingPathComponent(file), encoding: .utf8),
           text.count < 20_000 {
            blocks += [.subheading("Sweep file (\(file))"), .preformatted(text)]
        }
        return blocks
    }

    /// config.json keys whose value is the same in every run that has one (paths of outputs left out).
    func fixedSettings(_ results: SweepResults) -> [(key: String, value: String)] {
        let configs = results.runs.compactMap { run -> [String: JSONValue]? in
            if case .object(let o)? = run.config { return o }
            return nil
        }
        guard let first = configs.first else { return [] }
        let skipped: Set<String> = ["output", "log", "print_every"]
        return first.keys.sorted().compactMap { key in
            guard !skipped.contains(key), !results.swept.contains(key), let v = first[key],
                  configs.allSatisfy({ $0[key] == v }) else { return nil }
            if case .string(let s) = v { return (key, s) }
            if case .null = v { return nil }
            return (key, v.label)
        }
    }

    func runsTable(_ results: SweepResults, thumbnails: [String: ContactSheet.Thumbnail]) -> ReportDocument.Table {
        func number(_ v: Double?, _ format: String = "%.4g") -> ReportDocument.Cell {
            guard let v else { return .init("") }
            return .init(String(format: format, v), sortKey: v)
        }
        let terms = ["total"] + results.termNames
        // Guided runs: the placement ratio of the worst scored region and the geometric mean over regions ≥ 5 %.
        let placed = results.runs.contains { $0.placement != nil }
        let headers = ["#", "status"] + results.swept + terms + ["iterations", "seconds", "peak RSS MiB"]
            + (placed ? ["placement worst", "placement mean"] : []) + ["image"]
        let rows = results.runs.map { run -> [ReportDocument.Cell] in
            var row: [ReportDocument.Cell] = [.init(run.indexLabel, sortKey: Double(run.index)),
                                              .init(run.state.rawValue, alert: run.state == .failed || run.state == .interrupted)]
            for key in results.swept {
                let v = run.params[key]
                row.append(.init(v?.label ?? "", sortKey: v?.number))
            }
            row += terms.map { number(run.final?[term: $0]) }
            row += [number(run.iterations.map(Double.init), "%.0f"), number(run.seconds, "%.1f"), number(run.peakRSSMiB, "%.0f")]
            if placed {
                let worst = run.placement?.worstRatio
                row.append(worst.map { .init(String(format: "%.2f×", $0), sortKey: $0, alert: $0 < Placement.goal) }
                           ?? .init(run.placement == nil ? "" : "not separable"))
                row.append(number(run.placement?.geometricMeanRatio, "%.2f×"))
            }
            row.append(thumbnails[run.id] != nil ? .init("run \(run.indexLabel)", image: "images/\(run.id).png") : .init(""))
            return row
        }
        return ReportDocument.Table(headers: headers, rows: rows, sortable: true)
    }

    func problems(_ results: SweepResults) -> [ReportDocument.Block] {
        var blocks: [ReportDocument.Block] = []
        let failed = results.runs.filter { $0.state == .failed || $0.state == .interrupted }
        if !failed.isEmpty {
            blocks.append(.heading("Failed runs"))
            blocks.append(.table(ReportDocument.Table(
                headers: ["#", "id", "status", "parameters", "error"],
                rows: failed.map { [.init($0.indexLabel), .init($0.id), .init($0.state.rawValue, alert: true),
                                    .init($0.label(keys: results.swept)), .init($0.error ?? "(no error recorded)")] })))
        }
        let open = results.runs.filter { $0.state == .unfinished || $0.state == .pending }
        if !open.isEmpty {
            blocks.append(.heading("Runs without a result"))
            blocks.append(.paragraph("Unfinished runs have a folder but no status.json (killed, crashed or still running); pending runs have no folder yet. Rerunning the sweep completes them."))
            blocks.append(.list(open.map { "\($0.indexLabel) \($0.id) (\($0.state.rawValue)): \($0.label(keys: results.swept))" }))
        }
        return blocks
    }

    func provenance(_ results: SweepResults) -> [ReportDocument.Block] {
        guard let manifest = results.manifest else {
            return [.heading("Provenance"), .paragraph("No manifest.json in the sweep folder.")]
        }
        func text(_ v: JSONValue?) -> String {
            switch v {
            case .string(let s)?: return s
            case .array(let a)?: return a.map { if case .string(let s) = $0 { return s } else { return $0.label } }.joined(separator: " ")
            case let v?: return v.label
            case nil: return ""
            }
        }
        let order = ["toolkit_version", "git_commit", "git_dirty", "swift_version", "blas", "threads", "cpu",
                     "command_line", "started", "ended"]
        var rows = order.compactMap { key in manifest[key].map { [ReportDocument.Cell(key), .init(text($0))] } }
        if case .object(let w)? = manifest["weights"] {
            rows.append([.init("weights"), .init("\(text(w["path"])) (sha256 \(text(w["sha256"])))")])
        }
        for key in manifest.keys.sorted() where !order.contains(key) && key != "weights" && key != "inputs" {
            rows.append([.init(key), .init(text(manifest[key]))])
        }
        var blocks: [ReportDocument.Block] = [.heading("Provenance"), .table(ReportDocument.Table(headers: ["field", "value"], rows: rows))]
        if case .object(let inputs)? = manifest["inputs"], !inputs.isEmpty {
            blocks.append(.subheading("Input files"))
            blocks.append(.table(ReportDocument.Table(headers: ["file", "sha256"],
                                                      rows: inputs.keys.sorted().map { [.init($0), .init(text(inputs[$0]))] })))
        }
        return blocks
    }
}
