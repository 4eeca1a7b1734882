import Foundation
import NSTGuidance
import NSTImage
import NSTNetwork
import NSTTensor

/// Why a run ended.
public enum StopReason: Equatable, Sendable, CustomStringConvertible {
    /// All scheduled iterations ran (stages whose optimizer converged or stalled early end sooner).
    case completed
    /// Stopped on request (Ctrl-C); the last iterate was written.
    case interrupted
    /// The loss became NaN or infinite; the last good iterate was written.
    case diverged(String)

    public var description: String {
        switch self {
        case .completed: return "completed"
        case .interrupted: return "interrupted"
        case .diverged(let detail): return "diverged: \(detail)"
        }
    }
}

/// The state after one iteration (iteration 0 is the starting image).
public struct IterationReport: Equatable, Sendable {
    /// Iterations done so far, counted across all scales.
    public let iteration: Int
    /// Iterations scheduled over all scales.
    public let totalIterations: Int
    /// 0-based stage (scale) index and the number of stages.
    public let stage: Int
    public let stageCount: Int
    public let width: Int
    public let height: Int
    /// Weighted loss terms at the current iterate.
    public let losses: LossBreakdown
    /// Seconds since the run started.
    public let seconds: Double
}

/// What a running transfer reports.
public enum TransferEvent: Sendable {
    case stageStarted(index: Int, count: Int, width: Int, height: Int, iterations: Int)
    case iteration(IterationReport)
    /// An optimizer ended a stage early (converged or no further decrease possible).
    case stageEndedEarly(index: Int, reason: String)
    case saved(path: String, isFinal: Bool)
}

/// The outcome of `StyleTransfer.run`.
public struct TransferResult: Sendable {
    /// The final image (RGB, 0…1), as written to `outputPath`.
    public let image: Image
    public let outputPath: String
    public let logPath: String?
    public let stopReason: StopReason
    /// Iterations performed over all stages.
    public let iterations: Int
    public let seconds: Double
    /// One report per logged iteration, as in the loss log.
    public let history: [IterationReport]
}

/// A thread-safe stop request, set from a signal handler and polled between iterations.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    public init() {}
    /// Asks the run to stop after the current iteration.
    public func request() { lock.lock(); requested = true; lock.unlock() }
    public var isRequested: Bool { lock.lock(); defer { lock.unlock() }; return requested }
}

/// Errors while a validated run executes.
public enum TransferError: Error, CustomStringConvertible, LocalizedError {
    /// Writing an image failed.
    case write(ImageError)
    /// Writing the loss log failed.
    case logWrite(path: String, reason: String)
    /// Resizing an input failed (e.g. a style image scaled below one pixel).
    case resize(what: String, ImageError)

    public var description: String {
        switch self {
        case .write(let error): return error.description
        case let .logWrite(path, reason): return "cannot write loss log \(path): \(reason). Check that the folder is writable and has free space."
        case let .resize(what, error): return "cannot resize the \(what): \(error.description)"
        }
    }

    public var errorDescription: String? { description }
}

/// Gatys-style neural style transfer (Gatys, Ecker, Bethge 2016) driven by a `RunConfiguration`:
/// colour control, coarse-to-fine scales, L-BFGS or Adam, snapshots, loss log, interruption, divergence handling.
public final class StyleTransfer {
    public let plan: RunPlan
    public let network: VGG19
    /// Request a clean stop (e.g. from a SIGINT handler); polled between iterations.
    public let stopFlag: StopFlag
    /// Shared content and style targets (e.g. across the runs of a sweep); nil computes them for this run only.
    public var targetCache: TargetCache?

    /// Validates `configuration` (throws `ConfigurationError` before any work) and builds VGG-19 on `weights`.
    public init(configuration: RunConfiguration, weights: VGGWeights, stopFlag: StopFlag = StopFlag()) throws {
        network = VGG19(weights: weights, pooling: configuration.pooling, convKernel: configuration.convKernel)
        plan = try configuration.plan(autoMaskNetwork: network)
        self.stopFlag = stopFlag
    }

    /// Runs every stage; returns after writing the final image (and log), also when interrupted or diverged.
    public func run(progress: (TransferEvent) -> Void = { _ in }) throws -> TransferResult {
        let config = plan.configuration
        let clock = ContinuousClock(), started = clock.now
        func elapsed() -> Double {
            let d = clock.now - started
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        let sources = preparedInputs()
        if let masks = plan.autoMasks { try writeAutoMasks(masks) }
        let totalIterations = plan.stages.reduce(0) { $0 + $1.iterations }
        var log = LossLog()
        var iteration = 0
        var stopReason = StopReason.completed
        var current = FeatureMap(channels: 3, height: 0, width: 0)

        stages: for (index, stage) in plan.stages.enumerated() {
            progress(.stageStarted(index: index, count: plan.stages.count, width: stage.width, height: stage.height,
                                   iterations: stage.iterations))
            let content = try resize(sources.content, width: stage.width, height: stage.height, what: "content image")
            let styles = try sources.styles.map { try resize($0, longestSide: stage.styleLongestSide, what: "style image") }
            current = index == 0 ? try initialImage(stage: stage, sources: sources)
                                 : VGGInput.fromImage(try resize(VGGInput.toImage(current), width: stage.width,
                                                                 height: stage.height, what: "previous result"))
            let styleInputs = styles.map(VGGInput.fromImage)
            let guided = try plan.guidance.map { guidance in
                try GuidedObjectiveTerms(guidance: guidance.prepared(contentWidth: stage.width, contentHeight: stage.height,
                                                                     styleSizes: styles.map { (width: $0.width, height: $0.height) }),
                                         network: network, styles: styleInputs, plan: plan, targets: targetCache)
            }
            let objective = TransferObjective(network: network, content: VGGInput.fromImage(content),
                                              styles: styleInputs, plan: plan, targets: targetCache, guided: guided)
            var x = current.data
            let optimizer = makeOptimizer(variables: x.count, objective: objective.closure)
            let startLoss = optimizer.start(at: x)
            func report() -> IterationReport {
                IterationReport(iteration: iteration, totalIterations: totalIterations, stage: index,
                                stageCount: plan.stages.count, width: stage.width, height: stage.height,
                                losses: objective.lastBreakdown, seconds: elapsed())
            }
            guard startLoss.isFinite else {
                stopReason = .diverged("the loss of the starting image at \(stage.width)×\(stage.height) is \(startLoss)")
                break stages
            }
            if index == 0 {
                let first = report()
                log.append(first)
                progress(.iteration(first))
            }
            for _ in 0..<stage.iterations {
                if stopFlag.isRequested { stopReason = .interrupted; break }
                switch optimizer.step(&x) {
                case .moved:
                    iteration += 1
                    let row = report()
                    log.append(row)
                    progress(.iteration(row))
                    if config.saveEvery > 0, iteration % config.saveEvery == 0, iteration < totalIterations {
                        current.data = x
                        let path = snapshotPath(iteration: iteration)
                        try save(current, sources: sources, to: path)
                        try writeLog(log)
                        progress(.saved(path: path, isFinal: false))
                    }
                    continue
                case .converged(let loss):
                    progress(.stageEndedEarly(index: index, reason: "gradient vanished at loss \(loss)"))
                case .stalled(let reason):
                    progress(.stageEndedEarly(index: index, reason: reason))
                case .nonFinite:
                    stopReason = .diverged("the loss became NaN or infinite at iteration \(iteration + 1); keeping iteration \(iteration)")
                }
                break
            }
            current.data = x
            if stopReason != .completed { break stages }
        }

        let image = try save(current, sources: sources, to: config.output)
        try writeLog(log)
        progress(.saved(path: config.output, isFinal: true))
        return TransferResult(image: image, outputPath: config.output, logPath: config.log, stopReason: stopReason,
                              iterations: iteration, seconds: elapsed(), history: log.rows)
    }

    // MARK: inputs

    /// The images the network sees, after colour control; `colorContent` keeps the content's own colours
    /// for recombination in luminance mode.
    struct Sources {
        let content: Image
        let styles: [Image]
        let initImage: Image?
        let colorContent: Image
    }

    func preparedInputs() -> Sources {
        let content = plan.content
        switch plan.configuration.preserveColor {
        case .none:
            return Sources(content: content, styles: plan.styles, initImage: plan.initImage, colorContent: content)
        case .histogram:
            return Sources(content: content, styles: plan.styles.map { ColorControl.matchHistogram(of: $0, to: content) },
                           initImage: plan.initImage, colorContent: content)
        case .luminance:
            return Sources(content: ColorControl.luminanceImage(content),
                           styles: plan.styles.map { ColorControl.luminanceImage($0, matchingStatisticsOf: content) },
                           initImage: plan.initImage.map { ColorControl.luminanceImage($0) }, colorContent: content)
        }
    }

    func initialImage(stage: RunPlan.Stage, sources: Sources) throws -> FeatureMap {
        switch plan.configuration.initialization {
        case .content:
            return VGGInput.fromImage(try resize(sources.content, width: stage.width, height: stage.height, what: "content image"))
        case .style:
            return VGGInput.fromImage(try resize(sources.styles[0], width: stage.width, height: stage.height, what: "style image"))
        case .image:
            guard let initImage = sources.initImage else { preconditionFailure("RunPlan resolves init images") }
            return VGGInput.fromImage(try resize(initImage, width: stage.width, height: stage.height, what: "init image"))
        case .noise:
            var rng = SplitMix64(seed: plan.configuration.seed)
            var noise = Image(width: stage.width, height: stage.height, channels: 3)
            for i in noise.pixels.indices { noise.pixels[i] = rng.nextUnitFloat() }
            return VGGInput.fromImage(noise)
        }
    }

    /// The configured optimizer for an iterate of `variables` floats (the L-BFGS history depends on it).
    func makeOptimizer(variables: Int, objective: @escaping Objective) -> Optimizer {
        let config = plan.configuration
        switch config.optimizer {
        case .lbfgs: return config.makeLBFGS(variables: variables, objective: objective)
        case .adam: return Adam(learningRate: config.effectiveLearningRate, objective: objective)
        }
    }

    func resize(_ image: Image, width: Int, height: Int, what: String) throws -> Image {
        if image.width == width && image.height == height { return image }
        do { return try image.resized(width: width, height: height) } catch let e as ImageError { throw TransferError.resize(what: what, e) }
    }

    func resize(_ image: Image, longestSide: Int, what: String) throws -> Image {
        if max(image.width, image.height) == longestSide { return image }
        do { return try image.resized(longestSide: longestSide) } catch let e as ImageError { throw TransferError.resize(what: what, e) }
    }

    // MARK: outputs

    /// `<output stem>_<iteration>.<ext>` beside the output.
    func snapshotPath(iteration: Int) -> String {
        let url = URL(fileURLWithPath: plan.configuration.output)
        let stem = url.deletingPathExtension().lastPathComponent
        return url.deletingLastPathComponent().appendingPathComponent("\(stem)_\(iteration).\(url.pathExtension)").path
    }

    /// Converts the iterate to an image (recombining chroma in luminance mode, then refining it with the guided
    /// filter when `guided_filter_radius` > 0, the content's own colours as the guide) and writes it atomically.
    @discardableResult
    func save(_ x: FeatureMap, sources: Sources, to path: String) throws -> Image {
        var image = VGGInput.toImage(x)
        let config = plan.configuration
        if config.preserveColor == .luminance || config.guidedFilterRadius > 0 {
            let content = try resize(sources.colorContent.toRGB(), width: image.width, height: image.height, what: "content image")
            if config.preserveColor == .luminance { image = ColorControl.recombine(luminanceOf: image, chromaOf: content) }
            if config.guidedFilterRadius > 0 {
                image = GuidedFilter.refine(image, guide: content, radius: config.guidedFilterRadius,
                                            epsilon: config.guidedFilterEpsilon)
            }
        }
        do {
            try ImageIO.save(image, to: URL(fileURLWithPath: path))
        } catch let error as ImageError {
            throw TransferError.write(error)
        }
        return image
    }

    /// The `auto_masks` label maps beside the output (`RunConfiguration.autoMaskPaths`).
    func writeAutoMasks(_ masks: AutoMaskResult) throws {
        let paths = RunConfiguration.autoMaskPaths(output: plan.configuration.output)
        do {
            try ImageIO.save(masks.contentMap, to: URL(fileURLWithPath: paths.content))
            try ImageIO.save(masks.styleMap, to: URL(fileURLWithPath: paths.style))
        } catch let error as ImageError {
            throw TransferError.write(error)
        }
    }

    func writeLog(_ log: LossLog) throws {
        guard let path = plan.configuration.log else { return }
        do {
            try FileIO.write(Data(log.csv().utf8), to: path)
        } catch let error as FileIOError {
            throw TransferError.logWrite(path: path, reason: error.reason)
        }
    }
}
