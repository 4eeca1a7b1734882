extension Image {
    /// Rec. 601 luma, Y′ = 0.299 R′ + 0.587 G′ + 0.114 B′ (ITU-R BT.601), on the gamma-encoded samples as JPEG does; grey images are returned unchanged.
    public func toGrey() -> Image {
        guard channels == 3 else { return self }
        let plane = width * height
        var grey = Image(width: width, height: height, channels: 1)
        pixels.withUnsafeBufferPointer { rgb in
            grey.pixels.withUnsafeMutableBufferPointer { out in
                for i in 0..<plane {
                    out[i] = 0.299 * rgb[i] + 0.587 * rgb[plane + i] + 0.114 * rgb[2 * plane + i]
                }
            }
        }
        return grey
    }

    /// Three channels: grey is copied into R, G and B; RGB images are returned unchanged.
    public func toRGB() -> Image {
        guard channels == 1 else { return self }
        return Image(width: width, height: height, channels: 3, pixels: pixels + pixels + pixels)
    }

    /// The width×height rectangle whose top-left corner is (x, y); it must lie inside the image.
    public func cropped(x: Int, y: Int, width newWidth: Int, height newHeight: Int) throws -> Image {
        guard x >= 0, y >= 0, newWidth >= 1, newHeight >= 1, x + newWidth <= width, y + newHeight <= height else {
            throw ImageError.invalidCrop(x: x, y: y, width: newWidth, height: newHeight,
                                         imageWidth: width, imageHeight: height)
        }
        var out = Image(width: newWidth, height: newHeight, channels: channels)
        pixels.withUnsafeBufferPointer { source in
            out.pixels.withUnsafeMutableBufferPointer { target in
                for c in 0..<channels {
                    for row in 0..<newHeight {
                        let from = (c * height + y + row) * width + x
                        let to = (c * newHeight + row) * newWidth
                        for i in 0..<newWidth { target[to + i] = source[from + i] }
                    }
                }
            }
        }
        return out
    }
}
