import ArgumentParser
import NSTImage

/// The content photo resampled to `image`'s size: the guide of `refine` and the Laplacian's image of `photorealism`.
/// Their aspect ratios must agree within 1 %, or the image was not made from this content; `purpose` ends the message
/// ("refine", "measure").
func contentGuide(_ content: Image, path contentPath: String, for image: Image, at imagePath: String, purpose: String) throws -> Image {
    let ratio = Double(image.width) / Double(image.height), contentRatio = Double(content.width) / Double(content.height)
    guard abs(ratio / contentRatio - 1) <= 0.01 else {
        throw ValidationError("\(imagePath) is \(image.width)×\(image.height), the content \(contentPath) is \(content.width)×\(content.height): "
                              + "the aspect ratios differ by more than 1 %; \(purpose) an image made from this content")
    }
    return content.width == image.width && content.height == image.height
        ? content : try content.resized(width: image.width, height: image.height)
}
