import Foundation
import NSTTransfer
import Testing
@testable import NSTExperiments
import NSTTestSupport

/// Sweep grammar and deterministic expansion (no network runs here).
@Suite struct SweepPlanTests {
    let folder: URL
    init() throws { folder = try temporaryFolder() }

    func plan(_ json: String) throws -> SweepPlan { try SweepPlan(sweep: Fixtures.sweep(json, in: folder)) }

    @Test func gridIsSortedByKeyWithTheLastKeyFastestThenZipThenSeeds() throws {
        let p = try plan("""
        {"name": "order", "base": {"content": "c.png", "style": "s.png"},
         "grid": {"tv_weight": [0, 0.001], "style_weight": [10, 100]},
         "zip": {"size": [32, 48], "iterations": [5, 7]},
         "seeds": [3, 4]}
        """)
        #expect(p.runs.count == 2 * 2 * 2 * 2)
        #expect(p.swept == ["style_weight", "tv_weight", "iterations", "size", "seed"])
        let rows = p.runs.map { r in p.swept.map { r.params[$0]?.description ?? "?" }.joined(separator: " ") }
        #expect(Array(rows.prefix(5)) == ["10 0 5 32 3", "10 0 5 32 4", "10 0 7 48 3", "10 0 7 48 4", "10 0.001 5 32 3"])
        #expect(rows.last == "100 0.001 7 48 4")
        #expect(p.runs.map(\.index) == Array(0..<16))
        #expect(p.runs[5].canonical.tvWeight == 0.001 && p.runs[5].canonical.seed == 4 && p.runs[5].canonical.size == 32)
    }

    @Test func generatorsExpandAsDocumented() throws {
        let p = try plan("""
        {"base": {"content": "c.png", "style": "s.png"},
         "grid": {"size": {"range": [32, 64, 16]}, "style_weight": {"logspace": [2, 4, 3]},
                  "tv_weight": {"linspace": [0, 1, 3]}}}
        """)
        #expect(p.runs.count == 2 * 3 * 3)
        let sizes = Set(p.runs.map(\.canonical.size)), weights = Set(p.runs.map(\.canonical.styleWeight))
        #expect(sizes == [32, 48])                    // stop is excluded
        #expect(weights == [100, 1000, 10000])
        #expect(Set(p.runs.map(\.canonical.tvWeight)) == [0, 0.5, 1])
        #expect(p.runs[0].params["style_weight"] == .double(100))
        #expect(p.runs[0].params["style_weight"]?.jsonText == "100")
    }

    @Test func includeAddsRunsCrossedWithSeedsAndExcludeDropsPartialMatches() throws {
        let p = try plan("""
        {"base": {"content": "c.png", "style": "s.png", "optimizer": "lbfgs"},
         "grid": {"style_weight": [10, 100], "init": ["content", "noise"]},
         "include": [{"optimizer": "adam", "learning_rate": 10}],
         "exclude": [{"init": "noise", "style_weight": 1e2}],
         "seeds": [0, 1]}
        """)
        // 2×2 grid × 2 seeds = 8, minus the 2 (noise, 100) runs, plus the include × 2 seeds.
        #expect(p.runs.count == 8)
        #expect(!p.runs.contains { $0.canonical.initialization == .noise && $0.canonical.styleWeight == 100 })
        let adam = p.runs.filter { $0.canonical.optimizer == .adam }
        #expect(adam.map(\.index) == [6, 7])
        #expect(adam.map(\.canonical.seed) == [0, 1])
        #expect(adam.allSatisfy { $0.canonical.learningRate == 10 && $0.canonical.styleWeight == 1000 })
        #expect(p.swept == ["init", "style_weight", "learning_rate", "optimizer", "seed"])
        #expect(p.runs[6].params["learning_rate"] == .int(10))
        #expect(p.runs[0].params["learning_rate"] == .null)
        #expect(p.unmatchedExcludes.isEmpty)
        // An entry whose value has another type ("100" for 100) drops nothing, and says so.
        let typo = try plan("""
        {"base": {"content": "c.png", "style": "s.png"}, "grid": {"style_weight": [10, 100]},
         "exclude": [{"style_weight": 10}, {"style_weight": "100"}]}
        """)
        #expect(typo.runs.count == 1 && typo.unmatchedExcludes == [1])
    }

    @Test func dottedKeysReachNestedLayerWeights() throws {
        let p = try plan("""
        {"base": {"content": "c.png", "style": "s.png", "layer_weights": {"content": {"relu4_2": 2}}},
         "grid": {"layer_weights.style.relu1_1": [0.5, 1]}}
        """)
        #expect(p.runs.map { $0.canonical.layerWeights.style["relu1_1"] } == [0.5, 1])
        #expect(p.runs.allSatisfy { $0.canonical.layerWeights.content["relu4_2"] == 2 })
        #expect(p.swept == ["layer_weights.style.relu1_1"])
    }

    @Test func idsAreStableAndDependOnlyOnTheConfiguration() throws {
        let a = try plan(#"{"name": "x", "grid": {"style_weight": [1, 2], "tv_weight": [0]}, "base": {"content": "c.png", "style": "s.png"}}"#)
        let b = try plan(#"{"base": {"style": ["s.png"], "content": "c.png"}, "grid": {"tv_weight": [0], "style_weight": [1, 2]}, "name": "x"}"#)
        #expect(a.runs.map(\.id) == b.runs.map(\.id))
        #expect(a.runs[0].id.hasPrefix("0000-") && a.runs[0].id.count == 13)
        #expect(a.runs[0].configHash.count == 64 && a.runs[0].configHash != a.runs[1].configHash)
        let c = try plan(#"{"name": "x", "grid": {"style_weight": [1, 3]}, "base": {"content": "c.png", "style": "s.png"}}"#)
        #expect(c.runs[0].configHash == a.runs[0].configHash)
        #expect(c.runs[1].configHash != a.runs[1].configHash)
    }

    @Test func pathsAreRelativeToTheSweepFile() throws {
        let sub = folder.appendingPathComponent("Experiments")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let sweep = try Fixtures.sweep(#"{"base": {"content": "../Examples/c.png", "style": ["s1.png", "/abs/s2.png"], "init": "noise"}}"#, in: sub)
        let run = try #require(SweepPlan(sweep: sweep).runs.first)
        #expect(run.resolved.content == folder.appendingPathComponent("Examples/c.png").path)
        #expect(run.resolved.style == [sub.appendingPathComponent("s1.png").path, "/abs/s2.png"])
        #expect(run.resolved.initialization == .noise)
        #expect(run.canonical.content == "../Examples/c.png")
    }

    @Test func maskAndRegionGuidePathsAreRelativeToTheSweepFile() throws {
        let sub = folder.appendingPathComponent("Experiments")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let sweep = try Fixtures.sweep(#"""
            {"base": {"content": "c.png", "style": ["a.png", "b.png"], "content_mask": "../Masks/m.png",
                      "style_masks": ["am.png", null],
                      "regions": [{"color": "black", "style": 0, "style_guide": "guides/a_left.png"},
                                  {"content_guide": "../Masks/right.png", "style": 1, "style_guide": "/abs/b.png"}]},
             "grid": {"style_weight": [1, 10]}}
            """#, in: sub)
        let plan = try SweepPlan(sweep: sweep)
        let masks = folder.appendingPathComponent("Masks")
        for run in plan.runs {
            let c = run.resolved
            #expect(c.contentMask == masks.appendingPathComponent("m.png").path)
            #expect(c.styleMasks == [sub.appendingPathComponent("am.png").path, nil])
            #expect(c.regions.map(\.styleGuide) == [sub.appendingPathComponent("guides/a_left.png").path, "/abs/b.png"])
            #expect(c.regions.map(\.contentGuide) == [nil, masks.appendingPathComponent("right.png").path])
            #expect(c.regions.map(\.color) == ["black", nil])
            // The canonical form (and so the run id) keeps the paths as written.
            #expect(run.canonical.regions[0].styleGuide == "guides/a_left.png")
        }
        // The manifest hashes every input, masks and guides included.
        #expect(plan.inputFiles.contains(masks.appendingPathComponent("right.png").path))
        #expect(plan.inputFiles.contains(sub.appendingPathComponent("guides/a_left.png").path))
        #expect(plan.inputFiles.contains(sub.appendingPathComponent("am.png").path))

        // --set takes paths relative to the current folder, as a shell user expects, inside regions too.
        var overridden = sweep
        try overridden.override(#"regions=[{"content_guide": "left.png", "style_guide": "g/s.png"}]"#)
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let region = try #require(SweepPlan(sweep: overridden).runs.first?.resolved.regions.first)
        #expect(region.contentGuide == cwd.appendingPathComponent("left.png").standardizedFileURL.path)
        #expect(region.styleGuide == cwd.appendingPathComponent("g/s.png").standardizedFileURL.path)
    }

    @Test func setOverridesFixAKeyForEveryRun() throws {
        var sweep = try Fixtures.sweep(#"{"base": {"content": "c.png", "style": "s.png"}, "grid": {"style_weight": [1, 2], "size": [32, 64]}, "seeds": [0, 1]}"#, in: folder)
        try sweep.override("size=48")
        try sweep.override("seed=7")
        try sweep.override("optimizer=adam")          // not JSON: taken as a string
        let p = try SweepPlan(sweep: sweep)
        #expect(p.runs.count == 2)
        #expect(p.runs.allSatisfy { $0.canonical.size == 48 && $0.canonical.seed == 7 && $0.canonical.optimizer == .adam })
        #expect(p.swept == ["style_weight"])
        #expect(throws: SweepError.self) { try sweep.override("styel_weight=3") }
        do {
            try sweep.override("styel_weight=3")
        } catch {
            #expect("\(error)".contains("did you mean 'style_weight'"))
        }
        var zipped = try Fixtures.sweep(#"{"base": {"content": "c.png", "style": "s.png"}, "zip": {"size": [32, 64], "iterations": [1, 2]}}"#, in: folder)
        #expect(throws: SweepError.self) { try zipped.override("size=48") }
        #expect(throws: SweepError.self) { try zipped.override("novalue") }
    }

    @Test func unknownKeysNameTheirPathAndTheNearestKey() throws {
        let cases: [(String, String, String)] = [
            (#"{"gird": {}}"#, "'gird'", "'grid'"),
            (#"{"grid": {"style_wieght": [1]}}"#, "'grid.style_wieght'", "'style_weight'"),
            (#"{"base": {"iteration": 5}}"#, "'base.iteration'", "'iterations'"),
            (#"{"include": [{"optimiser": "adam"}]}"#, "'include[0].optimiser'", "'optimizer'"),
            (#"{"grid": {"layer_weights.styel.relu1_1": [1]}}"#, "'grid.layer_weights.styel.relu1_1'", "'layer_weights.style'"),
            (#"{"grid": {"size": {"logspce": [1, 2, 3]}}}"#, "'grid.size.logspce'", "'logspace'"),
        ]
        for (json, path, suggestion) in cases {
            do {
                _ = try plan(json)
                Issue.record("accepted \(json)")
            } catch let error as SweepError {
                guard case .unknownKey = error else { Issue.record("\(json): \(error)"); continue }
                #expect(error.description.contains(path), "\(error)")
                #expect(error.description.contains("Did you mean \(suggestion)"), "\(error)")
            }
        }
        // A typo inside a nested base object is caught by the strict configuration decoder, with its location.
        do {
            _ = try plan(#"{"base": {"content": "c.png", "style": "s.png", "layer_weights": {"stlye": {}}}}"#)
            Issue.record("accepted a nested typo")
        } catch {
            #expect("\(error)".contains("layer_weights.stlye") && "\(error)".contains("'style'") && "\(error)".contains("base.layer_weights"), "\(error)")
        }
    }

    @Test func wrongTypesAndShapesAreReportedWithTheirLocation() throws {
        func message(_ json: String) -> String {
            do { _ = try plan(json); return "accepted" } catch { return "\(error)" }
        }
        let base = #""base": {"content": "c.png", "style": "s.png"}"#
        #expect(message("{\(base), \"grid\": {\"style_weight\": [1, \"big\"]}}").contains("grid.style_weight[1]"))
        #expect(message("{\(base), \"grid\": {\"style_weight\": [1, \"big\"]}}").contains("expected a number"))
        #expect(message("{\(base), \"grid\": {\"style_weight\": 5}}").contains("a fixed value belongs in base"))
        #expect(message("{\(base), \"grid\": {\"style_weight\": []}}").contains("empty list"))
        #expect(message("{\(base), \"grid\": {\"size\": {\"range\": [64, 32, 16]}}}").contains("is empty"))
        #expect(message("{\(base), \"grid\": {\"size\": {\"linspace\": [1, 2, 0.5]}}}").contains("count n"))
        #expect(message("{\(base), \"zip\": {\"size\": [32, 64], \"iterations\": [1, 2, 3]}}").contains("equal lengths (iterations: 3, size: 2)"))
        #expect(message("{\(base), \"seeds\": [1, -2]}").contains("seeds[1]"))
        #expect(message("{\(base), \"grid\": {\"seed\": [1]}, \"seeds\": [2]}").contains("swept twice"))
        #expect(message("{\(base), \"grid\": {\"optimizer\": [\"lbfgs\", \"sgd\"]}}").contains("grid.optimizer[1]"))
        #expect(message("[1, 2]").contains("must be a JSON object"))
        #expect(message("{\"base\": ").contains("not valid JSON"))
        #expect(message("{\(base), \"grid\": {\"size\": [32, 32]}}").contains("runs 0 and 1 have the same configuration"))
    }

    @Test func shardsPartitionThePlanStably() throws {
        let p = try plan(#"{"base": {"content": "c.png", "style": "s.png"}, "grid": {"size": {"range": [32, 128, 8]}}}"#)
        #expect(p.runs.count == 12)
        let shards = (0..<5).map { p.shard($0, of: 5).map(\.index) }
        #expect(shards[1] == [1, 6, 11])
        #expect(shards.flatMap { $0 }.sorted() == Array(0..<12))
        #expect(try SweepOptions.parseShard("2/5") == (2, 5))
        for bad in ["5/5", "-1/3", "1", "a/b", "0/0"] {
            #expect(throws: SweepError.self) { try SweepOptions.parseShard(bad) }
        }
    }

    @Test func reconcilingKeepsIndicesAndRefusesChangesUnlessAllowed() throws {
        let old = try plan(#"{"base": {"content": "c.png", "style": "s.png"}, "grid": {"style_weight": [1, 2, 3]}}"#)
        let recorded = old.runs.map { SweepPlan.Recorded(index: $0.index, configHash: $0.configHash) }
        // Appending values keeps the first runs identical: accepted as is.
        let extended = try plan(#"{"base": {"content": "c.png", "style": "s.png"}, "grid": {"style_weight": [1, 2, 3, 4]}}"#)
        #expect(try extended.reconciled(with: recorded, folder: "out", allowChanged: false).runs.map(\.id) == extended.runs.map(\.id))
        // Inserting a value in the middle would shift runs 1 and 2: refused, then remapped with --allow-changed.
        let changed = try plan(#"{"base": {"content": "c.png", "style": "s.png"}, "grid": {"style_weight": [1, 5, 2, 3]}}"#)
        do {
            _ = try changed.reconciled(with: recorded, folder: "out", allowChanged: false)
            Issue.record("a changed sweep was accepted")
        } catch let error as SweepError {
            #expect(error.description.contains("--allow-changed") && error.description.contains("run 1 was"))
        }
        let remapped = try changed.reconciled(with: recorded, folder: "out", allowChanged: true)
        let byWeight = Dictionary(uniqueKeysWithValues: remapped.runs.map { ($0.canonical.styleWeight, $0.index) })
        #expect(byWeight == [1: 0, 2: 1, 3: 2, 5: 3])
        #expect(remapped.runs.map(\.index) == [0, 1, 2, 3])
        // Dropping a run is a change too.
        let shrunk = try plan(#"{"base": {"content": "c.png", "style": "s.png"}, "grid": {"style_weight": [1, 2]}}"#)
        #expect(throws: SweepError.self) { try shrunk.reconciled(with: recorded, folder: "out", allowChanged: false) }
    }

    @Test func validationChecksFilesAndLayersBeforeAnyRun() throws {
        let content = exampleImage("content/coffee.png"), style = exampleImage("styles/ihc.png")
        let good = try plan("{\"base\": {\"content\": \"\(content)\", \"style\": \"\(style)\", \"size\": 32}, \"grid\": {\"style_weight\": [1, 2]}}")
        try good.validate()
        func failure(_ json: String) -> String {
            do { try plan(json).validate(); return "valid" } catch { return "\(error)" }
        }
        let missing = failure("{\"base\": {\"content\": \"\(content)\", \"size\": 32}, \"grid\": {\"style\": [\"\(style)\", \"nope.png\"]}}")
        #expect(missing.contains("nope.png") && missing.contains("not found") && missing.contains("relative to the sweep file"), "\(missing)")
        let layer = failure("{\"base\": {\"content\": \"\(content)\", \"style\": \"\(style)\", \"size\": 32}, \"grid\": {\"style_layers\": [[\"relu1_1\"], [\"relu6_1\"]]}}")
        #expect(layer.contains("relu6_1") && layer.contains("did you mean"), "\(layer)")
        let notImage = failure("{\"base\": {\"content\": \"\(folder.appendingPathComponent("sweep.json").path)\", \"style\": \"\(style)\", \"size\": 32}}")
        #expect(notImage.contains("'content'"), "\(notImage)")
    }

    @Test func labelsNameRunsWithoutEnteringTheirConfiguration() throws {
        let p = try plan("""
        {"base": {"content": "c.png", "style": "s.png"},
         "zip": {"label": ["weak", "strong"], "style_weight": [10, 1e4]},
         "include": [{"label": "smooth", "tv_weight": 1}, {"tv_weight": 2}]}
        """)
        #expect(p.swept == ["label", "style_weight", "tv_weight"])
        #expect(p.runs.map { $0.params["label"] } == [.string("weak"), .string("strong"), .string("smooth"), .null])
        // Relabelling keeps every id: the label is not part of the configuration or its hash.
        let relabelled = try plan("""
        {"base": {"content": "c.png", "style": "s.png"},
         "zip": {"label": ["a", "b"], "style_weight": [10, 1e4]},
         "include": [{"label": "c", "tv_weight": 1}, {"tv_weight": 2}]}
        """)
        #expect(relabelled.runs.map(\.id) == p.runs.map(\.id))
        // Two labels for one configuration are still one run twice.
        #expect(throws: SweepError.self) {
            try plan(#"{"base": {"content": "c.png", "style": "s.png"}, "include": [{"label": "a", "size": 64}, {"label": "b", "size": 64}]}"#)
        }
        let bad: [(String, String)] = [
            (#"{"base": {"content": "c.png", "style": "s.png"}, "grid": {"label": ["a", "b"]}}"#, "'grid.label'"),
            (#"{"base": {"content": "c.png", "style": "s.png"}, "include": [{"label": 3, "size": 64}]}"#, "'include[0].label'"),
            (#"{"base": {"content": "c.png", "style": "s.png"}, "zip": {"label": ["a", " "], "size": [64, 96]}}"#, "'zip.label[1]'"),
        ]
        for (json, path) in bad {
            do {
                _ = try plan(json)
                Issue.record("accepted \(json)")
            } catch let error as SweepError {
                #expect(error.description.contains(path), "\(error)")
            }
        }
    }

    @Test func maskAndGuidePathsAreRelativeToTheSweepFile() throws {
        let p = try plan("""
        {"base": {"content": "c.png", "style": ["a.png", "b.png"], "content_mask": "masks/c_map.png",
                  "style_masks": ["masks/a_map.png", null],
                  "regions": [{"content_guide": "masks/cat.png", "style": 1, "style_guide": "/abs/b_sky.png"}]}}
        """)
        let c = p.runs[0].resolved, root = folder.standardizedFileURL.path
        #expect(c.contentMask == root + "/masks/c_map.png")
        #expect(c.styleMasks == [root + "/masks/a_map.png", nil])
        #expect(c.regions[0].contentGuide == root + "/masks/cat.png" && c.regions[0].styleGuide == "/abs/b_sky.png")
        // The configuration that is hashed keeps them as written.
        #expect(p.runs[0].canonical.contentMask == "masks/c_map.png")
        #expect(p.inputFiles.contains(root + "/masks/cat.png") && p.inputFiles.contains(root + "/masks/a_map.png"))
    }
}
