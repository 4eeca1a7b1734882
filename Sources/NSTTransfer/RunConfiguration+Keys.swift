import Foundation
import NSTGuidance
import NSTNetwork

extension RunConfiguration {
    /// Every run-configuration key, in the order of the JSON reader, the help and the validation. Each entry names
    /// the JSON key, the property, the help line and, where they differ from the defaults, the command-line option,
    /// how the key is written, checked and parsed. Keys owned by loss terms are registered with their terms
    /// (`LossTerms.settings`) instead.
    ///
    /// Adding a key: add the property (with its default) to `RunConfiguration`, one entry here, and its use.
    public static let table: [ConfigurationKey] = [
        // inputs and outputs
        .key("content", \.content, "Content image (required).", value: "image", default: "", isPath: true),
        .key("style", \.style, "Style image; repeat for several styles (required).", value: "image", default: "",
             isPath: true, repeatable: true, read: CommandLineText.oneOrMany { $0 }, commandLine: { values, c in c.style = values }),
        .key("style_blend", \.styleBlend, "Blend weights, one per style, e.g. 0.7,0.3.", value: "w1,w2,…", default: "equal"),
        .key("output", \.output, "Output image, .png or .jpg; snapshots go beside it.", value: "image"),
        .key("weights", \.weights, "VGG-19 safetensors file.", value: "file", default: "the installed weights", isPath: true),

        // size and schedule
        .key("size", \.size, "Longest side of the content image in pixels.",
             check: .within(16...RunLimits.maxSide, "the content's longest side in pixels")),
        .key("pixel_count", \.pixelCount, "Scale the content to about this many pixels instead of --size.", default: "unset",
             check: .whenSet(.within(256...RunLimits.maxPixelCount, "the content's pixel count"))),
        .key("style_scale", \.styleScale, "Style size as a factor of the content's longest side.", check: KeyCheck { scale, key in
            guard scale.isFinite, scale > 0, scale <= RunLimits.maxStyleScale else {
                throw ConfigurationError.invalidValue(key: key, value: "\(scale)",
                                                      hint: "use a finite factor in (0, \(Int(RunLimits.maxStyleScale))], e.g. 1")
            }
        }),
        .key("iterations", \.iterations, "Iterations (per scale).",
             check: .within(0...RunLimits.maxIterations, "iterations per scale")),
        .key("scales", \.scales, "Coarse-to-fine longest sides, e.g. 256,512.", value: "s1,s2,…", default: "one scale at --size"),
        .key("iterations_per_scale", \.iterationsPerScale, "Iterations at each scale, e.g. 300,100.", value: "n1,n2,…",
             default: "--iterations each"),

        // optimizer
        .key("optimizer", \.optimizer, "The optimizer: L-BFGS (the authors' choice) or Adam."),
        .key("learning_rate", \.learningRate, "Step size.",
             default: "\(OptimizerKind.lbfgs.defaultLearningRate) for lbfgs, \(OptimizerKind.adam.defaultLearningRate) for adam",
             check: .whenSet(KeyCheck { rate, key in
                 guard rate.isFinite, rate > 0, rate <= RunLimits.maxLearningRate else {
                     throw ConfigurationError.invalidValue(key: key, value: "\(rate)",
                                                           hint: "use a finite value in (0, \(Int(RunLimits.maxLearningRate))]")
                 }
             })),
        .key("lbfgs_history", \.lbfgsHistory, "L-BFGS history size (pairs kept).",
             check: .within(1...RunLimits.maxLBFGSHistory, "L-BFGS pairs kept (default 100)")),
        .key("lbfgs_history_mib", \.lbfgsHistoryMiB, "Memory budget of the L-BFGS history in MiB; large images keep fewer pairs.",
             encoding: .unlessDefault, check: .within(1...RunLimits.maxLBFGSHistoryMiB, "the history's budget in MiB (default 768)")),

        // loss
        .key("content_weight", \.contentWeight, "Content weight α.", check: .weight),
        .key("style_weight", \.styleWeight, "Style weight β.", check: .weight),
        .key("tv_weight", \.tvWeight, "Total-variation weight γ.", check: .weight),
        .key("content_layers", \.contentLayers, "Content layers.", value: "l1,l2,…"),
        .key("style_layers", \.styleLayers, "Style layers.", value: "l1,l2,…"),
        .key("layer_weights", \.layerWeights,
             "Per-layer weight overrides, e.g. style.relu1_1=0.0005,content.relu4_2=1 (a bare layer name works if it has one role).",
             value: "role.layer=w,…", default: "c_l = 1, s_l = 1/N_l²", commandLine: { values, c in
                 for text in values { c.layerWeights = try c.layerWeights.merging(parsing: text, contentLayers: c.contentLayers, styleLayers: c.styleLayers) }
             }),

        // set-up
        .key("init", \.initialization, "The starting image: content, noise, style or an image path.",
             flag: "--init", value: "content|noise|style|path", isPath: true),
        .key("seed", \.seed, "Seed of the noise initialisation."),
        .key("pooling", \.pooling, "Pooling between VGG blocks."),
        .key("preserve_color", \.preserveColor, "Colour control."),

        // refinement of the output
        .key("guided_filter_radius", \.guidedFilterRadius,
             "Refine every saved image with a guided filter (He et al. 2010) guided by the content photo: window radius "
                + "in pixels, 0 = off (the photorealistic preset uses \(GuidedFilter.presetRadius)).",
             encoding: .unlessDefault, check: .within(0...RunLimits.maxGuidedFilterRadius, "0 (off) or a window radius in pixels")),
        .key("guided_filter_epsilon", \.guidedFilterEpsilon, "The guided filter's ridge ε, images in [0, 1]; smaller keeps more detail.",
             encoding: .unlessDefault, check: KeyCheck { epsilon, key in
                 guard epsilon.isFinite, epsilon >= RunLimits.minimumEpsilon, epsilon <= 1 else {
                     throw ConfigurationError.invalidValue(key: key, value: "\(epsilon)", hint: "use a finite ε in [\(RunLimits.minimumEpsilon), 1], e.g. 1e-6")
                 }
             }),

        // reporting
        .key("save_every", \.saveEvery, "Save a snapshot every N iterations, 0 = off.",
             check: .within(0...RunLimits.maxIterations, "0 (final image only) or an interval in iterations")),
        .key("log", \.log, "Loss log CSV path.", value: "file"),
        .key("print_every", \.printEvery, "Without a terminal, print a progress line every N iterations.",
             check: .within(0...RunLimits.maxIterations, "0 (no progress lines) or an interval in iterations")),

        // spatial control (Gatys et al. 2017)
        .key("content_mask", \.contentMask, "Colour label map of the content image; each colour is a region.", value: "image",
             default: "none, no spatial control", isPath: true),
        .key("style_masks", \.styleMasks, "Label map of a style image, repeated in the order of --style; 'none' for a style without one.",
             flag: "--style-mask", value: "image", default: "none", isPath: true, encoding: .unlessDefault, repeatable: true,
             read: CommandLineText.oneOrMany { .some($0) }, commandLine: { values, c in c.styleMasks = values.map { $0 == "none" ? nil : $0 } }),
        .key("regions", \.regions, "An explicit region, repeatable: comma-separated key=value with keys color or content-guide, "
                + "style (index), style-color or style-guide, weight, content-weight, e.g. \"color=#00FF00,style=1,style-color=white\".",
             flag: "--region", value: "key=value,…", default: "pair the label maps' colours", isPath: true, encoding: .unlessDefault,
             repeatable: true, commandLine: { values, c in c.regions = try values.map(RegionSpec.init(parsing:)) }),
        .key("propagation", \.propagation,
             "Guide propagation to each layer: simple, inside, all, soft or adaptive (see the README's measured comparison).",
             default: "simple"),
        .key("erosion", \.erosion, "Erode (k > 0) or dilate (k < 0) the propagated guides by k positions.", value: "k",
             encoding: .unlessDefault, check: .within(-RunLimits.maxErosion...RunLimits.maxErosion,
                                                      "positions to erode (> 0) or dilate (< 0); larger values erase every region")),
        .key("feather_radius", \.featherRadius, "Feather (blur) every guide by this radius in pixels, 0 = hard guides.",
             flag: "--feather", encoding: .unlessDefault, check: KeyCheck { radius, key in
                 guard radius.isFinite, (0...RunLimits.maxFeatherRadius).contains(radius) else {
                     throw ConfigurationError.invalidValue(key: key, value: "\(radius)",
                         hint: "use 0 (hard guides) or a radius in pixels up to \(Int(RunLimits.maxFeatherRadius))")
                 }
             }),
        .key("region_weighting", \.regionWeighting, "Default region weights λ_r: uniform or area.", encoding: .unlessDefault),
        .key("content_region_weights", \.contentRegionWeights, "Content weight c_r per region, e.g. green=2,#FFFFFF=0.5.",
             value: "color=w,…", default: "1 everywhere", encoding: .unlessDefault, commandLine: { values, c in
                 for text in values {
                     guard let weights = [String: Float](commandLine: text) else {
                         throw ConfigurationError.invalidValue(key: "--content-region-weights", value: text,
                                                               hint: "write color=weight entries separated by commas, e.g. green=2")
                     }
                     c.contentRegionWeights.merge(weights) { $1 }
                 }
             }),
        .key("mask_tolerance", \.maskTolerance, "Label-map colour tolerance, largest per-channel difference.", encoding: .unlessDefault),
        .key("palette", \.palette,
             "Label-map colours: auto (discovered per map) or deep-photo (the nine deep-photo-styletransfer codes).",
             encoding: .unlessDefault),
        .key("photorealistic", \.photorealistic, "The photorealistic preset: its values are the defaults of every other key.",
             flag: nil, encoding: .unlessDefault),
        .key("auto_masks", \.autoMasks, "Make the label maps automatically (no --content-mask/--style-mask): --auto-masks alone "
                + "chooses the number of regions, --auto-masks K asks for K; the maps are written beside the output.",
             value: "K", default: "off", bareValue: "auto"),

        // compute
        .key("conv_kernel", \.convKernel, "3×3 convolution kernel above conv1_1: winograd4 (fastest), winograd2 or im2col "
                + "(the exact reference); they agree to float rounding, not bitwise.", encoding: .unlessDefault),
    ]

    /// Every JSON key, in table order, then the keys loss terms own.
    public static let keys: [String] = table.map(\.name) + LossTerms.settings.map(\.key)

    /// Keys whose values are file paths.
    public static var pathKeys: [String] { table.filter(\.isPath).map(\.name) }

    /// Keys whose values are integers (or lists of integers).
    static var integerKeys: Set<String> { Set(table.filter(\.isInteger).map(\.name)) }

    /// The entry of the JSON key `name`.
    public static func key(named name: String) -> ConfigurationKey? { table.first { $0.name == name } }

    /// Runs the per-key checks of the table, in table order.
    func checkKeys() throws {
        for key in RunConfiguration.table { try key.check(self) }
    }
}

// MARK: value types of the keys

extension OptimizerKind: ConfigurationEnum {}
extension ColorPreservation: ConfigurationEnum {}
extension PropagationMode: ConfigurationEnum {}
extension RegionWeighting: ConfigurationEnum {}
extension MaskPalette: ConfigurationEnum {}
extension ConvKernel: ConfigurationEnum {}

extension Pooling: ConfigurationEnum {
    /// "max", "average" or "avg".
    init?(commandLine text: String) { self.init(rawValue: text == "avg" ? "average" : text) }
    static var commandLineForm: String { "\"max\" or \"average\" (or \"avg\")" }
    static var valueName: String { "max|avg" }
}

extension Initialization: ConfigurationValue {
    init?(commandLine text: String) { self.init(text) }
    static var commandLineForm: String { "content, noise, style or an image path" }
    static var valueName: String { "content|noise|style|path" }
}

extension AutoMaskRegions: ConfigurationValue {
    init?(commandLine text: String) { self.init(parsing: text) }
    static var commandLineForm: String { "a region count (e.g. 3) or nothing to choose it automatically" }
    static var valueName: String { "K" }
}

extension LayerWeights: ConfigurationValue {
    /// Role-qualified entries only (a bare layer name needs the layer lists: `merging(parsing:…)`).
    init?(commandLine text: String) {
        guard let parsed = try? LayerWeights().merging(parsing: text, contentLayers: [], styleLayers: []) else { return nil }
        self = parsed
    }
    var commandLineText: String {
        (content.sorted { $0.key < $1.key }.map { "content.\($0.key)=\($0.value)" }
            + style.sorted { $0.key < $1.key }.map { "style.\($0.key)=\($0.value)" }).joined(separator: ",")
    }
    static var commandLineForm: String { "role.layer=weight entries separated by commas, e.g. style.relu1_1=0.0005" }
    static var valueName: String { "role.layer=w,…" }
}

extension RegionSpec: ConfigurationValue {
    init?(commandLine text: String) {
        guard let spec = try? RegionSpec(parsing: text) else { return nil }
        self = spec
    }
    static var commandLineForm: String { "key=value entries separated by commas" }
    static var valueName: String { "key=value,…" }
}

/// A map from names to values: `name=value,…` on the command line.
extension Dictionary: ConfigurationValue where Key == String, Value: ConfigurationValue & Codable {
    init?(commandLine text: String) {
        var result: [String: Value] = [:]
        for entry in CommandLineText.entries(text) {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Value(commandLine: parts[1]) else { return nil }
            result[parts[0]] = value
        }
        self = result
    }
    var commandLineText: String { sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.commandLineText)" }.joined(separator: ",") }
    static var commandLineForm: String { "name=value entries separated by commas" }
    static var valueName: String { "name=value,…" }
}
