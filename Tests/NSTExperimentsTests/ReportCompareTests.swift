import Foundation
import Testing
@testable import NSTExperiments
import NSTTestSupport

@Suite("Sweep comparison")
struct ReportCompareTests {
    @Test("runs with the same swept values line up across sweeps; the runs tables are united; differing settings are named")
    func comparesTwoSweeps() throws {
        let root = try SyntheticSweep.temporaryFolder("compare")
        defer { try? FileManager.default.removeItem(at: root) }
        let a = try SyntheticSweep.write(to: root.appendingPathComponent("a"), name: "lbfgs-grid")
        let b = try SyntheticSweep.write(to: root.appendingPathComponent("b"), name: "adam-grid", tvWeights: [0.001, 0.01],
                                         failed: 99, unfinished: 98, pending: 97, offset: 2, optimizer: "adam")
        let comparison = try SweepComparison([SweepResults.load(a.directory), SweepResults.load(b.directory)])
        #expect(comparison.keys == ["style_weight", "tv_weight"])
        #expect(comparison.labels == ["lbfgs-grid", "adam-grid"])
        // 4 style weights × tv {0, 0.001, 0.01}: only tv 0.001 is in both sweeps.
        #expect(comparison.matches.count == 12)
        #expect(comparison.shared.count == 4)
        #expect(comparison.shared.allSatisfy { $0.values["tv_weight"] == .double(0.001) })
        let pair = try #require(comparison.shared.first { $0.values["style_weight"] == .double(1000) })
        #expect(pair.runs[0]?.index == 3 && pair.runs[1]?.index == 2)
        #expect(comparison.differingSettings.map(\.key) == ["optimizer"])
        #expect(comparison.differingSettings.first?.values == ["lbfgs", "adam"])

        let output = root.appendingPathComponent("comparison")
        let summary = try ComparisonWriter().write(comparison, to: output)
        let html = try String(contentsOf: summary.index, encoding: .utf8)
        try ReportChecks.expectReferencesExist(html, in: output)
        try ReportChecks.expectNonBlankPNG(output.appendingPathComponent("contact-sheet.png"))
        try ReportChecks.expectNonBlankPNG(output.appendingPathComponent("plots/final-loss.png"))
        try ReportChecks.expectValidSVG(output.appendingPathComponent("plots/final-loss.svg"))
        let tables = html.components(separatedBy: "<tbody>").dropFirst().map { $0.components(separatedBy: "</tbody>")[0] }
        let union = try #require(tables.last)
        #expect(union.components(separatedBy: "<tr").count - 1 == a.runCount + b.runCount)
        #expect(union.components(separatedBy: "<td>adam-grid</td>").count - 1 == b.runCount)
        #expect(FileManager.default.fileExists(atPath: summary.readme.path))
        // No figure is left half-written beside the finished ones.
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).allSatisfy { !$0.contains(".partial.") })

        // Written again over its own earlier output: fine. Into a folder of the user's: refused, nothing deleted
        // (the report clears plots/ and images/, which held the user's files).
        _ = try ComparisonWriter().write(comparison, to: output)
        let mine = root.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: mine.appendingPathComponent("images"), withIntermediateDirectories: true)
        let photo = mine.appendingPathComponent("images/photo.jpg")
        try Data("a photo".utf8).write(to: photo)
        #expect(throws: ReportError.foreignFolder(path: mine.path, example: "images")) {
            try ComparisonWriter().write(comparison, to: mine)
        }
        #expect(try Data(contentsOf: photo) == Data("a photo".utf8))
    }

    @Test("the default report folder is one folder under Reports/, whatever names the sweeps' plan.json files hold")
    func defaultFolderStaysUnderReports() throws {
        let root = try SyntheticSweep.temporaryFolder("compare-names")
        defer { try? FileManager.default.removeItem(at: root) }
        let a = try SyntheticSweep.write(to: root.appendingPathComponent("a"), name: "lbfgs-grid")
        let b = try SyntheticSweep.write(to: root.appendingPathComponent("b"), name: "adam-grid")
        #expect(try SweepComparison([SweepResults.load(a.directory), SweepResults.load(b.directory)]).defaultFolder
                == "Reports/compare-lbfgs-grid-vs-adam-grid")
        // A plan.json edited by hand: its name may hold '/' and '..' (`run` refuses such a name, a file need not).
        let c = try SyntheticSweep.write(to: root.appendingPathComponent("c"), name: "../../etc")
        let folder = try SweepComparison([SweepResults.load(a.directory), SweepResults.load(c.directory)]).defaultFolder
        #expect(folder == "Reports/compare-lbfgs-grid-vs-..-..-etc")
        #expect(URL(fileURLWithPath: folder).standardizedFileURL.deletingLastPathComponent().lastPathComponent == "Reports")
    }

    @Test("one sweep is not a comparison")
    func needsTwoSweeps() throws {
        let dir = try SyntheticSweep.temporaryFolder("compare-one")
        defer { try? FileManager.default.removeItem(at: dir) }
        try SyntheticSweep.write(to: dir)
        #expect(throws: ReportError.nothingToCompare(count: 1)) { try SweepComparison([SweepResults.load(dir)]) }
    }
}
