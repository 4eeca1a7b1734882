import Foundation
import NSTGuidance
import NSTNetwork
import NSTTensor

/// Memoises the fixed targets of the objective, the content activations P_l, the style Gram matrices A_l and the
/// guided style targets A^r_l of spatial control, across runs with the same network input (image after colour
/// control and resizing), layer set, pooling and conv kernel (and, for A^r_l, the same style guide and propagation).
///
/// The targets cost one forward pass per image; a sweep that varies only loss weights would otherwise repeat
/// them for every run. One cache serves one set of VGG-19 weights (the caller keeps a cache per weights file).
public final class TargetCache {
    struct Key: Hashable {
        let input: FeatureMap
        let layers: [LayerName]
        let pooling: Pooling
        let convKernel: ConvKernel

        func hash(into hasher: inout Hasher) {
            hasher.combine(input.channels)
            hasher.combine(input.height)
            hasher.combine(input.width)
            hasher.combine(input.data)
            hasher.combine(layers)
            hasher.combine(pooling)
            hasher.combine(convKernel)
        }
    }

    struct GuidedKey: Hashable {
        let style: Key
        let guide: Guide
        let propagation: GuidePropagation
    }

    private var contents: [Key: [LayerName: FeatureMap]] = [:]
    private var grams: [Key: [LayerName: GramMatrix]] = [:]
    private var guided: [GuidedKey: [LayerName: GuidedGram?]] = [:]
    /// Lookups answered from the cache.
    public private(set) var hits = 0
    /// Lookups that ran the network.
    public private(set) var misses = 0
    /// Seconds spent computing targets on misses.
    public private(set) var computeSeconds = 0.0

    /// An empty cache.
    public init() {}

    /// Seconds the hits saved, estimated at the mean cost of a miss.
    public var savedSeconds: Double { misses > 0 ? Double(hits) * computeSeconds / Double(misses) : 0 }

    /// P_l at `layers` for the network-space image `input`.
    func contentFeatures(network: VGG19, input: FeatureMap, layers: [LayerName]) -> [LayerName: FeatureMap] {
        let key = Key(input: input, layers: layers, pooling: network.pooling, convKernel: network.convKernel)
        if let cached = contents[key] { hits += 1; return cached }
        let features = timed { network.forward(input, layers: layers) }
        contents[key] = features
        return features
    }

    /// A_l = Gram(F_l) at `layers` for the network-space style image `input`.
    func styleGrams(network: VGG19, input: FeatureMap, layers: [LayerName]) -> [LayerName: GramMatrix] {
        let key = Key(input: input, layers: layers, pooling: network.pooling, convKernel: network.convKernel)
        if let cached = grams[key] { hits += 1; return cached }
        let result = timed { network.forward(input, layers: layers).mapValues { GramMatrix(of: $0) } }
        grams[key] = result
        return result
    }

    /// A^r_l at `layers` for the network-space style image `input` under `styleGuide` (at the input's size) carried
    /// by `propagation`; on a miss, `features` supplies F_l of `input` at `layers` (the caller shares one forward
    /// among the regions of a style image).
    func guidedStyleTargets(network: VGG19, input: FeatureMap, layers: [LayerName], styleGuide: Guide,
                            propagation: GuidePropagation,
                            features: () -> [LayerName: FeatureMap]) throws -> [LayerName: GuidedGram?] {
        let key = GuidedKey(style: Key(input: input, layers: layers, pooling: network.pooling, convKernel: network.convKernel),
                            guide: styleGuide, propagation: propagation)
        if let cached = guided[key] { hits += 1; return cached }
        let result = try timed {
            try GuidedStyleTargets.targets(features: features(), styleGuide: styleGuide, propagation: propagation)
        }
        guided[key] = result
        return result
    }

    private func timed<T>(_ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            misses += 1
            computeSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        return try body()
    }
}
