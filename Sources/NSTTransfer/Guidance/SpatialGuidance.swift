import NSTGuidance

// Spatial control in a transfer run (Gatys, Ecker, Bethge, Hertzmann & Shechtman 2017, "Controlling Perceptual
// Factors in Neural Style Transfer", Sec. 3). With guidance the style term of layer l becomes
//
//     L_s,l = Σ_r λ_r · β s_l · mean((G^r_l(x) − A^r_l)²),   G^r_ij = Σ_k T_k² F_ik F_jk / Σ_k T_k²
//
// (GuidedStyleLayer in NSTGuidance), A^r_l taken from region r's style image under its style guide, and the content
// term may weight each position by w_k = Σ_r c_r T^r_k (+ 1 where no region covers k). The blend weights of plain
// multi-style transfer do not apply: the regions decide which style goes where.

/// The resolved spatial control of a run: regions with guides at the images' own sizes, c_r, and what the user
/// should be told (resampled masks, unmatched pixels, empty or vanishing regions).
public struct SpatialGuidance: Equatable, Sendable {
    public var control: SpatialControl
    /// c_r per region, or nil for the plain content loss (no `content_weight` / `content_region_weights` given).
    public var contentRegionWeights: [Float]?
    public var notices: [GuidanceNotice]

    /// The guides at a stage's working sizes (content `width`×`height`, each style image's size), feathered.
    public func prepared(contentWidth: Int, contentHeight: Int, styleSizes: [(width: Int, height: Int)]) throws -> SpatialGuidance {
        var copy = self
        copy.control = try control.prepared(contentWidth: contentWidth, contentHeight: contentHeight, styleSizes: styleSizes)
        return copy
    }
}
