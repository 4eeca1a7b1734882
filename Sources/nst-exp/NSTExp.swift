import ArgumentParser
import Foundation
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
    /// The other commands' negative numbers are joined to their options too (`joiningNegativeNumbers`).
    static func main() {
        BLASKernels.restartIfBelowCPU()
        let arguments = Array(CommandLine.arguments.dropFirst())
        main(arguments.first == StylizeCommand.configuration.commandName ? RunConfiguration.joiningOptionValues(arguments)
             : joiningNegativeNumbers(arguments))
        checkStandardOutput()
    }

    /// Results printed to a full disk (`> results.json` on a full file system, `> /dev/full`) are lost: say so and exit
    /// 1 instead of 0. A reader that closed the pipe early (`| head`) is not an error.
    static func checkStandardOutput() {
        guard fflush(stdout) != 0 || ferror(stdout) != 0 else { return }
        let code = errno
        guard code != EPIPE else { return }
        FileHandle.standardError.write(Data("Error: cannot write standard output (\(String(cString: strerror(code)))); the results printed are lost\n".utf8))
        Foundation.exit(1)
    }

    /// `--size -3` → `--size=-3`: ArgumentParser reads a token that starts with "-" as an option name, so a negative value
    /// after a space was reported as "Missing value for '--size'" instead of by the command's own check of the value
    /// (which names the option, the value and what is allowed). No command takes a number as a positional argument.
    static func joiningNegativeNumbers(_ arguments: [String]) -> [String] {
        var result: [String] = [], i = 0
        while i < arguments.count {
            let argument = arguments[i], next = i + 1 < arguments.count ? arguments[i + 1] : ""
            if argument.hasPrefix("--"), !argument.contains("="), next.hasPrefix("-"), Double(next) != nil {
                result.append("\(argument)=\(next)")
                i += 2
            } else {
                result.append(argument)
                i += 1
            }
        }
        return result
    }
}
