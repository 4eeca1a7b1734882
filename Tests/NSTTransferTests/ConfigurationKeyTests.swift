import Foundation
import Testing
@testable import NSTTransfer

@Suite("Run-configuration key table and command line")
struct ConfigurationKeyTests {
    /// The JSON object that `configuration` encodes to.
    func object(_ configuration: RunConfiguration) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(configuration)) as? [String: Any] ?? [:]
    }

    @Test("names, flags and JSON keys are unique; every key decodes what it encodes")
    func tableIsConsistent() throws {
        let names = RunConfiguration.table.map(\.name), flags = RunConfiguration.table.compactMap(\.flag)
        #expect(Set(names).count == names.count)
        #expect(Set(flags).count == flags.count)
        #expect(flags.allSatisfy { $0.hasPrefix("--") && !$0.contains("_") })
        #expect(RunConfiguration.keys == names + LossTerms.settings.map(\.key))
        // A configuration that sets every key away from its default encodes every key and decodes to itself.
        var c = RunConfiguration()
        c.content = "c.png"; c.style = ["a.png", "b.png"]; c.styleBlend = [0.25, 0.75]; c.output = "o.jpg"; c.weights = "w.safetensors"
        c.size = 300; c.pixelCount = 9000; c.styleScale = 0.5; c.iterations = 3; c.scales = [64, 128]; c.iterationsPerScale = [2, 1]
        c.optimizer = .adam; c.learningRate = 2; c.lbfgsHistory = 5; c.lbfgsHistoryMiB = 64
        c.contentWeight = 2; c.styleWeight = 3; c.tvWeight = 4; c.contentLayers = ["relu3_1"]; c.styleLayers = ["relu1_1"]
        c.layerWeights = LayerWeights(content: ["relu3_1": 2], style: ["relu1_1": 0.5])
        c.initialization = .noise; c.seed = 9; c.pooling = .average; c.preserveColor = .histogram
        c.saveEvery = 2; c.log = "l.csv"; c.printEvery = 0
        c.contentMask = "m.png"; c.styleMasks = ["s.png", nil]; c.regions = [try RegionSpec(parsing: "color=red")]
        c.propagation = .all; c.erosion = -1; c.featherRadius = 2; c.regionWeighting = .area
        c.contentRegionWeights = ["red": 2]; c.maskTolerance = 0.2; c.palette = .deepPhoto; c.photorealistic = true
        c.autoMasks = .count(3); c.convKernel = .im2col; c.guidedFilterRadius = 3; c.guidedFilterEpsilon = 1e-5
        c.termSettings = RunConfiguration.photorealisticPreset.termSettings   // the preset sets them when decoded
        #expect(Set(try object(c).keys) == Set(names).union(c.termSettings.keys))
        #expect(try RunConfiguration.decode(from: JSONEncoder().encode(c)) == c)
        // The defaults leave out the keys written only when set.
        let defaults = try object(RunConfiguration())
        #expect(defaults["lbfgs_history_mib"] == nil && defaults["erosion"] == nil && defaults["photorealistic"] == nil)
        #expect(defaults["size"] as? Int == 512 && defaults["pooling"] as? String == "max")
    }

    @Test("path and integer keys derive from the table; loss terms and input paths name table keys")
    func derivedLists() throws {
        for kind in LossTerms.registered {
            #expect(kind.keys.allSatisfy { RunConfiguration.key(named: $0) != nil }, "\(kind.name) reads \(kind.keys)")
        }
        var c = RunConfiguration()
        c.content = "c.png"; c.style = ["s.png"]; c.initialization = .image(path: "i.png"); c.contentMask = "m.png"
        c.styleMasks = ["t.png"]; c.regions = [try RegionSpec(parsing: "content-guide=g.png,style-guide=h.png")]
        let roles = Set(c.inputPaths.map { String($0.role.prefix { $0 != "[" && $0 != "." }) })
        #expect(roles == Set(RunConfiguration.pathKeys))
        #expect(RunConfiguration.pathKeys == ["content", "style", "weights", "init", "content_mask", "style_masks", "regions"])
        #expect(RunConfiguration.integerKeys == ["size", "pixel_count", "iterations", "scales", "iterations_per_scale", "lbfgs_history",
                                                 "lbfgs_history_mib", "seed", "guided_filter_radius", "save_every", "print_every", "erosion"])
    }

    @Test("duplicate keys are refused with the file and the key")
    func duplicateKeys() {
        #expect(throws: ConfigurationError.self) { try RunConfiguration.decode(from: Data(#"{"size": 1, "size": 2}"#.utf8)) }
        do {
            _ = try RunConfiguration.decode(from: Data(#"{"size": 1, "size": 2}"#.utf8), source: "run.json")
        } catch {
            #expect("\(error)".contains("run.json") && "\(error)".contains("size"))
        }
    }

    @Test("every key option sets its key as the JSON key would")
    func optionsSetKeys() throws {
        let line = ["--content", "c.png", "--style", "a.png", "--style", "b.png", "--style-blend", "0.25,0.75", "--size=300",
                    "--erosion", "-1", "--scales", "64,128", "--optimizer", "adam", "--pooling", "avg", "--init", "noise",
                    "--feather", "2", "--style-mask", "s.png", "--style-mask", "none", "--region", "color=red,style-color=blue",
                    "--content-region-weights", "red=2,blue=3", "--auto-masks", "--propagation", "all"]
        let c = try RunConfiguration().applying(commandLine: line)
        let json = #"""
            {"content": "c.png", "style": ["a.png", "b.png"], "style_blend": [0.25, 0.75], "size": 300, "erosion": -1,
             "scales": [64, 128], "optimizer": "adam", "pooling": "avg", "init": "noise", "feather_radius": 2,
             "style_masks": ["s.png", null], "regions": [{"color": "red", "style_color": "blue"}],
             "content_region_weights": {"red": 2, "blue": 3}, "auto_masks": true, "propagation": "all"}
            """#
        #expect(c == (try RunConfiguration.decode(from: Data(json.utf8))))
        // The last occurrence of a single-valued option counts.
        #expect(try RunConfiguration().applying(commandLine: ["--size", "64", "--size", "128"]).size == 128)
    }

    @Test("values are joined to their options, so negative numbers and bare options work")
    func joining() throws {
        let joined = RunConfiguration.joiningOptionValues(["stylize", "--erosion", "-2", "--auto-masks", "--config", "x.json",
                                                            "--size", "64", "--auto-masks", "3", "--print-config"])
        #expect(joined == ["stylize", "--erosion=-2", "--auto-masks=auto", "--config", "x.json", "--size=64", "--auto-masks=3",
                           "--print-config"])
        #expect(RunConfiguration.joiningOptionValues(["--auto-masks"]) == ["--auto-masks=auto"])
        #expect(RunConfiguration.joiningOptionValues(["--size"]) == ["--size"])
    }

    @Test("a bad option or value names the option and the fix")
    func refusals() {
        func message(_ line: [String]) -> String {
            do { _ = try RunConfiguration().applying(commandLine: line, otherOptions: ["--config"]); return "" } catch { return "\(error)" }
        }
        #expect(message(["--sise", "3"]).contains("Did you mean '--size'?"))
        #expect(message(["--confg", "x"]).contains("'--config'"))
        #expect(message(["--size", "abc"]).contains("'--size' = abc") && message(["--size", "abc"]).contains("an integer"))
        #expect(message(["--size"]).contains("give a value"))
        #expect(message(["stray"]).contains("every value follows its option"))
        #expect(message(["--optimizer", "sgd"]).contains(#""lbfgs", "adam""#))
        #expect(message(["--scales", "64,x"]).contains("each entry an integer"))
        #expect(message(["--content-region-weights", "red"]).contains("color=weight"))
        #expect(message(["--auto-masks", "x"]).contains("region count"))
    }

    @Test("--region: keys with - or _, numbers and indices checked")
    func regions() throws {
        let spec = try RegionSpec(parsing: "content-guide=g.png, style=1, style_guide=h.png, weight=0.5, content-weight=2")
        #expect(spec.contentGuide == "g.png" && spec.style == 1 && spec.styleGuide == "h.png" && spec.weight == 0.5 && spec.contentWeight == 2)
        #expect(try RegionSpec(parsing: "color=#00FF00,style-color=white").styleColor == "white")
        for (text, mention) in [("foo", "key=value"), ("style=x", "style index"), ("weight=w", "number"), ("bogus=1", "unknown key 'bogus'")] {
            #expect(throws: ConfigurationError.self) { try RegionSpec(parsing: text) }
            do { _ = try RegionSpec(parsing: text) } catch { #expect("\(error)".contains(mention)) }
        }
    }

    @Test("--layer-weights: roles, bare names by their role, and merging")
    func layerWeights() throws {
        let base = LayerWeights(content: ["relu4_2": 3])
        let merged = try base.merging(parsing: "style.relu1_1=0.5,relu2_1=2", contentLayers: ["relu4_2"], styleLayers: ["relu1_1", "relu2_1"])
        #expect(merged == LayerWeights(content: ["relu4_2": 3], style: ["relu1_1": 0.5, "relu2_1": 2]))
        #expect(try base.merging(parsing: "relu4_2=1", contentLayers: ["relu4_2"], styleLayers: []).content["relu4_2"] == 1)
        #expect(throws: ConfigurationError.self) { try base.merging(parsing: "relu4_2=1", contentLayers: ["relu4_2"], styleLayers: ["relu4_2"]) }
        #expect(throws: ConfigurationError.self) { try base.merging(parsing: "relu9_9=1", contentLayers: [], styleLayers: []) }
        #expect(throws: ConfigurationError.self) { try base.merging(parsing: "style.relu1_1=x", contentLayers: [], styleLayers: []) }
        // The layer lists in effect are the ones the same command line sets.
        let c = try RunConfiguration().applying(commandLine: ["--layer-weights", "relu3_1=2", "--style-layers", "relu3_1"])
        #expect(c.layerWeights.style == ["relu3_1": 2])
    }

    @Test("help lists every option with its default")
    func help() {
        let help = RunConfiguration.commandLineHelp()
        for key in RunConfiguration.table {
            guard let flag = key.flag else { continue }
            #expect(help.contains("  \(flag) <"))
        }
        #expect(help.contains("(default: 512)") && help.contains("(default: lbfgs)"))
        #expect(help.split(separator: "\n").allSatisfy { $0.count <= 80 })
    }
}
