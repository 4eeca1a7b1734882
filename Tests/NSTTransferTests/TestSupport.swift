import Foundation
import Testing
import NSTImage
import NSTNetwork
import NSTTensor
@testable import NSTTransfer

/// `../shared/images/<relative>` beside the package root.
func sharedImage(_ relative: String) -> String {
    URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("shared/images").appendingPathComponent(relative).path
}

/// True when `../shared/images` sits beside the package; a user's clone has no such folder.
let sharedImagesPresent = FileManager.default.fileExists(atPath: sharedImage(""))

extension Trait where Self == ConditionTrait {
    /// Skips a test that reads `../shared/images` when the folder is missing, naming it in the test output.
    static var needsSharedImages: Self {
        .enabled(if: sharedImagesPresent, "needs ../shared/images beside the repository (not part of a clone)")
    }
}

/// The package root, for `Examples/` and `Masks/`.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `Examples/<relative>`: the example images the README's setup installs (`nst-exp examples install --dir Examples`).
func exampleImage(_ relative: String) -> String { packageRoot.appendingPathComponent("Examples").appendingPathComponent(relative).path }

/// `Masks/<name>`: the committed label maps for the example images.
func maskFile(_ name: String) -> String { packageRoot.appendingPathComponent("Masks").appendingPathComponent(name).path }

/// A fresh empty folder under the system temporary directory.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("nst-transfer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A seeded random feature map with values in -1...1.
func randomFeatureMap(channels: Int, height: Int, width: Int, seed: UInt64) -> FeatureMap {
    var rng = SplitMix64(seed: seed)
    return FeatureMap(channels: channels, height: height, width: width,
                      data: (0..<(channels * height * width)).map { _ in rng.nextUnitFloat() * 2 - 1 })
}

/// Narrow random VGG-19 (channels 4, 8, 16, 32, 32): fast, yet every layer and pooling step is exercised.
let tinyWeights = VGGWeights.random(seed: 7, widthDivisor: 16)

/// A small run on real images with the tiny network: coffee.png (600×400, so 40×27 at size 40) in the style of ihc.png.
func tinyConfiguration(output: URL) -> RunConfiguration {
    var config = RunConfiguration()
    config.content = exampleImage("content/coffee.png")
    config.style = [exampleImage("styles/ihc.png")]
    config.output = output.path
    config.size = 40
    config.iterations = 8
    config.printEvery = 0
    return config
}

/// Central-difference directional derivative of `f` at `x` along `direction`, in double precision steps.
func directionalDerivative(_ f: ([Float]) -> Float, at x: [Float], along direction: [Float], step h: Float) -> Double {
    let plus = zip(x, direction).map { $0 + h * $1 }
    let minus = zip(x, direction).map { $0 - h * $1 }
    return (Double(f(plus)) - Double(f(minus))) / (2 * Double(h))
}
