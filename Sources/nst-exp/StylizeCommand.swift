import ArgumentParser
import Foundation
import NSTGuidance
import NSTNetwork
import NSTTransfer

/// `nst-exp stylize`: a thin wrapper that maps flags onto `RunConfiguration` keys and runs `StyleTransfer`.
struct StylizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Gatys et al. 2016 style transfer: optimise an image to match content and style features of VGG-19.",
        usage: "nst-exp stylize [--config <file>] [--<key option> <value> ...] [--set <key=value> ...] [--photorealistic] [--print-config]",
        discussion: """
            Each run-configuration option below sets the key of its name in snake_case (--style-weight → style_weight) or the key it \
            names; --set key=value sets any key, including those of the loss terms. \
            --config FILE.json loads a configuration first; flags given on the command line override it. \
            Ctrl-C stops after the current iteration and still writes the image and the log. \
            Exit status: 0 completed or interrupted, 64 bad input, 3 the loss diverged (the last good image is written).

            RUN-CONFIGURATION OPTIONS:

            """ + RunConfiguration.commandLineHelp())

    @Option(help: ArgumentHelp("Run configuration JSON (snake_case keys); flags override its values.", valueName: "file"))
    var config: String?

    @Flag(help: "Print the resolved configuration as JSON and exit without running.")
    var printConfig = false

    @Flag(help: "Photorealistic preset (run-config key photorealistic): the photorealism (matting-Laplacian) term with the weight measured for it and the guided-filter refinement of the output; other flags and --config keys override its values.")
    var photorealistic = false

    @Option(name: .customLong("set"), help: ArgumentHelp("Set any run-configuration key, e.g. --set photorealism_weight=1e4 (repeatable, applied after the other flags; the value is JSON, else a string).", valueName: "key=value"))
    var set: [String] = []

    /// The run-configuration key options (`RunConfiguration.table`, listed in the discussion), parsed by the library.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var keyOptions: [String] = []

    func run() throws {
        let stopFlag = StopFlag()
        let interrupt = InterruptHandler(stopFlag: stopFlag) {
            FileHandle.standardError.write(Data("\nstopping after this iteration (Ctrl-C again to abort)…\n".utf8))
        }
        let configuration: RunConfiguration
        do {
            configuration = try resolvedConfiguration()
            if printConfig {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(configuration), as: UTF8.self))
                return
            }
            try configuration.checkCollisions(otherInputs: config.map { [("config", $0)] } ?? [])
            try configuration.validate()
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            throw ExitCode.validationFailure
        }
        let weights = try configuration.weights.map { try VGGWeights.load(from: URL(fileURLWithPath: $0)) }
            ?? VGGWeights.loadInstalled()
        let transfer = try StyleTransfer(configuration: configuration, weights: weights, stopFlag: stopFlag)
        for notice in transfer.plan.notices { FileHandle.standardError.write(Data("\(notice)\n".utf8)) }
        let console = ConsoleProgress(printEvery: configuration.printEvery)
        let result = try transfer.run(progress: console.handle)
        withExtendedLifetime(interrupt) {}
        console.finish(result)
        if case .diverged = result.stopReason { throw ExitCode(3) }
        if let placement = try transfer.placement(of: result.image) {
            print("placement of \(result.outputPath) (nst-exp placement; ratio > 1: the region is nearest its own style region):")
            print(placement.table)
        }
    }

    /// Defaults, then the --config file, then the flags given.
    func resolvedConfiguration() throws -> RunConfiguration {
        var c = try config.map { try RunConfiguration.load(from: URL(fileURLWithPath: $0), photorealistic: photorealistic) }
            ?? (photorealistic ? RunConfiguration.photorealisticPreset : RunConfiguration())
        c = try c.applying(commandLine: keyOptions, otherOptions: ["--config", "--print-config", "--photorealistic", "--set"])
        return try c.setting(set)
    }
}
