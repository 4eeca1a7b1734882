extension RunConfiguration {
    /// The photorealistic preset (`"photorealistic": true`, `nst-exp stylize --photorealistic`): the style loss of the
    /// configuration (guided by `content_mask`/`style_masks` when given, else the whole image), start from the content,
    /// and the photorealism term (Luan et al. 2017) with the weight measured on the nine deep-photo pairs (README,
    /// *Photorealistic transfer*). Keys given explicitly override these values.
    public static var photorealisticPreset: RunConfiguration {
        var c = RunConfiguration()
        c.photorealistic = true
        c.initialization = .content
        c.termSettings[PhotorealismTerm.weight.key] = 1e10
        return c
    }
}
