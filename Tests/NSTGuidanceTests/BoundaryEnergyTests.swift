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

    @Test func hardSeamScoresHigherThanSmoothBlend() throws {
        let (hard, mask) = pair(blend: 0)
        let (smooth, _) = pair(blend: 12)
        let e1 = try BoundaryEnergy(image: hard, mask: mask, band: 3)
        let e2 = try BoundaryEnergy(image: smooth, mask: mask, band: 3)
        #expect(e1.ratio > 2 * e2.ratio, "hard \(e1.ratio) vs smooth \(e2.ratio)")
        #expect(e1.band > e1.elsewhere)
        // Far from the seam both images are the same textures.
        #expect(abs(e1.elsewhere - e2.elsewhere) / e1.elsewhere < 0.2)
    }

    @Test func uniformImageHasNoBoundaryEnergy() throws {
        let image = Image(width: 16, height: 8, channels: 1, pixels: [Float](repeating: 0.5, count: 128))
        let e = try BoundaryEnergy(image: image, mask: rectangleGuide(width: 16, height: 8, x0: 0, y0: 0, x1: 8, y1: 8), band: 2)
        #expect(e.band == 0 && e.elsewhere == 0 && e.ratio == 1)
        #expect(throws: GuidanceError.self) { try BoundaryEnergy(image: image, mask: Guide(width: 4, height: 4), band: 2) }
    }
}
