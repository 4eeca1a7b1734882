/// A C×H×W block of activations (or an image in network space), stored contiguously channel-major.
public struct FeatureMap: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    /// data[c*H*W + y*W + x]
    public var data: [Float]

    /// A zero-filled map.
    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
        self.data = [Float](repeating: 0, count: channels * height * width)
    }

    /// Wraps existing data; `data.count` must be `channels*height*width`.
    public init(channels: Int, height: Int, width: Int, data: [Float]) {
        precondition(data.count == channels * height * width, "FeatureMap: \(data.count) values for \(channels)×\(height)×\(width)")
        self.channels = channels
        self.height = height
        self.width = width
        self.data = data
    }

    /// Positions per channel (H·W), the M_l of the Gram-matrix formulas.
    @inlinable public var plane: Int { height * width }
    /// Total number of values (C·H·W).
    @inlinable public var count: Int { channels * height * width }

    @inlinable public subscript(c: Int, y: Int, x: Int) -> Float {
        get { data[(c * height + y) * width + x] }
        set { data[(c * height + y) * width + x] = newValue }
    }
}
