import Foundation
import Testing
@testable import NSTTensor

/// The BLAS kernel dispatch decided from CPUID features, on CPUs injected as feature lists.
@Suite struct BLASDispatchTests {
    static let avx2 = ["avx", "avx2", "fma", "sse2", "sse3"]
    static let avx512 = avx2 + ["avx512f", "avx512bw", "avx512dq", "avx512vl"]
    /// The Xeon OpenBLAS 0.3.21 does not know: family 6 model 207, AVX-512 with BF16 and AMX.
    static let newXeon = CPUFeatures(vendor: "GenuineIntel", model: "Intel(R) Xeon(R) Processor", family: 6,
                                     modelNumber: 207, features: avx512 + ["avx512_bf16", "amx_tile", "amx_bf16"])
    static let zen4 = CPUFeatures(vendor: "AuthenticAMD", model: "AMD EPYC", family: 25, modelNumber: 17,
                                  features: avx512 + ["avx512_bf16"])

    @Test func levelsFromFeatures() {
        #expect(Self.newXeon.isaLevel == .avx512bf16 && Self.zen4.isaLevel == .avx512bf16)
        #expect(CPUFeatures(vendor: "", model: "", family: 6, modelNumber: 85, features: Self.avx512).isaLevel == .avx512)
        #expect(CPUFeatures(vendor: "", model: "", family: 6, modelNumber: 60, features: Self.avx2).isaLevel == .avx2)
        // AVX-512 F alone (Xeon Phi-like: no BW/DQ/VL) does not make the AVX-512 level.
        #expect(CPUFeatures(vendor: "", model: "", family: 6, modelNumber: 87, features: Self.avx2 + ["avx512f"]).isaLevel == .avx2)
        #expect(CPUFeatures(vendor: "", model: "", family: 15, modelNumber: 4, features: ["sse2", "sse3"]).isaLevel == .sse)
    }

    @Test func prescottFallbackOnAnUnknownXeonRestartsWithCooperlake() {
        let d = BLASKernels.decide(core: "Prescott", cpu: Self.newXeon, environment: [:])
        #expect(d.source == .openblas && !d.matchesCPU && d.coreLevel == .sse && d.cpuLevel == .avx512bf16)
        #expect(d.restartCoreType == "Cooperlake")
        #expect(d.warning?.contains("Prescott") == true && d.warning?.contains("OPENBLAS_CORETYPE=Cooperlake") == true)
        #expect(d.warning?.contains("family 6 model 207") == true)
        let env = BLASKernels.restartPlan(decision: d, environment: ["HOME": "/h", "NST_BLAS_REPORTED_CORE": "Prescott"])
        #expect(env == ["HOME": "/h", "OPENBLAS_CORETYPE": "Cooperlake", "NST_BLAS_CORETYPE_SET": "Cooperlake"])
    }

    @Test func otherLevelsPickTheirKernelSets() {
        let skx = CPUFeatures(vendor: "GenuineIntel", model: "", family: 6, modelNumber: 85, features: Self.avx512)
        #expect(BLASKernels.decide(core: "Prescott", cpu: skx, environment: [:]).restartCoreType == "SkylakeX")
        let hsw = CPUFeatures(vendor: "GenuineIntel", model: "", family: 6, modelNumber: 60, features: Self.avx2)
        #expect(BLASKernels.decide(core: "Nehalem", cpu: hsw, environment: [:]).restartCoreType == "Haswell")
        // SkylakeX kernels on an AVX-512 + BF16 CPU are below it too.
        #expect(BLASKernels.decide(core: "SkylakeX", cpu: Self.newXeon, environment: [:]).restartCoreType == "Cooperlake")
    }

    @Test func matchingOrUnknownKernelsAreLeftAlone() {
        for (core, cpu) in [("Cooperlake", Self.zen4), ("Zen", CPUFeatures(vendor: "AuthenticAMD", model: "", family: 23,
                                                                             modelNumber: 49, features: Self.avx2)),
                            ("SapphireRapids", Self.newXeon), ("SomeFutureCore", Self.newXeon),
                            ("Prescott", CPUFeatures(vendor: "", model: "", family: 15, modelNumber: 4, features: ["sse2"]))] {
            let d = BLASKernels.decide(core: core, cpu: cpu, environment: [:])
            #expect(d.restartCoreType == nil && d.warning == nil && d.matchesCPU, "\(core)")
            #expect(BLASKernels.restartPlan(decision: d, environment: [:]) == nil)
        }
    }

    @Test func theUsersOwnCoreTypeIsRespectedWithAWarning() {
        let d = BLASKernels.decide(core: "Prescott", cpu: Self.zen4, environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(d.source == .user && d.restartCoreType == nil)
        #expect(d.warning?.contains("OPENBLAS_CORETYPE=Prescott is set") == true)
        #expect(BLASKernels.restartPlan(decision: d, environment: ["OPENBLAS_CORETYPE": "Prescott"]) == nil)
    }

    @Test func aRestartNeverRestartsAgain() {
        let env = ["OPENBLAS_CORETYPE": "Cooperlake", "NST_BLAS_CORETYPE_SET": "Cooperlake"]
        // An OpenBLAS without the requested kernels still reports Prescott after the restart: warn, do not loop.
        let d = BLASKernels.decide(core: "Prescott", cpu: Self.newXeon, environment: env)
        #expect(d.source == .dispatch && d.restartCoreType == nil && d.warning?.contains("no such kernels") == true)
        #expect(BLASKernels.restartPlan(decision: d, environment: env) == nil)
        let ok = BLASKernels.decide(core: "Cooperlake", cpu: Self.newXeon, environment: env)
        #expect(ok.source == .dispatch && ok.matchesCPU && ok.warning == nil)
    }

    @Test func restartCanBeSwitchedOff() {
        let d = BLASKernels.decide(core: "Prescott", cpu: Self.newXeon, environment: ["NST_BLAS_DISPATCH": "0"])
        #expect(d.restartCoreType == nil && d.warning != nil)
    }

    /// CPUID on this machine agrees with the kernel's view of it (/proc/cpuinfo flags), feature by feature.
    @Test func detectionAgreesWithTheKernel() throws {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            print("skipped: no /proc/cpuinfo flags on this system")
            return
        }
        let flags = Set(line.split(separator: ":", maxSplits: 1)[1].split(separator: " ").map(String.init))
        let cpu = CPUFeatures.detect()
        for feature in ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16", "amx_tile"] {
            #expect(cpu.has(feature) == flags.contains(feature), "\(feature)")
        }
        #expect(!cpu.vendor.isEmpty && cpu.family > 0 && cpu.model != "unknown")
        let model = text.split(separator: "\n").first { $0.hasPrefix("model\t") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
        #expect(model == nil || model == cpu.modelNumber)
    }
}
