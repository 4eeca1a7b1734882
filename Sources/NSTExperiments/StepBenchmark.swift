import Foundation
import NSTImage
import NSTNetwork
import NSTTensor
import NSTTransfer

/// Times whole L-BFGS steps of a real style transfer: forward to the deepest loss layer, content, style and
/// TV losses with their gradients, backward to the image, and the optimizer's own update (two-loop
/// recursion, line-search bookkeeping), exactly as `StyleTransfer` runs them.
///
/// The content image is scaled to `size`×`size` (square, as the PyTorch reference timings of `scripts/bench-pastiche.py`) and the
/// style image's longest side to `size`. The first figure is taken after `warmup` steps, with a short history; with
/// `fullHistory` the run then goes on until the optimizer holds its whole history (100 pairs by default, fewer
/// where `lbfgs_history_mib` caps it) and times `steps` more, as the second half of a 300-iteration run has them:
/// the two-loop recursion then reads every pair and the peak RSS includes them.
public struct StepBenchmark {
    /// The figures of `steps` timed steps.
    public struct Timing: Codable, Sendable {
        /// L-BFGS steps taken before the timed ones, and the (s, y) pairs the optimizer held when timing began.
        public var afterSteps: Int
        public var pairsHeld: Int
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
        /// Seconds per step in each image term (e.g. `photorealism`; layer terms run inside the backward), median of
        /// the timed steps; part of `lossSeconds`.
        public var imageTermSeconds: [String: Double]
        /// Peak RSS of the process when these steps ended.
        public var peakRSSMiB: Double
    }

    /// One benchmark's figures, as `nst-exp bench --step --json` prints them.
    public struct Result: Codable, Sendable {
        /// The version this build writes (`FileFormat`). Version 1 also repeated the short-history timing's fields at
        /// the top level; it reads as this one (the repeated fields are ignored).
        public static let currentVersion = 2

        public var formatVersion = Result.currentVersion
        public var size: Int
        public var steps: Int
        public var threads: Int
        public var kernel: String
        /// Pairs the optimizer keeps: `lbfgs_history` capped by `lbfgs_history_mib` at this size.
        public var lbfgsHistory: Int
        /// Direct-convolution arithmetic of one evaluation (forward and backward), in GFLOP.
        public var gflop: Double
        /// `gflop` per median step of the short history: the rate a direct convolution would need to match that step time.
        public var gflopPerSecond: Double
        /// The figure after `warmup` steps (a short history), and the figure with the history full (nil unless asked for).
        public var shortHistory: Timing
        public var fullHistory: Timing?
        /// Loss after the last timed step (weighted terms).
        public var content: Float
        public var style: Float
        public var total: Float
        public var contentImage: String
        public var styleImage: String
        public var weights: String
        /// CPU, BLAS kernel set and conv kernel that ran.
        public var system: RunEnvironment

        public init(size: Int, steps: Int, threads: Int, kernel: String, lbfgsHistory: Int, gflop: Double,
                    gflopPerSecond: Double, shortHistory: Timing, fullHistory: Timing?, content: Float, style: Float,
                    total: Float, contentImage: String, styleImage: String, weights: String, system: RunEnvironment) {
            self.size = size; self.steps = steps; self.threads = threads; self.kernel = kernel
            self.lbfgsHistory = lbfgsHistory; self.gflop = gflop; self.gflopPerSecond = gflopPerSecond
            self.shortHistory = shortHistory; self.fullHistory = fullHistory
            self.content = content; self.style = style; self.total = total
            self.contentImage = contentImage; self.styleImage = styleImage; self.weights = weights; self.system = system
        }

        enum CodingKeys: String, CodingKey {
            case formatVersion = "format_version"
            case size, steps, threads, kernel, lbfgsHistory, gflop, gflopPerSecond, shortHistory, fullHistory
            case content, style, total, contentImage, styleImage, weights, system
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            formatVersion = try FileFormat.version(in: c, forKey: .formatVersion, newest: Self.currentVersion)
            size = try c.decode(Int.self, forKey: .size)
            steps = try c.decode(Int.self, forKey: .steps)
            threads = try c.decode(Int.self, forKey: .threads)
            kernel = try c.decode(String.self, forKey: .kernel)
            lbfgsHistory = try c.decode(Int.self, forKey: .lbfgsHistory)
            gflop = try c.decode(Double.self, forKey: .gflop)
            gflopPerSecond = try c.decode(Double.self, forKey: .gflopPerSecond)
            shortHistory = try c.decode(Timing.self, forKey: .shortHistory)
            fullHistory = try c.decodeIfPresent(Timing.self, forKey: .fullHistory)
            content = try c.decode(Float.self, forKey: .content)
            style = try c.decode(Float.self, forKey: .style)
            total = try c.decode(Float.self, forKey: .total)
            contentImage = try c.decode(String.self, forKey: .contentImage)
            styleImage = try c.decode(String.self, forKey: .styleImage)
            weights = try c.decode(String.self, forKey: .weights)
            system = try c.decode(RunEnvironment.self, forKey: .system)
        }
    }

    public var size: Int
    public var steps: Int
    /// Untimed steps before the timed ones (the first L-BFGS step is a scaled gradient step).
    public var warmup: Int
    /// Whether to go on until the history is full and time `steps` more.
    public var fullHistory: Bool

    /// A benchmark of `steps` timed L-BFGS steps at `size`×`size` after `warmup` untimed ones, and, with
    /// `fullHistory`, `steps` more once the optimizer's history is full.
    public init(size: Int, steps: Int = 5, warmup: Int = 2, fullHistory: Bool = false) {
        self.size = size
        self.steps = steps
        self.warmup = warmup
        self.fullHistory = fullHistory
    }

    /// Runs the benchmark with the default run configuration on `content` and `style`.
    public func run(weights: VGGWeights, weightsLabel: String, content: URL, style: URL,
                    configuration base: RunConfiguration = RunConfiguration()) throws -> Result {
        let pair = try BenchmarkPair(content: content, style: style, size: size, square: true, base: base)
        let config = pair.plan.configuration, plan = pair.plan
        let network = VGG19(weights: weights, pooling: config.pooling, convKernel: config.convKernel)
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
        var taken = 0
        func advance() throws {
            switch optimizer.step(&x) {
            case .moved, .converged: taken += 1
            case .stalled(let reason): throw BenchmarkError.stepFailed(reason)
            case .nonFinite: throw BenchmarkError.stepFailed("the loss became NaN or infinite")
            }
        }

        func timeSteps() throws -> Timing {
            network.profiling = true
            defer { network.profiling = false }
            let afterSteps = taken, pairsHeld = optimizer.pairsHeld
            var times: [Double] = [], forward: [Double] = [], backward: [Double] = [], losses: [Double] = []
            var update: [Double] = []
            var imageTerms = [[Double]](repeating: [], count: objective.terms.count)
            let evaluationsBefore = objective.evaluations
            let cpuStart = ProcessStats.cpuSeconds()
            for _ in 0..<steps {
                network.resetProfile()
                objectiveNanos = 0
                let termsBefore = objective.imageTermSeconds
                let t0 = DispatchTime.now().uptimeNanoseconds
                try advance()
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
            let median = NetworkBenchmark.median
            let imageTermSeconds = Dictionary(uniqueKeysWithValues: objective.terms.indices.filter { objective.terms[$0].layers.isEmpty }
                .map { (objective.terms[$0].name, median(imageTerms[$0])) })
            return Timing(afterSteps: afterSteps, pairsHeld: pairsHeld, medianSeconds: median(times),
                          minSeconds: times.min() ?? 0, cpuSecondsPerStep: (ProcessStats.cpuSeconds() - cpuStart) / Double(steps),
                          evaluationsPerStep: Double(objective.evaluations - evaluationsBefore) / Double(steps),
                          forwardSeconds: median(forward), backwardSeconds: median(backward),
                          lossSeconds: median(losses), optimizerSeconds: median(update), imageTermSeconds: imageTermSeconds,
                          peakRSSMiB: ProcessStats.peakRSSMiB())
        }

        for _ in 0..<warmup { try advance() }
        let short = try timeSteps()
        var full: Timing? = nil
        if fullHistory {
            // A run that converges stops adding pairs; give up filling after a few times the history.
            for _ in 0..<(4 * optimizer.history) where optimizer.pairsHeld < optimizer.history { try advance() }
            full = try timeSteps()
        }
        let g = NetworkBenchmark.gflop(width: size, height: size, layers: plan.requestedLayers, weights: weights)
        let last = objective.lastBreakdown
        return Result(size: size, steps: steps, threads: Parallel.workers, kernel: network.convKernel.rawValue,
                      lbfgsHistory: optimizer.history, gflop: g, gflopPerSecond: g / short.medianSeconds,
                      shortHistory: short, fullHistory: full,
                      content: last.content, style: last.style, total: last.total,
                      contentImage: content.lastPathComponent, styleImage: style.lastPathComponent, weights: weightsLabel,
                      system: .current(convKernel: network.convKernel))
    }
}

/// The run configuration `base` on one content/style pair, planned, with the network inputs of its first stage:
/// the content at `size`×`size` if `square` (as the PyTorch reference timings), else at the stage's size.
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
