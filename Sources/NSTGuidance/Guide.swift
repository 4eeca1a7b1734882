import NSTImage

/// A guide: one region's weight at each position of an image or feature map, 0 (outside) … 1 (inside), soft values allowed.
/// Row-major, values[y·width + x]; Gatys et al. 2016 call this T^r (Sec. 3, spatial control).
public struct Guide: Hashable, Sendable {
    public var width: Int
    public var height: Int
    public var values: [Float]

    /// A guide of constant value (0 = empty region, 1 = the whole image).
    public init(width: Int, height: Int, value: Float = 0) {
        self.width = width
        self.height = height
        self.values = [Float](repeating: value, count: width * height)
    }

    /// Wraps existing values; `values.count` must be `width*height`.
    public init(width: Int, height: Int, values: [Float]) {
        precondition(values.count == width * height, "Guide: \(values.count) values for \(width)×\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// The grey plane of a mask image (RGB is reduced to Rec. 601 luma; equal-channel masks keep their value), clamped to 0…1.
    public init(mask image: Image) {
        let grey = image.toGrey()
        self.init(width: grey.width, height: grey.height, values: grey.pixels.map { min(max($0, 0), 1) })
    }

    /// Positions (H·W).
    @inlinable public var count: Int { width * height }

    @inlinable public subscript(y: Int, x: Int) -> Float {
        get { values[y * width + x] }
        set { values[y * width + x] = newValue }
    }

    /// Σ_k T_k: the region's area in positions (soft values count fractionally).
    public var mass: Double { values.reduce(0.0) { $0 + Double($1) } }

    /// Share of the positions the region covers, Σ_k T_k / (H·W).
    public var share: Double { count == 0 ? 0 : mass / Double(count) }

    /// True when no position has positive weight.
    public var isEmpty: Bool { !values.contains { $0 > 0 } }

    /// The guide as a one-channel image (for saving and resampling).
    public var image: Image { Image(width: width, height: height, channels: 1, pixels: values) }

    /// Area-averaged (shrinking) or bicubic (growing) resample to `width`×`height`, clamped to 0…1.
    public func resampled(width newWidth: Int, height newHeight: Int) throws -> Guide {
        if newWidth == width && newHeight == height { return self }
        let r = try image.resized(width: newWidth, height: newHeight, filter: .auto)
        return Guide(width: newWidth, height: newHeight, values: r.pixels.map { min(max($0, 0), 1) })
    }
}
