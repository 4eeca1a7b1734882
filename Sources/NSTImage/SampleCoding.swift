/// Conversions between planar Float images and the interleaved integer rows that codecs read and write.
enum SampleCoding {
    /// Maps a sample to an integer code in 0...maxCode: clamp to 0...1, NaN to 0, round to nearest.
    @inline(__always)
    static func quantize(_ value: Float, maxCode: Float) -> UInt16 {
        guard value > 0 else { return 0 }  // also catches NaN, for which every comparison is false
        return UInt16((min(value, 1) * maxCode).rounded())
    }

    /// Interleaved rows (RGBRGB… or grey) of 8-bit samples, or 16-bit big-endian when `bytesPerSample == 2`.
    static func interleave(_ image: Image, bytesPerSample: Int) -> [UInt8] {
        let plane = image.width * image.height
        let channels = image.channels
        var bytes = [UInt8](repeating: 0, count: plane * channels * bytesPerSample)
        let maxCode: Float = bytesPerSample == 2 ? 65535 : 255
        image.pixels.withUnsafeBufferPointer { source in
            bytes.withUnsafeMutableBufferPointer { out in
                for c in 0..<channels {
                    for i in 0..<plane {
                        let code = quantize(source[c * plane + i], maxCode: maxCode)
                        let at = (i * channels + c) * bytesPerSample
                        if bytesPerSample == 2 {
                            out[at] = UInt8(code >> 8)
                            out[at + 1] = UInt8(code & 0xFF)
                        } else {
                            out[at] = UInt8(code)
                        }
                    }
                }
            }
        }
        return bytes
    }

    /// Planar Float image from interleaved rows with `stride` channels per pixel, keeping the first
    /// `channels` of them (so a trailing alpha is dropped) and scaling codes to 0...1.
    static func deinterleave(_ bytes: [UInt8], width: Int, height: Int, rowBytes: Int, stride: Int,
                             bytesPerSample: Int, channels: Int) -> Image {
        let plane = width * height
        var pixels = [Float](repeating: 0, count: plane * channels)
        let scale: Float = 1 / (bytesPerSample == 2 ? 65535 : 255)
        bytes.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    for x in 0..<width {
                        for c in 0..<channels {
                            let at = y * rowBytes + (x * stride + c) * bytesPerSample
                            let code = bytesPerSample == 2
                                ? UInt32(source[at]) << 8 | UInt32(source[at + 1])
                                : UInt32(source[at])
                            out[c * plane + y * width + x] = Float(code) * scale
                        }
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// A C string written into a fixed buffer by the shims, as a Swift String.
    static func message(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return bytes.isEmpty ? "unknown error" : String(decoding: bytes, as: UTF8.self)
    }
}
