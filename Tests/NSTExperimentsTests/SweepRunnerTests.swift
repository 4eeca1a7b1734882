import Foundation
import NSTImage
import NSTNetwork
import NSTTransfer
import Testing
@testable import NSTExperiments
import NSTTestSupport

/// Running sweeps in-process with the installed VGG-19 on 32–40 px images: output layout, resume, failures,
/// shared targets.
@Suite struct SweepRunnerTests {
    let folder: URL
    let weights: URL
    init() throws {
        folder = try temporaryFolder()
        weights = VGGWeights.defaultURL
        guard FileManager.default.fileExists(atPath: weights.path) else { throw WeightsError.notInstalled(path: weights.path) }
    }

    /// A 2×2 sweep on real photographs at 40 px.
    func sweepJSON(extra: String = "") -> String {
        """
        {"name": "tiny", "base": {"content": "\(exampleImage("content/coffee.png"))",
           "style": "\(exampleImage("styles/ihc.png"))",
           "size": 40, "iterations": 4, "save_every": 2}\(extra),
         "grid": {"style_weight": [100, 1000], "tv_weight": [0, 0.01]},
         "report": {"rows": "style_weight", "columns": "tv_weight"}}
        """
    }

    func runner(_ json: String, configure: (inout SweepOptions) -> Void = { _ in }) throws -> SweepRunner {
        let sweep = try Fixtures.sweep(json, in: folder)
        var options = SweepOptions(output: folder.appendingPathComponent("out"))
        configure(&options)
        return try SweepRunner(sweep: sweep, options: options)
    }

    @Test func writesTheDocumentedOutputLayout() throws {
        let summary = try runner(sweepJSON()).run()
        #expect(summary.finished == 4 && summary.failed == 0 && summary.executed == 4)
        let out = folder.appendingPathComponent("out")
        #expect(try Data(contentsOf: out.appendingPathComponent("sweep.json")) == Data(sweepJSON().utf8))

        let plan = try Fixtures.json(PlanFile.self, at: out.appendingPathComponent("plan.json"))
        #expect(plan.name == "tiny" && plan.swept == ["style_weight", "tv_weight"])
        #expect(plan.report == .object(["rows": .string("style_weight"), "columns": .string("tv_weight")]))
        #expect(plan.runs.map(\.index) == [0, 1, 2, 3])
        #expect(plan.runs[3].params == ["style_weight": .int(1000), "tv_weight": .double(0.01)])

        struct Manifest: Decodable {
            var toolkit_version: String; var swift_version: String; var blas: String; var threads: Int; var cpu: String
            var command_line: String; var started: String; var ended: String?
            var weights: [String: String]; var inputs: [String: String?]; var system: RunEnvironment
        }
        let manifest = try Fixtures.json(Manifest.self, at: out.appendingPathComponent("manifest.json"))
        #expect(manifest.system == RunEnvironment.current() && manifest.blas.contains(manifest.system.blasCore))
        #expect(manifest.weights["sha256"] == (try Provenance.sha256(ofFile: weights.path)))
        #expect(manifest.inputs.count == 2 && manifest.inputs.values.allSatisfy { $0?.count == 64 })
        #expect(manifest.ended != nil && manifest.blas.contains("OpenBLAS") && manifest.threads >= 1)

        for run in plan.runs {
            let dir = out.appendingPathComponent(run.dir)
            #expect(run.dir == "runs/\(run.id)" && run.id.hasSuffix(String((run.configHash ?? "-").prefix(8))))
            let record = try Fixtures.json(RunRecord.self, at: dir.appendingPathComponent("status.json"))
            #expect(record.status == .finished && record.error == nil && record.iterations == 4 && record.configHash == run.configHash)
            #expect((record.cpuSeconds ?? 0) > 0, "the run's CPU time is recorded beside its wall-clock time")
            // The final image's matting energy, as `nst-exp photorealism` measures it: positive for a stylized image.
            let energy = try #require(record.photorealismEnergy)
            #expect(energy > 0 && energy.isFinite)
            let config = try RunConfiguration.load(from: dir.appendingPathComponent("config.json"))
            #expect(config.output == dir.appendingPathComponent("final.png").path)
            #expect(Float(run.params["style_weight"]?.number ?? 0) == config.styleWeight)
            let image = try ImageIO.load(dir.appendingPathComponent("final.png"))
            #expect(max(image.width, image.height) == 40)
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("snapshot-00002.png").path))
            let losses = try String(contentsOf: dir.appendingPathComponent("losses.csv"), encoding: .utf8).split(separator: "\n")
            try #require(losses.count == 6, "\(losses)")
            #expect(losses[0].hasPrefix("iteration,total,content,style,tv,seconds"))
            let last = losses[5].split(separator: ",")
            #expect(Float(String(last.dropFirst().first ?? "")) == Float(record.final?.total ?? -1))
            let log = try String(contentsOf: dir.appendingPathComponent("log.txt"), encoding: .utf8)
            #expect(RunEnvironment.current().summary.allSatisfy { log.contains($0) }, "the log names the CPU and kernels")
            #expect(log.contains("run \(run.id) started") && log.contains("finished after") && log.contains("s CPU)"))
        }
        let csv = try String(contentsOf: out.appendingPathComponent("runs.csv"), encoding: .utf8).split(separator: "\n")
        try #require(csv.count == 5, "\(csv)")
        #expect(csv[0] == "index,id,status,style_weight,tv_weight,total,content,style,tv,iterations,seconds,peak_rss_mib,placement_worst,placement_mean,placement_regions,photorealism_energy")
        #expect(csv[4].hasPrefix("3,\(plan.runs[3].id),finished,1000,0.01,"))
    }

    @Test func resumeSkipsFinishedRunsAndForceReruns() throws {
        let first = try runner(sweepJSON()).run()
        #expect(first.executed == 4)
        let out = folder.appendingPathComponent("out")
        let plan = try Fixtures.json(PlanFile.self, at: out.appendingPathComponent("plan.json"))
        let started = try plan.runs.map { try Fixtures.json(RunRecord.self, at: out.appendingPathComponent($0.dir + "/status.json")).started }

        // A run whose status.json is missing (killed) is rerun; the others are skipped untouched.
        try FileManager.default.removeItem(at: out.appendingPathComponent(plan.runs[2].dir + "/status.json"))
        let second = try runner(sweepJSON()).run()
        #expect(second.executed == 1 && second.skipped == 3 && second.finished == 4)
        let after = try plan.runs.map { try Fixtures.json(RunRecord.self, at: out.appendingPathComponent($0.dir + "/status.json")).started }
        try #require(after.count == 4 && started.count == 4)
        #expect(after[0] == started[0] && after[1] == started[1] && after[3] == started[3] && after[2] != started[2])

        let forced = try runner(sweepJSON()) { $0.force = true }.run()
        #expect(forced.executed == 4 && forced.skipped == 0)
    }

    @Test func aFailingRunIsRecordedAndTheSweepGoesOn() throws {
        // The second style image exists at planning time and disappears before its runs start.
        let doomed = folder.appendingPathComponent("doomed.jpg")
        try FileManager.default.copyItem(atPath: exampleImage("styles/hubble_deep_field.jpg"), toPath: doomed.path)
        let json = """
        {"name": "failing", "base": {"content": "\(exampleImage("content/coffee.png"))",
           "size": 32, "iterations": 2},
         "grid": {"style": ["doomed.jpg", "\(exampleImage("styles/ihc.png"))"]}}
        """
        let sweepRunner = try runner(json)
        try FileManager.default.removeItem(at: doomed)
        let summary = try sweepRunner.run()
        #expect(summary.failed == 1 && summary.finished == 1 && summary.executed == 2)
        let out = folder.appendingPathComponent("out")
        struct Manifest: Decodable { var inputs: [String: String?] }
        let manifest = try Fixtures.json(Manifest.self, at: out.appendingPathComponent("manifest.json"))
        #expect(manifest.inputs[doomed.path] == .some(nil) && manifest.inputs.count == 3)
        let record = try Fixtures.json(RunRecord.self, at: out.appendingPathComponent(sweepRunner.plan.runs[0].directory + "/status.json"))
        #expect(record.status == .failed && record.final == nil)
        #expect(record.error?.contains("doomed.jpg") == true)
        let csv = try String(contentsOf: out.appendingPathComponent("runs.csv"), encoding: .utf8)
        #expect(csv.contains("0,\(sweepRunner.plan.runs[0].id),failed,doomed.jpg,,,,,0,"))

        // Failed runs are kept on a plain rerun, retried with --retry-failed.
        try FileManager.default.copyItem(atPath: exampleImage("styles/hubble_deep_field.jpg"), toPath: doomed.path)
        let again = try runner(json).run()
        #expect(again.executed == 0 && again.failed == 1)
        let retried = try runner(json) { $0.retryFailed = true }.run()
        #expect(retried.executed == 1 && retried.failed == 0 && retried.finished == 2)
    }

    @Test func failFastStopsAtTheFirstFailure() throws {
        let doomed = folder.appendingPathComponent("doomed.jpg")
        try FileManager.default.copyItem(atPath: exampleImage("styles/hubble_deep_field.jpg"), toPath: doomed.path)
        let json = """
        {"base": {"content": "\(exampleImage("content/coffee.png"))", "size": 32, "iterations": 2},
         "grid": {"style": ["doomed.jpg"], "style_weight": [1, 2, 3]}}
        """
        let sweepRunner = try runner(json) { $0.failFast = true }
        try FileManager.default.removeItem(at: doomed)
        let summary = try sweepRunner.run()
        #expect(summary.executed == 1 && summary.failed == 1)
    }

    @Test func sharedTargetsGiveIdenticalResultsWithFewerForwardPasses() throws {
        let shared = try runner(sweepJSON())
        let sharedSummary = try shared.run()
        // Four runs, one content and one style image: 2 computed, 6 reused.
        #expect(sharedSummary.targetMisses == 2 && sharedSummary.targetHits == 6)
        let unshared = try runner(sweepJSON()) { $0.output = folder.appendingPathComponent("unshared"); $0.shareTargets = false }
        let unsharedSummary = try unshared.run()
        #expect(unsharedSummary.targetHits == 0 && unsharedSummary.targetMisses == 0)
        for run in shared.plan.runs {
            let a = try Fixtures.json(RunRecord.self, at: folder.appendingPathComponent("out/\(run.directory)/status.json"))
            let b = try Fixtures.json(RunRecord.self, at: folder.appendingPathComponent("unshared/\(run.directory)/status.json"))
            #expect(a.final == b.final)
        }
    }

    @Test func sharedGuidedTargetsGiveBitIdenticalLosses() throws {
        // Two regions (left and right half of the photo), one per style image; the guides sit beside the sweep file.
        for (name, left) in [("left.png", true), ("right.png", false)] {
            var mask = Image(width: 60, height: 40, channels: 1)   // coffee.png is 600×400
            for y in 0..<40 { for x in 0..<60 where (x < 30) == left { mask.pixels[y * 60 + x] = 1 } }
            try ImageIO.save(mask, to: folder.appendingPathComponent(name))
        }
        let json = """
        {"name": "guided", "base": {"content": "\(exampleImage("content/coffee.png"))",
           "style": ["\(exampleImage("styles/ihc.png"))", "\(exampleImage("styles/hubble_deep_field.jpg"))"],
           "size": 40, "iterations": 4,
           "regions": [{"content_guide": "left.png", "style": 0}, {"content_guide": "right.png", "style": 1}]},
         "grid": {"style_weight": [100, 1000], "tv_weight": [0, 0.01]}}
        """
        let shared = try runner(json)
        let sharedSummary = try shared.run()
        // Four runs: the content features and the two regions' guided targets computed once, reused three times.
        #expect(sharedSummary.finished == 4)
        #expect(sharedSummary.targetMisses == 3 && sharedSummary.targetHits == 9,
                "misses \(sharedSummary.targetMisses), hits \(sharedSummary.targetHits)")
        let unshared = try runner(json) { $0.output = folder.appendingPathComponent("unshared"); $0.shareTargets = false }
        #expect(try unshared.run().finished == 4)
        func losses(_ dir: String) throws -> [[Substring]] {
            // Every column but `seconds` (the 6th).
            try String(contentsOf: folder.appendingPathComponent(dir + "/losses.csv"), encoding: .utf8)
                .split(separator: "\n").map { line in line.split(separator: ",").enumerated().filter { $0.offset != 5 }.map(\.element) }
        }
        for run in shared.plan.runs {
            let a = try losses("out/\(run.directory)"), b = try losses("unshared/\(run.directory)")
            #expect(a.count == 6 && a == b, "run \(run.id): shared \(a) vs unshared \(b)")
        }
        // The runs differ in their weights, so their losses do too: the comparison is not vacuous.
        #expect(try losses("out/\(shared.plan.runs[0].directory)") != losses("out/\(shared.plan.runs[3].directory)"))
    }

    @Test func shardsWriteDisjointFoldersAndRunsTableMergesThem() throws {
        for k in 0..<2 {
            let summary = try runner(sweepJSON()) { $0.shard = (k, 2) }.run()
            #expect(summary.selected == 2 && summary.executed == 2)
        }
        let csv = try String(contentsOf: folder.appendingPathComponent("out/runs.csv"), encoding: .utf8)
        #expect(csv.components(separatedBy: ",finished,").count - 1 == 4)
    }

    @Test func aStopRequestEndsTheRunAsInterruptedAndResumeReruns() throws {
        let sweepRunner = try runner(sweepJSON())
        var seen = 0
        let summary = try sweepRunner.run { event in
            if case .iteration = event { seen += 1; if seen == 2 { sweepRunner.stopFlag.request() } }
        }
        #expect(summary.interrupted && summary.executed == 1 && summary.finished == 0)
        let record = try Fixtures.json(RunRecord.self, at: folder.appendingPathComponent("out/\(sweepRunner.plan.runs[0].directory)/status.json"))
        #expect(record.status == .interrupted)
        let resumed = try runner(sweepJSON()).run()
        #expect(resumed.executed == 4 && resumed.finished == 4)
    }

    /// A sweep that varies `weights` records the first file as `weights` and hashes every one among the inputs (it
    /// used to join the paths into one and fail hashing it).
    @Test func aSweepOverWeightsHashesEachWeightsFile() throws {
        let link = folder.appendingPathComponent("same-weights.safetensors")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: weights)
        let json = """
        {"name": "weights", "base": {"content": "\(exampleImage("content/coffee.png"))",
           "style": "\(exampleImage("styles/ihc.png"))", "size": 32, "iterations": 1},
         "grid": {"weights": ["\(weights.path)", "\(link.path)"]}}
        """
        let summary = try runner(json).run()
        #expect(summary.finished == 2 && summary.failed == 0)
        struct Manifest: Decodable { var weights: [String: String]; var inputs: [String: String?] }
        let manifest = try Fixtures.json(Manifest.self, at: folder.appendingPathComponent("out/manifest.json"))
        let hash = try Provenance.sha256(ofFile: weights.path)
        #expect(manifest.weights["sha256"] == hash)
        #expect(manifest.inputs[weights.path] == .some(hash) && manifest.inputs[link.path] == .some(hash))
    }
}
