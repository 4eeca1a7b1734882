import Foundation
import Testing
import NSTTestSupport
import NSTImage
import NSTNetwork
import NSTTensor
@testable import NSTTransfer

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
