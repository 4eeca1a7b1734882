import Foundation
import NSTNetwork
import NSTTensor

/// What ran: the CPU and its vector features, the BLAS library and the kernel set it actually uses, and the
/// convolution kernel. Every benchmark result (`bench`, all modes), a sweep's `manifest.json` and each run's
/// `log.txt` carry it, because the same build runs three times slower on a CPU whose model OpenBLAS does not know.
public struct RunEnvironment: Codable, Sendable, Equatable {
    /// The brand string, vendor, family and model (CPUID).
    public var cpu: String
    public var cpuVendor: String
    public var cpuFamily: Int
    public var cpuModel: Int
    /// Usable vector features (CPU and OS) and the level they make up, e.g. "AVX-512 (F/BW/DQ/VL) + AVX512_BF16".
    public var cpuFeatures: [String]
    public var cpuISA: String
    public var blasLibrary: String
    public var blasVersion: String
    /// `openblas_get_config()`.
    public var blasConfig: String
    /// `openblas_get_corename()`: the kernel set that runs, its ISA level, and who chose it.
    public var blasCore: String
    public var blasCoreISA: String
    public var blasCoreSource: String
    /// False when the kernel set is below the CPU's level; `blasWarning` then says why and what to do.
    public var blasMatchesCPU: Bool
    public var blasWarning: String?
    /// The 3×3 convolution kernel above conv1_1 that ran (a run's `conv_kernel`); a sweep's manifest lists every
    /// kernel its runs use, comma-separated.
    public var convKernel: String
    public var threads: Int

    enum CodingKeys: String, CodingKey {
        case cpu, cpuVendor = "cpu_vendor", cpuFamily = "cpu_family", cpuModel = "cpu_model"
        case cpuFeatures = "cpu_features", cpuISA = "cpu_isa", blasLibrary = "blas_library"
        case blasVersion = "blas_version", blasConfig = "blas_config", blasCore = "blas_core"
        case blasCoreISA = "blas_core_isa", blasCoreSource = "blas_core_source", blasMatchesCPU = "blas_matches_cpu"
        case blasWarning = "blas_warning", convKernel = "conv_kernel", threads
    }

    /// This process's environment, with `convKernel` as the kernel the network runs.
    public static func current(convKernel: ConvKernel = .standard) -> RunEnvironment {
        current(convKernels: [convKernel])
    }

    /// This process's environment for runs on `convKernels` (a sweep's runs may differ).
    public static func current(convKernels: [ConvKernel]) -> RunEnvironment {
        var environment = RunEnvironment(cpu: CPUFeatures.current, decision: BLASKernels.current,
                                         blasConfig: BLASKernels.configuration, blasVersion: BLASKernels.version,
                                         convKernel: .standard, threads: Parallel.workers)
        let names = ConvKernel.allCases.filter(convKernels.contains).map(\.rawValue)
        if !names.isEmpty { environment.convKernel = names.joined(separator: ", ") }
        return environment
    }

    /// The environment of `cpu` with the BLAS `decision` (separate from `current` for tests).
    public init(cpu: CPUFeatures, decision: BLASKernels.Decision, blasConfig: String, blasVersion: String,
                convKernel: ConvKernel, threads: Int) {
        self.cpu = cpu.model
        cpuVendor = cpu.vendor
        cpuFamily = cpu.family
        cpuModel = cpu.modelNumber
        cpuFeatures = cpu.features.filter { $0.hasPrefix("avx") || $0.hasPrefix("amx") || $0 == "fma" }
        cpuISA = cpu.isaLevel.description
        blasLibrary = "OpenBLAS"
        self.blasVersion = blasVersion
        self.blasConfig = blasConfig
        blasCore = decision.core
        blasCoreISA = decision.coreLevel?.description ?? "unknown"
        blasCoreSource = decision.source.rawValue
        blasMatchesCPU = decision.matchesCPU
        blasWarning = decision.warning
        self.convKernel = convKernel.rawValue
        self.threads = threads
    }

    /// Two lines for text output and logs: the CPU, then the BLAS and conv kernels.
    public var summary: [String] {
        ["CPU: \(cpu) (\(cpuVendor) family \(cpuFamily) model \(cpuModel)), \(cpuISA); \(threads) threads",
         "BLAS: \(blasLibrary) \(blasVersion), \(blasCore) kernels (\(blasCoreISA); \(blasCoreSource))"
            + "\(blasMatchesCPU ? "" : ", BELOW THE CPU"); conv kernel \(convKernel)"]
    }
}
