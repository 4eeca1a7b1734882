import ArgumentParser
import NSTTensor

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
    /// turns a bare `--auto-masks` into `--auto-masks auto`.
    static func main() {
        BLASKernels.restartIfBelowCPU()
        main(StylizeCommand.completingAutoMasks(Array(CommandLine.arguments.dropFirst())))
    }
}
