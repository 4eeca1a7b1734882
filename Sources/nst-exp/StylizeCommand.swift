import ArgumentParser
import Foundation
import NSTNetwork
import NSTTransfer

/// `nst-exp stylize`: a thin wrapper that maps flags onto `RunConfiguration` keys and runs `StyleTransfer`.
struct StylizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Gatys et al. 2016 style transfer: optimise an image to match content and style features of VGG-19.",
        discussion: """
            Every flag sets the run-configuration key of the same name in snake_case (--style-weight → style_weight). \
            --config FILE.json loads a configuration first; flags given on the command line override it. \
            Ctrl-C stops after the current iteration and still writes the image and the log. \
            Exit status: 0 completed or interrupted, 64 bad input, 3 the loss diverged (the last good image is written).
            """)

    private static let defaults = RunConfiguration()
    private static func list<T>(_ values: [T]) -> String { values.map { "\($0)" }.joined(separator: ",") }

    @Option(help: ArgumentHelp("Run configuration JSON (snake_case keys); flags override its values.", valueName: "file"))
    var config: String?

    @Flag(help: "Print the resolved configuration as JSON and exit without running.")
    var printConfig = false

    // Inputs and outputs
    @Option(help: ArgumentHelp("Content image (required).", valueName: "image"))
    var content: String?
    @Option(help: ArgumentHelp("Style image; repeat for several styles (required).", valueName: "image"))
    var style: [String] = []
    @Option(help: ArgumentHelp("Blend weights, one per style, e.g. 0.7,0.3 (default: equal).", valueName: "w1,w2,…"))
    var styleBlend: String?
    @Option(help: ArgumentHelp("Output image, .png or .jpg (default: \(defaults.output)).", valueName: "image"))
    var output: String?
    @Option(help: ArgumentHelp("VGG-19 safetensors file (default: the installed weights).", valueName: "file"))
    var weights: String?

    // Size and schedule
    @Option(help: "Longest side of the content image in pixels (default: \(defaults.size)).")
    var size: Int?
    @Option(help: "Scale the content to about this many pixels instead of --size (default: unset).")
    var pixelCount: Int?
    @Option(help: "Style size as a factor of the content's longest side (default: \(defaults.styleScale)).")
    var styleScale: Float?
    @Option(help: "Iterations (per scale) (default: \(defaults.iterations)).")
    var iterations: Int?
    @Option(help: ArgumentHelp("Coarse-to-fine longest sides, e.g. 256,512 (default: one scale at --size).", valueName: "s1,s2,…"))
    var scales: String?
    @Option(help: ArgumentHelp("Iterations at each scale, e.g. 300,100 (default: --iterations each).", valueName: "n1,n2,…"))
    var iterationsPerScale: String?

    // Optimizer
    @Option(help: "lbfgs or adam (default: \(defaults.optimizer.rawValue)).")
    var optimizer: String?
    @Option(help: "Step size (default: \(OptimizerKind.lbfgs.defaultLearningRate) for lbfgs, \(OptimizerKind.adam.defaultLearningRate) for adam).")
    var learningRate: Float?
    @Option(help: "L-BFGS history size (default: \(defaults.lbfgsHistory)).")
    var lbfgsHistory: Int?

    // Weights
    @Option(help: "Content weight α (default: \(defaults.contentWeight)).")
    var contentWeight: Float?
    @Option(help: "Style weight β (default: \(defaults.styleWeight)).")
    var styleWeight: Float?
    @Option(help: "Total-variation weight γ (default: \(defaults.tvWeight)).")
    var tvWeight: Float?

    // Layers
    @Option(help: ArgumentHelp("Content layers (default: \(list(defaults.contentLayers))).", valueName: "l1,l2,…"))
    var contentLayers: String?
    @Option(help: ArgumentHelp("Style layers (default: \(list(defaults.styleLayers))).", valueName: "l1,l2,…"))
    var styleLayers: String?
    @Option(help: ArgumentHelp("Per-layer weight overrides, e.g. style.relu1_1=0.0005,content.relu4_2=1 (a bare layer name works if it has one role) (default: c_l = 1, s_l = 1/N_l²).", valueName: "role.layer=w,…"))
    var layerWeights: String?

    // Init and seed
    @Option(name: .customLong("init"), help: ArgumentHelp("content, noise, style or an image path (default: \(defaults.initialization)).", valueName: "content|noise|style|path"))
    var initialization: String?
    @Option(help: "Seed of the noise initialisation (default: \(defaults.seed)).")
    var seed: UInt64?

    // Other
    @Option(help: "max or avg (default: \(defaults.pooling.rawValue)).")
    var pooling: String?
    @Option(help: "none, luminance or histogram (default: \(defaults.preserveColor.rawValue)).")
    var preserveColor: String?
    @Option(help: "Save a snapshot every N iterations, 0 = off (default: \(defaults.saveEvery)).")
    var saveEvery: Int?
    @Option(help: ArgumentHelp("Loss log CSV path (default: none).", valueName: "file"))
    var log: String?
    @Option(help: "Without a terminal, print a progress line every N iterations (default: \(defaults.printEvery)).")
    var printEvery: Int?

    func run() throws {
        let stopFlag = StopFlag()
        let interrupt = InterruptHandler(stopFlag: stopFlag) {
            FileHandle.standardError.write(Data("\nstopping after this iteration (Ctrl-C again to abort)…\n".utf8))
        }
        let configuration: RunConfiguration
        do {
            configuration = try resolvedConfiguration()
            if printConfig {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(configuration), as: UTF8.self))
                return
            }
            try configuration.validate()
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            throw ExitCode.validationFailure
        }
        let weights = try configuration.weights.map { try VGGWeights.load(from: URL(fileURLWithPath: $0)) }
            ?? VGGWeights.loadInstalled()
        let transfer = try StyleTransfer(configuration: configuration, weights: weights, stopFlag: stopFlag)
        let console = ConsoleProgress(printEvery: configuration.printEvery)
        let result = try transfer.run(progress: console.handle)
        withExtendedLifetime(interrupt) {}
        console.finish(result)
        if case .diverged = result.stopReason { throw ExitCode(3) }
    }

    /// Defaults, then the --config file, then the flags given.
    func resolvedConfiguration() throws -> RunConfiguration {
        var c = try config.map { try RunConfiguration.load(from: URL(fileURLWithPath: $0)) } ?? RunConfiguration()
        if let content { c.content = content }
        if !style.isEmpty { c.style = style }
        if let styleBlend { c.styleBlend = try numbers(styleBlend, key: "style-blend") }
        if let output { c.output = output }
        if let weights { c.weights = weights }
        if let size { c.size = size }
        if let pixelCount { c.pixelCount = pixelCount }
        if let styleScale { c.styleScale = styleScale }
        if let iterations { c.iterations = iterations }
        if let scales { c.scales = try integers(scales, key: "scales") }
        if let iterationsPerScale { c.iterationsPerScale = try integers(iterationsPerScale, key: "iterations-per-scale") }
        if let optimizer {
            guard let kind = OptimizerKind(rawValue: optimizer) else {
                throw ValidationError("--optimizer \(optimizer): use lbfgs or adam")
            }
            c.optimizer = kind
        }
        if let learningRate { c.learningRate = learningRate }
        if let lbfgsHistory { c.lbfgsHistory = lbfgsHistory }
        if let contentWeight { c.contentWeight = contentWeight }
        if let styleWeight { c.styleWeight = styleWeight }
        if let tvWeight { c.tvWeight = tvWeight }
        if let contentLayers { c.contentLayers = names(contentLayers) }
        if let styleLayers { c.styleLayers = names(styleLayers) }
        if let layerWeights { c.layerWeights = try parseLayerWeights(layerWeights, configuration: c) }
        if let initialization { c.initialization = Initialization(initialization) }
        if let seed { c.seed = seed }
        if let pooling {
            guard let kind = RunConfiguration.parsePooling(pooling) else {
                throw ValidationError("--pooling \(pooling): use max or avg")
            }
            c.pooling = kind
        }
        if let preserveColor {
            guard let mode = ColorPreservation(rawValue: preserveColor) else {
                throw ValidationError("--preserve-color \(preserveColor): use none, luminance or histogram")
            }
            c.preserveColor = mode
        }
        if let saveEvery { c.saveEvery = saveEvery }
        if let log { c.log = log }
        if let printEvery { c.printEvery = printEvery }
        return c
    }

    private func names(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private func numbers(_ text: String, key: String) throws -> [Float] {
        try names(text).map {
            guard let value = Float($0) else { throw ValidationError("--\(key): '\($0)' is not a number (expected e.g. 0.7,0.3)") }
            return value
        }
    }

    private func integers(_ text: String, key: String) throws -> [Int] {
        try names(text).map {
            guard let value = Int($0) else { throw ValidationError("--\(key): '\($0)' is not an integer (expected e.g. 256,512)") }
            return value
        }
    }

    /// `role.layer=w` entries (role content or style); a bare `layer=w` takes the role the layer has.
    private func parseLayerWeights(_ text: String, configuration c: RunConfiguration) throws -> LayerWeights {
        var result = c.layerWeights
        for entry in names(text) {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Float(parts[1]) else {
                throw ValidationError("--layer-weights: '\(entry)' is not role.layer=weight (e.g. style.relu1_1=0.0005)")
            }
            var role: String, layer: String
            if parts[0].hasPrefix("content.") || parts[0].hasPrefix("style.") {
                let split = parts[0].split(separator: ".", maxSplits: 1).map(String.init)
                role = split[0]; layer = split[1]
            } else {
                layer = parts[0]
                let inContent = c.contentLayers.contains(layer), inStyle = c.styleLayers.contains(layer)
                guard inContent != inStyle else {
                    throw ValidationError("--layer-weights: '\(layer)' is \(inContent ? "both a content and a style layer" : "in neither layer list"); write content.\(layer)=… or style.\(layer)=…")
                }
                role = inContent ? "content" : "style"
            }
            if role == "content" { result.content[layer] = value } else { result.style[layer] = value }
        }
        return result
    }
}
