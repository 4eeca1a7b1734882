import Foundation
import NSTGuidance
import NSTImage
import NSTNetwork

/// A validated configuration with everything resolved: layer names parsed, weights and blend normalised,
/// input images decoded (as RGB, colour control not yet applied), and the scale schedule fixed.
public struct RunPlan: Sendable {
    /// One coarse-to-fine stage.
    public struct Stage: Equatable, Sendable {
        /// Content size in pixels at this stage.
        public let width: Int
        public let height: Int
        /// Style images' longest side at this stage.
        public let styleLongestSide: Int
        public let iterations: Int
    }

    public let configuration: RunConfiguration
    public let content: Image
    public let styles: [Image]
    /// w_k, summing to 1.
    public let blend: [Float]
    /// Content layers with c_l.
    public let contentLayers: [(layer: LayerName, weight: Float)]
    /// Style layers with an s_l override, or nil for the default 1/N_l².
    public let styleLayers: [(layer: LayerName, weight: Float?)]
    /// The image for `init = <path>`, if any.
    public let initImage: Image?
    public let stages: [Stage]
    /// Spatial control (regions and their guides at the images' own sizes), nil without masks.
    public internal(set) var guidance: SpatialGuidance? = nil
    /// Set when `lbfgs_history_mib` keeps fewer L-BFGS pairs than `lbfgs_history` at some stage.
    public internal(set) var historyNotice: GuidanceNotice? = nil
    /// The label maps made for `auto_masks` (nil without it, or when only validating).
    public internal(set) var autoMasks: AutoMaskResult? = nil

    /// What the user should see before the run: a capped L-BFGS history, resampled masks, unmatched pixels,
    /// empty or vanishing regions.
    public var notices: [GuidanceNotice] {
        (historyNotice.map { [$0] } ?? []) + (autoMasks?.notices ?? []) + (guidance?.notices ?? [])
    }

    /// Every layer the objective needs, in network order.
    public var requestedLayers: [LayerName] {
        Array(Set(contentLayers.map(\.layer) + styleLayers.map(\.layer))).sorted()
    }
}

extension RunConfiguration {
    /// Checks every option and input file (existence and decoding) without starting any work.
    public func validate() throws {
        _ = try plan()
    }

    /// Validates and resolves the configuration; throws the first problem found, naming key, value and fix.
    /// With `auto_masks`, `autoMaskNetwork` segments the images (without it the maps are not made: validation only).
    public func plan(autoMaskNetwork: VGG19? = nil) throws -> RunPlan {
        try checkValues()
        try checkCollisions()
        let contentLayers = try parseLayers(contentLayers, key: "content_layers")
        let styleLayers = try parseLayers(styleLayers, key: "style_layers")
        let contentOverrides = try parseOverrides(layerWeights.content, role: "content", allowed: contentLayers)
        let styleOverrides = try parseOverrides(layerWeights.style, role: "style", allowed: styleLayers)
        guard !contentLayers.isEmpty || !styleLayers.isEmpty || tvWeight > 0 else {
            throw ConfigurationError.invalidValue(key: "content_layers, style_layers", value: "[] and []",
                                                  hint: "nothing to optimise; give at least one content or style layer")
        }
        let blend = try normalisedBlend()

        guard let contentPath = content, !contentPath.isEmpty else {
            throw ConfigurationError.missing(key: "content", hint: "pass --content IMAGE or \"content\": \"path\"")
        }
        let contentImage = try loadImage(contentPath, key: "content").toRGB()
        let styleImages = try style.enumerated().map { index, path in
            try loadImage(path, key: style.count == 1 ? "style" : "style[\(index)]").toRGB()
        }
        var initImage: Image? = nil
        if case .image(let path) = initialization {
            initImage = try loadImage(path, key: "init").toRGB()
        }
        try checkOutputPaths()

        let stages = try makeStages(content: contentImage, styles: styleImages, contentLayers: contentLayers, styleLayers: styleLayers)
        // The guided filter needs its (2r+1)² window inside the output; beyond, it returned the output unfiltered.
        if guidedFilterRadius > 0, let last = stages.last, 2 * guidedFilterRadius + 1 > min(last.width, last.height) {
            throw ConfigurationError.invalidValue(key: "guided_filter_radius", value: "\(guidedFilterRadius)",
                hint: "its window, \(2 * guidedFilterRadius + 1) pixels across, does not fit the \(last.width)×\(last.height) output; "
                    + "use a radius up to \((min(last.width, last.height) - 1) / 2), or a larger size")
        }
        try checkMemory(stages: stages, styles: styleImages, images: [contentImage] + styleImages + (initImage.map { [$0] } ?? []))
        var plan = RunPlan(configuration: self, content: contentImage, styles: styleImages, blend: blend,
                           contentLayers: contentLayers.map { ($0, contentOverrides[$0] ?? 1) },
                           styleLayers: styleLayers.map { ($0, styleOverrides[$0]) },
                           initImage: initImage, stages: stages)
        plan.historyNotice = historyNotice(stages: stages)
        try checkAutoMasks()
        try checkAutoMaskSizes(content: contentImage, styles: styleImages)
        if autoMasks != nil, let network = autoMaskNetwork {
            plan.autoMasks = try makeAutoMasks(content: contentImage, style: styleImages[0], network: network)
        }
        if var guidance = try resolveGuidance(content: contentImage, styles: styleImages, automatic: plan.autoMasks) {
            guidance.notices += try vanishingRegionWarnings(guidance, stages: stages, styles: styleImages, styleLayers: styleLayers)
            plan.guidance = guidance
        }
        return plan
    }

    /// The checks of single values that need no input file (`plan()` runs them first; a sweep runs them on every
    /// run): the numeric bounds of `RunLimits` first, before any size arithmetic, then each loss term's own keys,
    /// the weights and counts.
    public func checkValues() throws {
        try checkBounds()
        try checkTermSettings()
        for (name, value) in layerWeights.content.sorted(by: { $0.key < $1.key }) { try KeyCheck<Float>.weight.run(value, "layer_weights.content.\(name)") }
        for (name, value) in layerWeights.style.sorted(by: { $0.key < $1.key }) { try KeyCheck<Float>.weight.run(value, "layer_weights.style.\(name)") }
        if let perScale = iterationsPerScale, perScale.count != max(scales.count, 1) {
            throw ConfigurationError.invalidValue(key: "iterations_per_scale", value: "\(perScale)",
                hint: "give one count per scale (\(max(scales.count, 1)) for scales \(scales))")
        }
        if style.isEmpty {
            throw ConfigurationError.missing(key: "style", hint: "pass --style IMAGE (repeatable) or \"style\": [\"path\", …]")
        }
        if case .style = initialization, style.isEmpty {
            throw ConfigurationError.invalidValue(key: "init", value: "\"style\"", hint: "needs a style image")
        }
    }

    /// A single notice naming every stage size (3·W·H floats) whose L-BFGS history the budget cuts; nil if none.
    func historyNotice(stages: [RunPlan.Stage]) -> GuidanceNotice? {
        guard optimizer == .lbfgs else { return nil }
        var sizes: [(width: Int, height: Int)] = []
        for stage in stages where !sizes.contains(where: { $0 == (stage.width, stage.height) }) {
            sizes.append((stage.width, stage.height))
        }
        let mib = { (bytes: Int) in String(format: "%.3g MiB", Double(bytes) / Double(1 << 20)) }
        var clauses: [String] = [], overBudget: [String] = []
        for (width, height) in sizes {
            let variables = 3 * width * height, kept = effectiveLBFGSHistory(variables: variables)
            guard kept < lbfgsHistory else { continue }
            let pairBytes = LBFGS.bytesPerPair(variables: variables)
            clauses.append("\(kept) pair\(kept == 1 ? "" : "s") at \(width)×\(height) (\(mib(pairBytes)) per pair)")
            if Double(pairBytes) > Double(lbfgsHistoryMiB) * Double(1 << 20) { overBudget.append("\(width)×\(height)") }
        }
        guard !clauses.isEmpty else { return nil }
        var message = "L-BFGS keeps \(clauses.joined(separator: ", ")) instead of lbfgs_history \(lbfgsHistory), "
            + "to stay within lbfgs_history_mib \(lbfgsHistoryMiB); raise lbfgs_history_mib to keep more"
        if !overBudget.isEmpty {
            message += " (one pair alone exceeds the budget at \(overBudget.joined(separator: ", ")))"
        }
        return GuidanceNotice(level: .notice, path: nil, message: message)
    }

    private func parseLayers(_ names: [String], key: String) throws -> [LayerName] {
        var seen = Set<LayerName>()
        return try names.map { name in
            let layer: LayerName
            do {
                layer = try LayerName(name)
            } catch {
                throw ConfigurationError.unknownLayer(key: key, name: name, suggestion: LayerName.nearest(to: name))
            }
            guard seen.insert(layer).inserted else {
                throw ConfigurationError.invalidValue(key: key, value: "\(names)", hint: "'\(layer)' is listed twice")
            }
            return layer
        }
    }

    private func parseOverrides(_ overrides: [String: Float], role: String, allowed: [LayerName]) throws -> [LayerName: Float] {
        var result: [LayerName: Float] = [:]
        for (name, value) in overrides.sorted(by: { $0.key < $1.key }) {
            let key = "layer_weights.\(role).\(name)"
            let layer: LayerName
            do {
                layer = try LayerName(name)
            } catch {
                throw ConfigurationError.unknownLayer(key: key, name: name, suggestion: LayerName.nearest(to: name))
            }
            guard allowed.contains(layer) else {
                throw ConfigurationError.invalidValue(key: key, value: "\(value)",
                    hint: "\(layer) is not one of the \(role)_layers \(allowed.map(\.description)); add it there or remove the override")
            }
            result[layer] = value
        }
        return result
    }

    private func normalisedBlend() throws -> [Float] {
        guard let blend = styleBlend else {
            return Array(repeating: 1 / Float(max(style.count, 1)), count: style.count)
        }
        guard blend.count == style.count else {
            throw ConfigurationError.invalidValue(key: "style_blend", value: "\(blend)",
                hint: "give one weight per style image (\(style.count) styles, \(blend.count) weights)")
        }
        guard blend.allSatisfy({ $0.isFinite && $0 >= 0 }), blend.reduce(0, +) > 0 else {
            throw ConfigurationError.invalidValue(key: "style_blend", value: "\(blend)",
                hint: "weights must be finite, ≥ 0 and not all zero")
        }
        let total = blend.reduce(0, +)
        return blend.map { $0 / total }
    }

    private func loadImage(_ path: String, key: String) throws -> Image {
        do {
            return try ImageIO.load(URL(fileURLWithPath: path))
        } catch let error as ImageError {
            throw ConfigurationError.image(key: key, error)
        }
    }

    private func checkOutputPaths() throws {
        let outputURL = URL(fileURLWithPath: output)
        guard ImageFormat(pathExtension: outputURL.pathExtension) != nil else {
            throw ConfigurationError.invalidValue(key: "output", value: "\"\(output)\"", hint: "end the name in .png or .jpg")
        }
        for (key, path) in outputPaths {
            do { try FileIO.checkWritable(path) } catch let error as FileIOError {
                throw ConfigurationError.invalidValue(key: key, value: "\"\(path)\"", hint: error.reason)
            }
        }
    }

    private func makeStages(content: Image, styles: [Image], contentLayers: [LayerName],
                            styleLayers: [LayerName]) throws -> [RunPlan.Stage] {
        let iterationCounts = scheduledIterations
        let sides: [Int?] = scales.isEmpty ? [pixelCount == nil ? size : nil] : scales.map { $0 }
        return try zip(sides, iterationCounts).map { side, iterations in
            let (width, height) = RunConfiguration.scaledSize(width: content.width, height: content.height,
                                                              longestSide: side, pixelCount: pixelCount)
            let styleSide = max(1, Int((Float(max(width, height)) * styleScale).rounded()))
            guard styleSide <= RunLimits.maxSide else {
                throw ConfigurationError.invalidValue(key: "style_scale", value: "\(styleScale)",
                    hint: "the style images' longest side becomes \(styleSide) pixels, over the limit of \(RunLimits.maxSide)")
            }
            let sizeKey = side == nil ? "pixel_count" : (scales.isEmpty ? "size" : "scales")
            do {
                try VGG19.validate(width: width, height: height, layers: contentLayers + styleLayers)
            } catch {
                // No size helps a strip whose short side stays too small even at the largest side accepted.
                let widest = RunConfiguration.scaledSize(width: content.width, height: content.height,
                                                         longestSide: RunLimits.maxSide, pixelCount: nil)
                if (try? VGG19.validate(width: widest.0, height: widest.1, layers: contentLayers + styleLayers)) == nil,
                   case let NetworkError.inputTooSmall(_, _, layer, minimum) = error {
                    throw ConfigurationError.invalidValue(key: "content", value: "\"\(self.content ?? "")\"",
                        hint: "the content image is \(content.width)×\(content.height); even at the largest size, "
                            + "\(RunLimits.maxSide), it would be \(widest.0)×\(widest.1), and \(layer) needs at least \(minimum) "
                            + "pixels on each side; crop it to a less extreme shape")
                }
                throw ConfigurationError.invalidValue(key: sizeKey, value: "\(side ?? pixelCount ?? 0)",
                                                      hint: "the content becomes \(width)×\(height): \(error)")
            }
            for (index, style) in styles.enumerated() {
                let (sw, sh) = RunConfiguration.scaledSize(width: style.width, height: style.height,
                                                           longestSide: styleSide, pixelCount: nil)
                do {
                    try VGG19.validate(width: sw, height: sh, layers: styleLayers)
                } catch {
                    throw ConfigurationError.invalidValue(key: "style_scale", value: "\(styleScale)",
                        hint: "at \(sizeKey) \(side ?? pixelCount ?? 0) style image \(index + 1) becomes \(sw)×\(sh): \(error)")
                }
            }
            return RunPlan.Stage(width: width, height: height, styleLongestSide: styleSide, iterations: iterations)
        }
    }

    /// Content size for a longest side (or, if nil, a pixel count), keeping the aspect ratio as NSTImage does.
    static func scaledSize(width: Int, height: Int, longestSide: Int?, pixelCount: Int?) -> (Int, Int) {
        let factor: Double
        if let longestSide {
            factor = Double(longestSide) / Double(max(width, height, 1))
        } else {
            factor = (Double(pixelCount ?? width * height) / Double(max(width * height, 1))).squareRoot()
        }
        var w = max(1, Int((Double(width) * factor).rounded())), h = max(1, Int((Double(height) * factor).rounded()))
        if let longestSide { if width >= height { w = longestSide } else { h = longestSide } }
        return (w, h)
    }
}
