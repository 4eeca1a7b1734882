import ArgumentParser
import Foundation
import NSTExperiments
import NSTNetwork

/// `nst-exp bench`: times a VGG-19 forward to relu5_1 plus the backward to the input.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time one style-transfer iteration's network cost (forward to relu5_1 + backward to the input).")

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

    @Option(help: "With --kernels: also compare the network's features and input gradient on this image (Winograd vs im2col; needs the installed weights).")
    var image: String?

    func validate() throws {
        guard size >= 16 else { throw ValidationError("--size must be at least 16 to reach relu5_1, got \(size)") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
    }

    func run() throws {
        if kernels { return try runKernels() }
        let weights = try BenchCommand.weights(random: randomWeights)
        let result = NetworkBenchmark(size: size, repeats: repeats).run(weights: weights.0, weightsLabel: weights.1)
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(result), as: UTF8.self))
        } else {
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

    func runKernels() throws {
        let rows = try ConvKernelBenchmark(shapes: ConvKernelBenchmark.vggShapes(size: size), repeats: repeats).run()
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(rows), as: UTF8.self))
            return
        }
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

    static func weights(random: Bool) throws -> (VGGWeights, String) {
        if random { return (VGGWeights.random(seed: 1), "random") }
        return (try VGGWeights.loadInstalled(), "VGG-19")
    }
}
