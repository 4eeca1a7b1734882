import Foundation
import NSTImage
import Testing
@testable import NSTTransfer

@Suite("Guided-filter refinement")
struct GuidedFilterTests {
    let helpers = PhotorealismTests()

    @Test("q = p − (M p) / n_i: the filter is the matting Laplacian's local affine fit (explicit matrix, 3×3 and 5×5)",
          arguments: [(12, 10, 1), (17, 13, 2)])
    func matchesTheLaplacian(width: Int, height: Int, radius: Int) {
        let image = helpers.contentImage(width: width, height: height, seed: 5)
        let n = width * height, side = 2 * radius + 1
        let explicit = MattingLaplacian.explicitMatrix(image: image, width: width, height: height, radius: radius, epsilon: 1e-4)
        let laplacian = MattingLaplacian(image: image, width: width, height: height, radius: radius, epsilon: 1e-4)
        let p = helpers.randomPlane(n, seed: 11)
        var q = [Double](repeating: 0, count: n)
        p.withUnsafeBufferPointer { pb in q.withUnsafeMutableBufferPointer { laplacian.guidedFilter(pb.baseAddress!, into: $0.baseAddress!) } }
        var worst = 0.0
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                // n_i: window centres (inside the image) within `radius` of i.
                let cx = (max(x - radius, radius)...min(x + radius, width - 1 - radius)).count
                let cy = (max(y - radius, radius)...min(y + radius, height - 1 - radius)).count
                var mp = 0.0
                for j in 0..<n { mp += explicit[i * n + j] * Double(p[j]) }
                worst = max(worst, abs(q[i] - (Double(p[i]) - mp / Double(cx * cy))))
            }
        }
        #expect(side <= min(width, height) && worst < 1e-9, "max |Δ| \(worst)")
    }

    @Test("an image that is an affine function of the guide comes back unchanged; refining noise lowers its matting energy")
    func affineImagesAreFixedAndEnergyDrops() {
        let width = 40, height = 30, n = width * height
        let guidePixels = helpers.contentImage(width: width, height: height, seed: 8)
        let guide = Image(width: width, height: height, channels: 3, pixels: guidePixels)
        var affine = Image(width: width, height: height, channels: 3)
        for i in 0..<n {
            let r = guidePixels[i], g = guidePixels[n + i], b = guidePixels[2 * n + i]
            affine.pixels[i] = 0.1 + 0.5 * r + 0.2 * g
            affine.pixels[n + i] = 0.3 * g + 0.3 * b
            affine.pixels[2 * n + i] = 0.9 - 0.6 * b
        }
        let kept = GuidedFilter.refine(affine, guide: guide, radius: 1, epsilon: 1e-8)
        let change = zip(kept.pixels, affine.pixels).map { abs($0 - $1) }.max() ?? 1
        #expect(change < 2e-3, "max change \(change)")

        let noisy = Image(width: width, height: height, channels: 3, pixels: helpers.randomPlane(3 * n, seed: 2))
        let refined = GuidedFilter.refine(noisy, guide: guide, radius: 1, epsilon: 1e-4)
        let laplacian = MattingLaplacian(image: guidePixels, width: width, height: height)
        let before = laplacian.meanEnergy(of: noisy.pixels), after = laplacian.meanEnergy(of: refined.pixels)
        #expect(after < 0.25 * before, "energy \(before) → \(after)")
        #expect(refined.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Larger ε smooths more: the refined image moves further from the input.
        let smoother = GuidedFilter.refine(noisy, guide: guide, radius: 1, epsilon: 1e-1)
        func distance(_ a: Image) -> Float { zip(a.pixels, noisy.pixels).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }
        #expect(distance(smoother) > distance(refined))
    }

    @Test("an image smaller than a window is returned as it is")
    func tinyImages() {
        let image = Image(width: 2, height: 5, channels: 3, pixels: helpers.randomPlane(30, seed: 1))
        #expect(GuidedFilter.refine(image, guide: image, radius: 1, epsilon: 1e-4) == image)
    }
}
