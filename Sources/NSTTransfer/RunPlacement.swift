import NSTGuidance
import NSTImage

extension StyleTransfer {
    /// `Placement` of an output of this run (e.g. `TransferResult.image`): each region's guided style distance to
    /// every style region, measured at the last stage's sizes on the images the network saw (after colour control).
    /// nil for a run without spatial control.
    public func placement(of output: Image) throws -> Placement? {
        guard let guidance = plan.guidance, let stage = plan.stages.last else { return nil }
        let sources = preparedInputs()
        let image = try resize(output, width: stage.width, height: stage.height, what: "output image")
        let styles = try sources.styles.map { try resize($0, longestSide: stage.styleLongestSide, what: "style image") }
        return try Placement.measure(network: network, output: image, styles: styles, regions: guidance.control.regions)
    }
}
