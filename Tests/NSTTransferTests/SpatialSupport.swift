import Foundation
import NSTGuidance
import NSTImage
import NSTNetwork
import NSTTensor
@testable import NSTTransfer

/// The installed VGG-19 (real ImageNet weights), loaded once for the spatial tests.
let realWeights: Result<VGGWeights, Error> = Result { try VGGWeights.loadInstalled() }

/// d[r][q] = mean((G^r(output) − A^q)²) at `layer`: output region r (its content guide) against region q's style
/// target (q's style image under q's style guide), with the run's propagation, at the output's size.
func regionDistances(output: Image, plan: RunPlan, network: VGG19, layer: LayerName) throws -> [[Double]] {
    guard let guidance = plan.guidance, let stage = plan.stages.last else { return [] }
    let styles = try plan.styles.map { try $0.resized(longestSide: stage.styleLongestSide) }
    let control = try guidance.prepared(contentWidth: output.width, contentHeight: output.height,
                                        styleSizes: styles.map { (width: $0.width, height: $0.height) }).control
    let styleFeatures = styles.map { network.forward(VGGInput.fromImage($0), layers: [layer])[layer] }
    let targets: [GuidedGram?] = try control.regions.map { r in
        guard let f = styleFeatures[r.styleIndex] else { return nil }
        return try GuidedStyleTargets.targets(features: [layer: f], styleGuide: r.styleGuide, propagation: control.propagation)[layer] ?? nil
    }
    guard let features = network.forward(VGGInput.fromImage(output), layers: [layer])[layer] else { return [] }
    let guides = control.propagation.propagate(control.regions.map(\.contentGuide), to: [layer])[layer] ?? []
    return guides.map { g in
        let gram = GuidedGram(features: features, guide: g)
        return targets.map { a in
            guard let gram, let a else { return .nan }
            return gram.meanSquaredDifference(to: a)
        }
    }
}

/// A greyscale PNG mask of `width`×`height`, 1 where `inside(x, y)`, written to `folder/name`.
func writeMask(_ name: String, in folder: URL, width: Int, height: Int, inside: (Int, Int) -> Bool) throws -> String {
    var image = Image(width: width, height: height, channels: 1)
    for y in 0..<height { for x in 0..<width where inside(x, y) { image.pixels[y * width + x] = 1 } }
    let url = folder.appendingPathComponent(name)
    try ImageIO.save(image, to: url)
    return url.path
}
