import Foundation
import Testing
import NSTNetwork
@testable import NSTTransfer
@testable import NSTExperiments
import NSTTestSupport

/// Each file a sweep folder holds has one model that its writer and its readers share, with a format version: what
/// a run writes reads back, files without the version read as version 1, and files from a newer format are refused
/// with the file named.
@Suite struct FileFormatTests {
    @Test("the loss log a run writes reads back with the writer's columns: terms, seconds and per-layer columns")
    func lossLogRoundTrip() throws {
        let layers = [LayerLoss(term: "content", layer: try LayerName("relu4_2"), value: 2),
                      LayerLoss(term: "style", layer: try LayerName("relu1_1"), value: 1),
                      LayerLoss(term: "style", layer: try LayerName("relu2_1"), value: 2)]
        var log = LossLog()
        for it in 0..<3 {
            let losses = LossBreakdown(terms: [TermValue(name: "content", value: 2), TermValue(name: "style", value: Float(3 - it)),
                                               TermValue(name: "tv", value: 0.5), TermValue(name: "photorealism", value: 0.25)],
                                       layers: layers)
            log.append(IterationReport(iteration: it, totalIterations: 2, stage: 0, stageCount: 1, width: 4, height: 4,
                                       losses: losses, seconds: 0.5 * Double(it)))
        }
        let table = try LossLogTable.parse(log.csv(), path: "losses.csv")
        #expect(table.layout == log.columns)
        #expect(table.terms == ["content", "style", "tv", "photorealism"])
        #expect(table.layout?.layers == ["content_relu4_2", "style_relu1_1", "style_relu2_1"])
        #expect(table.column("style_relu2_1") == [2, 2, 2] && table.last("style") == 1 && table.last("seconds") == 1)
        #expect(table.last(LossLogColumns.total) == Double(Float(2) + 1 + 0.5 + 0.25))
        #expect(LossLogColumns(header: ["iteration", "content", "seconds"]) == nil)
    }

    static func record(version: Int? = nil) throws -> Data {
        let record = RunRecord(index: 3, id: "0003-1a2b3c4d", status: .finished, error: nil, configHash: "ab",
                               final: FinalLosses(total: 6, terms: [.init(name: "content", value: 1), .init(name: "style", value: 5)]),
                               iterations: 30, seconds: 2.5, cpuSeconds: 4, peakRSSMiB: 120, started: "2026-11-25T10:00:00Z",
                               ended: "2026-11-25T10:00:03Z", output: "final.png")
        var object = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(record)) as? [String: Any])
        #expect(object["format_version"] as? Int == RunRecord.currentVersion)
        object["format_version"] = version
        return try JSONSerialization.data(withJSONObject: object)
    }

    @Test("status.json: written with format_version, read without it as version 1, refused from a newer format")
    func statusVersions() throws {
        let current = try JSONDecoder().decode(RunRecord.self, from: try Self.record(version: RunRecord.currentVersion))
        let old = try JSONDecoder().decode(RunRecord.self, from: try Self.record(version: nil))
        #expect(old == current && old.formatVersion == 1 && old.final?[term: "style"] == 5)
        #expect(throws: NewerFormatError(path: "", version: RunRecord.currentVersion + 1, newest: RunRecord.currentVersion)) {
            try JSONDecoder().decode(RunRecord.self, from: try Self.record(version: RunRecord.currentVersion + 1))
        }
        // The report reads status.json through the same model and names the file it cannot read.
        let dir = try SyntheticSweep.temporaryFolder("format")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try SyntheticSweep.write(to: dir, styleWeights: [100, 1000], tvWeights: [0], failed: 99, unfinished: 98, pending: 97)
        let status = dir.appendingPathComponent("runs/\(SyntheticSweep.id(1))/status.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: status)) as? [String: Any])
        object["format_version"] = RunRecord.currentVersion + 1
        try JSONSerialization.data(withJSONObject: object).write(to: status)
        let results = try SweepResults.load(dir)
        #expect(results.runs[0].state == .finished && results.runs[0].final?.total != nil && results.runs[0].iterations == 30)
        #expect(results.runs[1].error?.contains("could not read") == true)
        #expect(results.warnings.contains { $0.contains(status.path) && $0.contains("newer nst-exp") })
    }

    @Test("plan.json: one model for the runner, resume and the report; a plan from a newer format is refused by both")
    func planVersions() throws {
        let dir = try SyntheticSweep.temporaryFolder("plan-format")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try SyntheticSweep.write(to: dir, styleWeights: [100, 1000], tvWeights: [0, 0.001], failed: 99, unfinished: 98, pending: 97)
        let url = dir.appendingPathComponent("plan.json")
        let plan = try JSONDecoder().decode(PlanFile.self, from: Data(contentsOf: url))
        #expect(plan.formatVersion == 1 && plan.runs.count == 4 && plan.runs[1].params["tv_weight"] == .double(0.001))
        #expect(try PlanFile.recorded(in: dir).map(\.index) == [0, 1, 2, 3])
        // Written by the model, it reads back equal, with its version.
        try plan.write(in: dir)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("\"format_version\" : \(PlanFile.currentVersion)"))
        #expect(try JSONDecoder().decode(PlanFile.self, from: Data(contentsOf: url)) == plan)
        #expect(try SweepResults.load(dir).layout == SweepResults.Layout(rows: "style_weight", columns: "tv_weight"))

        var newer = plan
        newer.formatVersion = PlanFile.currentVersion + 1
        try SweepFiles.writeJSON(newer, to: url)
        do {
            _ = try SweepResults.load(dir)
            Issue.record("the report read a plan of a newer format")
        } catch let error as ReportError {
            #expect(error == .newerFormat(NewerFormatError(path: url.path, version: PlanFile.currentVersion + 1, newest: PlanFile.currentVersion)))
            #expect("\(error)".contains(url.path) && "\(error)".contains("newer nst-exp"))
        }
        #expect(throws: NewerFormatError(path: url.path, version: PlanFile.currentVersion + 1, newest: PlanFile.currentVersion)) { try PlanFile.recorded(in: dir) }
    }
}
