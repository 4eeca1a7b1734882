/// A decoded image: planar float samples in 0...1, `channels` planes of `height`×`width` (1 = grey, 3 = RGB).
/// Alpha is not kept; decoders composite nothing and simply drop it.
public struct Image: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// pixels[c*H*W + y*W + x], each in 0...1.
    public var pixels: [Float]

    /// A black image.
    public init(width: Int, height: Int, channels: Int) {
        precondition(channels == 1 || channels == 3, "Image: channels must be 1 or 3, got \(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = [Float](repeating: 0, count: width * height * channels)
    }

    /// Wraps existing planar samples.
    public init(width: Int, height: Int, channels: Int, pixels: [Float]) {
        precondition(channels == 1 || channels == 3, "Image: channels must be 1 or 3, got \(channels)")
        precondition(pixels.count == width * height * channels, "Image: \(pixels.count) samples for \(width)×\(height)×\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    @inlinable public subscript(c: Int, y: Int, x: Int) -> Float {
        get { pixels[(c * height + y) * width + x] }
        set { pixels[(c * height + y) * width + x] = newValue }
    }
}
