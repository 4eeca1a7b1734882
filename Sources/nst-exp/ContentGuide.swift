import ArgumentParser
import Foundation
import NSTGuidance
import NSTImage

/// The content photo resampled to `image`'s size: the guide of `refine` and the Laplacian's image of `photorealism`.
/// Their shapes must agree as a mask's must its image's (`GuideConformance.sameShape`: aspect within 1 % or one pixel of
/// rounding), or the image was not made from this content; `purpose` ends the message ("refine", "measure").
func contentGuide(_ content: Image, path contentPath: String, for image: Image, at imagePath: String, purpose: String) throws -> Image {
    guard GuideConformance.sameShape(width: content.width, height: content.height, imageWidth: image.width, imageHeight: image.height) else {
        throw ValidationError("\(imagePath) is \(image.width)×\(image.height), the content \(contentPath) is \(content.width)×\(content.height): "
                              + "the aspect ratios differ by more than 1 % (and more than a pixel of rounding); \(purpose) an image made from this content")
    }
    return content.width == image.width && content.height == image.height
        ? content : try content.resized(width: image.width, height: image.height)
}

/// Decodes each image a measuring command was given before it measures any (one at a time, then dropped): a bad file
/// among many is refused before the work, instead of after the images before it, whose results `--json` prints only
/// at the end.
func checkDecodable(_ paths: [String]) throws {
    for path in paths { _ = try ImageIO.load(URL(fileURLWithPath: path)) }
}
