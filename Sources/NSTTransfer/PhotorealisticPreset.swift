extension RunConfiguration {
    /// The photorealistic preset (`"photorealistic": true`, `nst-exp stylize --photorealistic`): the style loss of the
    /// configuration (guided by `content_mask`/`style_masks` when given, else the whole image), start from the content,
    /// the photorealism term (Luan et al. 2017) with the weight measured on the nine deep-photo pairs, and every saved
    /// image refined by the guided filter with the content photo as the guide (README, *Photorealistic transfer*). Keys
    /// given explicitly override these values.
    public static var photorealisticPreset: RunConfiguration {
        var c = RunConfiguration()
        c.photorealistic = true
        c.initialization = .content
        c.termSettings[PhotorealismTerm.weight.key] = 3e10
        c.guidedFilterRadius = GuidedFilter.presetRadius
        c.guidedFilterEpsilon = GuidedFilter.presetEpsilon
        return c
    }
}
