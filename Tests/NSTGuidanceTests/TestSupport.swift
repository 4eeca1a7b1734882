import Foundation
import Testing
import NSTTestSupport
import NSTImage
import NSTNetwork
import NSTTensor
@testable import NSTGuidance

func layer(_ s: String) -> LayerName { (try? LayerName(s)) ?? LayerName.all[0] }

func randomMap(_ c: Int, _ h: Int, _ w: Int, seed: UInt64, scale: Float = 1) -> FeatureMap {
    var rng = SplitMix64(seed: seed)
    return FeatureMap(channels: c, height: h, width: w, data: (0..<(c * h * w)).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale })
}

/// A guide that is 1 inside the rectangle [x0, x1)×[y0, y1), 0 elsewhere.
func rectangleGuide(width: Int, height: Int, x0: Int, y0: Int, x1: Int, y1: Int) -> Guide {
    var g = Guide(width: width, height: height)
    for y in y0..<y1 { for x in x0..<x1 { g[y, x] = 1 } }
    return g
}

/// The plain Gram F Fᵀ / M, computed naively in Double.
func plainGram(_ f: FeatureMap) -> [Double] {
    let n = f.channels, m = f.plane
    var g = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n {
        var s = 0.0
        for k in 0..<m { s += Double(f.data[i * m + k]) * Double(f.data[j * m + k]) }
        g[i * n + j] = s / Double(m)
    } }
    return g
}

func share(_ map: LabelMap, _ hex: String) -> Double? {
    guard let c = try? RegionColor(parsing: hex) else { return nil }
    return map.region(matching: c)?.share
}
