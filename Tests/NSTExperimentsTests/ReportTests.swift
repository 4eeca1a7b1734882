import Foundation
import NSTImage
import Testing
@testable import NSTExperiments
#if canImport(FoundationXML)
import FoundationXML
import NSTTestSupport
#endif

/// Checks on generated report files shared by the report tests.
enum ReportChecks {
    /// `src` and `href` targets in an HTML page.
    static func references(in html: String) throws -> [String] {
        let regex = try NSRegularExpression(pattern: "(?:src|href)=\"([^\"]*)\"")
        let range = NSRange(html.startIndex..., in: html)
        return regex.matches(in: html, range: range).compactMap { match in
            Range(match.range(at: 1), in: html).map { String(html[$0]) }
        }
    }

    /// Every reference is relative, inside the folder, and names an existing file.
    static func expectReferencesExist(_ html: String, in folder: URL) throws {
        let refs = try references(in: html)
        #expect(!refs.isEmpty)
        for ref in refs {
            #expect(!ref.contains(":") && !ref.hasPrefix("/") && !ref.contains(".."), "not a relative in-folder link: \(ref)")
            let path = ref.removingPercentEncoding ?? ref
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path), "missing \(ref)")
        }
    }

    /// Decodes a PNG and checks it is not one flat colour (standard deviation of the samples above a threshold).
    static func expectNonBlankPNG(_ url: URL) throws {
        let image = try ImageIO.load(url)
        #expect(image.width > 10 && image.height > 10, "\(url.lastPathComponent) is \(image.width)×\(image.height)")
        let n = Float(image.pixels.count)
        let mean = image.pixels.reduce(0, +) / n
        let variance = image.pixels.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        #expect(variance.squareRoot() > 0.02, "\(url.lastPathComponent) looks blank (sd \(variance.squareRoot()))")
    }

    /// Parses an SVG with Foundation's XML parser and checks the root element is `svg`.
    static func expectValidSVG(_ url: URL) throws {
        let data = try Data(contentsOf: url)
        let parser = XMLParser(data: data)
        let root = RootElement()
        parser.delegate = root
        #expect(parser.parse(), "\(url.lastPathComponent): \(parser.parserError.map { "\($0)" } ?? "")")
        #expect(root.name == "svg")
    }

    final class RootElement: NSObject, XMLParserDelegate {
        var name: String?
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            if name == nil { name = elementName }
        }
    }

    /// The rows of the first sortable table: cells as text, tags stripped.
    static func runsTableRows(_ html: String) throws -> [[String]] {
        guard let start = html.range(of: "<table id=\"table"),
              let tableStart = html.range(of: "class=\"sortable\"", range: start.lowerBound..<html.endIndex),
              let body = html.range(of: "<tbody>", range: tableStart.upperBound..<html.endIndex),
              let end = html.range(of: "</tbody>", range: body.upperBound..<html.endIndex) else { return [] }
        let tbody = String(html[body.upperBound..<end.lowerBound])
        let cell = try NSRegularExpression(pattern: "<td[^>]*>(.*?)</td>")
        return tbody.components(separatedBy: "</tr>").compactMap { row -> [String]? in
            let cells = cell.matches(in: row, range: NSRange(row.startIndex..., in: row)).compactMap { m in
                Range(m.range(at: 1), in: row).map { String(row[$0]) }
            }
            return cells.isEmpty ? nil : cells
        }
    }
}

@Suite("Sweep report")
struct ReportTests {
    @Test("the loader reads every run's own files and tolerates failed, unfinished and pending runs")
    func loadsRunsFromTheirFiles() throws {
        let dir = try SyntheticSweep.temporaryFolder("load")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sweep = try SyntheticSweep.write(to: dir)
        let results = try SweepResults.load(dir)
        #expect(results.name == "synthetic-grid")
        #expect(results.swept == ["style_weight", "tv_weight"])
        #expect(results.layout == SweepResults.Layout(rows: "style_weight", columns: "tv_weight"))
        #expect(results.runs.count == sweep.runCount)
        #expect(results.runs(.finished).map(\.index) == sweep.finished)
        #expect(results.runs(.failed).map(\.index) == [sweep.failed])
        #expect(results.runs(.failed).first?.error == SyntheticSweep.failureMessage)
        #expect(results.runs(.unfinished).map(\.index) == [sweep.unfinished])
        #expect(results.runs(.pending).map(\.index) == [sweep.pending])
        let unfinished = try #require(results.runs.first { $0.state == .unfinished })
        #expect(unfinished.losses?.rows.count == 13, "the truncated last line is dropped")
        #expect(unfinished.iterations == 12)
        #expect(unfinished.finalImage == nil)
        let first = try #require(results.runs.first)
        #expect(first.snapshots.map(\.iteration) == [10, 20])
        #expect(first.params["style_weight"] == .double(100))
        #expect(first.value(for: "optimizer") == .string("lbfgs"))
        #expect(first.final?.total == first.losses?.last("total"))
        #expect(results.manifest?["git_commit"] == .string("0123456789abcdef"))
        // A finished run whose image was deleted is named, not shown as a finished run with no picture.
        #expect(!results.warnings.contains { $0.contains("image is gone") })
        let image = try #require(first.finalImage)
        try FileManager.default.removeItem(at: image)
        let again = try SweepResults.load(dir)
        #expect(again.warnings.contains { $0.contains(first.id) && $0.contains("image is gone") }, "\(again.warnings)")
    }

    @Test("without plan.json the runs come from runs/*/config.json and the swept keys from their differences")
    func reconstructsAMissingPlan() throws {
        let dir = try SyntheticSweep.temporaryFolder("noplan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sweep = try SyntheticSweep.write(to: dir, withPlan: false)
        let results = try SweepResults.load(dir)
        #expect(results.swept == ["style_weight", "tv_weight"])
        #expect(results.runs.count == sweep.runCount - 1, "the run that never started has no folder")
        #expect(results.runs(.finished).map(\.index) == sweep.finished)
        #expect(results.warnings.contains { $0.contains("plan.json is missing") })
    }

    @Test("a folder that is not a sweep, and a corrupt losses.csv, give typed errors naming the file")
    func badFoldersAreReported() throws {
        let dir = try SyntheticSweep.temporaryFolder("bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ReportError.self) { try SweepResults.load(dir.appendingPathComponent("absent")) }
        do {
            _ = try SweepResults.load(dir)
            Issue.record("an empty folder loaded as a sweep")
        } catch let error as ReportError {
            #expect(error.description.contains("neither plan.json nor a runs/ folder"))
        }
        let sweep = try SyntheticSweep.write(to: dir)
        let losses = dir.appendingPathComponent("runs/\(SyntheticSweep.id(1))/losses.csv")
        try Data("iteration,total\n0,5\n1,x\n2,3\n".utf8).write(to: losses)
        try Data("{\"status\": \"done\"}".utf8).write(to: dir.appendingPathComponent("runs/\(SyntheticSweep.id(2))/status.json"))
        let results = try SweepResults.load(dir)
        let broken = results.runs.filter { $0.error?.contains("could not read") ?? false }.map(\.index)
        #expect(broken == [1, 2])
        #expect(results.warnings.contains { $0.contains("losses.csv") && $0.contains("\"x\" is not a number") })
        #expect(results.warnings.contains { $0.contains("status.json") })
        #expect(results.runs.count == sweep.runCount)
    }

    @Test("the report has plots in PNG and SVG, a contact sheet, thumbnails, and index.html/README.md that agree")
    func writesACompleteReport() throws {
        let dir = try SyntheticSweep.temporaryFolder("report")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sweep = try SyntheticSweep.write(to: dir)
        let summary = try ReportWriter().write(sweep: dir)
        let folder = dir.appendingPathComponent("report")
        #expect(summary.folder.standardizedFileURL.path == folder.standardizedFileURL.path)

        let plots = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("plots").path)
        let expected = ["all-runs", "final-vs-style_weight", "final-vs-tv_weight", "heatmap"]
            + (sweep.finished + [sweep.unfinished]).map { "loss-\(SyntheticSweep.id($0))" }
        for stem in expected {
            #expect(plots.contains("\(stem).png") && plots.contains("\(stem).svg"), "missing plot \(stem)")
        }
        for name in plots {
            let url = folder.appendingPathComponent("plots/\(name)")
            if name.hasSuffix(".png") { try ReportChecks.expectNonBlankPNG(url) } else { try ReportChecks.expectValidSVG(url) }
        }
        let sheet = folder.appendingPathComponent("contact-sheet.png")
        try ReportChecks.expectNonBlankPNG(sheet)
        let sheetImage = try ImageIO.load(sheet)
        #expect(sheetImage.height > sheetImage.width, "four rows of style_weight, two columns of tv_weight")
        try ReportChecks.expectNonBlankPNG(folder.appendingPathComponent("snapshots-\(SyntheticSweep.id(0)).png"))

        let html = try String(contentsOf: summary.index, encoding: .utf8)
        try ReportChecks.expectReferencesExist(html, in: folder)
        let rows = try ReportChecks.runsTableRows(html)
        #expect(rows.count == sweep.runCount, "runs.csv lists one run; every run folder must be reported")
        try #require(rows.allSatisfy { $0.count > 2 }, "\(rows)")
        #expect(rows.map { $0[1] } == (0..<sweep.runCount).map { i in
            i == sweep.failed ? "failed" : i == sweep.unfinished ? "unfinished" : i == sweep.pending ? "pending" : "finished"
        })
        #expect(rows.map { $0[2] } == ["100", "100", "1000", "1000", "10000", "10000", "1e+05", "1e+05"])
        #expect(html.contains("data-sort=\"3.0\""), "seconds are sortable as numbers")
        #expect(!html.contains("<script>alert"), "the error text must be escaped")
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more"))
        #expect(html.contains("0123456789abcdef") && html.contains("OpenBLAS 0.3.21"), "provenance from manifest.json")
        #expect(html.contains("Failed runs") && html.contains("Runs without a result"))

        let readme = try String(contentsOf: summary.readme, encoding: .utf8)
        let htmlImages = Set(try ReportChecks.references(in: html).filter { $0.hasSuffix(".png") })
        let regex = try NSRegularExpression(pattern: "\\]\\(([^)]+\\.png)\\)|src=\"([^\"]+\\.png)\"")
        let readmeImages = Set(regex.matches(in: readme, range: NSRange(readme.startIndex..., in: readme)).compactMap { m -> String? in
            for g in [1, 2] { if let r = Range(m.range(at: g), in: readme) { return String(readme[r]) } }
            return nil
        })
        #expect(readmeImages == htmlImages, "README.md and index.html show the same pictures")
        #expect(readme.contains("VGG-19 weights not found at /nowhere \\<script\\>"))
        let runsSection = readme.components(separatedBy: "## Runs\n").last?.components(separatedBy: "\n## ").first ?? ""
        #expect(runsSection.components(separatedBy: "\n").filter { $0.hasPrefix("| 00") }.count == sweep.runCount)
    }

    @Test("rebuilding replaces the previous report, and a report block naming an unswept key falls back to automatic axes")
    func rebuildsFromLogs() throws {
        let dir = try SyntheticSweep.temporaryFolder("rebuild")
        defer { try? FileManager.default.removeItem(at: dir) }
        try SyntheticSweep.write(to: dir)
        _ = try ReportWriter().write(sweep: dir)
        let stale = dir.appendingPathComponent("report/plots/loss-stale.png")
        try Data([0]).write(to: stale)
        // The pending run's shard is merged in afterwards: it must appear on rebuild.
        let merged = try SyntheticSweep.write(to: dir.appendingPathComponent("shard2"), pending: 99)
        try FileManager.default.moveItem(at: merged.directory.appendingPathComponent("runs/\(SyntheticSweep.id(7))"),
                                         to: dir.appendingPathComponent("runs/\(SyntheticSweep.id(7))"))
        var plan = try String(contentsOf: dir.appendingPathComponent("plan.json"), encoding: .utf8)
        plan = plan.replacingOccurrences(of: "\"columns\" : \"tv_weight\"", with: "\"columns\" : \"pooling\"")
        try Data(plan.utf8).write(to: dir.appendingPathComponent("plan.json"))
        let summary = try ReportWriter().write(sweep: dir)
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("report/plots/loss-\(SyntheticSweep.id(7)).png").path))
        #expect(summary.warnings.contains { $0.contains("\"pooling\"") })
        let rows = try ReportChecks.runsTableRows(try String(contentsOf: summary.index, encoding: .utf8))
        #expect(rows.filter { $0.dropFirst().first == "finished" }.count == 6)
    }

    @Test("the sweep's own report/ is cleared only when a report prepared it: a user's files there are kept and named")
    func ownReportFolderKeepsUsersFiles() throws {
        let dir = try SyntheticSweep.temporaryFolder("own-report")
        defer { try? FileManager.default.removeItem(at: dir) }
        try SyntheticSweep.write(to: dir)
        let plots = dir.appendingPathComponent("report/plots")
        try FileManager.default.createDirectory(at: plots, withIntermediateDirectories: true)
        let notes = plots.appendingPathComponent("notes.txt")
        try Data("my notes".utf8).write(to: notes)
        #expect(throws: ReportError.foreignFolder(path: dir.appendingPathComponent("report").path, example: "plots")) {
            try ReportWriter().write(sweep: dir)
        }
        #expect(try Data(contentsOf: notes) == Data("my notes".utf8))
        // A report interrupted before its index.html (the folder mark written, plots begun) is cleared by the next.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("report"))
        try FileManager.default.createDirectory(at: plots, withIntermediateDirectories: true)
        try Data("written by nst-exp report\n".utf8).write(to: dir.appendingPathComponent("report/\(ReportWriter.folderMark)"))
        try Data([0]).write(to: plots.appendingPathComponent("half.png"))
        let summary = try ReportWriter().write(sweep: dir)
        #expect(FileManager.default.fileExists(atPath: summary.index.path))
        #expect(!FileManager.default.fileExists(atPath: plots.appendingPathComponent("half.png").path))
    }

    @Test("gnuplot: a missing program and a failing script give typed errors with a hint and gnuplot's message")
    func gnuplotErrors() throws {
        do {
            _ = try Gnuplot(environment: ["PATH": "/nonexistent"])
            Issue.record("found gnuplot on an empty PATH")
        } catch let error as ReportError {
            #expect(error.description.contains("apt-get install gnuplot-nox"))
        }
        let gnuplot = try Gnuplot()
        do {
            try gnuplot.run("set terminal dumb\nplot $nothing using 1:2 with lines\n", output: "broken.png")
            Issue.record("gnuplot accepted a plot of an undefined datablock")
        } catch let ReportError.gnuplotFailed(output, status, stderr) {
            #expect(output == "broken.png")
            #expect(status != 0)
            #expect(stderr.contains("nothing") || stderr.lowercased().contains("undefined"), "\(stderr)")
        }
        // An error before a large datablock: gnuplot exits without reading the rest (a broken pipe for the writer).
        let rows = (0..<40_000).map { [Double($0), Double($0) * 0.5] }
        #expect(throws: ReportError.self) {
            try gnuplot.run("set terminal dumb\nthis_is_not_a_command\n" + Gnuplot.datablock("big", rows: rows), output: "big")
        }
        #expect(Gnuplot.quote("it's") == "'it''s'")
        #expect(Gnuplot.datablock("d", rows: [[1, .nan], [2, .infinity]]) == "$d << EOD\n1.0 NaN\n2.0 NaN\nEOD\n")
    }

    @Test("HTML and Markdown escaping")
    func escaping() {
        #expect(ReportDocument.escapeHTML("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;")
        #expect(ReportDocument.escapeMarkdown("a|b_c*d") == "a\\|b\\_c\\*d")
        #expect(ReportDocument.href("plots/a b#1.png") == "plots/a%20b%231.png")
    }
}
