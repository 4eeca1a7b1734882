import NSTGuidance
import NSTNetwork
import NSTTensor

/// One additive term of the style-transfer objective L(x) = Σ_t L_t(x): content, style, total variation, photorealism.
///
/// A term is built for one stage (one working size) from a `LossTermContext`. It returns its *weighted* value and adds
/// its gradient, either at the network layers it reads (`layers`; called during the backward pass with the buffer that
/// carries the backward, so several terms at one layer simply accumulate) or on the network-input image (after the
/// backward). Its log column is `name`, with one column `<name>_<layer>` per entry of `layers`.
public protocol LossTerm: AnyObject {
    /// Column of the weighted value in the loss log, the console line and `status.json` (`content`, `style`, …).
    var name: String { get }
    /// Layers whose activations the term reads, each logged in a column `<name>_<layer>`; empty for image terms.
    var layers: [LayerName] { get }
    /// The weighted value at `layers[index]` for `features`; adds ∂L/∂F to `gradient` (as many values as `features`).
    func evaluate(layer index: Int, features: FeatureMap, gradient: UnsafeMutablePointer<Float>) -> Float
    /// The weighted value on the network-input image `x` (3×H×W, BGR, minus the VGG mean, 0–255); adds ∂L/∂x.
    func evaluate(image x: FeatureMap, gradient: inout FeatureMap) -> Float
}

extension LossTerm {
    public var layers: [LayerName] { [] }
    public func evaluate(layer index: Int, features: FeatureMap, gradient: UnsafeMutablePointer<Float>) -> Float { 0 }
    public func evaluate(image x: FeatureMap, gradient: inout FeatureMap) -> Float { 0 }
}

/// What a term may read when it is built for one stage.
public struct LossTermContext {
    public let network: VGG19
    public let plan: RunPlan
    /// The content image in network space at the stage's size.
    public let content: FeatureMap
    /// The style images in network space at the stage's style size.
    public let styles: [FeatureMap]
    /// Shared content and style targets, or nil to compute them for this objective only.
    public let targets: TargetCache?
    /// Spatial control at this stage, or nil without masks.
    public let guided: GuidedObjectiveTerms?

    public var configuration: RunConfiguration { plan.configuration }

    /// P_l at `layers`, from the cache when there is one.
    public func contentFeatures(_ layers: [LayerName]) -> [LayerName: FeatureMap] {
        // Targets keep the network's buffers alive; copy-on-write gives the network fresh ones on its next forward.
        targets?.contentFeatures(network: network, input: content, layers: layers) ?? network.forward(content, layers: layers)
    }
}

/// A numeric run-configuration key that a loss term owns (it is not a field of `RunConfiguration`; its value lives in
/// `RunConfiguration.termSettings`). Decoding, encoding, sweeps and `--set` accept it by virtue of its registration.
public struct TermSetting: Sendable {
    public let key: String
    public let defaultValue: Double
    /// One line for `nst-exp help` and error messages.
    public let help: String
    /// nil when `value` is valid, else the hint of the error (what to use instead).
    public let check: @Sendable (Double) -> String?

    public init(key: String, defaultValue: Double, help: String, check: @escaping @Sendable (Double) -> String?) {
        self.key = key
        self.defaultValue = defaultValue
        self.help = help
        self.check = check
    }
}

/// A kind of loss term: its column, the configuration keys it reads, and how it is built for a stage.
public struct LossTermKind: Sendable {
    /// The log column (`LossTerm.name` of the terms it builds).
    public let name: String
    /// Existing run-configuration keys it reads (e.g. `style_weight`, `style_layers`).
    public let keys: [String]
    /// Keys it owns, stored in `RunConfiguration.termSettings`.
    public let settings: [TermSetting]
    /// The term for one stage, or nil when the configuration does not use it (its column is then not logged).
    public let make: @Sendable (LossTermContext) throws -> LossTerm?

    public init(name: String, keys: [String], settings: [TermSetting] = [],
                make: @escaping @Sendable (LossTermContext) throws -> LossTerm?) {
        self.name = name
        self.keys = keys
        self.settings = settings
        self.make = make
    }
}

/// The registry of loss terms, in objective order. Everything that lists terms (the loss log's columns, the console line,
/// `status.json`'s final losses, the runs table, the plots) derives from the terms an objective built from it.
public enum LossTerms {
    /// Every term kind. Adding a term is one file declaring its `kind` and one line here.
    public static let registered: [LossTermKind] = [
        ContentTerm.kind,
        StyleTerm.kind,
        TotalVariationTerm.kind,
        PhotorealismTerm.kind,
    ]

    /// The term names, in objective order.
    public static var names: [String] { registered.map(\.name) }

    /// Every key owned by a term.
    public static var settings: [TermSetting] { registered.flatMap(\.settings) }

    /// The setting called `key`, if a term owns one.
    public static func setting(_ key: String) -> TermSetting? { settings.first { $0.key == key } }

    /// `names` without repeats in objective order: registered terms in registry order, then any others (a term this
    /// build does not know, read from another build's files) alphabetically.
    public static func ordered<S: Sequence>(_ names: S) -> [String] where S.Element == String {
        let all = Set(names), known = self.names
        return known.filter(all.contains) + all.subtracting(known).sorted()
    }

    /// The term columns of a table of runs, each run listing its terms: their union in objective order, or
    /// `content, style, tv` (every run's terms) when no run has finished yet.
    public static func columns(of runs: [[String]]) -> [String] {
        let union = ordered(runs.joined())
        return union.isEmpty ? ["content", "style", "tv"] : union
    }
}

extension RunConfiguration {
    /// The value of a term-owned key: the configured one or its default.
    public func value(of setting: TermSetting) -> Double { termSettings[setting.key] ?? setting.defaultValue }

    /// Checks every term-owned key's value; throws naming the key, value and fix.
    func checkTermSettings() throws {
        for key in termSettings.keys.sorted() {
            guard let setting = LossTerms.setting(key) else {
                throw ConfigurationError.unknownKey(path: key, suggestion: nearest(to: key, among: RunConfiguration.keys))
            }
            let value = termSettings[key] ?? setting.defaultValue
            if let hint = value.isFinite ? setting.check(value) : "use a finite number" {
                throw ConfigurationError.invalidValue(key: key, value: "\(value)", hint: hint)
            }
        }
    }
}
