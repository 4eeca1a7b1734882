import CBLAS
import Foundation

/// Which of OpenBLAS's kernel sets runs, and the dispatch that keeps it matched to the CPU's features.
///
/// OpenBLAS built with `DYNAMIC_ARCH` (Debian's) picks its kernels once, when the library loads, from a table of
/// CPU models; a model newer than the table (0.3.21 and, e.g., Intel family 6 model 207) falls back to the
/// Prescott (SSE3) kernels, which run our SGEMMs three times slower, whatever AVX-512 the CPU has. The
/// `OPENBLAS_CORETYPE` environment variable overrides the choice, but only if it is set before the library loads.
///
/// The dispatch therefore decides from CPUID features (`CPUFeatures.isaLevel`), not models: when OpenBLAS's
/// choice is below what the CPU supports and the user has not set `OPENBLAS_CORETYPE`, the `nst-exp` executable
/// restarts itself at start-up (`restartIfBelowCPU`) with `OPENBLAS_CORETYPE` set to the kernel set of the CPU's
/// level (Cooperlake for AVX-512 + BF16, SkylakeX for AVX-512, Haswell for AVX2 + FMA). A library cannot restart
/// its host, so `VGG19` calls `warnOnce()`, which prints the one-line fix to standard error. A user's own
/// `OPENBLAS_CORETYPE` is never overridden, only warned about when it is below the CPU.
public enum BLASKernels {
    // The NST_BLAS_* variables steer how the process loads OpenBLAS, not what a run computes, so they are not run
    // settings; the kernel set they lead to is recorded with every result (`blas_core` of `RunEnvironment`).

    /// The environment variable `nst-exp` sets beside `OPENBLAS_CORETYPE` when it restarts itself, so the restarted
    /// process knows the setting is its own and never restarts again.
    public static let restartMarker = "NST_BLAS_CORETYPE_SET"
    /// `NST_BLAS_DISPATCH=0` turns the restart off (the warning stays).
    public static let switchVariable = "NST_BLAS_DISPATCH"
    /// `NST_BLAS_REPORTED_CORE=Prescott` makes this process take Prescott as OpenBLAS's choice, to see and test the
    /// dispatch on a CPU that OpenBLAS knows (as on an unknown one, where OpenBLAS falls back to Prescott by
    /// itself). A restart drops it: it describes the library as loaded in the first process only.
    public static let simulationVariable = "NST_BLAS_REPORTED_CORE"

    /// The ISA level of an OpenBLAS core name's kernels (`openblas_get_corename()`, case-insensitive); nil for a
    /// name not in this table (another OpenBLAS version's new name), about which nothing is decided.
    public static func level(ofCore name: String) -> ISALevel? {
        switch name.lowercased() {
        case "cooperlake", "sapphirerapids": return .avx512bf16
        case "skylakex": return .avx512
        case "haswell", "zen", "excavator", "skylake": return .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller": return .avx
        case "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "opteron", "opteron_sse3",
             "barcelona", "bobcat", "athlon", "northwood", "banias", "katmai", "coppermine", "generic":
            return .sse
        default: return nil
        }
    }

    /// The `OPENBLAS_CORETYPE` whose kernels use `level`'s features (every DYNAMIC_ARCH build since 0.3.10 has
    /// these four); nil for SSE, which every build falls back to anyway.
    public static func coreType(for level: ISALevel) -> String? {
        switch level {
        case .avx512bf16: return "Cooperlake"
        case .avx512: return "SkylakeX"
        case .avx2: return "Haswell"
        case .avx: return "Sandybridge"
        case .sse: return nil
        }
    }

    /// Who chose the kernel set.
    public enum Source: String, Codable, Sendable {
        /// OpenBLAS's own model table; no `OPENBLAS_CORETYPE`.
        case openblas = "OpenBLAS CPU detection"
        /// `OPENBLAS_CORETYPE` from the user's environment.
        case user = "OPENBLAS_CORETYPE set by the user"
        /// `OPENBLAS_CORETYPE` set by `nst-exp` when it restarted itself.
        case dispatch = "OPENBLAS_CORETYPE set by nst-exp at start-up"
    }

    /// What to do about a kernel set on a CPU.
    public struct Decision: Equatable, Sendable {
        /// `openblas_get_corename()`.
        public var core: String
        public var coreLevel: ISALevel?
        public var cpuLevel: ISALevel
        public var source: Source
        /// The `OPENBLAS_CORETYPE` to restart with: set when OpenBLAS chose kernels below the CPU's level on its
        /// own and the restart is not switched off.
        public var restartCoreType: String?
        /// Set when the kernels stay below the CPU's level: what is wrong and the fix (one line).
        public var warning: String?

        /// Whether the kernel set uses everything the CPU's vector units offer (unknown names count as yes).
        public var matchesCPU: Bool { coreLevel.map { $0 >= cpuLevel } ?? true }
    }

    /// Decides from the reported core name, the CPU's features and the environment (injectable for tests).
    public static func decide(core: String, cpu: CPUFeatures, environment: [String: String]) -> Decision {
        let coreLevel = level(ofCore: core), cpuLevel = cpu.isaLevel
        let requested = environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
        let source: Source = requested == nil ? .openblas
            : environment[restartMarker] == requested ? .dispatch : .user
        var decision = Decision(core: core, coreLevel: coreLevel, cpuLevel: cpuLevel, source: source,
                                restartCoreType: nil, warning: nil)
        guard let coreLevel, coreLevel < cpuLevel, let better = coreType(for: cpuLevel) else { return decision }
        let cpuText = "\(cpu.model) (\(cpu.vendor) family \(cpu.family) model \(cpu.modelNumber), \(cpuLevel))"
        let kernels = "OpenBLAS runs its \(core) (\(coreLevel)) kernels on \(cpuText)"
        switch source {
        case .openblas:
            if environment[switchVariable] != "0" { decision.restartCoreType = better }
            decision.warning = "\(kernels), whole steps 2–3.4× slower than with its \(better) kernels: this OpenBLAS does not know the "
                + "CPU model; set OPENBLAS_CORETYPE=\(better) in the environment before the process starts"
        case .user:
            decision.warning = "\(kernels) because OPENBLAS_CORETYPE=\(requested ?? "") is set: unset it, or set "
                + "OPENBLAS_CORETYPE=\(better), to use the CPU's \(cpuLevel) units"
        case .dispatch:
            decision.warning = "\(kernels) although nst-exp restarted with OPENBLAS_CORETYPE=\(requested ?? ""): this "
                + "OpenBLAS has no such kernels; install a newer OpenBLAS"
        }
        return decision
    }

    /// The decision for this process: the loaded OpenBLAS's core, this CPU, this environment.
    public static var current: Decision {
        decide(core: coreName, cpu: CPUFeatures.current, environment: ProcessInfo.processInfo.environment)
    }

    /// `openblas_get_corename()`: the kernel set the loaded OpenBLAS runs (or `NST_BLAS_REPORTED_CORE`).
    public static var coreName: String {
        if let simulated = ProcessInfo.processInfo.environment[simulationVariable], !simulated.isEmpty { return simulated }
        return openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64".
    public static var configuration: String {
        openblas_get_config().map { String(cString: $0) } ?? "OpenBLAS (no configuration string)"
    }

    /// The version word of `configuration` ("0.3.21"), or "unknown".
    public static var version: String {
        let words = configuration.split(separator: " ")
        return words.count > 1 && words[0] == "OpenBLAS" ? String(words[1]) : "unknown"
    }

    /// Prints `current.warning` to standard error the first time it is called in a process; later calls do
    /// nothing. `VGG19.init` calls it, so a library user whose OpenBLAS runs kernels below the CPU hears of it.
    public static func warnOnce() { _ = warned }

    private static let warned: Bool = {
        guard let warning = current.warning else { return false }
        FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        return true
    }()

    /// The program and environment to restart with, or nil when the kernels match the CPU, the user set
    /// `OPENBLAS_CORETYPE`, the restart is switched off or this process is already a restart.
    public static func restartPlan(decision: Decision, environment: [String: String]) -> [String: String]? {
        guard let coreType = decision.restartCoreType, environment[restartMarker] == nil else { return nil }
        var env = environment
        env["OPENBLAS_CORETYPE"] = coreType
        env[restartMarker] = coreType
        env[simulationVariable] = nil
        return env
    }

    /// For executables, first thing in `main`: when `current` asks for a restart, replaces the process with
    /// `/proc/self/exe` and the same arguments under `OPENBLAS_CORETYPE` (OpenBLAS reads it only when it loads).
    /// Returns only when no restart is needed or `execve` failed (then the warning is printed once).
    public static func restartIfBelowCPU(arguments: [String] = CommandLine.arguments) {
        let environment = ProcessInfo.processInfo.environment
        guard let env = restartPlan(decision: current, environment: environment) else { return }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        execve("/proc/self/exe", argv, envp)
        // Only reached if execve failed; carry on with the slow kernels, and say so.
        FileHandle.standardError.write(Data("warning: could not restart with OPENBLAS_CORETYPE (\(String(cString: strerror(errno))))\n".utf8))
        warnOnce()
    }
}
