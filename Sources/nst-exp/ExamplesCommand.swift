import ArgumentParser
import Foundation
import NSTNetwork

/// `nst-exp examples …`: fetch the example content and style images.
struct ExamplesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "examples",
        abstract: "Manage the example images (scikit-image 0.26.0 sample data).",
        subcommands: [Install.self]
    )

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch the example images with pip and verify each file's SHA-256 (no-op if present).")

        @Option(help: "Directory that receives content/ and styles/.")
        var dir: String = "Examples"

        func run() throws {
            try ExampleImages.install(into: URL(fileURLWithPath: dir))
        }
    }
}
