import ArgumentParser
import NSTTensor
import NSTTransfer

/// nst-exp: neural style transfer experiments from the command line.
@main
struct NSTExp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nst-exp",
        abstract: "Gatys-style neural style transfer with spatial control on VGG-19 features: set-up, runs, sweeps, reports, benchmarks.",
        subcommands: [StylizeCommand.self, RunCommand.self, ReportCommand.self, CompareCommand.self,
                      ReportFiguresCommand.self, ExportCommand.self, MaskCommand.self, BoundaryCommand.self, PhotorealismCommand.self, RefineCommand.self, PlacementCommand.self, FeaturesCommand.self,
                      BenchCommand.self, WeightsCommand.self, ExamplesCommand.self]
    )

    /// Restarts under `OPENBLAS_CORETYPE` first when OpenBLAS chose kernels below the CPU's (`BLASKernels`), and
    /// joins the values of `stylize`'s key options to them (`--erosion -2` → `--erosion=-2`, a bare `--auto-masks` →
    /// `--auto-masks=auto`; see `RunConfiguration.joiningOptionValues`).
    static func main() {
        BLASKernels.restartIfBelowCPU()
        let arguments = Array(CommandLine.arguments.dropFirst())
        main(arguments.first == StylizeCommand.configuration.commandName ? RunConfiguration.joiningOptionValues(arguments) : arguments)
    }
}
