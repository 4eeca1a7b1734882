import ArgumentParser
import Foundation
import NSTGuidance
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

    @Flag(help: "Photorealistic preset (run-config key photorealistic): the photorealism (matting-Laplacian) term and the weights measured for it; other flags and --config keys override its values.")
    var photorealistic = false

    @Option(name: .customLong("set"), help: ArgumentHelp("Set any run-configuration key, e.g. --set photorealism_weight=1e4 (repeatable, applied after the other flags; the value is JSON, else a string).", valueName: "key=value"))
    var set: [String] = []

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
    @Option(help: "Memory budget of the L-BFGS history in MiB; large images keep fewer pairs (default: \(defaults.lbfgsHistoryMiB)).")
    var lbfgsHistoryMib: Int?

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

    // Spatial control (Gatys et al. 2017)
    @Option(help: ArgumentHelp("Colour label map of the content image; each colour is a region (default: none, no spatial control).", valueName: "image"))
    var contentMask: String?
    @Option(help: ArgumentHelp("Label map of a style image, repeated in the order of --style; 'none' for a style without one (default: none).", valueName: "image"))
    var styleMask: [String] = []
    @Option(help: ArgumentHelp("An explicit region, repeatable: comma-separated key=value with keys color or content-guide, style (index), style-color or style-guide, weight, content-weight, e.g. \"color=#00FF00,style=1,style-color=white\" (default: pair the label maps' colours).", valueName: "key=value,…"))
    var region: [String] = []
    @Option(help: "Guide propagation to each layer: simple (default), inside, all, soft or adaptive (see the README's measured comparison).")
    var propagation: String?
    @Option(help: "Erode (k > 0) or dilate (k < 0) the propagated guides by k positions (default: \(defaults.erosion)).")
    var erosion: Int?
    @Option(help: "Feather (blur) every guide by this radius in pixels (default: \(defaults.featherRadius), hard guides).")
    var feather: Double?
    @Option(help: "Default region weights λ_r: uniform or area (default: \(defaults.regionWeighting.rawValue)).")
    var regionWeighting: String?
    @Option(help: ArgumentHelp("Content weight c_r per region, e.g. green=2,#FFFFFF=0.5 (default: 1 everywhere).", valueName: "color=w,…"))
    var contentRegionWeights: String?
    @Option(help: "Label-map colour tolerance, largest per-channel difference (default: \(defaults.maskTolerance)).")
    var maskTolerance: Float?
    @Option(help: "Label-map colours: auto (discovered per map) or deep-photo (the nine deep-photo-styletransfer codes) (default: \(defaults.palette.rawValue)).")
    var palette: String?
    @Option(help: ArgumentHelp("Make the label maps automatically (no --content-mask/--style-mask): --auto-masks alone chooses the number of regions, --auto-masks K asks for K; the maps are written beside the output (default: off).", valueName: "K"))
    var autoMasks: String?

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
            try configuration.checkCollisions(otherInputs: config.map { [("config", $0)] } ?? [])
            try configuration.validate()
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            throw ExitCode.validationFailure
        }
        let weights = try configuration.weights.map { try VGGWeights.load(from: URL(fileURLWithPath: $0)) }
            ?? VGGWeights.loadInstalled()
        let transfer = try StyleTransfer(configuration: configuration, weights: weights, stopFlag: stopFlag)
        for notice in transfer.plan.notices { FileHandle.standardError.write(Data("\(notice)\n".utf8)) }
        let console = ConsoleProgress(printEvery: configuration.printEvery)
        let result = try transfer.run(progress: console.handle)
        withExtendedLifetime(interrupt) {}
        console.finish(result)
        if case .diverged = result.stopReason { throw ExitCode(3) }
        if let placement = try transfer.placement(of: result.image) {
            print("placement of \(result.outputPath) (nst-exp placement; ratio > 1: the region is nearest its own style region):")
            print(placement.table)
        }
    }

    /// `--auto-masks` may stand alone: without a value (end of line or another option next) it means `--auto-masks auto`.
    static func completingAutoMasks(_ arguments: [String]) -> [String] {
        var out: [String] = []
        for (i, a) in arguments.enumerated() {
            out.append(a)
            if a == "--auto-masks", i + 1 == arguments.count || arguments[i + 1].hasPrefix("-") { out.append("auto") }
        }
        return out
    }

    /// Defaults, then the --config file, then the flags given.
    func resolvedConfiguration() throws -> RunConfiguration {
        var c = try config.map { try RunConfiguration.load(from: URL(fileURLWithPath: $0), photorealistic: photorealistic) }
            ?? (photorealistic ? RunConfiguration.photorealisticPreset : RunConfiguration())
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
        if let lbfgsHistoryMib { c.lbfgsHistoryMiB = lbfgsHistoryMib }
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
        try applySpatialOptions(to: &c)
        return try c.setting(set)
    }

    /// The spatial-control flags onto their configuration keys.
    private func applySpatialOptions(to c: inout RunConfiguration) throws {
        if let contentMask { c.contentMask = contentMask }
        if !styleMask.isEmpty { c.styleMasks = styleMask.map { $0 == "none" ? nil : $0 } }
        if !region.isEmpty { c.regions = try region.map(parseRegion) }
        if let propagation {
            guard let mode = PropagationMode(rawValue: propagation) else {
                throw ValidationError("--propagation \(propagation): use " + PropagationMode.allCases.map(\.rawValue).joined(separator: ", "))
            }
            c.propagation = mode
        }
        if let erosion { c.erosion = erosion }
        if let feather { c.featherRadius = feather }
        if let regionWeighting {
            guard let rule = RegionWeighting(rawValue: regionWeighting) else {
                throw ValidationError("--region-weighting \(regionWeighting): use uniform or area")
            }
            c.regionWeighting = rule
        }
        if let contentRegionWeights {
            for entry in names(contentRegionWeights) {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let value = Float(parts[1]) else {
                    throw ValidationError("--content-region-weights: '\(entry)' is not color=weight (e.g. green=2)")
                }
                c.contentRegionWeights[parts[0]] = value
            }
        }
        if let maskTolerance { c.maskTolerance = maskTolerance }
        if let autoMasks {
            guard let value = AutoMaskRegions(parsing: autoMasks) else {
                throw ValidationError("--auto-masks \(autoMasks): give a region count (e.g. 3) or nothing to choose it automatically")
            }
            c.autoMasks = value
        }
        if let palette {
            guard let kind = MaskPalette(rawValue: palette) else {
                throw ValidationError("--palette \(palette): use auto or deep-photo")
            }
            c.palette = kind
        }
    }

    /// `key=value,…` of one --region (keys as in the JSON `regions` entries, with - or _).
    private func parseRegion(_ text: String) throws -> RegionSpec {
        var spec = RegionSpec()
        for entry in names(text) {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw ValidationError("--region: '\(entry)' is not key=value (in '\(text)')") }
            let key = parts[0].replacingOccurrences(of: "-", with: "_"), value = parts[1]
            func number() throws -> Float {
                guard let v = Float(value) else { throw ValidationError("--region: \(parts[0])=\(value) is not a number") }
                return v
            }
            switch key {
            case "color": spec.color = value
            case "content_guide": spec.contentGuide = value
            case "style":
                guard let index = Int(value) else { throw ValidationError("--region: style=\(value) is not a style index (0, 1, …)") }
                spec.style = index
            case "style_color": spec.styleColor = value
            case "style_guide": spec.styleGuide = value
            case "weight": spec.weight = try number()
            case "content_weight": spec.contentWeight = try number()
            default:
                throw ValidationError("--region: unknown key '\(parts[0])'; use color, content-guide, style, style-color, style-guide, weight or content-weight")
            }
        }
        return spec
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
