import Foundation
import NSTImage

/// Gradient energy of an image near a region boundary, compared with what each side's interior predicts.
///
/// With e(p) the squared image gradient at pixel p, B the band of pixels near the boundary, B₁ and B₀ its parts
/// inside and outside the mask, and I₁, I₀ the rest of each side (the interiors):
///
///     ratio = mean_B e / ((|B₁|·mean_I₁ e + |B₀|·mean_I₀ e) / |B|)
///
/// Each band pixel is compared with its own side's interior, so two styles of different texture energy, or regions
/// of unequal area, give a ratio of 1 when the band looks like the interiors. A seam (a line of extra contrast along
/// the boundary) gives a ratio above 1; a band where neither side's texture forms (the "dead zone" hard guides
/// leave at deep layers) gives a ratio below 1. `deviation` = |ln ratio| scores both kinds of distortion.
public struct BoundaryEnergy: Equatable, Sendable {
    /// Mean squared image gradient within `band` pixels of the boundary.
    public let band: Double
    /// Mean squared image gradient of the mask side (mask ≥ 0.5) outside the band.
    public let insideInterior: Double
    /// Mean squared image gradient of the other side outside the band.
    public let outsideInterior: Double
    /// The band's mean if each of its pixels had its own side's interior mean.
    public let expected: Double
    /// band / expected: 1 = the band looks like the interiors; infinity when expected is 0 and band is not.
    public var ratio: Double { expected > 0 ? band / expected : (band > 0 ? .infinity : 1) }
    /// |ln ratio|: 0 without any boundary effect, growing with a seam (ratio > 1) and with a texture-poor band (< 1).
    public var deviation: Double { abs(log(ratio)) }

    /// Measures `image` against the boundary of `mask` (thresholded at 0.5; same size as the image). The squared
    /// gradient at a pixel is the mean over channels of (I(x+1,y) − I(x,y))² + (I(x,y+1) − I(x,y))² (forward
    /// differences; the last column/row use only the difference that exists). The band holds pixels within
    /// Chebyshev distance `band` of a boundary pixel (one whose 4-neighbour lies on the other side).
    public init(image: Image, mask: Guide, band width: Int) throws {
        guard width >= 0 else { throw GuidanceError.invalidRadius(parameter: "boundary band", value: Double(width)) }
        guard mask.width == image.width, mask.height == image.height else {
            throw GuidanceError.guideSizesDiffer(name: "boundary mask", width: mask.width, height: mask.height,
                                                 expectedWidth: image.width, expectedHeight: image.height)
        }
        let inside = mask.values.map { $0 >= 0.5 }
        let edge = BoundaryEnergy.band(of: inside, width: mask.width, height: mask.height, radius: width)
        let energy = BoundaryEnergy.squaredGradient(image)
        // Sums and counts indexed [in band ? 1 : 0][inside ? 1 : 0].
        var sum = [[0.0, 0.0], [0.0, 0.0]], count = [[0, 0], [0, 0]]
        for p in energy.indices {
            let b = edge[p] ? 1 : 0, s = inside[p] ? 1 : 0
            sum[b][s] += Double(energy[p])
            count[b][s] += 1
        }
        // No boundary, or a band that swallows a side's interior, has nothing to compare (a ratio of 1 or ∞).
        guard count[0][1] + count[1][1] > 0, count[0][0] + count[1][0] > 0 else {
            let inside = count[0][1] + count[1][1] > 0
            throw GuidanceError.noBoundary(reason: "the mask is all \(inside ? "inside (every pixel ≥ 0.5)" : "outside (every pixel < 0.5)"), "
                + "so there is no boundary to measure; give a mask with a region and its surroundings")
        }
        for (s, side) in [(1, "inside"), (0, "outside")] where count[0][s] == 0 {
            throw GuidanceError.noBoundary(reason: "a band of \(width) pixels covers the whole \(side) of the mask, leaving no "
                + "interior to compare the band with; use a smaller --band")
        }
        func mean(_ b: Int, _ s: Int) -> Double { count[b][s] > 0 ? sum[b][s] / Double(count[b][s]) : 0 }
        let bandCount = count[1][0] + count[1][1]
        band = bandCount > 0 ? (sum[1][0] + sum[1][1]) / Double(bandCount) : 0
        insideInterior = mean(0, 1)
        outsideInterior = mean(0, 0)
        expected = bandCount > 0
            ? (Double(count[1][1]) * insideInterior + Double(count[1][0]) * outsideInterior) / Double(bandCount) : 0
    }

    /// Pixels within Chebyshev distance `radius` of a pixel whose 4-neighbour lies on the other side.
    static func band(of inside: [Bool], width w: Int, height h: Int, radius: Int) -> [Bool] {
        var edge = Guide(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                let v = inside[y * w + x]
                let differs = (x + 1 < w && inside[y * w + x + 1] != v) || (x > 0 && inside[y * w + x - 1] != v)
                    || (y + 1 < h && inside[(y + 1) * w + x] != v) || (y > 0 && inside[(y - 1) * w + x] != v)
                edge.values[y * w + x] = differs ? 1 : 0
            }
        }
        for _ in 0..<radius { edge = GuidePropagation.window3x3(edge) { max($0, $1) } }
        return edge.values.map { $0 > 0 }
    }

    /// e(p) = mean over channels of the squared forward differences to the right and below.
    static func squaredGradient(_ image: Image) -> [Float] {
        let w = image.width, h = image.height, plane = w * h
        var energy = [Float](repeating: 0, count: plane)
        image.pixels.withUnsafeBufferPointer { px in
            energy.withUnsafeMutableBufferPointer { e in
                for c in 0..<image.channels {
                    for y in 0..<h {
                        for x in 0..<w {
                            let v = px[c * plane + y * w + x]
                            var s: Float = 0
                            if x + 1 < w { let d = px[c * plane + y * w + x + 1] - v; s += d * d }
                            if y + 1 < h { let d = px[c * plane + (y + 1) * w + x] - v; s += d * d }
                            e[y * w + x] += s
                        }
                    }
                }
                let n = Float(max(image.channels, 1))
                for p in 0..<plane { e[p] /= n }
            }
        }
        return energy
    }
}
