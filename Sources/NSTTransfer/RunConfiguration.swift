import Foundation
import NSTImage
import NSTGuidance
import NSTNetwork

/// Every option of a style-transfer run, with its default, in one place (JSON keys in snake_case).
///
/// Decoding starts from these defaults and overrides only the keys present; unknown keys are rejected with the
/// nearest valid key. `validate()` checks values, layer names and input files before any work starts.
public struct RunConfiguration: Codable, Equatable, Sendable {
    // MARK: inputs and outputs
    /// Content image path (required).
    public var content: String? = nil
    /// Style image paths, one or more (JSON: a string or a list).
    public var style: [String] = []
    /// Blend weights w_k, one per style image, normalised to sum 1; nil = equal weights.
    public var styleBlend: [Float]? = nil
    /// Final image path (.png or .jpg); snapshots go beside it as `<name>_<iteration>.<ext>`.
    public var output: String = "stylized.png"
    /// VGG-19 weights file; nil = the installed weights (`nst-exp weights install`).
    public var weights: String? = nil

    // MARK: size and schedule
    /// Longest side of the content image in pixels.
    public var size: Int = 512
    /// If set, the content is scaled to about this many pixels instead of using `size`.
    public var pixelCount: Int? = nil
    /// Style image longest side as a factor of the content's longest side.
    public var styleScale: Float = 1
    /// Optimizer iterations (per scale, unless `iterations_per_scale` is given).
    public var iterations: Int = 500
    /// Coarse-to-fine longest sides, e.g. [256, 512]; empty = one scale at `size` / `pixel_count`.
    public var scales: [Int] = []
    /// Iterations at each of `scales`; nil = `iterations` at every scale.
    public var iterationsPerScale: [Int]? = nil

    // MARK: optimizer
    /// L-BFGS (the authors' choice) or Adam.
    public var optimizer: OptimizerKind = .lbfgs
    /// Step size; nil = the optimizer's default (L-BFGS 1, Adam 10).
    public var learningRate: Float? = nil
    /// L-BFGS history size (pairs kept), unless `lbfgsHistoryMiB` allows fewer.
    public var lbfgsHistory: Int = 100
    /// Memory budget of the L-BFGS history in MiB: large images keep fewer pairs (see `LBFGS.history`).
    public var lbfgsHistoryMiB: Int = 768

    // MARK: loss
    /// α, the content weight.
    public var contentWeight: Float = 1
    /// β, the style weight.
    public var styleWeight: Float = 1000
    /// γ, the total-variation weight.
    public var tvWeight: Float = 0
    /// Layers whose activations the content term matches.
    public var contentLayers: [String] = ["relu4_2"]
    /// Layers whose Gram matrices the style term matches.
    public var styleLayers: [String] = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    /// Per-layer overrides of c_l (default 1) and s_l (default 1/N_l²).
    public var layerWeights: LayerWeights = LayerWeights()
    /// Values of the keys that loss terms own (`LossTerms.settings`, e.g. `photorealism_weight`), by key; a key not
    /// here has its term's default. They are top-level JSON keys like the others, encoded only when set.
    public var termSettings: [String: Double] = [:]

    // MARK: set-up
    /// Starting image: content, noise, style or an image path (JSON key `init`).
    public var initialization: Initialization = .content
    /// Seed of the noise initialisation.
    public var seed: UInt64 = 0
    /// Pooling between VGG blocks: "max" or "average" ("avg" accepted).
    public var pooling: Pooling = .max
    /// Colour control: none, luminance or histogram.
    public var preserveColor: ColorPreservation = .none

    // MARK: refinement of the output (GuidedFilter.swift)
    /// Window radius of the guided filter that refines every saved image with the content photo as the guide
    /// (0 = off; the photorealistic preset sets `GuidedFilter.presetRadius`).
    public var guidedFilterRadius: Int = 0
    /// The guided filter's ridge ε (images in [0, 1]); smaller keeps more of the stylized colours' detail.
    public var guidedFilterEpsilon: Double = GuidedFilter.presetEpsilon

    // MARK: spatial control (Gatys et al. 2017, Sec. 3; see SpatialGuidance.swift)
    /// Colour-coded label map for the content image; each colour is a region.
    public var contentMask: String? = nil
    /// One label map per style image, aligned with `style` (JSON: a string or a list; null = no map for that style).
    public var styleMasks: [String?] = []
    /// Explicit regions (content guide, style image and its guide, λ_r); empty = pair the label maps' colours.
    public var regions: [RegionSpec] = []
    /// How guides reach each layer: simple, inside or all; nil = inside with one style image, simple with several.
    public var propagation: PropagationMode? = nil
    /// Extra erosion (k > 0) or dilation (k < 0) of every propagated guide, in positions of each layer.
    public var erosion: Int = 0
    /// Gaussian feathering of every guide, in pixels at the working size (0 = hard guides).
    public var featherRadius: Double = 0
    /// Default λ_r: uniform (1/R) or area (each region's share of the content).
    public var regionWeighting: RegionWeighting = .uniform
    /// c_r per region, keyed by region colour (#RRGGBB or palette name) or mask name; others keep 1.
    public var contentRegionWeights: [String: Float] = [:]
    /// Largest per-channel difference for a label-map pixel to match a colour (0.1 = deep-photo thresholds).
    public var maskTolerance: Float = 0.1
    /// Label-map colours: discovered from each map (auto) or the nine deep-photo-styletransfer codes.
    public var palette: MaskPalette = .auto
    /// Label maps made automatically from the content and style images (`true` or a region count; see AutoMasks.swift).
    public var autoMasks: AutoMaskRegions? = nil

    // MARK: compute
    /// The 3×3 convolution kernel above conv1_1: "im2col", "winograd2" or "winograd4" (`ConvKernel`; they agree to
    /// float rounding, not bitwise).
    public var convKernel: ConvKernel = .standard

    // MARK: presets
    /// The photorealistic preset (`photorealisticPreset`): its values are the defaults of every other key.
    public var photorealistic: Bool = false

    // MARK: reporting
    /// Save a snapshot every N iterations (0 = only the final image).
    public var saveEvery: Int = 0
    /// Loss log CSV path; nil = no log.
    public var log: String? = nil
    /// When stdout is not a terminal, print a progress line every N iterations (0 = none).
    public var printEvery: Int = 10

    /// The defaults.
    public init() {}

    /// Reads the keys present over the defaults (over the photorealistic preset when `photorealistic` is true), in the
    /// order of `table`; unknown keys are refused with the nearest valid key.
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(valid: RunConfiguration.keys)
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        self.init()
        if try c.decodeIfPresent(Bool.self, forKey: AnyCodingKey("photorealistic")) == true { self = RunConfiguration.photorealisticPreset }
        for key in RunConfiguration.table { try key.read(c, &self) }
        for setting in LossTerms.settings {
            if let value = try c.decodeIfPresent(Double.self, forKey: AnyCodingKey(setting.key)) { termSettings[setting.key] = value }
        }
    }

    /// Writes every key of `table` (some only when they differ from the default), then the loss terms' keys that are set.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        for key in RunConfiguration.table { try key.write(self, &c) }
        for setting in LossTerms.settings {
            if let value = termSettings[setting.key] { try c.encode(value, forKey: AnyCodingKey(setting.key)) }
        }
    }

    /// "max", "average" or "avg".
    public static func parsePooling(_ text: String) -> Pooling? { Pooling(commandLine: text) }

    /// Decodes a JSON configuration; errors carry the JSON path (`source` names the file in messages).
    public static func decode(from data: Data, source: String = "<json>") throws -> RunConfiguration {
        do {
            try DuplicateKeyScan.check(data)
            return try JSONDecoder().decode(RunConfiguration.self, from: data)
        } catch let duplicate as DuplicateJSONKey {
            throw ConfigurationError.duplicateKey(source: source, duplicate)
        } catch let error as ConfigurationError {
            throw error
        } catch let error as DecodingError {
            if let syntax = JSONSyntax.firstError(in: data) {
                throw ConfigurationError.unreadableFile(path: source, reason: "not valid JSON: \(syntax)")
            }
            if let problem = integerProblem(in: data) ?? floatProblem(in: data) { throw problem }
            throw ConfigurationError(decodingError: error, source: source)
        } catch {
            throw ConfigurationError.unreadableFile(path: source, reason: error.localizedDescription)
        }
    }

    /// Reads and decodes a JSON configuration file; `photorealistic` as if the file said `"photorealistic": true`.
    public static func load(from url: URL, photorealistic: Bool = false) throws -> RunConfiguration {
        var data: Data
        do {
            data = try FileIO.read(url.path)
        } catch let error as FileIOError {
            throw ConfigurationError.unreadableFile(path: url.path, reason: error.reason)
        }
        if photorealistic, var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
            object["photorealistic"] = true
            data = (try? JSONSerialization.data(withJSONObject: object)) ?? data
        }
        return try decode(from: data, source: url.path)
    }

    /// The learning rate in effect (explicit, or the optimizer's default).
    public var effectiveLearningRate: Float { learningRate ?? optimizer.defaultLearningRate }

    /// L-BFGS pairs kept when optimising `variables` floats: `lbfgs_history` capped by `lbfgs_history_mib`.
    public func effectiveLBFGSHistory(variables: Int) -> Int {
        LBFGS.history(requested: lbfgsHistory, budgetMiB: lbfgsHistoryMiB, variables: variables)
    }

    /// The L-BFGS optimizer this configuration asks for, on `variables` floats (history within the budget).
    public func makeLBFGS(variables: Int, objective: @escaping Objective) -> LBFGS {
        LBFGS(history: effectiveLBFGSHistory(variables: variables), learningRate: effectiveLearningRate, objective: objective)
    }

    /// Iterations at each scale, in order.
    public var scheduledIterations: [Int] {
        // One scale: `iterations_per_scale` may give its one count (checked to have one entry), as with --scales.
        if scales.isEmpty { return iterationsPerScale ?? [iterations] }
        return iterationsPerScale ?? Array(repeating: iterations, count: scales.count)
    }
}

/// How the optimisation starts.
public enum Initialization: Codable, Equatable, Sendable, CustomStringConvertible {
    /// From the content image (default; Gatys et al. start from noise, but the authors' code and most
    /// reimplementations start from the content, which converges in far fewer iterations).
    case content
    /// From uniform RGB noise in 0…1, drawn with SplitMix64 from `seed`.
    case noise
    /// From the first style image, resized to the content's size.
    case style
    /// From an image file, resized to the content's size.
    case image(path: String)

    /// Parses "content", "noise", "style" or else treats the text as an image path.
    public init(_ text: String) {
        switch text {
        case "content": self = .content
        case "noise": self = .noise
        case "style": self = .style
        default: self = .image(path: text)
        }
    }

    public var description: String {
        switch self {
        case .content: return "content"
        case .noise: return "noise"
        case .style: return "style"
        case .image(let path): return path
        }
    }

    public init(from decoder: Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Per-layer overrides of the loss weights: c_l for content layers, s_l for style layers (JSON:
/// `{"content": {"relu4_2": 1}, "style": {"relu1_1": 0.0005}}`). The value replaces the default
/// (c_l = 1, s_l = 1/N_l²) and is still multiplied by α or β.
public struct LayerWeights: Codable, Equatable, Sendable {
    /// Content-layer name → c_l.
    public var content: [String: Float] = [:]
    /// Style-layer name → s_l.
    public var style: [String: Float] = [:]

    /// No overrides.
    public init(content: [String: Float] = [:], style: [String: Float] = [:]) {
        self.content = content
        self.style = style
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case content, style }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(valid: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        content = try c.decodeIfPresent([String: Float].self, forKey: .content) ?? [:]
        style = try c.decodeIfPresent([String: Float].self, forKey: .style) ?? [:]
    }

    /// True when nothing is overridden.
    public var isEmpty: Bool { content.isEmpty && style.isEmpty }

    /// These overrides with the command-line entries of `text` added: `role.layer=w` (role content or style), or a
    /// bare `layer=w` that takes the role the layer has in `contentLayers` / `styleLayers`.
    public func merging(parsing text: String, contentLayers: [String], styleLayers: [String]) throws -> LayerWeights {
        var result = self
        for entry in CommandLineText.entries(text) {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Float(parts[1]) else {
                throw ConfigurationError.invalidValue(key: "--layer-weights", value: entry,
                                                      hint: "write role.layer=weight, e.g. style.relu1_1=0.0005")
            }
            var role: String, layer: String
            if parts[0].hasPrefix("content.") || parts[0].hasPrefix("style.") {
                let split = parts[0].split(separator: ".", maxSplits: 1).map(String.init)
                role = split[0]; layer = split.count > 1 ? split[1] : ""
            } else {
                layer = parts[0]
                let inContent = contentLayers.contains(layer), inStyle = styleLayers.contains(layer)
                guard inContent != inStyle else {
                    throw ConfigurationError.invalidValue(key: "--layer-weights", value: entry,
                        hint: "'\(layer)' is \(inContent ? "both a content and a style layer" : "in neither layer list"); "
                            + "write content.\(layer)=… or style.\(layer)=…")
                }
                role = inContent ? "content" : "style"
            }
            if role == "content" { result.content[layer] = value } else { result.style[layer] = value }
        }
        return result
    }
}

extension ConfigurationError {
    /// Foundation's decoding errors as configuration errors with a JSON path (`DecodingError.problem`).
    init(decodingError: DecodingError, source: String) {
        let path = decodingError.jsonPath
        if path.isEmpty, case .dataCorrupted = decodingError {
            self = .unreadableFile(path: source, reason: decodingError.problem)
        } else {
            self = .malformed(path: path.isEmpty ? "(top level)" : path, detail: decodingError.problem)
        }
    }
}
