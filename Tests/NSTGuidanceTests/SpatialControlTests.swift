import Foundation
import Testing
import NSTImage
import NSTNetwork
import NSTTensor
@testable import NSTGuidance
import NSTTestSupport

/// The whole path a transfer takes: label maps → regions → working size and feathering → per-layer guided losses.
@Suite struct SpatialControlTests {
    let net = VGG19(weights: .random(seed: 4, widthDivisor: 16))
    let layers = [layer("relu1_1"), layer("relu2_1"), layer("relu3_1")]

    /// The style photo is Examples/content/astronaut.png (512×512), labelled by Masks/astronaut_regions.png.
    func styleFeatures(width: Int, height: Int) throws -> [LayerName: FeatureMap] {
        let style = try ImageIO.load(exampleImageURL("content/astronaut.png")).resized(width: width, height: height)
        return net.forward(VGGInput.fromImage(style), layers: layers).mapValues { $0 }
    }

    @Test func labelMapsBecomeRegionsAtTheWorkingSize() throws {
        // chelsea_regions (451×300): white cat, black background, green eyes; astronaut_regions (512×512) has those
        // three and blue, red, yellow, which no content region uses.
        let content = try LabelMap.load(maskFileURL("chelsea_regions.png"), palette: .deepPhoto)
        let style = try LabelMap.load(maskFileURL("astronaut_regions.png"), palette: .deepPhoto)
        let (regions, notices) = try SpatialControl.labelMaps(content: content, style: style)
        #expect(regions.count == 3 && notices.count == 3)
        #expect(notices.contains { $0.message.contains("unused") && $0.message.contains("yellow") })
        let control = SpatialControl(regions: regions, featherRadius: 2)
        #expect(control.propagation.mode == .simple)
        let third: Float = 1 / 3
        #expect(control.regionWeights == [third, third, third])
        let prepared = try control.prepared(contentWidth: 66, contentHeight: 44, styleSizes: [(48, 48)])
        for r in prepared.regions {
            #expect(r.contentGuide.width == 66 && r.contentGuide.height == 44 && r.styleGuide.width == 48 && r.styleGuide.height == 48)
        }
        // Feathering leaves no hard edge: some values strictly between 0 and 1 beyond the resampling's.
        let hard = try SpatialControl(regions: regions).prepared(contentWidth: 66, contentHeight: 44, styleSizes: [(48, 48)])
        let soft = { (c: SpatialControl) in
            c.regions.reduce(0) { n, r in n + r.contentGuide.values.filter { $0 > 0.01 && $0 < 0.99 }.count }
        }
        #expect(soft(prepared) > soft(hard) + 50, "feathered \(soft(prepared)), hard \(soft(hard))")
        #expect(throws: GuidanceError.self) { try control.prepared(contentWidth: 66, contentHeight: 44, styleSizes: []) }
    }

    /// Content map = style map and the "output" is the style image itself: every region matches its own target, so
    /// the guided loss is zero; pairing each content region with another region's style makes it clearly positive.
    @Test func ownRegionTargetsBeatOtherRegions() throws {
        let style = try LabelMap.load(maskFileURL("astronaut_regions.png"), palette: .deepPhoto)
        let (regions, _) = try SpatialControl.labelMaps(content: style, style: style)
        #expect(regions.count == 6)
        let features = try styleFeatures(width: 64, height: 64)
        let weights = Dictionary(uniqueKeysWithValues: layers.map { ($0, 1 / Float(features[$0].map { $0.channels * $0.channels } ?? 1)) })
        for mode in PropagationMode.allCases {
            let own = try SpatialControl(regions: regions, propagation: .init(mode: mode))
                .prepared(contentWidth: 64, contentHeight: 64, styleSizes: [(64, 64)])
            var crossed = own
            for r in crossed.regions.indices { crossed.regions[r].styleGuide = own.regions[(r + 1) % regions.count].styleGuide }
            func loss(_ c: SpatialControl) throws -> Double {
                let (built, _) = try c.styleLayers(styleFeatures: [features], layerWeights: weights)
                return try layers.reduce(0.0) { acc, l in
                    let f = try #require(features[l])
                    return acc + (built[l]?.evaluate(f, gradient: nil) ?? .nan)
                }
            }
            let ownLoss = try loss(own), crossedLoss = try loss(crossed)
            #expect(ownLoss < 1e-6 * crossedLoss, "\(mode): own \(ownLoss) vs crossed \(crossedLoss)")
        }
    }

    @Test func mismatchedFeatureSizesAreErrors() throws {
        let guide = Guide(width: 70, height: 39, value: 1)
        let control = SpatialControl(regions: [StyleRegion(name: "all", contentGuide: guide, styleIndex: 0, styleGuide: guide)])
        let wrong = try styleFeatures(width: 64, height: 40)
        #expect(throws: GuidanceError.self) { try control.styleLayers(styleFeatures: [wrong], layerWeights: [layers[0]: 1]) }
        #expect(throws: GuidanceError.self) { try control.styleLayers(styleFeatures: [], layerWeights: [layers[0]: 1]) }
    }

    @Test func thinRegionsVanishingAtDeepLayersAreReported() throws {
        let thin = rectangleGuide(width: 64, height: 64, x0: 0, y0: 30, x1: 64, y1: 33)
        let rest = Guide(width: 64, height: 64, values: thin.values.map { 1 - $0 })
        let features = net.forward(randomMap(3, 64, 64, seed: 3, scale: 20), layers: layers).mapValues { $0 }
        let control = SpatialControl(regions: [StyleRegion(name: "stripe", contentGuide: thin, styleIndex: 0, styleGuide: thin),
                                               StyleRegion(name: "rest", contentGuide: rest, styleIndex: 0, styleGuide: rest)],
                                     propagation: .init(mode: .inside))
        let (built, notices) = try control.styleLayers(styleFeatures: [features], layerWeights: [layers[0]: 1, layers[2]: 1])
        // The 3-row stripe keeps one row after conv1_1 but is gone by relu3_1.
        #expect(built[layers[0]]?.skippedRegions == [] && built[layers[2]]?.skippedRegions == [0])
        #expect(notices.count == 2 && notices.allSatisfy { $0.level == .warning && $0.message.contains("stripe is empty at relu3_1 ") })
        let simple = SpatialControl(regions: control.regions, propagation: .init(mode: .simple))
        #expect(try simple.styleLayers(styleFeatures: [features], layerWeights: [layers[2]: 1]).notices.isEmpty)
    }
}

/// Several style images, each supplying one region.
@Suite(.needsSharedImages) struct MultiStyleTests {
    let net = VGG19(weights: .random(seed: 4, widthDivisor: 16))
    let layers = [layer("relu1_1"), layer("relu2_1")]

    /// Gatys et al.'s Fig. 2 two-style set-up (spatial/): the content's sky from style 2's sky, the rest from style 1's
    /// non-sky, with greyscale JPEG guides at three different sizes.
    @Test func spatialFigure2GreyscaleGuides() throws {
        func mask(_ name: String, _ w: Int, _ h: Int) throws -> Guide {
            try GuideConformance.loadMask(sharedImageURL("spatial/\(name).jpg"), imageWidth: w, imageHeight: h).guide
        }
        let sizes = [(width: 80, height: 52), (width: 94, height: 75)]
        let regions = [
            StyleRegion(name: "sky", contentGuide: try mask("fig2_content_mask_sky", 309, 206), styleIndex: 1,
                        styleGuide: try mask("fig2_style2_mask_sky", 94, 75)),
            StyleRegion(name: "nosky", contentGuide: try mask("fig2_content_mask_nosky", 309, 206), styleIndex: 0,
                        styleGuide: try mask("fig2_style1_mask_nosky", 80, 52)),
        ]
        let control = try SpatialControl(regions: regions, weighting: .area)
            .prepared(contentWidth: 154, contentHeight: 103, styleSizes: sizes)
        #expect(control.propagation.mode == .simple)
        #expect(abs(control.regionWeights[0] - 0.277) < 0.01 && abs(control.regionWeights[1] - 0.723) < 0.01)
        let features = try ["fig2_style1", "fig2_style2"].enumerated().map { i, name in
            let image = try ImageIO.load(sharedImageURL("spatial/\(name).jpg")).resized(width: sizes[i].width, height: sizes[i].height)
            return net.forward(VGGInput.fromImage(image), layers: layers).mapValues { $0 }
        }
        let (built, notices) = try control.styleLayers(styleFeatures: features, layerWeights: [layers[0]: 1, layers[1]: 1])
        #expect(notices.isEmpty)
        for l in layers { #expect(built[l]?.skippedRegions == [] && built[l]?.positions == (103 >> (l.block - 1)) * (154 >> (l.block - 1))) }
        // Evaluated on random output features the loss is positive and its gradient non-zero only where guides are.
        let x = net.forward(randomMap(3, 103, 154, seed: 1, scale: 20), layers: layers)
        guard let f = x[layers[0]], let layer0 = built[layers[0]] else { Issue.record("missing"); return }
        let (loss, gradient) = layer0.lossAndGradient(f)
        #expect(loss > 0 && gradient.data.contains { $0 != 0 })
    }

    @Test func regionPerStyleImageFromLabelMaps() throws {
        let content = try LabelMap.load(sharedImageURL("doodle/set03_content_mask.png"))
        let style = try LabelMap.load(sharedImageURL("doodle/set03_style_mask.png"))
        let red = try RegionColor(parsing: "#FF0000"), blue = try RegionColor(parsing: "#0000FF")
        let face = try SpatialControl.region(color: red, content: content, styleIndex: 0, style: style, styleWidth: 416, styleHeight: 508)
        let background = try SpatialControl.region(color: blue, content: content, styleIndex: 1, style: nil, styleWidth: 300, styleHeight: 200)
        #expect(abs(face.contentGuide.share - 0.429) < 0.02 && abs(face.styleGuide.share - 0.521) < 0.02)
        #expect(background.styleGuide.share == 1 && background.styleGuide.width == 300)
        #expect(SpatialControl(regions: [face, background]).propagation.mode == .simple)
        #expect(throws: GuidanceError.self) {
            try SpatialControl.region(color: try RegionColor(parsing: "#C00000"), content: content, styleIndex: 0, style: nil,
                                      styleWidth: 10, styleHeight: 10)
        }
    }
}
