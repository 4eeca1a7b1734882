import Foundation
import NSTTensor
import Testing
@testable import NSTExperiments
import NSTTestSupport

/// The `nst-exp` executable as a user starts it on a CPU whose model OpenBLAS does not know (simulated with
/// NST_BLAS_REPORTED_CORE, since this machine's OpenBLAS knows its CPU) and with a user's own OPENBLAS_CORETYPE.
@Suite struct BLASDispatchCommandTests {
    /// `bench --system --json` in a child process: the environment it reports and the whole output.
    func system(_ environment: [String: String]) throws -> (RunEnvironment, String) {
        var env = ProcessInfo.processInfo.environment
        for key in ["OPENBLAS_CORETYPE", BLASKernels.restartMarker, BLASKernels.switchVariable,
                    BLASKernels.simulationVariable] { env[key] = nil }
        env.merge(environment) { $1 }
        let (status, output) = try ChildProcess.run(try nstExecutable(), ["bench", "--system", "--json"], environment: env)
        #expect(status == 0, "\(output)")
        guard let open = output.firstIndex(of: "{"), let close = output.lastIndex(of: "}") else {
            throw Unexpected(output: output)
        }
        return (try JSONDecoder().decode(RunEnvironment.self, from: Data(output[open...close].utf8)), output)
    }

    struct Unexpected: Error { let output: String }

    var best: String? { BLASKernels.coreType(for: CPUFeatures.current.isaLevel) }

    @Test func prescottFallbackIsCorrectedByARestart() throws {
        guard let best else { print("skipped: this CPU has no vector level above SSE"); return }
        let (env, output) = try system([BLASKernels.simulationVariable: "Prescott"])
        #expect(env.blasCore == best && env.blasMatchesCPU && env.blasWarning == nil, "\(output)")
        #expect(env.blasCoreSource == BLASKernels.Source.dispatch.rawValue)
        #expect(!output.contains("warning"))
    }

    @Test func withTheRestartSwitchedOffItWarns() throws {
        guard best != nil else { print("skipped: this CPU has no vector level above SSE"); return }
        let (env, output) = try system([BLASKernels.simulationVariable: "Prescott", BLASKernels.switchVariable: "0"])
        #expect(env.blasCore == "Prescott" && !env.blasMatchesCPU)
        #expect(output.contains("warning: OpenBLAS runs its Prescott (SSE3) kernels"), "\(output)")
    }

    /// A real OpenBLAS fallback (the library loads its Prescott kernels): respected, reported and warned about.
    @Test func theUsersCoreTypeIsKeptAndWarnedAbout() throws {
        guard best != nil else { print("skipped: this CPU has no vector level above SSE"); return }
        let (env, output) = try system(["OPENBLAS_CORETYPE": "Prescott"])
        #expect(env.blasCore == "Prescott" && env.blasConfig.contains("Prescott") && !env.blasMatchesCPU)
        #expect(env.blasCoreSource == BLASKernels.Source.user.rawValue)
        #expect(output.contains("OPENBLAS_CORETYPE=Prescott is set"), "\(output)")
    }

    @Test func byDefaultTheKernelsMatchTheCPU() throws {
        let (env, output) = try system([:])
        #expect(env.blasMatchesCPU && !output.contains("warning"), "\(output)")
        #expect(env.cpuISA == CPUFeatures.current.isaLevel.description && env.blasVersion != "unknown")
        #expect(env.convKernel == "winograd4" && env.threads >= 1)
    }
}
