import NSTImage
import NSTTensor

/// The network's input convention (Caffe's VGG, as re-released for Keras): BGR order, 0–255 scale,
/// the ImageNet mean pixel subtracted.
public enum VGGInput {
    /// Mean pixel in B, G, R order.
    public static let meanBGR: [Float] = VGGWeights.meanBGR

    /// RGB 0…1 → BGR 0…255 minus the mean. Grey images are repeated into three channels.
    public static func fromImage(_ image: Image) -> FeatureMap {
        let plane = image.width * image.height
        var out = FeatureMap(channels: 3, height: image.height, width: image.width)
        for bgr in 0..<3 {
            let src = image.channels == 1 ? 0 : 2 - bgr
            let mean = meanBGR[bgr]
            for p in 0..<plane { out.data[bgr * plane + p] = image.pixels[src * plane + p] * 255 - mean }
        }
        return out
    }

    /// The inverse of `fromImage`, clamped to 0…1 (NaN becomes 0).
    public static func toImage(_ x: FeatureMap) -> Image {
        precondition(x.channels == 3, "VGGInput.toImage: need 3 channels, got \(x.channels)")
        let plane = x.plane
        var image = Image(width: x.width, height: x.height, channels: 3)
        for rgb in 0..<3 {
            let bgr = 2 - rgb
            let mean = meanBGR[bgr]
            for p in 0..<plane {
                let v = (x.data[bgr * plane + p] + mean) / 255
                image.pixels[rgb * plane + p] = v.isNaN ? 0 : min(max(v, 0), 1)
            }
        }
        return image
    }
}
