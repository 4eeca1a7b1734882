import NSTImage

extension StyleTransfer {
    /// The mean matting-Laplacian energy of an output of this run (e.g. `TransferResult.image`) given the run's content
    /// image resampled to the output's size: `MattingLaplacian.meanEnergy` with 3×3 windows and ε = 10⁻⁷, RGB in [0, 1],
    /// what `nst-exp photorealism` reports (lower is more photorealistic; a copy of the content scores ≈ 0). Measured
    /// for every run, with or without the photorealism term, so runs can be compared on it.
    public func photorealismEnergy(of output: Image) throws -> Double {
        let image = output.toRGB()
        let content = try resize(plan.content.toRGB(), width: image.width, height: image.height, what: "content image")
        return MattingLaplacian(image: content.pixels, width: image.width, height: image.height).meanEnergy(of: image.pixels)
    }
}
