import Foundation
import NSTNetwork
import NSTTensor

/// Memoises the fixed targets of the objective, the content activations P_l and the style Gram matrices A_l,
/// across runs with the same network input (image after colour control and resizing), layer set and pooling.
///
/// The targets cost one forward pass per image; a sweep that varies only loss weights would otherwise repeat
/// them for every run. One cache serves one set of VGG-19 weights (the caller keeps a cache per weights file).
public final class TargetCache {
    struct Key: Hashable {
        let input: FeatureMap
        let layers: [LayerName]
        let pooling: Pooling

        func hash(into hasher: inout Hasher) {
            hasher.combine(input.channels)
            hasher.combine(input.height)
            hasher.combine(input.width)
            hasher.combine(input.data)
            hasher.combine(layers)
            hasher.combine(pooling)
        }
    }

    private var contents: [Key: [LayerName: FeatureMap]] = [:]
    private var grams: [Key: [LayerName: GramMatrix]] = [:]
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
        let key = Key(input: input, layers: layers, pooling: network.pooling)
        if let cached = contents[key] { hits += 1; return cached }
        let features = timed { network.forward(input, layers: layers) }
        contents[key] = features
        return features
    }

    /// A_l = Gram(F_l) at `layers` for the network-space style image `input`.
    func styleGrams(network: VGG19, input: FeatureMap, layers: [LayerName]) -> [LayerName: GramMatrix] {
        let key = Key(input: input, layers: layers, pooling: network.pooling)
        if let cached = grams[key] { hits += 1; return cached }
        let result = timed { network.forward(input, layers: layers).mapValues { GramMatrix(of: $0) } }
        grams[key] = result
        return result
    }

    private func timed<T>(_ body: () -> T) -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            misses += 1
            computeSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        return body()
    }
}
