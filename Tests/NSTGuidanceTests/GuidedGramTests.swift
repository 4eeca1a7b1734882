import Testing
import NSTNetwork
import NSTTensor
@testable import NSTGuidance

@Suite struct GuidedGramTests {
    @Test func allOnesGuideGivesThePlainGram() throws {
        let f = randomMap(7, 5, 6, seed: 11)
        let gram = try #require(GuidedGram(features: f, guide: Guide(width: 6, height: 5, value: 1)))
        let plain = plainGram(f)
        #expect(gram.channels == 7 && gram.guideEnergy == 30)
        #expect(zip(gram.values, plain).allSatisfy { abs(Double($0) - $1) < 1e-5 })
        // Symmetric (lower triangle mirrored from ssyrk's upper one).
        var symmetric = true
        for i in 0..<7 { for j in 0..<7 where gram.values[i * 7 + j] != gram.values[j * 7 + i] { symmetric = false } }
        #expect(symmetric)
        // A constant guide c gives the same Gram: only the relative weights T² matter.
        let half = try #require(GuidedGram(features: f, guide: Guide(width: 6, height: 5, value: 0.5)))
        #expect(zip(half.values, gram.values).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(GuidedGram(features: f, guide: Guide(width: 6, height: 5)) == nil)
        // The per-region style distance: zero to itself, mean((G − A)²) to another Gram.
        let left = try #require(GuidedGram(features: f, guide: rectangleGuide(width: 6, height: 5, x0: 0, y0: 0, x1: 3, y1: 5)))
        let expected = zip(gram.values, left.values).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / 49
        #expect(gram.meanSquaredDifference(to: gram) == 0 && abs(gram.meanSquaredDifference(to: left) - expected) < 1e-12 && expected > 0)
    }

    /// Features of a periodic texture (period 2×3): the region-mean Gram of any region made of whole periods is the
    /// same, whatever its area and the image size.
    @Test func independentOfRegionAreaAndImageSize() throws {
        let tile = randomMap(5, 2, 3, seed: 12)
        func tiled(_ h: Int, _ w: Int) -> FeatureMap {
            var f = FeatureMap(channels: 5, height: h, width: w)
            for c in 0..<5 { for y in 0..<h { for x in 0..<w { f[c, y, x] = tile[c, y % 2, x % 3] } } }
            return f
        }
        let small = tiled(12, 12), large = tiled(24, 36)
        let a = try #require(GuidedGram(features: small, guide: rectangleGuide(width: 12, height: 12, x0: 0, y0: 2, x1: 6, y1: 6)))
        let b = try #require(GuidedGram(features: small, guide: rectangleGuide(width: 12, height: 12, x0: 3, y0: 0, x1: 12, y1: 12)))
        let c = try #require(GuidedGram(features: large, guide: rectangleGuide(width: 36, height: 24, x0: 6, y0: 4, x1: 36, y1: 20)))
        let reference = plainGram(tile)
        for g in [a, b, c] { #expect(zip(g.values, reference).allSatisfy { abs(Double($0) - $1) < 1e-5 }) }
        // The unguided Gram of the whole image would not notice a region; a region over another texture differs.
        var mixed = small
        for c in 0..<5 { for y in 0..<12 { for x in 6..<12 { mixed[c, y, x] = -2 * small[c, y, x] + 0.5 } } }
        let left = try #require(GuidedGram(features: mixed, guide: rectangleGuide(width: 12, height: 12, x0: 0, y0: 0, x1: 6, y1: 12)))
        let right = try #require(GuidedGram(features: mixed, guide: rectangleGuide(width: 12, height: 12, x0: 6, y0: 0, x1: 12, y1: 12)))
        #expect(zip(left.values, reference).allSatisfy { abs(Double($0) - $1) < 1e-5 })
        #expect(zip(right.values, reference).contains { abs(Double($0) - $1) > 0.1 })
    }

    /// L = Σ_r λ_r s mean((G^r − A^r)²) against central differences in F, soft overlapping guides, one empty region.
    @Test func styleLossGradientMatchesFiniteDifferences() throws {
        let n = 4, h = 5, w = 6
        let f = randomMap(n, h, w, seed: 21)
        var ramp = Guide(width: w, height: h), bump = Guide(width: w, height: h)
        for y in 0..<h { for x in 0..<w {
            ramp[y, x] = Float(x) / Float(w - 1)
            bump[y, x] = y >= 1 && y <= 3 ? 0.3 + 0.1 * Float(x) : 0
        } }
        let empty = Guide(width: w, height: h)
        let targets = [GuidedGram(features: randomMap(n, 7, 7, seed: 22), guide: Guide(width: 7, height: 7, value: 1)),
                       GuidedGram(features: randomMap(n, 3, 9, seed: 23), guide: Guide(width: 9, height: 3, value: 1)),
                       GuidedGram(features: randomMap(n, 3, 3, seed: 24), guide: Guide(width: 3, height: 3, value: 1))]
        let loss = try GuidedStyleLayer(guides: [ramp, bump, empty], targets: targets, weights: [0.7, 0.3, 0.5],
                                        layerWeight: 1 / Float(n * n))
        #expect(loss.skippedRegions == [2])
        let (value, gradient) = loss.lossAndGradient(f)
        #expect(value > 0)
        // Direct evaluation of the definition in Double.
        func direct(_ f: FeatureMap) -> Double {
            var total = 0.0
            for (r, g) in [ramp, bump].enumerated() {
                guard let target = targets[r] else { continue }
                let energy = g.values.reduce(0.0) { $0 + Double($1 * $1) }
                var sum = 0.0
                for i in 0..<n { for j in 0..<n {
                    var s = 0.0
                    for k in 0..<(h * w) { s += Double(g.values[k] * g.values[k]) * Double(f.data[i * h * w + k]) * Double(f.data[j * h * w + k]) }
                    let d = s / energy - Double(target.values[i * n + j])
                    sum += d * d
                } }
                total += [0.7, 0.3][r] * sum / Double(n * n) / Double(n * n)
            }
            return total
        }
        #expect(abs(direct(f) - value) < 1e-5 * max(1, value))
        for i in 0..<f.count {
            var plus = f, minus = f
            plus.data[i] += 1e-3
            minus.data[i] -= 1e-3
            let numeric = (direct(plus) - direct(minus)) / 2e-3
            #expect(abs(numeric - Double(gradient.data[i])) < 1e-4 + 1e-3 * abs(numeric), "F[\(i)]: \(numeric) vs \(gradient.data[i])")
        }
        // evaluate accumulates into an existing gradient.
        var twice = gradient
        _ = twice.data.withUnsafeMutableBufferPointer { loss.evaluate(f, gradient: $0.baseAddress) }
        #expect(zip(twice.data, gradient.data).allSatisfy { abs($0 - 2 * $1) <= 1e-6 * max(1, abs($1)) })
    }

    @Test func regionCountsAndSizesAreChecked() {
        let g = Guide(width: 3, height: 3, value: 1)
        #expect(throws: GuidanceError.regionCountMismatch(what: "region weights", count: 1, expected: 2)) {
            try GuidedStyleLayer(guides: [g, g], targets: [nil, nil], weights: [1], layerWeight: 1)
        }
        #expect(throws: GuidanceError.self) {
            try GuidedStyleLayer(guides: [g, Guide(width: 4, height: 3)], targets: [nil, nil], weights: [1, 1], layerWeight: 1)
        }
    }

    @Test func regionWeighting() {
        let guides = [rectangleGuide(width: 4, height: 4, x0: 0, y0: 0, x1: 1, y1: 4), rectangleGuide(width: 4, height: 4, x0: 1, y0: 0, x1: 4, y1: 4)]
        #expect(RegionWeighting.uniform.weights(contentGuides: guides) == [0.5, 0.5])
        #expect(RegionWeighting.area.weights(contentGuides: guides) == [0.25, 0.75])
    }

    @Test func contentWeightingPerRegion() throws {
        let f = randomMap(3, 4, 4, seed: 31), p = randomMap(3, 4, 4, seed: 32)
        let left = rectangleGuide(width: 4, height: 4, x0: 0, y0: 0, x1: 2, y1: 4)
        let right = rectangleGuide(width: 4, height: 4, x0: 2, y0: 0, x1: 4, y1: 4)
        // c_r ≡ 1 is the plain content loss mean((F − P)²).
        let plain = zip(f.data, p.data).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / 48
        let ones = try GuidedContentWeights(guides: [left, right], regionWeights: [1, 1])
        var g1 = FeatureMap(channels: 3, height: 4, width: 4)
        let l1 = g1.data.withUnsafeMutableBufferPointer { ones.evaluate(f, target: p, gradient: $0.baseAddress) }
        #expect(abs(l1 - plain) < 1e-6)
        #expect(zip(g1.data, zip(f.data, p.data)).allSatisfy { abs($0 - 2 * ($1.0 - $1.1) / 48) < 1e-6 })
        // c = (2, 0): only the left half counts, twice; uncovered positions fall back to the background weight.
        let leftOnly = try GuidedContentWeights(guides: [left, right], regionWeights: [2, 0])
        #expect(leftOnly.weights == [2, 2, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 2, 2, 0, 0])
        let partial = try GuidedContentWeights(guides: [left], regionWeights: [3], background: 0.5)
        #expect(partial.weights[0] == 3 && partial.weights[3] == 0.5)
    }
}
