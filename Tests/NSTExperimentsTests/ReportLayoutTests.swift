import Foundation
import NSTImage
import Testing
@testable import NSTExperiments
import NSTTestSupport

@Suite("Report layout and figure index")
struct ReportLayoutTests {
    /// A results value with one run per parameter set, all finished (no files needed for the layout).
    static func results(swept: [String], params: [[String: JSONValue]], layout: SweepResults.Layout? = nil) -> SweepResults {
        let runs = params.enumerated().map { i, p in
            SweepResults.Run(index: i, id: SyntheticSweep.id(i), directory: URL(fileURLWithPath: "/nonexistent/\(i)"),
                             relativePath: "runs/\(i)", params: p, state: .finished, snapshots: [])
        }
        return SweepResults(directory: URL(fileURLWithPath: "/nonexistent"), name: "layout", swept: swept, layout: layout,
                            runs: runs, manifest: nil, sweepFile: nil, sweepDescription: nil, warnings: [])
    }

    @Test("a 3-key grid: rows and columns from the report block, one page per value of the third key")
    func pagesForTheThirdKey() {
        var params: [[String: JSONValue]] = []
        for seed in [0.0, 1.0] { for sw in [10.0, 100.0, 1000.0] { for tv in [0.0, 1.0] {
            params.append(["seed": .double(seed), "style_weight": .double(sw), "tv_weight": .double(tv)])
        } } }
        let grid = ReportGrid(Self.results(swept: ["seed", "style_weight", "tv_weight"], params: params,
                                           layout: .init(rows: "style_weight", columns: "tv_weight")))
        #expect(grid.isTwoDimensional)
        #expect(grid.rowValues == [.double(10), .double(100), .double(1000)])
        #expect(grid.pages.count == 2)
        #expect(grid.pages.map(\.caption) == ["seed=0", "seed=1"])
        #expect(grid.pages[1].cells[2][1]?.index == 11)
    }

    @Test("without a report block, seeds are not chosen as an axis; zipped keys give one wrapped sheet in run order")
    func automaticAxes() {
        var params: [[String: JSONValue]] = []
        for seed in [0.0, 1.0] { for sw in [10.0, 100.0] { for tv in [0.0, 1.0] {
            params.append(["seed": .double(seed), "style_weight": .double(sw), "tv_weight": .double(tv)])
        } } }
        let grid = ReportGrid(Self.results(swept: ["seed", "style_weight", "tv_weight"], params: params))
        #expect(grid.rowKey == "style_weight" && grid.columnKey == "tv_weight")

        let zipped = (0..<8).map { i -> [String: JSONValue] in
            ["content": .string("c\(i).png"), "style": .string("s\(i).png")]
        }
        let wrapped = ReportGrid(Self.results(swept: ["content", "style"], params: zipped))
        #expect(!wrapped.isTwoDimensional)
        #expect(wrapped.pages.count == 1)
        #expect(wrapped.pages[0].cells.map(\.count) == [ReportGrid.maxColumns, ReportGrid.maxColumns])
        #expect(wrapped.pages[0].cells.flatMap { $0 }.compactMap { $0?.index } == Array(0..<8))
    }

    @Test("the figure index rebuilds every group's report and shows their figures with captions naming the sweep file")
    func figureIndex() throws {
        let root = try SyntheticSweep.temporaryFolder("figures")
        defer { try? FileManager.default.removeItem(at: root) }
        try SyntheticSweep.write(to: root.appendingPathComponent("1-first"), name: "1-first")
        try SyntheticSweep.write(to: root.appendingPathComponent("2-second"), name: "2-second", tvWeights: [0])
        try FileManager.default.createDirectory(at: root.appendingPathComponent("not-a-sweep"), withIntermediateDirectories: true)
        let summary = try FigureIndex(writer: ReportWriter()).write(root: root)
        let html = try String(contentsOf: summary.index, encoding: .utf8)
        try ReportChecks.expectReferencesExist(html, in: root)
        #expect(html.contains("<h2 id=\"1-first\">1-first</h2>") && html.contains("<h2 id=\"2-second\">2-second</h2>"))
        #expect(!html.contains("not-a-sweep</h2>"))
        #expect(summary.figures.contains { $0.png == "1-first/report/contact-sheet.png" })
        #expect(summary.figures.allSatisfy { $0.caption.contains("Made by") && $0.caption.contains("sweep.json") })
        #expect(!summary.figures.contains { $0.png.contains("/plots/loss-") }, "per-run curves stay in the group reports")
        // A group of one run shows that run's loss curves (every term) instead of an overlay of one total.
        try SyntheticSweep.write(to: root.appendingPathComponent("3-single"), name: "3-single", styleWeights: [100], tvWeights: [0],
                                 failed: 99, unfinished: 98, pending: 97)
        let withSingle = try FigureIndex(writer: ReportWriter()).write(root: root)
        #expect(withSingle.figures.contains { $0.png == "3-single/report/plots/loss-\(SyntheticSweep.id(0)).png" })
        #expect(!withSingle.figures.contains { $0.png == "3-single/report/plots/all-runs.png" })
        #expect(withSingle.figures.contains { $0.png == "1-first/report/plots/all-runs.png" })
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("2-second/report/index.html").path))
        #expect(throws: ReportError.self) { try FigureIndex(writer: ReportWriter()).write(root: root.appendingPathComponent("not-a-sweep")) }

        var withOverrides = try SweepResults.load(root.appendingPathComponent("1-first"))
        withOverrides.manifest?["command_line"] = .string("nst-exp run Experiments/report/x.json --set size=128 --set=iterations=30")
        #expect(FigureIndex.sweepSource(withOverrides) == "Experiments/report/x.json with --set size=128 --set iterations=30")
    }

    @Test("figure captions in the index start with the sweep description's first sentence, past abbreviations")
    func captionTopic() {
        #expect(FigureIndex.topic("Figure group 2b: layer sets, as in Gatys et al. Fig. 1. More text.") == "Figure group 2b: layer sets, as in Gatys et al. Fig. 1.")
        #expect(FigureIndex.topic("Figure group 4: run time. The chart shows it.") == "Figure group 4: run time.")
        #expect(FigureIndex.topic("No full stop at all") == "No full stop at all")
        #expect(FigureIndex.topic("  ") == nil)
    }

    @Test("a sweep over content/style pairs gets an inputs sheet (content, style, result per run) read from config.json paths")
    func inputsSheet() throws {
        let dir = try SyntheticSweep.temporaryFolder("inputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sweep = try SyntheticSweep.write(to: dir, styleWeights: [100, 1000], tvWeights: [0], failed: 99, unfinished: 98, pending: 97)
        var planRuns: [[String: Any]] = []
        for index in 0..<sweep.runCount {
            let content = dir.appendingPathComponent("content-\(index).png"), style = dir.appendingPathComponent("style-\(index).png")
            try ImageIO.save(SyntheticSweep.picture(index + 10), to: content)
            try ImageIO.save(SyntheticSweep.picture(index + 20), to: style)
            let id = SyntheticSweep.id(index)
            let configURL = dir.appendingPathComponent("runs/\(id)/config.json")
            var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
            config["content"] = content.path
            config["style"] = [style.path]
            try SyntheticSweep.json(config, to: configURL)
            planRuns.append(["index": index, "id": id, "dir": "runs/\(id)",
                             "params": ["content": "../content-\(index).png", "style": "../style-\(index).png"]])
        }
        try SyntheticSweep.json(["name": "pairs", "swept": ["content", "style"], "runs": planRuns], to: dir.appendingPathComponent("plan.json"))
        let summary = try ReportWriter().write(sweep: dir)
        #expect(summary.figures.first?.png == "contact-sheet-inputs.png")
        try ReportChecks.expectNonBlankPNG(summary.folder.appendingPathComponent("contact-sheet-inputs.png"))
        #expect(!summary.figures.contains { $0.png == "plots/final-vs-style.png" }, "style is zipped with content: plotted once")
        #expect(summary.figures.contains { $0.png == "plots/final-vs-content.png" })
    }

    @Test("the report block's wrap sets the images per row of a one-axis sheet; a run's label replaces its keys")
    func wrapAndLabels() {
        let params: [[String: JSONValue]] = (0..<5).map { i in
            ["label": i == 4 ? .null : .string("case \(i)"), "size": .double(Double(64 + 32 * i))]
        }
        let results = Self.results(swept: ["label", "size"], params: params, layout: .init(rows: nil, columns: "label", wrap: 2))
        let grid = ReportGrid(results)
        #expect(!grid.isTwoDimensional)
        #expect(grid.pages[0].cells.map(\.count) == [2, 2, 2])
        #expect(grid.pages[0].cells.flatMap { $0 }.compactMap { $0?.index } == [0, 1, 2, 3, 4])
        #expect(results.runs[3].label(keys: results.swept) == "case 3")
        #expect(results.runs[4].label(keys: results.swept) == "label=–, size=192")
    }

    @Test("a labelled sweep: the runs table and plot titles show the labels, and no loss-against-key plots compare unlike cases")
    func labelledSweepReport() throws {
        let dir = try SyntheticSweep.temporaryFolder("labels")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sweep = try SyntheticSweep.write(to: dir, styleWeights: [100, 1000, 10000], tvWeights: [0], failed: 99, unfinished: 98, pending: 97)
        let labels = ["hard guides", "feathered guides", "photographic style"]
        let planRuns: [[String: Any]] = (0..<sweep.runCount).map { index in
            let id = SyntheticSweep.id(index)
            return ["index": index, "id": id, "dir": "runs/\(id)", "params": ["label": labels[index], "style_weight": sweep.styleWeights[index]]]
        }
        try SyntheticSweep.json(["name": "cases", "swept": ["label", "style_weight"], "report": ["columns": "label", "wrap": 2],
                                 "runs": planRuns], to: dir.appendingPathComponent("plan.json"))
        let summary = try ReportWriter().write(sweep: dir)
        #expect(!summary.figures.contains { $0.png.hasPrefix("plots/final-vs-") })
        #expect(summary.figures.contains { $0.png == "contact-sheet.png" && $0.caption.contains("label in the sweep file") })
        try ReportChecks.expectNonBlankPNG(summary.folder.appendingPathComponent("contact-sheet.png"))
        let html = try String(contentsOf: summary.folder.appendingPathComponent("index.html"), encoding: .utf8)
        for label in labels { #expect(html.contains(label)) }
        #expect(summary.figures.contains { $0.caption.contains("photographic style") }, "loss-curve captions name the case")
    }

    @Test("a report block with reference_seconds adds a run-time chart against that reference; without one there is none")
    func runTimeAgainstAReference() throws {
        let dir = try SyntheticSweep.temporaryFolder("runtime")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try SyntheticSweep.write(to: dir, styleWeights: [100], tvWeights: [0], failed: 99, unfinished: 98, pending: 97)
        let plain = try ReportWriter().write(sweep: dir)
        #expect(!plain.figures.contains { $0.png == "plots/run-time.png" })
        let statusURL = dir.appendingPathComponent("runs/\(SyntheticSweep.id(0))/status.json")
        var status = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: statusURL)) as? [String: Any])
        status["cpu_seconds"] = 5.5
        try SyntheticSweep.json(status, to: statusURL)
        #expect(try SweepResults.load(dir).runs[0].cpuSeconds == 5.5)
        let planURL = dir.appendingPathComponent("plan.json")
        var plan = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: planURL)) as? [String: Any])
        plan["report"] = ["reference_seconds": 3600, "reference_label": "the course report (> 1 hour)"]
        try SyntheticSweep.json(plan, to: planURL)
        let summary = try ReportWriter().write(sweep: dir)
        let chart = try #require(summary.figures.first { $0.png == "plots/run-time.png" })
        #expect(chart.caption.contains("the course report (> 1 hour)") && chart.caption.contains("Test CPU @ 2.0GHz, 2 threads"))
        try ReportChecks.expectNonBlankPNG(summary.folder.appendingPathComponent("plots/run-time.png"))
        #expect(FileManager.default.fileExists(atPath: summary.folder.appendingPathComponent("plots/run-time.svg").path))
    }

    @Test("the inputs sheet gets columns for label maps and a second style when runs use them; the result names the case")
    func inputsSheetWithMasks() throws {
        let dir = try SyntheticSweep.temporaryFolder("masks")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sweep = try SyntheticSweep.write(to: dir, styleWeights: [100, 1000], tvWeights: [0], failed: 99, unfinished: 98, pending: 97)
        func save(_ name: String, _ seed: Int) throws -> String {
            let url = dir.appendingPathComponent(name)
            try ImageIO.save(SyntheticSweep.picture(seed), to: url)
            return url.path
        }
        let content = try save("cat.png", 1), mask = try save("cat_map.png", 2)
        let styleA = try save("texture.png", 3), styleB = try save("stars.png", 4)
        var planRuns: [[String: Any]] = []
        for index in 0..<sweep.runCount {
            let id = SyntheticSweep.id(index)
            let configURL = dir.appendingPathComponent("runs/\(id)/config.json")
            var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
            config["content"] = content
            config["style"] = index == 0 ? [styleA, styleB] : [styleA]
            if index == 0 { config["content_mask"] = mask }
            try SyntheticSweep.json(config, to: configURL)
            planRuns.append(["index": index, "id": id, "dir": "runs/\(id)",
                             "params": ["label": index == 0 ? "guided" : "unguided", "style": index == 0 ? ["a", "b"] : ["a"]]])
        }
        try SyntheticSweep.json(["name": "guided", "swept": ["label", "style"], "runs": planRuns], to: dir.appendingPathComponent("plan.json"))
        let summary = try ReportWriter().write(sweep: dir)
        let inputs = try #require(summary.figures.first { $0.png == "contact-sheet-inputs.png" })
        #expect(inputs.caption.contains("style images and label maps"), "\(inputs.caption)")
        let images = try FileManager.default.contentsOfDirectory(atPath: summary.folder.appendingPathComponent("images").path)
        for name in ["cat.png", "cat_map.png", "texture.png", "stars.png"] {
            #expect(images.contains { $0.hasPrefix("input-") && $0.hasSuffix("-\(name).png") }, "\(name) in \(images)")
        }
        try ReportChecks.expectNonBlankPNG(summary.folder.appendingPathComponent("contact-sheet-inputs.png"))
    }
}
