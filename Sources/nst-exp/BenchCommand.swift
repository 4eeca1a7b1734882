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

    func validate() throws {
        guard size >= 16 else { throw ValidationError("--size must be at least 16 to reach relu5_1, got \(size)") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
    }

    func run() throws {
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

    static func weights(random: Bool) throws -> (VGGWeights, String) {
        if random { return (VGGWeights.random(seed: 1), "random") }
        return (try VGGWeights.loadInstalled(), "VGG-19")
    }
}
