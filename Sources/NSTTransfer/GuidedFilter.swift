import NSTImage

/// Guided-filter refinement of a stylized image with its content image as the guide (He, Sun & Tang, "Guided Image
/// Filtering", ECCV 2010; TPAMI 2013, eq. 4–8): in every (2r+1)² window w_k the output is replaced by its best
/// ridge-regularised affine function of the guide's RGB,
///
///     a_k = (Σ_k + ε E₃)⁻¹ (1/|w| Σ_{i∈w_k} I_i p_i − μ_k p̄_k),   b_k = p̄_k − a_kᵀ μ_k,
///     q_i = 1/n_i Σ_{k | i ∈ w_k} (a_kᵀ I_i + b_k),
///
/// per channel, with images in [0, 1]. This is the post-process of photorealistic transfer (Luan et al. 2017 refine
/// their result with the same local affine fit): it removes what the photorealism term left of distortions that are
/// not a local colour transform of the content. It shares the window statistics of `MattingLaplacian`, with
/// (M p)_i = n_i (p_i − q_i) and the Laplacian's ε = ε·|w|. Departure from He et al.: only windows that lie inside the
/// image are used (n_i of them), as in the matting Laplacian, instead of shrinking windows at the border.
public enum GuidedFilter {
    /// Radius and ε of the photorealistic preset's refinement (`guided_filter_radius`, `guided_filter_epsilon`), chosen
    /// on the nine deep-photo pairs at 256 and 512 px (README, *Photorealistic transfer*).
    public static let presetRadius = 2
    public static let presetEpsilon = 1e-6

    /// `image` refined with `guide` (resampled to `image`'s size by the caller; both RGB), window radius `radius`,
    /// ridge `epsilon` (He et al.'s ε). Values are clamped to [0, 1]. Images smaller than a window come back unchanged.
    public static func refine(_ image: Image, guide: Image, radius: Int, epsilon: Double) -> Image {
        precondition(image.channels == 3 && guide.channels == 3 && image.width == guide.width && image.height == guide.height,
                     "GuidedFilter: image and guide must be RGB of one size")
        let side = 2 * radius + 1
        guard radius >= 1, image.width >= side, image.height >= side else { return image }
        let laplacian = MattingLaplacian(image: guide.pixels, width: image.width, height: image.height, radius: radius,
                                         epsilon: epsilon * Double(side * side))
        let n = image.width * image.height
        var result = image
        var filtered = [Double](repeating: 0, count: n)
        image.pixels.withUnsafeBufferPointer { source in
            filtered.withUnsafeMutableBufferPointer { out in
                for c in 0..<3 {
                    laplacian.guidedFilter(source.baseAddress! + c * n, into: out.baseAddress!)
                    for i in 0..<n { result.pixels[c * n + i] = Float(min(max(out[i], 0), 1)) }
                }
            }
        }
        return result
    }
}
