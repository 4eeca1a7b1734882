import Foundation
import NSTImage
import NSTNetwork
import NSTTensor
import NSTTransfer

/// Times whole L-BFGS steps of a real style transfer: forward to the deepest loss layer, content, style and
/// TV losses with their gradients, backward to the image, and the optimizer's own update (two-loop
/// recursion, line-search bookkeeping), exactly as `StyleTransfer` runs them.
///
/// The content image is scaled to `size`×`size` (square, as in the PyTorch reference figures) and the
/// style image's longest side to `size`. L-BFGS allocates its (s, y) pairs as they fill, so the peak RSS
/// includes at most `warmup + steps` pairs, not the full history a long run would hold.
public struct StepBenchmark {
    /// One benchmark's figures.
    public struct Result: Codable, Sendable {
        public var size: Int
        public var steps: Int
        public var threads: Int
        public var kernel: String
        /// Pairs the optimizer keeps: `lbfgs_history` capped by `lbfgs_history_mib` at this size.
        public var lbfgsHistory: Int
        public var medianSeconds: Double
        public var minSeconds: Double
        /// Process CPU time (user + system) per step: robust to other load on the machine.
        public var cpuSecondsPerStep: Double
        /// Objective evaluations per step (1 unless the line search backtracked).
        public var evaluationsPerStep: Double
        /// Median seconds per step in the network's forward, its backward, the losses, and the optimizer.
        public var forwardSeconds: Double
        public var backwardSeconds: Double
        public var lossSeconds: Double
        public var optimizerSeconds: Double
        /// Direct-convolution arithmetic of one evaluation (forward and backward), in GFLOP.
        public var gflop: Double
        /// `gflop` per median step: the rate a direct convolution would need to match this step time.
        public var gflopPerSecond: Double
        public var peakRSSMiB: Double
        /// Loss after the last timed step (weighted terms).
        public var content: Float
        public var style: Float
        public var total: Float
        /// Seconds per step in each image term (e.g. `photorealism`; layer terms run inside the backward), median of the
        /// timed steps; part of `lossSeconds`.
        public var imageTermSeconds: [String: Double]
        public var contentImage: String
        public var styleImage: String
        public var weights: String
    }

    public var size: Int
    public var steps: Int
    /// Untimed steps before the timed ones (the first L-BFGS step is a scaled gradient step).
    public var warmup: Int

    /// A benchmark of `steps` timed L-BFGS steps at `size`×`size` after `warmup` untimed ones.
    public init(size: Int, steps: Int = 5, warmup: Int = 2) {
        self.size = size
        self.steps = steps
        self.warmup = warmup
    }

    /// Runs the benchmark with the default run configuration on `content` and `style`.
    public func run(weights: VGGWeights, weightsLabel: String, content: URL, style: URL,
                    configuration base: RunConfiguration = RunConfiguration()) throws -> Result {
        let pair = try BenchmarkPair(content: content, style: style, size: size, square: true, base: base)
        let config = pair.plan.configuration, plan = pair.plan
        let network = VGG19(weights: weights, pooling: config.pooling)
        let objective = TransferObjective(network: network, content: pair.content, styles: [pair.style], plan: plan)
        var objectiveNanos: UInt64 = 0
        let timed: Objective = { x, g in
            let t0 = DispatchTime.now().uptimeNanoseconds
            defer { objectiveNanos += DispatchTime.now().uptimeNanoseconds - t0 }
            return objective.evaluate(x, &g)
        }
        var x = pair.content.data
        let optimizer = config.makeLBFGS(variables: x.count, objective: timed)
        _ = optimizer.start(at: x)
        for _ in 0..<warmup { _ = optimizer.step(&x) }

        network.profiling = true
        var times: [Double] = [], forward: [Double] = [], backward: [Double] = [], losses: [Double] = [], update: [Double] = []
        var imageTerms = [[Double]](repeating: [], count: objective.terms.count)
        let evaluationsBefore = objective.evaluations
        let cpuStart = ProcessStats.cpuSeconds()
        for _ in 0..<steps {
            network.resetProfile()
            objectiveNanos = 0
            let termsBefore = objective.imageTermSeconds
            let t0 = DispatchTime.now().uptimeNanoseconds
            switch optimizer.step(&x) {
            case .moved, .converged: break
            case .stalled(let reason): throw BenchmarkError.stepFailed(reason)
            case .nonFinite: throw BenchmarkError.stepFailed("the loss became NaN or infinite")
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            let f = network.profile.reduce(0) { $0 + $1.forward }, b = network.profile.reduce(0) { $0 + $1.backward }
            let inObjective = Double(objectiveNanos) / 1e9
            times.append(seconds)
            forward.append(f)
            backward.append(b)
            losses.append(max(0, inObjective - f - b))
            update.append(max(0, seconds - inObjective))
            for t in imageTerms.indices { imageTerms[t].append(objective.imageTermSeconds[t] - termsBefore[t]) }
        }
        let cpu = (ProcessStats.cpuSeconds() - cpuStart) / Double(steps)
        let median = NetworkBenchmark.median(times)
        let g = NetworkBenchmark.gflop(width: size, height: size, layers: plan.requestedLayers, weights: weights)
        let last = objective.lastBreakdown
        return Result(size: size, steps: steps, threads: Parallel.workers, kernel: network.convKernel.rawValue,
                      lbfgsHistory: optimizer.history, medianSeconds: median, minSeconds: times.min() ?? 0,
                      cpuSecondsPerStep: cpu,
                      evaluationsPerStep: Double(objective.evaluations - evaluationsBefore) / Double(steps),
                      forwardSeconds: NetworkBenchmark.median(forward), backwardSeconds: NetworkBenchmark.median(backward),
                      lossSeconds: NetworkBenchmark.median(losses), optimizerSeconds: NetworkBenchmark.median(update),
                      gflop: g, gflopPerSecond: g / median, peakRSSMiB: ProcessStats.peakRSSMiB(),
                      content: last.content, style: last.style, total: last.total,
                      imageTermSeconds: Dictionary(uniqueKeysWithValues: objective.terms.indices.filter { objective.terms[$0].layers.isEmpty }
                          .map { (objective.terms[$0].name, NetworkBenchmark.median(imageTerms[$0])) }),
                      contentImage: content.lastPathComponent, styleImage: style.lastPathComponent, weights: weightsLabel)
    }
}

/// The run configuration `base` on one content/style pair, planned, with the network inputs of its first stage:
/// the content at `size`×`size` if `square` (as the reference timings), else at the stage's size.
struct BenchmarkPair {
    let plan: RunPlan
    let content: FeatureMap
    let style: FeatureMap

    init(content: URL, style: URL, size: Int, square: Bool, base: RunConfiguration) throws {
        var config = base
        config.content = content.path
        config.style = [style.path]
        config.size = size
        plan = try config.plan()
        guard let stage = plan.stages.first else { throw BenchmarkError.stepFailed("the configuration has no stage") }
        let contentImage = square ? try plan.content.resized(width: size, height: size)
                                  : try plan.content.resized(width: stage.width, height: stage.height)
        self.content = VGGInput.fromImage(contentImage)
        self.style = VGGInput.fromImage(try plan.styles[0].resized(longestSide: stage.styleLongestSide))
    }
}

/// A benchmark that could not complete.
public enum BenchmarkError: Error, CustomStringConvertible {
    case stepFailed(String)

    public var description: String {
        switch self {
        case .stepFailed(let reason):
            return "benchmark: an L-BFGS step failed (\(reason)); check the weights file (nst-exp weights install) and the images"
        }
    }
}
