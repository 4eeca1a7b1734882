import NSTImage

/// Gradient energy of an image near a region boundary, relative to elsewhere: a visible seam along a hard mask
/// edge shows up as a ratio above 1, and feathering the guides should lower it.
public struct BoundaryEnergy: Equatable, Sendable {
    /// Mean squared image gradient within `band` pixels of the boundary.
    public let band: Double
    /// Mean squared image gradient everywhere else.
    public let elsewhere: Double
    /// band / elsewhere (infinity when elsewhere is 0 and band is not).
    public var ratio: Double { elsewhere > 0 ? band / elsewhere : (band > 0 ? .infinity : 1) }

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
        let w = image.width, h = image.height
        let inside = mask.values.map { $0 >= 0.5 ? Float(1) : 0 }
        var edge = Guide(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                let v = inside[y * w + x]
                let differs = (x + 1 < w && inside[y * w + x + 1] != v) || (x > 0 && inside[y * w + x - 1] != v)
                    || (y + 1 < h && inside[(y + 1) * w + x] != v) || (y > 0 && inside[(y - 1) * w + x] != v)
                edge.values[y * w + x] = differs ? 1 : 0
            }
        }
        for _ in 0..<width { edge = GuidePropagation.window3x3(edge) { max($0, $1) } }
        var bandSum = 0.0, bandCount = 0, restSum = 0.0, restCount = 0
        let plane = w * h
        for y in 0..<h {
            for x in 0..<w {
                var e: Float = 0
                for c in 0..<image.channels {
                    let v = image.pixels[c * plane + y * w + x]
                    if x + 1 < w { let d = image.pixels[c * plane + y * w + x + 1] - v; e += d * d }
                    if y + 1 < h { let d = image.pixels[c * plane + (y + 1) * w + x] - v; e += d * d }
                }
                e /= Float(image.channels)
                if edge.values[y * w + x] > 0 { bandSum += Double(e); bandCount += 1 } else { restSum += Double(e); restCount += 1 }
            }
        }
        band = bandCount > 0 ? bandSum / Double(bandCount) : 0
        elsewhere = restCount > 0 ? restSum / Double(restCount) : 0
    }
}
