import Foundation
import NSTImage
import NSTNetwork
import Testing
@testable import NSTExperiments
import NSTTestSupport

/// Hostile sweeps and concurrent runners, driven as a user would: `nst-exp` child processes on real folders. Every
/// refusal names the file, key or holder with exit code 1 or 64, and no input or output file is damaged.
@Suite(.serialized) struct SweepRobustnessTests {
    let folder: URL
    let content: String
    let style: String

    init() throws {
        folder = try temporaryFolder()
        // Synthetic inputs, so these tests need no shared image folder.
        var photo = Image(width: 64, height: 48, channels: 3)
        var texture = Image(width: 48, height: 48, channels: 3)
        for i in photo.pixels.indices { photo.pixels[i] = Float(i % 97) / 96 }
        for i in texture.pixels.indices { texture.pixels[i] = Float((i / 7) % 2) }
        content = folder.appendingPathComponent("content.png").path
        style = folder.appendingPathComponent("style.png").path
        try ImageIO.save(photo, to: URL(fileURLWithPath: content))
        try ImageIO.save(texture, to: URL(fileURLWithPath: style))
    }

    func write(_ json: String, _ name: String = "sweep.json") throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(json.utf8).write(to: url)
        return url
    }

    /// The six-run sweep of these tests (size 32, `iterations` each).
    func sixRuns(iterations: Int = 3, name: String = "six.json") throws -> URL {
        try write("""
        {"name": "six", "base": {"content": "content.png", "style": "style.png", "size": 32, "iterations": \(iterations)},
         "grid": {"style_weight": [100, 1000, 10000], "tv_weight": [0, 0.001]}}
        """, name)
    }

    /// The bytes of every file under `folder`, to show that a refused command changed nothing.
    func files() -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        while let name = enumerator?.nextObject() as? String {
            result[name] = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
        }
        return result
    }

    func cli(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try ChildProcess.run(try nstExecutable(), arguments)
    }

    /// Runs `arguments`, expects a refusal with `status` whose output contains every `expected` text, and that no
    /// file under the test folder changed or appeared.
    func expectRefusal(_ arguments: [String], status: Int32 = 1, _ expected: [String],
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = files()
        let result = try cli(arguments)
        #expect(result.status == status, "\(arguments): \(result.output)", sourceLocation: sourceLocation)
        for text in expected {
            #expect(result.output.contains(text), "expected “\(text)” in: \(result.output)", sourceLocation: sourceLocation)
        }
        #expect(!result.output.contains("Fatal error") && !result.output.contains("NSCocoaErrorDomain"), sourceLocation: sourceLocation)
        #expect(files() == before, "\(arguments) changed files", sourceLocation: sourceLocation)
    }

    // MARK: duplicate keys

    @Test(arguments: [
        (#"{"base": {"content": "content.png", "style": "style.png", "size": 32}, "grid": {"tv_weight": [0, 1]}, "grid": {"style_weight": [1, 2]}}"#,
         #"'grid' appears twice: {"tv_weight": [0, 1]} at line 1, column 72 and {"style_weight": [1, 2]} at line 1, column 103"#),
        (#"{"base": {"content": "content.png", "style": "style.png", "size": 32, "style_weight": 100, "style_weight": 1e4}}"#,
         #"'base.style_weight' appears twice: 100 at line 1, column 71 and 1e4 at line 1, column 92"#),
        (#"{"base": {"content": "content.png", "style": "style.png", "size": 32}, "grid": {"tv_weight": [0, 1], "tv_weight": [2]}}"#,
         #"'grid.tv_weight' appears twice: [0, 1] at line 1, column 81 and [2] at line 1, column 102"#),
        (#"{"base": {"content": "content.png", "style": "style.png", "size": 32}, "include": [{"optimizer": "adam"}, {"optimizer": "adam", "optimizer": "lbfgs"}]}"#,
         #"'include[1].optimizer' appears twice: "adam" at line 1, column 108 and "lbfgs" at line 1, column 129"#),
        (#"{"base": {"content": "content.png", "style": "style.png", "size": 32}, "grid": {"tv_weight": [0, 1]}, "exclude": [{"tv_weight": 0, "tv_weight": 1}]}"#,
         #"'exclude[0].tv_weight' appears twice: 0 at line 1, column 116 and 1 at line 1, column 132"#),
        (#"{"base": {"content": "content.png", "style": "style.png", "size": 32, "layer_weights": {"style": {"relu1_1": 1, "relu1_1": 2}}}}"#,
         #"'base.layer_weights.style.relu1_1' appears twice: 1 at line 1, column 99 and 2 at line 1, column 113"#),
        (#"{"base": {"content": "content.png", "style": "style.png", "size": 32}, "seeds": [0, 1], "seeds": [2]}"#,
         #"'seeds' appears twice: [0, 1] at line 1, column 72 and [2] at line 1, column 89"#),
        (#"{"name": "a", "base": {"content": "content.png", "style": "style.png", "size": 32}, "n\u0061me": "b"}"#,
         #"'name' appears twice: "a" at line 1, column 2 and "b" at line 1, column 85"#),
        ("{\n  \"base\": {\"content\": \"content.png\", \"style\": \"style.png\", \"size\": 32},\n  \"report\": {\"rows\": \"a\",\n              \"rows\": \"b\"}\n}",
         #"'report.rows' appears twice: "a" at line 3, column 14 and "b" at line 4, column 15"#),
    ])
    func duplicateKeysInASweepAreRefused(json: String, expected: String) throws {
        let sweep = try write(json, "dup.json")
        let out = folder.appendingPathComponent("out").path
        for mode in [["--dry-run"], []] {
            try expectRefusal(["run", sweep.path, "--output", out] + mode, [sweep.path + ": " + expected,
                              "JSON readers silently keep only one, so remove the other"])
        }
    }

    @Test func duplicateKeysInASetValueAreRefused() throws {
        let sweep = try sixRuns()
        try expectRefusal(["run", sweep.path, "--dry-run", "--set", #"layer_weights={"style": {"relu1_1": 1, "relu1_1": 2}}"#],
                          [#"--set layer_weights={"style": {"relu1_1": 1, "relu1_1": 2}}: key 'style.relu1_1' appears twice: 1 at line 1, column 12 and 2 at line 1, column 26"#])
    }

    @Test func duplicateKeysInAStylizeConfigAreRefused() throws {
        let config = try write("{\"content\": \"\(content)\", \"style\": \"\(style)\",\n \"size\": 32,\n \"size\": 4096}", "run.json")
        let output = folder.appendingPathComponent("out.png").path
        try expectRefusal(["stylize", "--config", config.path, "--output", output], status: 64,
                          ["\(config.path): key 'size' appears twice: 32 at line 2, column 2 and 4096 at line 3, column 2"])
    }

    @Test func duplicateKeysInAMaskShapeFileAreRefused() throws {
        let shapes = try write(#"{"width": 32, "height": 32, "height": 64, "shapes": []}"#, "shapes.json")
        try expectRefusal(["mask", "--shapes", shapes.path, "--output", folder.appendingPathComponent("m.png").path],
                          ["\(shapes.path): at 'height': appears twice: 32 at line 1, column 15 and 64 at line 1, column 29"])
    }

    // MARK: huge sweeps

    @Test func sweepsAboveMaxRunsAreRefusedBeforeExpansion() throws {
        let big = try write("""
        {"base": {"content": "content.png", "style": "style.png", "size": 32},
         "grid": {"style_weight": {"range": [0, 101, 1]}, "tv_weight": {"linspace": [0, 1, 100]}}}
        """, "big.json")
        try expectRefusal(["run", big.path, "--dry-run"],
                          ["\(big.path): the sweep has 10100 runs, more than --max-runs 10000", "pass --max-runs 10100 if you mean it"])
        try expectRefusal(["run", big.path], ["the sweep has 10100 runs, more than --max-runs 10000"])
        let six = try sixRuns()
        try expectRefusal(["run", six.path, "--dry-run", "--max-runs", "5"], ["the sweep has 6 runs, more than --max-runs 5"])
        let allowed = try cli(["run", six.path, "--dry-run", "--max-runs", "6", "--output", folder.appendingPathComponent("o").path])
        #expect(allowed.status == 0 && allowed.output.contains("all 6 configurations and their inputs are valid"), "\(allowed.output)")
        try expectRefusal(["run", six.path, "--dry-run", "--max-runs", "0"], status: 64, ["--max-runs 0: give a count of at least 1"])
    }

    @Test func anOverflowingRunCountIsRefusedNotWrapped() throws {
        // 10 000⁵ runs: more than Int.max, so counting must not wrap around to a small or negative number.
        let dims = (0..<5).map { "\"layer_weights.style.relu\($0 + 1)_1\": {\"range\": [0, 10000, 1]}" }.joined(separator: ", ")
        let huge = try write("{\"base\": {\"content\": \"content.png\", \"style\": \"style.png\"}, \"grid\": {\(dims)}}", "huge.json")
        try expectRefusal(["run", huge.path, "--dry-run"], ["\(huge.path): the sweep has more runs than can be counted, more than --max-runs 10000"])
    }

    @Test func excludeCountsAgainstTheLimitAfterItDrops() throws {
        let sweep = try write("""
        {"base": {"content": "content.png", "style": "style.png", "size": 32},
         "grid": {"style_weight": [1, 2, 3, 4, 5, 6], "tv_weight": [0, 1]}, "exclude": [{"tv_weight": 1}]}
        """, "ex.json")
        let result = try cli(["run", sweep.path, "--dry-run", "--max-runs", "6", "--output", folder.appendingPathComponent("o").path])
        #expect(result.status == 0 && result.output.contains("'ex': 6 runs"), "\(result.output)")
        try expectRefusal(["run", sweep.path, "--dry-run", "--max-runs", "5"], ["the sweep has 6 runs, more than --max-runs 5"])
    }

    @Test func anExcludeThatRemovesEveryRunIsRefusedAtPlanTime() throws {
        let sweep = try write("""
        {"base": {"content": "content.png", "style": "style.png", "size": 32},
         "grid": {"style_weight": [1, 2], "tv_weight": [0, 1]}, "exclude": [{"tv_weight": 0}, {"tv_weight": 1}]}
        """, "none.json")
        let out = folder.appendingPathComponent("out").path
        for mode in [["--dry-run"], []] {
            try expectRefusal(["run", sweep.path, "--output", out] + mode,
                              ["\(sweep.path): exclude removes all 4 runs of the sweep, so nothing would run"])
        }
    }

    @Test func theDryRunStreamsItsListingWithValidationOnce() throws {
        // 2000 runs on the same two images: each image is decoded once, the listing has every run, in order.
        let sweep = try write("""
        {"base": {"content": "content.png", "style": "style.png", "size": 32},
         "grid": {"style_weight": {"range": [1, 1001, 1]}, "tv_weight": [0, 1]}}
        """, "many.json")
        let result = try cli(["run", sweep.path, "--dry-run", "--output", folder.appendingPathComponent("o").path])
        #expect(result.status == 0, "\(result.output)")
        let ids = result.output.split(separator: "\n").filter { $0.hasPrefix("  ") }.map { String($0.dropFirst(2).prefix(4)) }
        let expected = (0..<2000).map { String(format: "%04d", $0) }
        let firstDifference = Array(zip(ids, expected)).firstIndex { $0 != $1 }
        #expect(ids.count == 2000 && firstDifference == nil,
                "\(ids.count) lines; first difference at \(firstDifference.map(String.init) ?? "-"): \(firstDifference.map { ids[$0] } ?? "")")
        #expect(result.output.contains("all 2000 configurations and their inputs are valid"))
    }

    @Test func anEmptyShardEndsCleanly() throws {
        // A Slurm array with more tasks than runs: task 7 of 8 has nothing to do, and says so with exit status 0.
        _ = try VGGWeights.loadInstalled()
        let sweep = try sixRuns(), out = folder.appendingPathComponent("out")
        let result = try cli(["run", sweep.path, "--output", out.path, "--shard", "7/8"])
        #expect(result.status == 0 && result.output.contains("0 finished, 0 failed of 0"), "\(result.output)")
        let manifest = try String(contentsOf: out.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(manifest.contains(VGGWeights.defaultURL.path), "\(manifest)")
    }

    @Test func runsSharingTheirInputsAreStillCheckedValueByValue() throws {
        // Runs 1 and 2 differ from run 0 only in values whose input checks run 0 already passed; their own values
        // are still checked, and the error names the run and the grid entry.
        let sweep = try write("""
        {"base": {"content": "content.png", "style": "style.png", "size": 32},
         "grid": {"style_weight": [1, 2, -1]}}
        """, "neg.json")
        try expectRefusal(["run", sweep.path, "--dry-run"], ["run 0002-", "(value from the value -1 of style_weight): 'style_weight' = -1.0 is invalid"])
        let iterations = try write("""
        {"base": {"content": "content.png", "style": "style.png", "size": 32},
         "grid": {"iterations": [10, -5]}}
        """, "iter.json")
        try expectRefusal(["run", iterations.path, "--dry-run"], ["'iterations' = -5 is invalid"])
        // Every key the input signature leaves out is checked run by run.
        for (key, values, expected) in [("content_weight", "[1, -1]", "'content_weight' = -1.0 is invalid"),
                                        ("learning_rate", "[1, 0]", "'learning_rate' = 0.0 is invalid"),
                                        ("save_every", "[0, -1]", "'save_every' = -1 is invalid")] {
            let sweep = try write("""
            {"base": {"content": "content.png", "style": "style.png", "size": 32}, "grid": {"\(key)": \(values)}}
            """, "\(key).json")
            try expectRefusal(["run", sweep.path, "--dry-run"], ["run 0001-", "(value from the value", expected])
        }
        // print_every is not part of a run's identity (it changes no result), so it is varied through include.
        let printing = try write("""
        {"base": {"content": "content.png", "style": "style.png", "size": 32}, "grid": {"style_weight": [1, 2]},
         "include": [{"style_weight": 3, "print_every": -1}]}
        """, "print_every.json")
        try expectRefusal(["run", printing.path, "--dry-run"], ["run 0002-", "'print_every' = -1 is invalid"])
        // Another input file is checked on its own.
        let inputs = try write("""
        {"base": {"style": "style.png", "size": 32}, "grid": {"content": ["content.png", "missing.png"], "style_weight": [1, 2]}}
        """, "inputs.json")
        try expectRefusal(["run", inputs.path, "--dry-run"], ["run 0002-", "image file not found: \(folder.appendingPathComponent("missing.png").path)"])
    }

    @Test func validationDecodesEachDistinctImageOnce() throws {
        let cache = DecodedImages()
        let (a, b) = try cache.scoped {
            (try ImageIO.load(URL(fileURLWithPath: content)), try ImageIO.load(URL(fileURLWithPath: content)))
        }
        #expect(a == b && cache.decoded == 1 && cache.reused == 1)
        // Errors are not cached, and nothing is cached outside the scope.
        let missing = URL(fileURLWithPath: folder.appendingPathComponent("missing.png").path)
        for _ in 0..<2 { #expect(throws: ImageError.self) { try cache.scoped { try ImageIO.load(missing) } } }
        #expect(cache.decoded == 1)
        // A budget smaller than one image keeps nothing.
        let tiny = DecodedImages(budgetBytes: 100)
        try tiny.scoped { for _ in 0..<2 { _ = try ImageIO.load(URL(fileURLWithPath: content)) } }
        #expect(tiny.decoded == 2 && tiny.reused == 0)
    }

    // MARK: locks and claims

    @Test func theFolderLockExcludesASecondRunnerButLetsShardsShare() throws {
        let out = folder.appendingPathComponent("locked")
        let first = try SweepLock.acquire(folder: out, shard: nil, wait: false)
        do {
            _ = try SweepLock.acquire(folder: out, shard: nil, wait: false)
            Issue.record("a second runner took the lock")
        } catch let SweepError.locked(path, holders) {
            #expect(path == out.path)
            #expect(holders.count == 1 && holders[0].hasPrefix("pid \(getpid()) on host \(LockHolder.hostName()), started "), "\(holders)")
        }
        #expect(throws: SweepError.self) { try SweepLock.acquire(folder: out, shard: (0, 2), wait: false) }
        first.release()
        // After a release, the lock is taken within a few polls: a child another test is spawning at that moment
        // (between its fork and exec) briefly shares the released descriptor, and with it the lock.
        func acquireAfterRelease(_ shard: (k: Int, n: Int)?) throws -> SweepLock {
            var polls = 0
            return try SweepLock.acquire(folder: out, shard: shard, wait: true, stop: { polls += 1; return polls > 25 })
        }
        let shard0 = try acquireAfterRelease((0, 2))
        let shard1 = try acquireAfterRelease((1, 2))
        do {
            _ = try SweepLock.acquire(folder: out, shard: (1, 2), wait: false)
            Issue.record("the same shard ran twice")
        } catch let SweepError.locked(_, holders) {
            #expect(holders == [LockHolder.read(fd: open(out.appendingPathComponent(".lock-shard-1-of-2").path, O_RDONLY))?.description ?? "?"])
            #expect(holders[0].contains("(shard 1/2)"))
        }
        do {
            _ = try SweepLock.acquire(folder: out, shard: nil, wait: false)
            Issue.record("a whole-sweep runner started beside shards")
        } catch let SweepError.locked(_, holders) {
            #expect(holders.count == 2 && holders.allSatisfy { $0.contains("(shard ") }, "\(holders)")
        }
        // --wait gives up on a stop request (Ctrl-C) without taking the lock.
        var asked = 0
        #expect(throws: SweepError.self) {
            try SweepLock.acquire(folder: out, shard: nil, wait: true, waiting: { _ in asked += 1 }, stop: { true })
        }
        #expect(asked == 1)
        shard0.release(); shard1.release()
        _ = try acquireAfterRelease(nil)
    }

    @Test func aClaimIsExclusiveAndAStaleOneIsTakenOver() throws {
        let out = folder.appendingPathComponent("claims-out")
        let me = LockHolder.current()
        guard case .claimed(let claim) = try RunClaim.take("0000-aaaaaaaa", in: out, holder: me) else {
            Issue.record("no claim"); return
        }
        guard case .held(let holder) = try RunClaim.take("0000-aaaaaaaa", in: out, holder: me) else {
            Issue.record("claimed twice"); return
        }
        #expect(holder == me)
        claim.release()
        #expect(!FileManager.default.fileExists(atPath: claim.path))

        // A claim left by a process that died (no lock on it) is taken over, naming the dead holder.
        let dead = try deadPID()
        let stale = LockHolder(pid: dead, host: LockHolder.hostName(), started: "2026-01-01T00:00:00Z", shard: nil)
        try SweepFiles.makeFolder(RunClaim.folder(in: out))
        try JSONEncoder().encode(stale).write(to: RunClaim.folder(in: out).appendingPathComponent("0001-bbbbbbbb.claim"))
        guard case .claimed(let taken) = try RunClaim.take("0001-bbbbbbbb", in: out, holder: me) else {
            Issue.record("a stale claim was not taken over"); return
        }
        #expect(taken.reclaimed && taken.replaced == stale)
        #expect(LockHolder.read(fd: open(taken.path, O_RDONLY)) == me)
    }

    /// The pid of a process that has exited.
    func deadPID() throws -> Int32 {
        let child = try ChildProcess(URL(fileURLWithPath: "/bin/true"), [])
        child.wait()
        return child.pid
    }

    @Test func aSecondRunnerOnTheSameFolderIsRefusedOrWaits() throws {
        _ = try VGGWeights.loadInstalled()
        let exe = try nstExecutable(), sweep = try sixRuns(iterations: 40)
        let out = folder.appendingPathComponent("out")
        let first = try ChildProcess(exe, ["run", sweep.path, "--output", out.path, "--no-report"])
        let claims = out.appendingPathComponent("claims")
        let deadline = Date().addingTimeInterval(120)
        while ((try? FileManager.default.contentsOfDirectory(atPath: claims.path)) ?? []).isEmpty, first.isRunning, Date() < deadline {
            usleep(20_000)
        }
        try #require(first.isRunning, "the first runner ended before the test could race it: \(first.output)")
        let second = try ChildProcess.run(exe, ["run", sweep.path, "--output", out.path, "--no-report"])
        #expect(second.status == 1)
        #expect(second.output.contains("\(out.path) is in use by another nst-exp run: pid \(first.pid) on host \(LockHolder.hostName()), started "),
                "\(second.output)")
        #expect(second.output.contains("pass --wait"))

        // --wait starts once the first has ended, and then finds everything done.
        let waiter = try ChildProcess(exe, ["run", sweep.path, "--output", out.path, "--no-report", "--wait"])
        #expect(first.wait() == 0, "\(first.output)")
        #expect(waiter.wait() == 0, "\(waiter.output)")
        #expect(waiter.output.contains("waiting for the runner holding \(out.path) (pid \(first.pid) on host"), "\(waiter.output)")
        #expect(waiter.output.contains("6 finished, 0 failed of 6 (0 run now, 6 already done)"), "\(waiter.output)")
        // Each run ran once, in the first runner, and its folder holds one run's files.
        #expect(first.output.components(separatedBy: " started\n").count - 1 == 6, "\(first.output)")
        let plan = try Fixtures.json(PlanFile.self, at: out.appendingPathComponent("plan.json"))
        for run in plan.runs {
            let log = try String(contentsOf: out.appendingPathComponent(run.dir + "/log.txt"), encoding: .utf8)
            #expect(log.components(separatedBy: "started").count == 2, "\(log)")
            #expect(RunRecord.read(in: out.appendingPathComponent(run.dir))?.status == .finished)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: claims.path).isEmpty, "claims left behind")
    }

    @Test func shardsOfDifferentCountsNeverRunTheSameRunTwice() throws {
        _ = try VGGWeights.loadInstalled()
        let exe = try nstExecutable(), sweep = try sixRuns(iterations: 20)
        let out = folder.appendingPathComponent("out")
        // Shard 0/2 takes runs 0, 2, 4 and shard 0/3 runs 0, 3: run 0 is in both. Same shard twice is refused.
        let a = try ChildProcess(exe, ["run", sweep.path, "--output", out.path, "--shard", "0/2"])
        let b = try ChildProcess(exe, ["run", sweep.path, "--output", out.path, "--shard", "0/3"])
        let lockFile = out.appendingPathComponent(".lock-shard-0-of-2")
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: lockFile.path), a.isRunning, Date() < deadline { usleep(20_000) }
        usleep(200_000)
        if a.isRunning {
            let again = try ChildProcess.run(exe, ["run", sweep.path, "--output", out.path, "--shard", "0/2"])
            #expect(again.status == 1 && again.output.contains("pid \(a.pid) on host") && again.output.contains("(shard 0/2)"), "\(again.output)")
        }
        #expect(a.wait() == 0, "\(a.output)")
        #expect(b.wait() == 0, "\(b.output)")
        let started = (a.output + b.output).split(separator: "\n").filter { $0.hasSuffix(" started") }
        let ids = started.compactMap { $0.split(separator: "]").last?.split(separator: " ").first.map(String.init) }
        #expect(ids.count == Set(ids).count, "a run started twice: \(ids)")
        #expect(Set(ids.map { $0.prefix(4) }) == ["0000", "0002", "0003", "0004"], "\(ids)")
    }

    @Test func aRunClaimedByALiveProcessIsLeftToItAndAStaleClaimIsResumed() throws {
        _ = try VGGWeights.loadInstalled()
        _ = try nstExecutable()
        let sweep = try sixRuns()
        let out = folder.appendingPathComponent("out")
        let dry = try cli(["run", sweep.path, "--output", out.path, "--dry-run"])
        let ids = dry.output.split(separator: "\n").filter { $0.hasPrefix("  0") }.map { String($0.dropFirst(2).prefix(13)) }
        try #require(ids.count == 6, "\(dry.output)")
        // This test process holds run 1's claim (as another runner would); run 2's claim is left by a dead process.
        guard case .claimed(let held) = try RunClaim.take(ids[1], in: out, holder: LockHolder.current()) else {
            Issue.record("no claim"); return
        }
        let dead = try deadPID()
        try JSONEncoder().encode(LockHolder(pid: dead, host: LockHolder.hostName(), started: "2026-01-01T00:00:00Z"))
            .write(to: RunClaim.folder(in: out).appendingPathComponent(ids[2] + ".claim"))
        let result = try cli(["run", sweep.path, "--output", out.path, "--no-report"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("\(ids[1]) is being run by pid \(getpid()) on host"), "\(result.output)")
        #expect(result.output.contains("\(ids[2]): taking over the claim of pid \(dead) on host"), "\(result.output)")
        #expect(result.output.contains("5 finished, 0 failed of 6 (5 run now, 0 already done) "), "\(result.output)")
        #expect(result.output.contains("1 left to other runners that had claimed them"), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("runs/\(ids[1])").path))
        #expect(RunRecord.read(in: out.appendingPathComponent("runs/\(ids[2])"))?.status == .finished)
        held.release()
        let rest = try cli(["run", sweep.path, "--output", out.path, "--no-report"])
        #expect(rest.status == 0 && rest.output.contains("(1 run now, 5 already done)"), "\(rest.output)")
    }
}
