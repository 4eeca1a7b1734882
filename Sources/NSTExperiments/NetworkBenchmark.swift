import Foundation
import NSTNetwork
import NSTTensor

/// Times what one style-transfer iteration costs in the network: a forward to relu5_1 and the backward
/// from the usual Gatys layers (relu1_1…relu5_1 and relu4_2) to the input image.
public struct NetworkBenchmark {
    /// One benchmark's figures.
    public struct Result: Codable, Sendable {
        public var size: Int
        public var repeats: Int
        public var threads: Int
        public var medianSeconds: Double
        public var minSeconds: Double
        /// Process CPU time (user + system) per iteration: robust to other load on the machine.
        public var cpuSecondsPerIteration: Double
        public var forwardSeconds: Double
        public var backwardSeconds: Double
        public var gflop: Double
        public var gflopPerSecond: Double
        public var peakRSSMiB: Double
        public var weights: String
        /// Per-layer median seconds over the timed runs: name, forward, backward.
        public var layers: [LayerTime]
        /// CPU, BLAS kernel set and conv kernel that ran.
        public var system: RunEnvironment
    }

    /// Time spent in one network step.
    public struct LayerTime: Codable, Sendable {
        public var name: String
        public var forward: Double
        public var backward: Double
    }

    public static let layers: [LayerName] = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"]
        .compactMap { try? LayerName($0) }

    public var size: Int
    public var repeats: Int
    /// The 3×3 kernel above conv1_1 (a run's `conv_kernel`).
    public var convKernel: ConvKernel

    /// A benchmark of `size`×`size` inputs over `repeats` timed iterations (after one warm-up), on `convKernel`.
    public init(size: Int, repeats: Int = 5, convKernel: ConvKernel = .standard) {
        self.size = size
        self.convKernel = convKernel
        self.repeats = repeats
    }

    /// Convolution arithmetic of one forward to relu5_1 plus its backward: 2·H·W·Cin·Cout·9 per conv, twice.
    public static func gflop(size: Int, weights: VGGWeights) -> Double {
        gflop(width: size, height: size, layers: layers, weights: weights)
    }

    /// Direct 3×3 convolution arithmetic of one forward to the deepest of `layers` and the backward to the
    /// input (2·H·W·Cin·Cout·9 per conv and pass; conv1_1's backward included).
    public static func gflop(width: Int, height: Int, layers: [LayerName], weights: VGGWeights) -> Double {
        guard let deepest = layers.max() else { return 0 }
        var flop = 0.0
        for name in VGGWeights.convNames {
            guard let w = weights.convs[name], let layer = try? LayerName(name) else { continue }
            if layer > deepest { break }
            let shift = layer.block - 1
            flop += 2 * Double((width >> shift) * (height >> shift) * w.inChannels * w.outChannels * 9)
        }
        return 2 * flop / 1e9
    }

    /// Runs the benchmark on `weights`.
    public func run(weights: VGGWeights, weightsLabel: String) -> Result {
        let net = VGG19(weights: weights, convKernel: convKernel)
        net.profiling = true
        var rng = SplitMix64(seed: 1)
        let input = FeatureMap(channels: 3, height: size, width: size,
                               data: (0..<(3 * size * size)).map { _ in (rng.nextUnitFloat() - 0.5) * 200 })
        var times: [Double] = [], fwd: [Double] = [], bwd: [Double] = []
        var cpuStart = 0.0
        for r in 0...repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let feats = net.forward(input, layers: NetworkBenchmark.layers)
            let t1 = DispatchTime.now().uptimeNanoseconds
            // The features themselves serve as gradients: only their shapes matter to the cost.
            _ = net.backward(feats)
            let t2 = DispatchTime.now().uptimeNanoseconds
            if r == 0 { net.resetProfile(); cpuStart = ProcessStats.cpuSeconds() }
            if r > 0 {
                times.append(Double(t2 - t0) / 1e9)
                fwd.append(Double(t1 - t0) / 1e9)
                bwd.append(Double(t2 - t1) / 1e9)
            }
        }
        let median = NetworkBenchmark.median(times)
        let g = NetworkBenchmark.gflop(size: size, weights: weights)
        return Result(size: size, repeats: repeats, threads: Parallel.workers, medianSeconds: median,
                      minSeconds: times.min() ?? 0,
                      cpuSecondsPerIteration: (ProcessStats.cpuSeconds() - cpuStart) / Double(repeats), forwardSeconds: NetworkBenchmark.median(fwd),
                      backwardSeconds: NetworkBenchmark.median(bwd), gflop: g, gflopPerSecond: g / median,
                      peakRSSMiB: ProcessStats.peakRSSMiB(), weights: weightsLabel,
                      layers: net.profile.map { LayerTime(name: $0.name, forward: $0.forward / Double(repeats),
                                                          backward: $0.backward / Double(repeats)) },
                      system: .current(convKernel: net.convKernel))
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// Process resource figures.
public enum ProcessStats {
    /// User plus system CPU time of this process so far, in seconds.
    public static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    /// Peak resident set size of this process, in MiB (getrusage's ru_maxrss is in KiB on Linux).
    public static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
