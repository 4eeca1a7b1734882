import ArgumentParser
import Foundation
import NSTExperiments
import NSTNetwork
import NSTTensor
import NSTTransfer

/// `nst-exp bench`: times a VGG-19 forward to relu5_1 plus the backward to the input.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time one style-transfer iteration's network cost (forward to relu5_1 + backward to the input).",
        discussion: """
            --step times whole L-BFGS steps of a real transfer instead (forward, losses, backward and the optimizer \
            update, default run configuration, content scaled to SIZE×SIZE); --accuracy runs 50 iterations with the \
            conv kernel and with the im2col reference and compares every loss term. The conv kernel is the run \
            configuration's conv_kernel (default winograd4; --set conv_kernel=im2col|winograd2|winograd4). Every mode \
            prints the CPU, the OpenBLAS kernel set and the conv kernel first (--system prints only those), and warns \
            when OpenBLAS runs kernels below what the CPU supports.
            """)

    @Option(help: "Image side in pixels (square input).")
    var size: Int = 512

    @Option(help: "Timed repetitions after one warm-up; the median is reported.")
    var repeats: Int = 5

    @Flag(help: "Print the figures as JSON.")
    var json = false

    @Flag(name: .shortAndLong, help: "Also print per-layer times.")
    var verbose = false

    @Flag(help: "Use seeded random weights instead of the installed VGG-19 (timing only).")
    var randomWeights = false

    @Flag(help: "Instead, time each 3×3 kernel (im2col+SGEMM vs Winograd) on VGG-19's layer shapes at this size.")
    var kernels = false

    @Flag(help: "Time whole L-BFGS steps of a real transfer (forward, losses, backward, optimizer update).")
    var step = false

    @Option(help: "With --step: untimed L-BFGS steps before the first (short-history) figure.")
    var warmup: Int = 2

    @Flag(inversion: .prefixedNo, help: "With --step: also go on until the L-BFGS history is full (100 pairs by default) and time as many steps again, as the second half of a long run has them.")
    var fullHistory = true

    @Flag(help: "Run a transfer with the conv kernel (conv_kernel, default winograd4) and with the im2col reference and compare every loss term (exit 1 above 1e-3 relative).")
    var accuracy = false

    @Option(help: "With --accuracy: L-BFGS iterations of each run.")
    var iterations: Int = 50

    @Option(help: "With --step or --accuracy: content image.")
    var content: String = "Examples/content/astronaut.png"

    @Option(help: "With --step or --accuracy: style image.")
    var style: String = "Examples/styles/hubble_deep_field.jpg"

    @Flag(help: "Instead, print what would run: the CPU and its vector features, the BLAS library, version and kernel set (and whether they match), the conv kernel.")
    var system = false

    @Option(name: .customLong("set"), help: ArgumentHelp("Set a run-configuration key, e.g. --set conv_kernel=im2col (every mode but --kernels, which times every kernel) or, with --step or --accuracy, --set photorealism_weight=1e4 (repeatable; the value is JSON, else a string).", valueName: "key=value"))
    var set: [String] = []

    @Option(help: "With --kernels: also compare the network's features and input gradient on this image (Winograd vs im2col; needs the installed weights).")
    var image: String?

    func validate() throws {
        guard size >= 16 else { throw ValidationError("--size must be at least 16 to reach relu5_1, got \(size)") }
        if let problem = RunLimits.sideProblem(size, option: "--size") { throw ValidationError(problem) }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be at least 0, got \(warmup)") }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1, got \(iterations)") }
        guard [kernels, step, accuracy, system].filter({ $0 }).count <= 1 else {
            throw ValidationError("give at most one of --kernels, --step, --accuracy and --system")
        }
        if let problem = unusedSetting() { throw ValidationError(problem) }
    }

    /// A `--set` key the chosen mode would ignore (the benchmark would time something other than what was asked).
    func unusedSetting() -> String? {
        let own = ["size": "--size", "content": "--content", "style": "--style", "iterations": step ? "--repeats" : "--iterations"]
        for text in set {
            let key = String(text.prefix { $0 != "=" })
            if let flag = own[key] { return "--set \(text): bench sets '\(key)' itself; give \(flag) instead" }
            if kernels { return "--set \(text): --kernels times every conv kernel and reads no run configuration; drop --set" }
            if !step && !accuracy && key != "conv_kernel" {
                return "--set \(text): this mode times VGG-19's passes and reads only conv_kernel; use --step or --accuracy to time or check a configuration with '\(key)'"
            }
        }
        return nil
    }

    func run() throws {
        // Say on standard error, before any figure, when OpenBLAS runs kernels below what this CPU supports.
        BLASKernels.warnOnce()
        let configuration = try RunConfiguration().setting(set)
        if system {
            let environment = RunEnvironment.current(convKernel: configuration.convKernel)
            if json { return try BenchCommand.printJSON(environment) }
            environment.summary.forEach { print($0) }
            print("features: " + environment.cpuFeatures.joined(separator: " "))
            print(environment.blasConfig)
            return
        }
        if kernels { return try runKernels() }
        if step { return try runStep(configuration) }
        if accuracy { return try runAccuracy(configuration) }
        let weights = try BenchCommand.weights(random: randomWeights)
        let result = NetworkBenchmark(size: size, repeats: repeats, convKernel: configuration.convKernel)
            .run(weights: weights.0, weightsLabel: weights.1)
        if json {
            try BenchCommand.printJSON(result)
        } else {
            result.system.summary.forEach { print($0) }
            print(String(format: "size %d×%d, %d threads, %@ weights", result.size, result.size, result.threads, result.weights))
            print(String(format: "median %.3f s (min %.3f; forward %.3f, backward %.3f) over %d runs",
                         result.medianSeconds, result.minSeconds, result.forwardSeconds, result.backwardSeconds, result.repeats))
            print(String(format: "%.1f GFLOP per iteration, %.1f GFLOP/s; CPU time %.3f s per iteration (%.1f GFLOP per CPU-second)",
                         result.gflop, result.gflopPerSecond, result.cpuSecondsPerIteration, result.gflop / result.cpuSecondsPerIteration))
            print(String(format: "peak RSS %.0f MiB", result.peakRSSMiB))
            if verbose {
                for l in result.layers where l.forward + l.backward > 0 {
                    print(String(format: "  %-8@ forward %.4f s  backward %.4f s", l.name, l.forward, l.backward))
                }
            }
        }
    }

    func runStep(_ configuration: RunConfiguration) throws {
        let weights = try BenchCommand.weights(random: randomWeights)
        let result = try StepBenchmark(size: size, steps: repeats, warmup: warmup, fullHistory: fullHistory).run(
            weights: weights.0, weightsLabel: weights.1, content: try BenchCommand.existing(content, "--content"),
            style: try BenchCommand.existing(style, "--style"), configuration: configuration)
        if json { return try BenchCommand.printJSON(result) }
        result.system.summary.forEach { print($0) }
        print(String(format: "L-BFGS step, %d×%d, %@ on %@, %@ weights, history %d pairs",
                     result.size, result.size, result.contentImage, result.styleImage, result.weights, result.lbfgsHistory))
        for (label, t) in [("short history", result.shortHistory), ("history full", result.fullHistory)] {
            guard let t else { continue }
            print(String(format: "%@ (%d pairs, after %d steps): median %.3f s per step (min %.3f) over %d steps, %.2f evaluations per step",
                         label, t.pairsHeld, t.afterSteps, t.medianSeconds, t.minSeconds, result.steps, t.evaluationsPerStep))
            print(String(format: "  forward %.3f s, losses %.3f s, backward %.3f s, optimizer %.3f s; CPU time %.3f s per step; peak RSS %.0f MiB",
                         t.forwardSeconds, t.lossSeconds, t.backwardSeconds, t.optimizerSeconds, t.cpuSecondsPerStep, t.peakRSSMiB))
            for (name, seconds) in t.imageTermSeconds.sorted(by: { $0.key < $1.key }) {
                print(String(format: "  of the losses, %@ term %.4f s per step (%.1f %% of the step)", name, seconds,
                             100 * seconds / t.medianSeconds))
            }
        }
        print(String(format: "%.1f GFLOP of direct convolution per evaluation, %.1f GFLOP/s equivalent (short history)",
                     result.gflop, result.gflopPerSecond))
    }

    func runAccuracy(_ configuration: RunConfiguration) throws {
        let weights = try BenchCommand.weights(random: randomWeights)
        let result = try KernelAgreement(size: size, iterations: iterations).run(
            weights: weights.0, content: try BenchCommand.existing(content, "--content"),
            style: try BenchCommand.existing(style, "--style"), configuration: configuration)
        if json {
            try BenchCommand.printJSON(result)
        } else {
            result.system.summary.forEach { print($0) }
            print(String(format: "%@ vs %@ reference at the iterate of %d L-BFGS iterations, %d×%d",
                         result.fastKernel, result.referenceKernel, result.iterations, result.width, result.height))
            for t in result.terms {
                print(String(format: "  %-16@ %.6e  %.6e  relative difference %.1e", t.name, t.fast, t.reference,
                             t.relativeDifference))
            }
            print(String(format: "  gradient (relative L2) %.1e", result.gradientDifference))
            print(String(format: "worst term %.1e (bar 1e-3): %@", result.worst, result.worst <= 1e-3 ? "agrees" : "DISAGREES"))
            let t = result.trajectoryTotals
            print(String(format: "(each kernel's own %d-iteration trajectory ends at total %.6e vs %.6e, %.1e apart: float32 L-BFGS amplifies any rounding change)",
                         result.iterations, t.fast, t.reference, t.relativeDifference))
        }
        if result.worst > 1e-3 { throw ExitCode(1) }
    }

    static func existing(_ path: String, _ flag: String) throws -> URL {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("\(flag) \(path): no such file; install the example images (nst-exp examples install) or pass an image path")
        }
        return URL(fileURLWithPath: path)
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try enc.encode(value), as: UTF8.self))
    }

    func runKernels() throws {
        let rows = try ConvKernelBenchmark(shapes: ConvKernelBenchmark.vggShapes(size: size), repeats: repeats).run()
        let system = RunEnvironment.current()
        if json { return try BenchCommand.printJSON(KernelTimings(system: system, layers: rows)) }
        system.summary.forEach { print($0) }
        print("layer             method          fwd CPU s  bwd CPU s  fwd wall s  bwd wall s  fwd err   bwd err")
        for row in rows {
            let s = row.shape
            let label = "\(s.inChannels)→\(s.outChannels) @\(s.side)²"
            for t in row.timings {
                print(String(format: "%-17@ %-15@ %9.4f  %9.4f  %10.4f  %10.4f  %.1e  %.1e", label, t.method,
                             t.forwardCPU, t.backwardCPU, t.forwardWall, t.backwardWall, t.forwardError, t.backwardError))
            }
        }
        if let image {
            let weights = try VGGWeights.loadInstalled()
            for row in try ConvKernelAccuracy.run(weights: weights, image: URL(fileURLWithPath: image), size: size) {
                print(String(format: "%-10@ %-15@ max-norm relative error %.2e, L2 relative error %.2e", row.kernel,
                             row.output, row.relativeError, row.relativeL2Error))
            }
        }
    }

    /// `bench --kernels --json`: the environment and each layer shape's timings.
    struct KernelTimings: Encodable {
        var system: RunEnvironment
        var layers: [ConvKernelBenchmark.Row]
    }

    static func weights(random: Bool) throws -> (VGGWeights, String) {
        if random { return (VGGWeights.random(seed: 1), "random") }
        return (try VGGWeights.loadInstalled(), "VGG-19")
    }
}
