import ArgumentParser

/// nst-exp: neural style transfer experiments from the command line.
@main
struct NSTExp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nst-exp",
        abstract: "Neural style transfer with spatial control: stylize, sweep, report, benchmark.",
        subcommands: [BenchCommand.self, FeaturesCommand.self, MaskCommand.self]
    )
}
