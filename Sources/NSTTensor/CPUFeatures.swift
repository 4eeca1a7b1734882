import CCPUID
import Foundation

/// The vector instruction sets that decide which BLAS kernels can run, from the lowest up. Each level needs
/// every feature of the levels below it and the operating system's support for its register state (XCR0).
public enum ISALevel: Int, Codable, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// SSE2/SSE3 only: every x86-64 CPU.
    case sse
    /// AVX (256-bit floats, no FMA): Sandy Bridge, Bulldozer.
    case avx
    /// AVX2 + FMA: Haswell (2013) and later, Zen 1 and later.
    case avx2
    /// AVX-512 F, BW, DQ and VL: Skylake-SP and later Xeons, Zen 4.
    case avx512
    /// AVX-512 as above plus AVX512_BF16: Cooper Lake, Sapphire Rapids and later Xeons, Zen 4.
    case avx512bf16

    public static func < (a: ISALevel, b: ISALevel) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .sse: return "SSE3"
        case .avx: return "AVX"
        case .avx2: return "AVX2+FMA"
        case .avx512: return "AVX-512 (F/BW/DQ/VL)"
        case .avx512bf16: return "AVX-512 (F/BW/DQ/VL) + AVX512_BF16"
        }
    }
}

/// What the CPU is and which vector features it and the operating system support, read from CPUID and XGETBV.
///
/// `detect()` reads this machine; tests build other CPUs from a feature list (`init(vendor:model:...)`), so the
/// dispatch in `BLASKernels` can be checked for CPUs that are not here.
public struct CPUFeatures: Codable, Sendable, Equatable {
    /// "GenuineIntel", "AuthenticAMD", … (CPUID leaf 0).
    public var vendor: String
    /// The brand string (CPUID leaves 0x80000002–4), e.g. "AMD EPYC 9R14 96-Core Processor".
    public var model: String
    /// Display family and model (CPUID leaf 1 with the extended fields), e.g. Intel family 6 model 207.
    public var family: Int
    public var modelNumber: Int
    /// Usable features, in CPUID's spelling lower-cased (avx2, fma, avx512f, avx512bw, avx512dq, avx512vl,
    /// avx512_bf16, amx_tile, amx_bf16, …); a feature whose registers the OS does not save is left out.
    public var features: [String]

    public init(vendor: String, model: String, family: Int, modelNumber: Int, features: [String]) {
        self.vendor = vendor
        self.model = model
        self.family = family
        self.modelNumber = modelNumber
        self.features = features
    }

    public func has(_ feature: String) -> Bool { features.contains(feature) }

    /// The highest `ISALevel` all of whose features are usable.
    public var isaLevel: ISALevel {
        let avx2 = has("avx") && has("avx2") && has("fma")
        let avx512 = avx2 && ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(has)
        if avx512 && has("avx512_bf16") { return .avx512bf16 }
        if avx512 { return .avx512 }
        if avx2 { return .avx2 }
        if has("avx") { return .avx }
        return .sse
    }

    /// This machine's CPU (read once).
    public static let current = detect()

    /// Reads CPUID and XCR0. Features need both the CPU bit and, for AVX/AVX-512/AMX, the OS-enabled state bits
    /// in XCR0 (SSE+AVX: bits 1–2; opmask and upper ZMM: 5–7; AMX tiles: 17–18).
    public static func detect() -> CPUFeatures {
        var r: [UInt32] = [0, 0, 0, 0]
        guard nst_cpuid(0, 0, &r) != 0 else {
            return CPUFeatures(vendor: "unknown", model: "unknown (not x86-64)", family: 0, modelNumber: 0, features: [])
        }
        let maxLeaf = r[0]
        let vendor = [r[1], r[3], r[2]].map(ascii).joined()
        var features: [String] = []
        func bit(_ value: UInt32, _ b: UInt32) -> Bool { value & (1 << b) != 0 }

        nst_cpuid(1, 0, &r)
        let eax1 = r[0], ecx1 = r[2], edx1 = r[3]
        let baseFamily = Int((eax1 >> 8) & 0xF), baseModel = Int((eax1 >> 4) & 0xF)
        let family = baseFamily == 0xF ? baseFamily + Int((eax1 >> 20) & 0xFF) : baseFamily
        let modelNumber = baseFamily == 0x6 || baseFamily == 0xF ? baseModel + (Int((eax1 >> 16) & 0xF) << 4) : baseModel
        let xcr0 = nst_xcr0()
        let osAVX = xcr0 & 0b110 == 0b110
        let osAVX512 = osAVX && xcr0 & 0b1110_0000 == 0b1110_0000
        let osAMX = xcr0 & (0b11 << 17) == 0b11 << 17
        for (name, on) in [("sse2", bit(edx1, 26)), ("sse3", bit(ecx1, 0)), ("ssse3", bit(ecx1, 9)),
                           ("sse4_1", bit(ecx1, 19)), ("sse4_2", bit(ecx1, 20)), ("f16c", bit(ecx1, 29) && osAVX),
                           ("avx", bit(ecx1, 28) && osAVX), ("fma", bit(ecx1, 12) && osAVX)] where on {
            features.append(name)
        }
        if maxLeaf >= 7 {
            nst_cpuid(7, 0, &r)
            let ebx = r[1], ecx = r[2], edx = r[3], subleaves = r[0]
            for (name, on) in [("avx2", bit(ebx, 5) && osAVX), ("avx512f", bit(ebx, 16) && osAVX512),
                               ("avx512dq", bit(ebx, 17) && osAVX512), ("avx512cd", bit(ebx, 28) && osAVX512),
                               ("avx512bw", bit(ebx, 30) && osAVX512), ("avx512vl", bit(ebx, 31) && osAVX512),
                               ("avx512_vnni", bit(ecx, 11) && osAVX512), ("amx_bf16", bit(edx, 22) && osAMX),
                               ("amx_tile", bit(edx, 24) && osAMX), ("amx_int8", bit(edx, 25) && osAMX)] where on {
                features.append(name)
            }
            if subleaves >= 1 {
                nst_cpuid(7, 1, &r)
                if bit(r[0], 4) && osAVX { features.append("avx_vnni") }
                if bit(r[0], 5) && osAVX512 { features.append("avx512_bf16") }
            }
        }
        var model = ""
        nst_cpuid(0x8000_0000, 0, &r)
        if r[0] >= 0x8000_0004 {
            for leaf: UInt32 in 0x8000_0002...0x8000_0004 {
                nst_cpuid(leaf, 0, &r)
                model += r.map(ascii).joined()
            }
        }
        model = model.trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\0")))
        return CPUFeatures(vendor: vendor, model: model.isEmpty ? "unknown" : model, family: family,
                           modelNumber: modelNumber, features: features.sorted())
    }

    private static func ascii(_ word: UInt32) -> String {
        String(decoding: (0..<4).map { UInt8((word >> (8 * $0)) & 0xFF) }.filter { $0 != 0 }, as: UTF8.self)
    }
}
