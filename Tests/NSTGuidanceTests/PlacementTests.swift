import Foundation
import NSTImage
import NSTNetwork
import Testing
@testable import NSTGuidance

/// The installed VGG-19, loaded once (scripts/test.sh installs it).
private let placementWeights: Result<VGGWeights, Error> = Result { try VGGWeights.loadInstalled() }

/// Placement on synthetic images whose answer is known.
@Suite struct PlacementTests {
    static let size = 96

    /// Diagonal stripes of period 8 in red and white, or a fine blue/yellow checker of 2-pixel cells: two textures
    /// that differ at every layer.
    static func texture(_ kind: Int, x: Int, y: Int) -> (Float, Float, Float) {
        if kind == 0 { return (x + y) % 8 < 4 ? (0.9, 0.1, 0.1) : (0.95, 0.95, 0.95) }
        return ((x / 2) + (y / 2)) % 2 == 0 ? (0.1, 0.2, 0.9) : (0.95, 0.85, 0.1)
    }

    /// An image whose left half has texture `left` and right half texture `right`.
    static func halves(left: Int, right: Int, size: Int = size) -> Image {
        var image = Image(width: size, height: size, channels: 3)
        for y in 0..<size { for x in 0..<size {
            let (r, g, b) = texture(x < size / 2 ? left : right, x: x, y: y)
            image[0, y, x] = r; image[1, y, x] = g; image[2, y, x] = b
        } }
        return image
    }

    /// Left/right regions for one style image (the same split for content and style).
    static func regions(size: Int = size) -> [StyleRegion] {
        let left = rectangleGuide(width: size, height: size, x0: 0, y0: 0, x1: size / 2, y1: size)
        let right = rectangleGuide(width: size, height: size, x0: size / 2, y0: 0, x1: size, y1: size)
        return [StyleRegion(name: "left", contentGuide: left, styleIndex: 0, styleGuide: left),
                StyleRegion(name: "right", contentGuide: right, styleIndex: 0, styleGuide: right)]
    }

    @Test func aRegionGivenItsOwnStyleScoresAboveOneAndSwappedTexturesBelowOne() throws {
        let network = VGG19(weights: try placementWeights.get())
        let style = Self.halves(left: 0, right: 1)
        // The output is a fresh sample of the same layout (shifted by 1 px, so not the identical image).
        var own = Self.halves(left: 0, right: 1, size: Self.size + 1)
        own = try own.cropped(x: 1, y: 1, width: Self.size, height: Self.size)
        let placed = try Placement.measure(network: network, output: own, styles: [style], regions: Self.regions())
        for r in placed.regions {
            #expect((r.ratio ?? 0) > Placement.goal, "\(r.name): \(r.ratio ?? .nan)")
            #expect(r.verdict == "placed")
            #expect(r.layerRatios.count == 5 && r.layerRatios.values.allSatisfy { $0 > 1 }, "\(r.layerRatios)")
            #expect(abs(r.share - 0.5) < 1e-6)
            #expect((r.separability ?? 0) > Placement.separableAt, "separability \(r.separability ?? .nan)")
            #expect(r.layerSeparability?.count == 5, "\(r.layerSeparability ?? [:])")
            #expect(r.wrongLayers.isEmpty)
        }
        #expect(placed.meetsGoal && (placed.geometricMeanRatio ?? 0) > Placement.goal)

        let swapped = try Placement.measure(network: network, output: Self.halves(left: 1, right: 0), styles: [style],
                                            regions: Self.regions())
        for r in swapped.regions {
            #expect((r.ratio ?? 2) < 1, "\(r.name): \(r.ratio ?? .nan)")
            #expect(r.verdict == "wrong")
            #expect(r.nearestOther == (r.name == "left" ? "right" : "left"))
            // The textures differ at every layer, so every layer where the ratio is below 1 counts as wrong.
            let below = r.layerRatios.filter { $0.value < 1 }.keys.sorted()
            #expect(!below.isEmpty && r.wrongLayers == below, "\(r.layerRatios) \(r.layerSeparability ?? [:])")
        }
        #expect(!swapped.meetsGoal)
        // L[r][q] is symmetric in the swap: the swapped output's row r equals the placed output's other row, roughly.
        #expect(swapped.matrix[0][1] < swapped.matrix[0][0] && swapped.matrix[1][0] < swapped.matrix[1][1])
    }

    @Test func styleRegionsWithTheSameTextureAreNotSeparable() throws {
        let network = VGG19(weights: try placementWeights.get())
        let style = Self.halves(left: 0, right: 0)
        let p = try Placement.measure(network: network, output: Self.halves(left: 1, right: 0), styles: [style],
                                      regions: Self.regions())
        for r in p.regions {
            #expect((r.separability ?? .infinity) < Placement.separableAt, "\(r.name): separability \(r.separability ?? .nan)")
            #expect(r.verdict == "not separable")
            // One texture on both sides: no layer can tell the style regions apart, so no layer is a wrong texture.
            let layers = r.layerSeparability ?? [:]
            #expect(layers.count == 5 && layers.values.allSatisfy { $0 < Placement.separableAt }, "\(layers)")
            #expect(r.wrongLayers.isEmpty, "\(r.layerRatios)")
        }
        #expect(p.scoredRegions.isEmpty && p.meetsGoal)
    }

    @Test func aSingleRegionHasNoRatioAndJSONRoundTrips() throws {
        let network = VGG19(weights: try placementWeights.get())
        let image = Self.halves(left: 0, right: 1, size: 64)
        let whole = Guide(width: 64, height: 64, value: 1)
        let p = try Placement.measure(network: network, output: image, styles: [image],
                                      regions: [StyleRegion(name: "all", contentGuide: whole, styleIndex: 0, styleGuide: whole)])
        #expect(p.regions.count == 1 && p.regions[0].ratio == nil && p.regions[0].verdict == "single region")
        #expect(p.matrix[0][0] < 1e-9)
        let data = try JSONEncoder().encode(p)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"definition\"") && text.contains("\"meets_goal\""))
        #expect(try JSONDecoder().decode(Placement.self, from: data) == p)
    }

    @Test func aStyleIndexOutOfRangeIsAnError() throws {
        let network = VGG19(weights: try placementWeights.get())
        var regions = Self.regions(size: 64)
        regions[1].styleIndex = 1
        let image = Self.halves(left: 0, right: 1, size: 64)
        #expect(throws: GuidanceError.self) { try Placement.measure(network: network, output: image, styles: [image], regions: regions) }
    }

    @Test func halvesSplitAcrossTheLongerExtentAtTheMedianOfTheMass() {
        let tall = rectangleGuide(width: 10, height: 20, x0: 2, y0: 0, x1: 6, y1: 20)
        let h = tall.halves()
        #expect(h.count == 2)
        #expect(h[0].mass == 40 && h[1].mass == 40)
        #expect(h[0][9, 3] == 1 && h[0][10, 3] == 0 && h[1][10, 3] == 1)
        let wide = rectangleGuide(width: 20, height: 10, x0: 0, y0: 4, x1: 20, y1: 5)
        let w = wide.halves()
        #expect(w.count == 2 && w[0][4, 9] == 1 && w[1][4, 10] == 1 && w[0][4, 10] == 0)
        #expect(Guide(width: 4, height: 4).halves().isEmpty)
        var dot = Guide(width: 4, height: 4)
        dot[1, 1] = 1
        #expect(dot.halves().isEmpty)
    }
}
