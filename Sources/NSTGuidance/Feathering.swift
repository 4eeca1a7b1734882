import Foundation

extension Guide {
    /// The guide blurred by a separable Gaussian of σ = radius/3, truncated at ±radius pixels (so the blur reaches
    /// exactly `radius` pixels across each boundary); borders replicate the edge value. Apply before propagation.
    public func feathered(radius: Double) throws -> Guide {
        guard radius >= 0, radius.isFinite else { throw GuidanceError.invalidRadius(parameter: "feather radius", value: radius) }
        let reach = Int(radius.rounded(.down))
        guard reach >= 1, width > 0, height > 0 else { return self }
        let sigma = radius / 3
        var kernel = (-reach...reach).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        var horizontal = Guide(width: width, height: height)
        var out = Guide(width: width, height: height)
        let w = width, h = height
        values.withUnsafeBufferPointer { src in
            horizontal.values.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    for x in 0..<w {
                        var sum: Float = 0
                        for k in -reach...reach { sum += kernel[k + reach] * src[y * w + min(max(x + k, 0), w - 1)] }
                        dst[y * w + x] = sum
                    }
                }
            }
        }
        horizontal.values.withUnsafeBufferPointer { src in
            out.values.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    for x in 0..<w {
                        var sum: Float = 0
                        for k in -reach...reach { sum += kernel[k + reach] * src[min(max(y + k, 0), h - 1) * w + x] }
                        dst[y * w + x] = min(max(sum, 0), 1)
                    }
                }
            }
        }
        return out
    }
}
