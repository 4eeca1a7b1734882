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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case content, style, styleBlend = "style_blend", output, weights
        case size, pixelCount = "pixel_count", styleScale = "style_scale", iterations, scales
        case iterationsPerScale = "iterations_per_scale"
        case optimizer, learningRate = "learning_rate", lbfgsHistory = "lbfgs_history"
        case lbfgsHistoryMiB = "lbfgs_history_mib"
        case contentWeight = "content_weight", styleWeight = "style_weight", tvWeight = "tv_weight"
        case contentLayers = "content_layers", styleLayers = "style_layers", layerWeights = "layer_weights"
        case initialization = "init", seed, pooling, preserveColor = "preserve_color"
        case saveEvery = "save_every", log, printEvery = "print_every"
        case contentMask = "content_mask", styleMasks = "style_masks", regions, propagation, erosion
        case featherRadius = "feather_radius", regionWeighting = "region_weighting"
        case contentRegionWeights = "content_region_weights", maskTolerance = "mask_tolerance", palette
        case photorealistic
        case autoMasks = "auto_masks"
        case convKernel = "conv_kernel"
    }

    /// Every JSON key, in declaration order, then the keys loss terms own.
    public static let keys: [String] = CodingKeys.allCases.map(\.rawValue) + LossTerms.settings.map(\.key)

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(valid: RunConfiguration.keys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        if try c.decodeIfPresent(Bool.self, forKey: .photorealistic) == true { self = RunConfiguration.photorealisticPreset }
        func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
            if let decoded = try c.decodeIfPresent(T.self, forKey: key) { value = decoded }
        }
        func readOptional<T: Decodable>(_ key: CodingKeys, _ value: inout T?) throws {
            if c.contains(key) { value = try c.decodeIfPresent(T.self, forKey: key) }
        }
        func readEnum<T: RawRepresentable & CaseIterable>(_ key: CodingKeys, _ value: inout T) throws where T.RawValue == String {
            guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return }
            guard let parsed = T(rawValue: text) else {
                throw ConfigurationError.invalidValue(key: key.rawValue, value: "\"\(text)\"",
                    hint: "use one of " + T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
            }
            value = parsed
        }
        try readOptional(.content, &content)
        if c.contains(.style) {
            if let single = try? c.decode(String.self, forKey: .style) {
                style = [single]
            } else {
                style = try c.decode([String].self, forKey: .style)
            }
        }
        try readOptional(.styleBlend, &styleBlend)
        try read(.output, &output)
        try readOptional(.weights, &weights)
        try read(.size, &size)
        try readOptional(.pixelCount, &pixelCount)
        try read(.styleScale, &styleScale)
        try read(.iterations, &iterations)
        try read(.scales, &scales)
        try readOptional(.iterationsPerScale, &iterationsPerScale)
        try readEnum(.optimizer, &optimizer)
        try readOptional(.learningRate, &learningRate)
        try read(.lbfgsHistory, &lbfgsHistory)
        try read(.lbfgsHistoryMiB, &lbfgsHistoryMiB)
        try read(.contentWeight, &contentWeight)
        try read(.styleWeight, &styleWeight)
        try read(.tvWeight, &tvWeight)
        try read(.contentLayers, &contentLayers)
        try read(.styleLayers, &styleLayers)
        try read(.layerWeights, &layerWeights)
        try read(.initialization, &initialization)
        try read(.seed, &seed)
        if let text = try c.decodeIfPresent(String.self, forKey: .pooling) {
            guard let parsed = RunConfiguration.parsePooling(text) else {
                throw ConfigurationError.invalidValue(key: "pooling", value: "\"\(text)\"", hint: "use \"max\" or \"average\" (or \"avg\")")
            }
            pooling = parsed
        }
        try readEnum(.preserveColor, &preserveColor)
        try read(.saveEvery, &saveEvery)
        try readOptional(.log, &log)
        try read(.printEvery, &printEvery)
        try readOptional(.contentMask, &contentMask)
        if c.contains(.styleMasks) {
            if let single = try? c.decode(String.self, forKey: .styleMasks) {
                styleMasks = [single]
            } else {
                styleMasks = try c.decode([String?].self, forKey: .styleMasks)
            }
        }
        try read(.regions, &regions)
        if let text = try c.decodeIfPresent(String.self, forKey: .propagation) {
            guard let parsed = PropagationMode(rawValue: text) else {
                throw ConfigurationError.invalidValue(key: "propagation", value: "\"\(text)\"",
                    hint: "use one of " + PropagationMode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
            }
            propagation = parsed
        }
        try read(.erosion, &erosion)
        try read(.featherRadius, &featherRadius)
        try readEnum(.regionWeighting, &regionWeighting)
        try read(.contentRegionWeights, &contentRegionWeights)
        try read(.maskTolerance, &maskTolerance)
        try readEnum(.palette, &palette)
        try readOptional(.autoMasks, &autoMasks)
        try readEnum(.convKernel, &convKernel)
        let termKeys = try decoder.container(keyedBy: AnyCodingKey.self)
        for setting in LossTerms.settings {
            if let value = try termKeys.decodeIfPresent(Double.self, forKey: AnyCodingKey(setting.key)) { termSettings[setting.key] = value }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let defaults = RunConfiguration()
        try c.encodeIfPresent(content, forKey: .content)
        try c.encode(style, forKey: .style)
        try c.encodeIfPresent(styleBlend, forKey: .styleBlend)
        try c.encode(output, forKey: .output)
        try c.encodeIfPresent(weights, forKey: .weights)
        try c.encode(size, forKey: .size)
        try c.encodeIfPresent(pixelCount, forKey: .pixelCount)
        try c.encode(styleScale, forKey: .styleScale)
        try c.encode(iterations, forKey: .iterations)
        try c.encode(scales, forKey: .scales)
        try c.encodeIfPresent(iterationsPerScale, forKey: .iterationsPerScale)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encodeIfPresent(learningRate, forKey: .learningRate)
        try c.encode(lbfgsHistory, forKey: .lbfgsHistory)
        // Only when set, like the spatial keys below: runs that keep the default encode and hash as before the
        // key existed (and at ≤ 512×512 the default changes nothing).
        if lbfgsHistoryMiB != defaults.lbfgsHistoryMiB { try c.encode(lbfgsHistoryMiB, forKey: .lbfgsHistoryMiB) }
        try c.encode(contentWeight, forKey: .contentWeight)
        try c.encode(styleWeight, forKey: .styleWeight)
        try c.encode(tvWeight, forKey: .tvWeight)
        try c.encode(contentLayers, forKey: .contentLayers)
        try c.encode(styleLayers, forKey: .styleLayers)
        try c.encode(layerWeights, forKey: .layerWeights)
        try c.encode(initialization, forKey: .initialization)
        try c.encode(seed, forKey: .seed)
        try c.encode(pooling.rawValue, forKey: .pooling)
        try c.encode(preserveColor, forKey: .preserveColor)
        try c.encode(saveEvery, forKey: .saveEvery)
        try c.encodeIfPresent(log, forKey: .log)
        try c.encode(printEvery, forKey: .printEvery)
        // Spatial keys only when they differ from the defaults, so configurations without masks encode (and hash,
        // for sweep provenance and resume) exactly as before these keys existed.
        try c.encodeIfPresent(contentMask, forKey: .contentMask)
        if styleMasks != defaults.styleMasks { try c.encode(styleMasks, forKey: .styleMasks) }
        if regions != defaults.regions { try c.encode(regions, forKey: .regions) }
        try c.encodeIfPresent(propagation, forKey: .propagation)
        if erosion != defaults.erosion { try c.encode(erosion, forKey: .erosion) }
        if featherRadius != defaults.featherRadius { try c.encode(featherRadius, forKey: .featherRadius) }
        if regionWeighting != defaults.regionWeighting { try c.encode(regionWeighting, forKey: .regionWeighting) }
        if contentRegionWeights != defaults.contentRegionWeights { try c.encode(contentRegionWeights, forKey: .contentRegionWeights) }
        if maskTolerance != defaults.maskTolerance { try c.encode(maskTolerance, forKey: .maskTolerance) }
        if palette != defaults.palette { try c.encode(palette, forKey: .palette) }
        try c.encodeIfPresent(autoMasks, forKey: .autoMasks)
        if photorealistic { try c.encode(photorealistic, forKey: .photorealistic) }
        // Only when set, so runs on the default kernel encode and hash as before the key existed.
        if convKernel != defaults.convKernel { try c.encode(convKernel, forKey: .convKernel) }
        var termKeys = encoder.container(keyedBy: AnyCodingKey.self)
        for setting in LossTerms.settings {
            if let value = termSettings[setting.key] { try termKeys.encode(value, forKey: AnyCodingKey(setting.key)) }
        }
    }

    /// "max", "average" or "avg".
    public static func parsePooling(_ text: String) -> Pooling? {
        text == "avg" ? .average : Pooling(rawValue: text)
    }

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
            if let problem = integerProblem(in: data) { throw problem }
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
        if scales.isEmpty { return [iterations] }
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
}

extension ConfigurationError {
    /// Translates Foundation's decoding errors into messages with a JSON path.
    init(decodingError: DecodingError, source: String) {
        switch decodingError {
        case let .typeMismatch(type, context):
            self = .malformed(path: jsonPath(context.codingPath), detail: "expected \(RunConfiguration.jsonType(type)) (\(context.debugDescription))")
        case let .valueNotFound(type, context):
            self = .malformed(path: jsonPath(context.codingPath), detail: "expected \(RunConfiguration.jsonType(type)), found null")
        case let .keyNotFound(key, context):
            self = .malformed(path: jsonPath(context.codingPath + [key]), detail: "missing")
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                self = .unreadableFile(path: source, reason: "not valid JSON (\(context.underlyingError.map { "\($0)" } ?? context.debugDescription))")
            } else {
                self = .malformed(path: jsonPath(context.codingPath), detail: context.debugDescription)
            }
        @unknown default:
            self = .unreadableFile(path: source, reason: "\(decodingError)")
        }
    }
}

extension RunConfiguration {
    static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is UInt64.Type: return "an integer"
        case is Float.Type, is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            return name.hasPrefix("Array") ? "a list" : name.hasPrefix("Dictionary") ? "an object" : name
        }
    }
}
