import Foundation
import NSTImage
import NSTNetwork
import Testing
@testable import NSTExperiments
import NSTTestSupport

/// `nst-exp run` and `nst-exp export slurm` as a user drives them: child processes, SIGKILL, a real Slurm.
@Suite(.serialized) struct SweepCommandTests {
    let folder: URL
    init() throws { folder = try temporaryFolder() }

    /// Six runs at 64 px with the installed VGG-19 on the example images, each about a second on 2 cores.
    func writeSixRunSweep() throws -> URL {
        let url = folder.appendingPathComponent("six.json")
        try Data("""
        {"name": "six",
         "base": {"content": "\(exampleImage("content/coffee.png"))", "style": "\(exampleImage("styles/ihc.png"))",
                  "size": 64, "iterations": 10},
         "grid": {"style_weight": [100, 1000, 10000], "tv_weight": [0, 0.001]}}
        """.utf8).write(to: url)
        return url
    }

    func finishedRecords(_ out: URL) -> [String: RunRecord] {
        let runs = out.appendingPathComponent("runs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []
        var records: [String: RunRecord] = [:]
        for name in names {
            if let record = RunRecord.read(in: runs.appendingPathComponent(name)), record.status == .finished { records[name] = record }
        }
        return records
    }

    @Test func killedWithSIGKILLAndRerunCompletesWithNothingLostOrRepeated() throws {
        _ = try VGGWeights.loadInstalled()   // a clear error if set-up has not installed the weights
        let exe = try nstExecutable(), sweep = try writeSixRunSweep()
        let out = folder.appendingPathComponent("out")
        let child = try ChildProcess(exe, ["run", sweep.path, "--output", out.path])
        // Kill as soon as two runs have finished (bounded wait).
        let deadline = Date().addingTimeInterval(300)
        while finishedRecords(out).count < 2, child.isRunning, Date() < deadline { usleep(20_000) }
        kill(child.pid, SIGKILL)
        #expect(child.wait() == 128 + SIGKILL, "\(child.output)")
        let beforeKill = finishedRecords(out)
        #expect(beforeKill.count >= 2 && beforeKill.count < 6, "killed after \(beforeKill.count) runs")

        let rerun = try ChildProcess.run(exe, ["run", sweep.path, "--output", out.path])
        #expect(rerun.status == 0, "\(rerun.output)")
        #expect(rerun.output.contains("\(6 - beforeKill.count) run now, \(beforeKill.count) already done"), "\(rerun.output)")
        let after = finishedRecords(out)
        #expect(after.count == 6)
        for (name, record) in beforeKill {
            #expect(after[name]?.started == record.started, "run \(name) was repeated")
        }
        // Exactly one folder per run: the killed run's partial folder was replaced, not duplicated.
        let plan = try Fixtures.json(PlanFile.self, at: out.appendingPathComponent("plan.json"))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("runs").path)) == Set(plan.runs.map(\.id)))
        let csv = try String(contentsOf: out.appendingPathComponent("runs.csv"), encoding: .utf8)
        #expect(csv.components(separatedBy: ",finished,").count - 1 == 6)
    }

    @Test func resumeRerunsAFinishedRunWhoseImageIsGoneAndRefusesChangedInputs() throws {
        _ = try VGGWeights.loadInstalled()
        let exe = try nstExecutable()
        // Inputs of its own (copies), so that one can be changed.
        let content = folder.appendingPathComponent("c.png"), style = folder.appendingPathComponent("s.png")
        try FileManager.default.copyItem(atPath: exampleImage("content/coffee.png"), toPath: content.path)
        try FileManager.default.copyItem(atPath: exampleImage("styles/ihc.png"), toPath: style.path)
        let sweep = folder.appendingPathComponent("two.json")
        try Data("""
        {"name": "two", "base": {"content": "c.png", "style": "s.png", "size": 32, "iterations": 2},
         "grid": {"style_weight": [100, 1000]}}
        """.utf8).write(to: sweep)
        let out = folder.appendingPathComponent("two-out")
        let first = try ChildProcess.run(exe, ["run", sweep.path, "--output", out.path])
        #expect(first.status == 0, "\(first.output)")
        let records = finishedRecords(out)
        #expect(records.count == 2)

        // A finished run's image deleted by hand: that run runs again, the other is kept.
        let (gone, kept) = (records.keys.sorted()[0], records.keys.sorted()[1])
        let image = out.appendingPathComponent("runs/\(gone)/final.png")
        try FileManager.default.removeItem(at: image)
        let second = try ChildProcess.run(exe, ["run", sweep.path, "--output", out.path])
        #expect(second.status == 0 && second.output.contains("1 run now, 1 already done"), "\(second.output)")
        #expect(FileManager.default.fileExists(atPath: image.path))
        #expect(finishedRecords(out)[kept]?.started == records[kept]?.started)

        // The content changed in place: resuming would keep results made from the old file. Refused; --force reruns.
        try FileManager.default.removeItem(at: content)
        try FileManager.default.copyItem(atPath: exampleImage("content/chelsea.png"), toPath: content.path)
        let third = try ChildProcess.run(exe, ["run", sweep.path, "--output", out.path])
        #expect(third.status != 0 && third.output.contains("input files changed") && third.output.contains(content.path)
                && third.output.contains("--force"), "\(third.output)")
        let forced = try ChildProcess.run(exe, ["run", sweep.path, "--output", out.path, "--force"])
        #expect(forced.status == 0 && forced.output.contains("2 run now"), "\(forced.output)")
    }

    @Test func configurationErrorsStopBeforeAnyRun() throws {
        let exe = try nstExecutable()
        let image = exampleImage("content/coffee.png")
        let cases: [(String, String)] = [
            ("{\"base\": {\"content\": \"\(image)\", \"style\": \"\(image)\", \"size\": 32}, \"grid\": {\"style_weigth\": [1, 2]}}",
             "unknown key 'grid.style_weigth'. Did you mean 'style_weight'?"),
            ("{\"base\": {\"content\": \"\(image)\", \"style\": \"\(image)\", \"size\": \"big\"}, \"grid\": {\"style_weight\": [1, 2]}}",
             "(value from base.size): configuration value at 'size' is malformed: expected an integer"),
            ("{\"base\": {\"content\": \"missing.png\", \"style\": \"\(image)\", \"size\": 32}, \"grid\": {\"style_weight\": [1, 2]}}",
             "image file not found: \(folder.appendingPathComponent("missing.png").path)"),
        ]
        for (i, (json, expected)) in cases.enumerated() {
            let sweep = folder.appendingPathComponent("bad\(i).json")
            try Data(json.utf8).write(to: sweep)
            let out = folder.appendingPathComponent("out\(i)")
            let result = try ChildProcess.run(exe, ["run", sweep.path, "--output", out.path])
            #expect(result.status != 0)
            #expect(result.output.contains(expected), "\(result.output)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "an invalid sweep wrote \(out.path)")
        }
    }

    @Test func guidanceNoticesReachEachRunsLogAndStderr() throws {
        _ = try VGGWeights.loadInstalled()
        let exe = try nstExecutable()
        // Guides in a sub-folder, named relative to the sweep file: one at 60×40 for the 600×400 photo (same aspect,
        // so resampled with a notice) and one all black (an empty region, a warning).
        let masks = folder.appendingPathComponent("masks")
        try FileManager.default.createDirectory(at: masks, withIntermediateDirectories: true)
        var left = Image(width: 60, height: 40, channels: 1)
        for y in 0..<40 { for x in 0..<30 { left.pixels[y * 60 + x] = 1 } }
        try ImageIO.save(left, to: masks.appendingPathComponent("left.png"))
        try ImageIO.save(Image(width: 60, height: 40, channels: 1), to: masks.appendingPathComponent("none.png"))
        let sweep = folder.appendingPathComponent("guided.json")
        try Data("""
        {"name": "guided",
         "base": {"content": "\(exampleImage("content/coffee.png"))", "style": "\(exampleImage("styles/ihc.png"))",
                  "size": 32, "iterations": 2,
                  "regions": [{"content_guide": "masks/left.png"}, {"content_guide": "masks/none.png"}]},
         "grid": {"style_weight": [100, 1000]}}
        """.utf8).write(to: sweep)
        let out = folder.appendingPathComponent("out")
        let result = try ChildProcess.run(exe, ["run", sweep.path, "--output", out.path, "--no-report"])
        #expect(result.status == 0, "\(result.output)")
        let resampled = "\(masks.appendingPathComponent("left.png").path): mask is 60×40, image is 600×400: resampled"
        let empty = "warning: \(masks.appendingPathComponent("none.png").path): the mask is empty"
        let plan = try Fixtures.json(PlanFile.self, at: out.appendingPathComponent("plan.json"))
        #expect(plan.runs.count == 2)
        for run in plan.runs {
            let log = try String(contentsOf: out.appendingPathComponent(run.dir + "/log.txt"), encoding: .utf8)
            #expect(log.contains("notice: " + resampled), "\(log)")
            #expect(log.contains(empty), "\(log)")
            #expect(result.output.contains("\(run.id): notice: " + resampled), "\(result.output)")
        }
    }

    @Test func dryRunListsRunsWithoutComputing() throws {
        let exe = try nstExecutable(), sweep = try writeSixRunSweep()
        let out = folder.appendingPathComponent("out")
        let result = try ChildProcess.run(exe, ["run", sweep.path, "--output", out.path, "--dry-run", "--set", "iterations=3", "--shard", "1/2"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("6 runs, shard 1/2: 3"))
        let listed = result.output.split(separator: "\n").filter { $0.hasPrefix("  0") }
        #expect(listed.map { String($0.dropFirst(2).prefix(4)) } == ["0001", "0003", "0005"])
        #expect(listed.first.map { $0.contains("style_weight=100") && $0.contains("tv_weight=0.001") } == true, "\(listed)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func slurmArrayRunsEveryShardOnARealCluster() throws {
        _ = try VGGWeights.loadInstalled()
        let exe = try nstExecutable()
        let script = packageRoot.appendingPathComponent("scripts/slurm-cluster.sh")
        let clusterDir = folder.appendingPathComponent("slurm")
        let bash = URL(fileURLWithPath: "/bin/bash")
        let started = try ChildProcess.run(bash, [script.path, "start", clusterDir.path])
        defer { _ = try? ChildProcess.run(bash, [script.path, "stop", clusterDir.path]) }
        try #require(started.status == 0, "cluster did not start: \(started.output)")
        let env = ["SLURM_CONF": clusterDir.appendingPathComponent("slurm.conf").path]

        let sweep = folder.appendingPathComponent("array.json")
        try Data("""
        {"name": "array", "base": {"content": "\(exampleImage("content/coffee.png"))",
           "style": "\(exampleImage("styles/ihc.png"))", "size": 32, "iterations": 3},
         "grid": {"style_weight": [10, 100, 1000], "tv_weight": [0, 0.01]}}
        """.utf8).write(to: sweep)
        let out = folder.appendingPathComponent("out"), batch = folder.appendingPathComponent("array.sbatch")
        let export = try ChildProcess.run(exe, ["export", "slurm", sweep.path, "--tasks", "3", "--parallel", "2", "--cpus-per-task", "1",
                                            "--mem", "2000", "--reports", out.path, "--output", batch.path])
        #expect(export.status == 0, "\(export.output)")
        let text = try String(contentsOf: batch, encoding: .utf8)
        #expect(text.contains("#SBATCH --array=0-2%2") && text.contains("--shard \"${SLURM_ARRAY_TASK_ID}/3\""))

        let sbatch = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/sbatch"), ["--parsable", batch.path], environment: env)
        try #require(sbatch.status == 0, "\(sbatch.output)")
        let job = sbatch.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        let deadline = Date().addingTimeInterval(240)
        var queued = "?"
        while Date() < deadline {
            queued = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/squeue"), ["-h", "-j", job], environment: env).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if queued.isEmpty || queued.contains("Invalid job id") { break }
            usleep(250_000)
        }
        #expect(queued.isEmpty || queued.contains("Invalid job id"), "job \(job) still queued: \(queued)")

        let records = finishedRecords(out)
        #expect(records.count == 6, "finished: \(records.keys.sorted())")
        let logs = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("slurm").path)
        #expect(Set(logs) == Set((0..<3).map { "\(job)_\($0).log" }))
        for log in logs {
            let text = try String(contentsOf: out.appendingPathComponent("slurm/\(log)"), encoding: .utf8)
            #expect(text.contains("2 finished, 0 failed of 2"), "\(log): \(text)")
        }
    }
}
