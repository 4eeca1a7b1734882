/// EXIF orientation (TIFF tag 0x0112): how the stored pixels must be transformed for display.
/// Rotations are clockwise; 5 and 7 mirror across the main and the anti-diagonal.
public enum ExifOrientation: Int, Sendable, CaseIterable {
    case identity = 1, mirrorHorizontal = 2, rotate180 = 3, mirrorVertical = 4
    case transpose = 5, rotate90 = 6, transverse = 7, rotate270 = 8

    /// True when display width and height are the stored height and width.
    public var swapsAxes: Bool { rawValue >= 5 }

    /// Reads the orientation from an APP1 payload that starts with "Exif\0\0", then a TIFF header
    /// ("II*\0" little-endian or "MM\0*" big-endian, offset of IFD0) and IFD0's 12-byte entries
    /// (tag, type, count, value). Returns nil when the tag is absent, malformed or out of range.
    public static func parse(app1 payload: [UInt8]) -> ExifOrientation? {
        let tiff = 6
        guard payload.count >= tiff + 8, payload[0..<6].elementsEqual(Array("Exif\0\0".utf8)) else { return nil }
        let littleEndian: Bool
        switch (payload[tiff], payload[tiff + 1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= payload.count else { return nil }
            let (a, b) = (Int(payload[at]), Int(payload[at + 1]))
            return littleEndian ? a | b << 8 : a << 8 | b
        }
        func u32(_ at: Int) -> Int? {
            guard let low = u16(littleEndian ? at : at + 2), let high = u16(littleEndian ? at + 2 : at) else { return nil }
            return high << 16 | low
        }
        guard u16(tiff + 2) == 42, let ifd = u32(tiff + 4).map({ tiff + $0 }), let count = u16(ifd) else { return nil }
        let shortType = 3
        for entry in 0..<count {
            let at = ifd + 2 + 12 * entry
            guard let tag = u16(at) else { return nil }
            guard tag == 0x0112 else { continue }
            // A SHORT value of count 1 sits left-aligned in the 4-byte value field.
            guard u16(at + 2) == shortType, let value = u16(at + 8) else { return nil }
            return ExifOrientation(rawValue: value)
        }
        return nil
    }

    /// Source pixel for display pixel (x, y) as sx = ax·x + bx·y + cx, sy = ay·x + by·y + cy
    /// for a stored image of width w and height h.
    fileprivate func sourceMap(width w: Int, height h: Int) -> (ax: Int, bx: Int, cx: Int, ay: Int, by: Int, cy: Int) {
        switch self {
        case .identity:         return (1, 0, 0, 0, 1, 0)
        case .mirrorHorizontal: return (-1, 0, w - 1, 0, 1, 0)
        case .rotate180:        return (-1, 0, w - 1, 0, -1, h - 1)
        case .mirrorVertical:   return (1, 0, 0, 0, -1, h - 1)
        case .transpose:        return (0, 1, 0, 1, 0, 0)
        case .rotate90:         return (0, 1, 0, -1, 0, h - 1)
        case .transverse:       return (0, -1, w - 1, -1, 0, h - 1)
        case .rotate270:        return (0, -1, w - 1, 1, 0, 0)
        }
    }
}

extension Image {
    /// The image as it should be displayed for the given EXIF orientation.
    public func oriented(_ orientation: ExifOrientation) -> Image {
        guard orientation != .identity else { return self }
        let (outWidth, outHeight) = orientation.swapsAxes ? (height, width) : (width, height)
        let map = orientation.sourceMap(width: width, height: height)
        var result = Image(width: outWidth, height: outHeight, channels: channels)
        let plane = width * height
        pixels.withUnsafeBufferPointer { source in
            result.pixels.withUnsafeMutableBufferPointer { out in
                for c in 0..<channels {
                    for y in 0..<outHeight {
                        for x in 0..<outWidth {
                            let sx = map.ax * x + map.bx * y + map.cx
                            let sy = map.ay * x + map.by * y + map.cy
                            out[c * plane + y * outWidth + x] = source[c * plane + sy * width + sx]
                        }
                    }
                }
            }
        }
        return result
    }
}
