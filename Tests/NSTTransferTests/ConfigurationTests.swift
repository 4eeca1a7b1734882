import Foundation
import NSTImage
import NSTNetwork
import Testing
@testable import NSTTransfer
import NSTTestSupport

@Suite("Run configuration")
struct ConfigurationTests {
    func decode(_ json: String) throws -> RunConfiguration {
        try RunConfiguration.decode(from: Data(json.utf8), source: "test.json")
    }

    func validConfig() -> RunConfiguration {
        var config = RunConfiguration()
        config.content = exampleImage("content/coffee.png")   // 600×400
        config.style = [exampleImage("styles/ihc.png")]        // 512×512
        config.output = FileManager.default.temporaryDirectory.appendingPathComponent("x.png").path
        return config
    }

    @Test("an empty object gives the documented defaults; encoding round-trips")
    func defaults() throws {
        let config = try decode("{}")
        #expect(config == RunConfiguration())
        #expect(config.styleWeight == 1000 && config.contentWeight == 1 && config.tvWeight == 0)
        #expect(config.contentLayers == ["relu4_2"] && config.styleLayers.count == 5 && config.lbfgsHistory == 100)
        var custom = validConfig()
        custom.styleBlend = [1]
        custom.initialization = .image(path: "/tmp/a.png")
        custom.pooling = .average
        custom.layerWeights.style["relu1_1"] = 0.5
        let again = try RunConfiguration.decode(from: try JSONEncoder().encode(custom))
        #expect(again == custom)
    }

    @Test("snake_case keys, single-string style, init path, avg pooling")
    func keys() throws {
        let config = try decode("""
            {"content": "c.jpg", "style": "s.jpg", "style_blend": [1], "tv_weight": 2, "init": "start.png",
             "pooling": "avg", "preserve_color": "luminance", "scales": [128, 256], "iterations_per_scale": [10, 5],
             "layer_weights": {"style": {"relu1_1": 0.25}}, "optimizer": "adam", "learning_rate": 3, "seed": 9}
            """)
        #expect(config.style == ["s.jpg"] && config.styleBlend == [1] && config.tvWeight == 2)
        #expect(config.initialization == .image(path: "start.png") && config.pooling == .average)
        #expect(config.preserveColor == .luminance && config.scheduledIterations == [10, 5])
        #expect(config.layerWeights.style == ["relu1_1": 0.25] && config.optimizer == .adam && config.effectiveLearningRate == 3)
        // One scale (no `scales`): its one count in iterations_per_scale is used, not dropped for `iterations`.
        var single = RunConfiguration()
        single.iterationsPerScale = [2]
        #expect(single.scheduledIterations == [2])
    }

    @Test("unknown keys are rejected with their JSON path and the nearest valid key")
    func unknownKeys() {
        #expect(throws: ConfigurationError.unknownKey(path: "style_wieght", suggestion: "style_weight")) {
            try decode(#"{"style_wieght": 5}"#)
        }
        #expect(throws: ConfigurationError.unknownKey(path: "layer_weights.stlye", suggestion: "style")) {
            try decode(#"{"layer_weights": {"stlye": {}}}"#)
        }
    }

    @Test("wrong JSON types and enum values name the key")
    func malformed() throws {
        do {
            _ = try decode(#"{"iterations": "many"}"#)
            Issue.record("decoded a string as iterations")
        } catch let error as ConfigurationError {
            guard case .malformed(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == "iterations")
        }
        #expect(throws: ConfigurationError.invalidValue(key: "optimizer", value: "\"sgd\"", hint: "use one of \"lbfgs\", \"adam\"")) {
            try decode(#"{"optimizer": "sgd"}"#)
        }
        #expect(throws: ConfigurationError.self) { try decode("{not json") }
    }

    @Test("validation accepts a good configuration and resolves the plan")
    func plan() throws {
        var config = validConfig()
        config.scales = [64, 128]
        config.styleScale = 0.5
        let plan = try config.plan()
        #expect(plan.stages.map(\.width) == [64, 128] && plan.stages.map(\.height) == [43, 85])
        #expect(plan.stages.map(\.styleLongestSide) == [32, 64])
        #expect(plan.requestedLayers.map(\.description) == ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"])
        config.scales = []
        config.pixelCount = 4800   // factor √(4800 / 240000): 84.9 × 56.6
        #expect(try config.plan().stages.map { $0.width * $0.height } == [85 * 57])
    }

    func expectError(_ config: RunConfiguration, contains fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try config.validate()
            Issue.record("validation passed", sourceLocation: sourceLocation)
        } catch {
            let text = "\(error)"
            for fragment in fragments { #expect(text.contains(fragment), "\(text)", sourceLocation: sourceLocation) }
        }
    }

    @Test("missing and corrupt images are reported with the key and the path")
    func badImages() throws {
        var config = validConfig()
        config.content = "/nonexistent/photo.jpg"
        expectError(config, contains: ["'content'", "/nonexistent/photo.jpg", "not found"])
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let truncated = folder.appendingPathComponent("truncated.jpg")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: exampleImage("styles/hubble_deep_field.jpg")))
        try bytes.prefix(600).write(to: truncated)
        config = validConfig()
        config.style = [exampleImage("styles/ihc.png"), truncated.path]
        expectError(config, contains: ["style[1]", "truncated.jpg"])
        let text = folder.appendingPathComponent("notes.png")
        try Data("hello".utf8).write(to: text)
        config = validConfig()
        config.initialization = .image(path: text.path)
        expectError(config, contains: ["'init'", "notes.png", "neither PNG nor JPEG"])
        config = validConfig()
        config.content = nil
        expectError(config, contains: ["'content' is required"])
    }

    @Test("unknown layers get the nearest valid name")
    func unknownLayer() {
        var config = validConfig()
        config.styleLayers = ["relu1_1", "relu9_1"]
        expectError(config, contains: ["style_layers", "relu9_1", "did you mean"])
        config = validConfig()
        config.contentLayers = ["rleu4_2"]
        expectError(config, contains: ["content_layers", "'relu4_2'"])
        config = validConfig()
        config.layerWeights.style = ["relu4_2": 1]
        expectError(config, contains: ["layer_weights.style.relu4_2", "not one of the style_layers"])
    }

    @Test("negative or NaN weights are refused")
    func badWeights() {
        var config = validConfig()
        config.styleWeight = -1
        expectError(config, contains: ["'style_weight' = -1.0", "finite and ≥ 0"])
        config = validConfig()
        config.tvWeight = .nan
        expectError(config, contains: ["'tv_weight' = nan"])
        config = validConfig()
        config.layerWeights.content = ["relu4_2": -.infinity]
        expectError(config, contains: ["layer_weights.content.relu4_2"])
    }

    @Test("the blend needs one finite non-negative weight per style")
    func blend() throws {
        var config = validConfig()
        config.styleBlend = [0.7, 0.3]
        expectError(config, contains: ["style_blend", "1 styles, 2 weights"])
        config.style.append(exampleImage("styles/hubble_deep_field.jpg"))
        #expect(try config.plan().blend == [0.7, 0.3])
        config.styleBlend = [0, 0]
        expectError(config, contains: ["not all zero"])
    }

    @Test("schedule and output checks")
    func schedule() {
        var config = validConfig()
        config.scales = [64, 128]
        config.iterationsPerScale = [10]
        expectError(config, contains: ["iterations_per_scale", "one count per scale"])
        config = validConfig()
        config.size = 8
        expectError(config, contains: ["'size' = 8"])
        config = validConfig()
        config.output = "/tmp/out.gif"
        expectError(config, contains: ["'output'", ".png or .jpg"])
        config = validConfig()
        config.log = "/nonexistent-folder/log.csv"
        expectError(config, contains: ["'log'", "does not exist"])
        config = validConfig()
        config.size = 24
        config.styleScale = 0.5   // ihc.png at 12×12 cannot reach relu5_1
        expectError(config, contains: ["'style_scale' = 0.5", "12×12", "relu5_1"])
        config = validConfig()
        config.learningRate = 0
        expectError(config, contains: ["learning_rate"])
    }
}
