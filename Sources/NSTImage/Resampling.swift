import Foundation

/// Resampling filter, chosen per axis.
public enum ResizeFilter: Sendable {
    /// Area averaging along an axis that shrinks, bicubic along one that grows.
    case auto
    /// Exact area averaging: each output pixel is the mean of the source area it covers, fractional pixels weighted by coverage.
    case area
    /// Linear interpolation between the two nearest source pixel centres (no prefiltering when shrinking).
    case bilinear
    /// Keys cubic convolution, a = -0.5 (Catmull-Rom); results are clamped to 0...1 (no prefiltering when shrinking).
    case bicubic
}

/// One axis of a separable resampling: output i = Σ_k weights[i·taps + k] · input[indices[i·taps + k]].
/// Every output uses the same number of taps (unused ones have weight 0), so the inner loops have no branches.
struct AxisKernel {
    let taps: Int
    let indices: [Int]
    let weights: [Float]
    let overshoots: Bool

    init(input n: Int, output m: Int, filter: ResizeFilter) {
        let kind: ResizeFilter = filter == .auto ? (m < n ? .area : .bicubic) : filter
        let scale = Double(n) / Double(m)
        var taps: Int
        switch kind {
        case .area: taps = Int(scale.rounded(.up)) + 1
        case .bilinear: taps = 2
        default: taps = 4
        }
        var indices = [Int](repeating: 0, count: m * taps)
        var weights = [Float](repeating: 0, count: m * taps)
        for i in 0..<m {
            let taken: [(Int, Double)]
            switch kind {
            case .area: taken = AxisKernel.area(i, scale: scale, n: n)
            case .bilinear: taken = AxisKernel.bilinear(i, scale: scale, n: n)
            default: taken = AxisKernel.bicubic(i, scale: scale, n: n)
            }
            for (k, (index, weight)) in taken.prefix(taps).enumerated() {
                indices[i * taps + k] = index
                weights[i * taps + k] = Float(weight)
            }
        }
        self.taps = taps
        self.indices = indices
        self.weights = weights
        self.overshoots = kind == .bicubic
    }

    /// Output pixel i covers the source interval [i·s, (i+1)·s), s = n/m; pixel j contributes its overlap / s.
    private static func area(_ i: Int, scale s: Double, n: Int) -> [(Int, Double)] {
        let low = Double(i) * s, high = Double(i + 1) * s
        let first = Int(low.rounded(.down)), last = min(n - 1, Int(high.rounded(.up)) - 1)
        guard first <= last else { return [(min(first, n - 1), 1)] }
        return (first...last).map { j in (j, (min(Double(j + 1), high) - max(Double(j), low)) / s) }
    }

    /// Pixel centres are aligned: output i sits at source coordinate (i + 0.5)·s − 0.5; edges clamp.
    private static func centre(_ i: Int, scale s: Double) -> Double { (Double(i) + 0.5) * s - 0.5 }

    private static func bilinear(_ i: Int, scale s: Double, n: Int) -> [(Int, Double)] {
        let x = centre(i, scale: s), base = x.rounded(.down), t = x - base
        let j = Int(base)
        return [(clamp(j, n), 1 - t), (clamp(j + 1, n), t)]
    }

    /// Keys (1981), "Cubic convolution interpolation for digital image processing", eq. 15 with a = −0.5:
    /// W(d) = (a+2)|d|³ − (a+3)|d|² + 1 for |d| ≤ 1, a|d|³ − 5a|d|² + 8a|d| − 4a for 1 < |d| < 2, else 0.
    private static func bicubic(_ i: Int, scale s: Double, n: Int) -> [(Int, Double)] {
        let x = centre(i, scale: s), j = Int(x.rounded(.down)), a = -0.5
        return (j - 1...j + 2).map { tap in
            let d = abs(x - Double(tap))
            let w = d <= 1 ? ((a + 2) * d - (a + 3)) * d * d + 1
                : d < 2 ? ((a * d - 5 * a) * d + 8 * a) * d - 4 * a : 0
            return (clamp(tap, n), w)
        }
    }

    private static func clamp(_ j: Int, _ n: Int) -> Int { min(max(j, 0), n - 1) }
}

extension Image {
    /// Resamples to width×height, each axis separately (one may shrink while the other grows).
    public func resized(width newWidth: Int, height newHeight: Int, filter: ResizeFilter = .auto) throws -> Image {
        guard newWidth >= 1, newHeight >= 1 else { throw ImageError.invalidSize(width: newWidth, height: newHeight) }
        guard width >= 1, height >= 1 else { throw ImageError.invalidSize(width: width, height: height) }
        var result = self
        var clampNeeded = false
        if newWidth != width {
            let kernel = AxisKernel(input: width, output: newWidth, filter: filter)
            result = result.resampledHorizontally(to: newWidth, kernel: kernel)
            clampNeeded = clampNeeded || kernel.overshoots
        }
        if newHeight != height {
            let kernel = AxisKernel(input: height, output: newHeight, filter: filter)
            result = result.resampledVertically(to: newHeight, kernel: kernel)
            clampNeeded = clampNeeded || kernel.overshoots
        }
        if clampNeeded {
            result.pixels.withUnsafeMutableBufferPointer { values in
                for i in values.indices { values[i] = min(max(values[i], 0), 1) }
            }
        }
        return result
    }

    /// Scales so that the longer side becomes `longestSide`, keeping the aspect ratio (shorter side rounded, at least 1).
    public func resized(longestSide: Int, filter: ResizeFilter = .auto) throws -> Image {
        guard longestSide >= 1 else { throw ImageError.invalidResizeTarget(parameter: "longestSide", value: longestSide) }
        let size = Image.size(width: width, height: height, longestSide: longestSide)
        return try resized(width: size.width, height: size.height, filter: filter)
    }

    /// The size `resized(longestSide:)` gives an image of `width` × `height` (for checks made before loading pixels).
    public static func size(width: Int, height: Int, longestSide: Int) -> (width: Int, height: Int) {
        let size = scaledSize(width: width, height: height, factor: Double(longestSide) / Double(Swift.max(width, height, 1)))
        return (width >= height ? longestSide : size.width, height > width ? longestSide : size.height)
    }

    /// Scales to about `pixelCount` pixels in total, keeping the aspect ratio: factor √(pixelCount / (width·height)).
    public func resized(pixelCount: Int, filter: ResizeFilter = .auto) throws -> Image {
        guard pixelCount >= 1 else { throw ImageError.invalidResizeTarget(parameter: "pixelCount", value: pixelCount) }
        let factor = (Double(pixelCount) / Double(Swift.max(width * height, 1))).squareRoot()
        let size = Image.scaledSize(width: width, height: height, factor: factor)
        return try resized(width: size.width, height: size.height, filter: filter)
    }

    static func scaledSize(width: Int, height: Int, factor: Double) -> (width: Int, height: Int) {
        (Swift.max(1, Int((Double(width) * factor).rounded())), Swift.max(1, Int((Double(height) * factor).rounded())))
    }

    private func resampledHorizontally(to newWidth: Int, kernel: AxisKernel) -> Image {
        var out = Image(width: newWidth, height: height, channels: channels)
        let taps = kernel.taps
        pixels.withUnsafeBufferPointer { source in
            out.pixels.withUnsafeMutableBufferPointer { target in
                kernel.indices.withUnsafeBufferPointer { indices in
                    kernel.weights.withUnsafeBufferPointer { weights in
                        for row in 0..<(channels * height) {
                            let input = row * width, output = row * newWidth
                            for x in 0..<newWidth {
                                var sum: Float = 0
                                for k in 0..<taps { sum += weights[x * taps + k] * source[input + indices[x * taps + k]] }
                                target[output + x] = sum
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Accumulates whole source rows into each output row, which walks memory contiguously.
    private func resampledVertically(to newHeight: Int, kernel: AxisKernel) -> Image {
        var out = Image(width: width, height: newHeight, channels: channels)
        let taps = kernel.taps
        pixels.withUnsafeBufferPointer { source in
            out.pixels.withUnsafeMutableBufferPointer { target in
                for c in 0..<channels {
                    for y in 0..<newHeight {
                        let output = (c * newHeight + y) * width
                        for k in 0..<taps {
                            let weight = kernel.weights[y * taps + k]
                            guard weight != 0 else { continue }
                            let input = (c * height + kernel.indices[y * taps + k]) * width
                            for x in 0..<width { target[output + x] += weight * source[input + x] }
                        }
                    }
                }
            }
        }
        return out
    }
}
