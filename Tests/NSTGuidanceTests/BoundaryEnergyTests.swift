import Testing
import NSTImage
@testable import NSTGuidance

@Suite struct BoundaryEnergyTests {
    /// Left half textured one way, right half another; the seam is either hard or cross-faded over 12 pixels.
    func pair(blend: Int) -> (Image, Guide) {
        let w = 64, h = 32
        var image = Image(width: w, height: h, channels: 3)
        let mask = rectangleGuide(width: w, height: h, x0: 0, y0: 0, x1: 32, y1: h)
        for c in 0..<3 { for y in 0..<h { for x in 0..<w {
            let a: Float = 0.3 + 0.05 * Float((x + y + c) % 2)          // fine checker, dark
            let b: Float = 0.7 + 0.05 * Float((x / 2 + c) % 2)         // stripes, bright
            let t = blend == 0 ? (x < 32 ? Float(0) : 1) : min(max(Float(x - 32 + blend / 2) / Float(blend), 0), 1)
            image[c, y, x] = (1 - t) * a + t * b
        } } }
        return (image, mask)
    }

    /// A grey image with a checker of amplitude `weak` left of column `split` and `strong` right of it (same mean,
    /// so the boundary adds no step of its own); columns within `flat` of the split are left flat (a dead band).
    func twoTextures(width w: Int = 96, height h: Int = 32, split: Int, weak: Float, strong: Float, flat: Int = 0) -> (Image, Guide) {
        var image = Image(width: w, height: h, channels: 1)
        for y in 0..<h { for x in 0..<w {
            let amplitude = abs(x - split) < flat ? 0 : (x < split ? weak : strong)
            image[0, y, x] = 0.5 + amplitude * ((x + y) % 2 == 0 ? 1 : -1)
        } }
        return (image, rectangleGuide(width: w, height: h, x0: 0, y0: 0, x1: split, y1: h))
    }

    @Test func hardSeamScoresHigherThanSmoothBlend() throws {
        let (hard, mask) = pair(blend: 0)
        let (smooth, _) = pair(blend: 12)
        let e1 = try BoundaryEnergy(image: hard, mask: mask, band: 3)
        let e2 = try BoundaryEnergy(image: smooth, mask: mask, band: 3)
        #expect(e1.ratio > 2 * e2.ratio, "hard \(e1.ratio) vs smooth \(e2.ratio)")
        #expect(e1.ratio > 1 && e1.band > e1.expected)
        // Away from the seam both images are the same textures.
        #expect(abs(e1.insideInterior - e2.insideInterior) / e1.insideInterior < 0.2)
        #expect(abs(e1.outsideInterior - e2.outsideInterior) / e1.outsideInterior < 0.2)
    }

    @Test("each band pixel is compared with its own side: unequal areas and textures without a seam score about 1")
    func perSideInteriors() throws {
        let (image, mask) = twoTextures(split: 24, weak: 0.02, strong: 0.2)
        let e = try BoundaryEnergy(image: image, mask: mask, band: 3)
        #expect(e.insideInterior < e.outsideInterior / 20)
        #expect(e.ratio > 0.8 && e.ratio < 1.25, "ratio \(e.ratio)")
        // A single "everywhere else" mean is dominated by the larger, rougher side and would call this a quiet band.
        let energy = BoundaryEnergy.squaredGradient(image)
        let band = BoundaryEnergy.band(of: mask.values.map { $0 >= 0.5 }, width: mask.width, height: mask.height, radius: 3)
        let rest = zip(energy, band).filter { !$0.1 }.map { Double($0.0) }
        #expect(e.band / (rest.reduce(0, +) / Double(rest.count)) < 0.8)
    }

    @Test("a flat band along the boundary (neither texture reaches it) scores below 1")
    func deadBandScoresBelowOne() throws {
        let (image, mask) = twoTextures(split: 48, weak: 0.1, strong: 0.15, flat: 3)
        let e = try BoundaryEnergy(image: image, mask: mask, band: 3)
        #expect(e.ratio < 0.5 && e.deviation > 0.69, "ratio \(e.ratio)")
        let (textured, _) = twoTextures(split: 48, weak: 0.1, strong: 0.15)
        let t = try BoundaryEnergy(image: textured, mask: mask, band: 3)
        #expect(t.deviation < 0.2, "ratio \(t.ratio)")
    }

    @Test func uniformImageHasNoBoundaryEnergy() throws {
        let image = Image(width: 16, height: 8, channels: 1, pixels: [Float](repeating: 0.5, count: 128))
        let e = try BoundaryEnergy(image: image, mask: rectangleGuide(width: 16, height: 8, x0: 0, y0: 0, x1: 8, y1: 8), band: 2)
        #expect(e.band == 0 && e.expected == 0 && e.ratio == 1 && e.deviation == 0)
        #expect(throws: GuidanceError.self) { try BoundaryEnergy(image: image, mask: Guide(width: 4, height: 4), band: 2) }
        #expect(throws: GuidanceError.self) { try BoundaryEnergy(image: image, mask: Guide(width: 16, height: 8), band: -1) }
        // Nothing to measure: an all-outside mask (it was ratio 1, "no boundary effect"), a band wider than a side (∞).
        #expect(throws: GuidanceError.self) { try BoundaryEnergy(image: image, mask: Guide(width: 16, height: 8), band: 2) }
        let mask = rectangleGuide(width: 16, height: 8, x0: 0, y0: 0, x1: 8, y1: 8)
        #expect(throws: GuidanceError.self) { try BoundaryEnergy(image: image, mask: mask, band: 1000) }
        #expect(throws: Never.self) { try BoundaryEnergy(image: image, mask: mask, band: 6) }
    }
}
