import ArgumentParser

/// The experiment driver for neural style transfer.
@main
struct NSTExp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nst-exp",
        abstract: "Gatys-style neural style transfer on VGG-19 features: setup, runs and experiments.",
        subcommands: [WeightsCommand.self, ExamplesCommand.self]
    )
}
