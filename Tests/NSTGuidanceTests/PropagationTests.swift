import Testing
import NSTNetwork
import NSTTensor
@testable import NSTGuidance

@Suite struct PropagationTests {
    let layers = ["relu1_1", "conv1_2", "pool1", "relu2_1", "relu3_1", "pool3", "relu4_1"].map(layer)
    /// A 64×48 image with a 30×26 rectangle and a thin 2-pixel bar.
    let guide: Guide = {
        var g = rectangleGuide(width: 64, height: 48, x0: 10, y0: 8, x1: 40, y1: 34)
        for y in 40..<42 { for x in 0..<64 { g[y, x] = 1 } }
        return g
    }()

    @Test func layerSizesMatchTheNetwork() {
        let net = VGG19(weights: .random(seed: 1, widthDivisor: 16))
        let features = net.forward(randomMap(3, 48, 64, seed: 2), layers: layers)
        for mode in PropagationMode.allCases {
            let propagated = GuidePropagation(mode: mode).propagate(guide, to: layers)
            for l in layers {
                #expect(propagated[l]?.width == features[l]?.width && propagated[l]?.height == features[l]?.height, "\(mode) \(l)")
            }
        }
    }

    /// inside ⊆ support(simple) ⊆ all at every layer; inside loses the thin bar, all keeps it.
    @Test func insideSimpleAllAreNested() {
        let inside = GuidePropagation(mode: .inside).propagate(guide, to: layers)
        let simple = GuidePropagation(mode: .simple).propagate(guide, to: layers)
        let all = GuidePropagation(mode: .all).propagate(guide, to: layers)
        for l in layers {
            guard let i = inside[l], let s = simple[l], let a = all[l] else { Issue.record("missing \(l)"); continue }
            for k in 0..<i.count {
                if i.values[k] > 0 { #expect(s.values[k] > 0, "\(l) \(k)") }
                if s.values[k] > 0 { #expect(a.values[k] > 0, "\(l) \(k)") }
            }
            #expect(i.mass < s.mass && s.mass < a.mass, "\(l): \(i.mass) \(s.mass) \(a.mass)")
        }
        // relu1_1 (one 3×3 conv): the 2-row bar shrinks to nothing inside, grows to 4 rows under all.
        guard let i1 = inside[layer("relu1_1")], let a1 = all[layer("relu1_1")] else { return }
        #expect((0..<64).allSatisfy { i1[40, $0] == 0 && i1[41, $0] == 0 })
        #expect((39...42).allSatisfy { a1[$0, 20] == 1 } && a1[38, 20] == 0)
        // The rectangle loses one pixel per side: 28×24 inside, 32×28 under all (clipped nowhere).
        #expect(i1.mass == 28 * 24 && a1.mass == 32 * 28 + 4 * 64)
        // At relu2_1: 2 convs (−2), pool, 1 conv (−1 at half size): the rectangle [12,38)×[10,32) → [6,19)×[5,16) → [7,18)×[6,15).
        guard let i2 = inside[layer("relu2_1")] else { return }
        #expect(i2.mass == 11 * 9 && i2[6, 7] == 1 && i2[5, 7] == 0 && i2[6, 6] == 0)
    }

    @Test func simpleModeAreaAveragesEachLayer() {
        let simple = GuidePropagation(mode: .simple).propagate(guide, to: [layer("pool1"), layer("relu3_1")])
        guard let p1 = simple[layer("pool1")], let r3 = simple[layer("relu3_1")] else { Issue.record("missing"); return }
        #expect(abs(p1.mass * 4 - guide.mass) < 1e-3)
        #expect(abs(r3.mass * 16 - guide.mass) < 1e-3)
        // Pixel (x 10..<40) at relu3_1 (4×4 cells): cell x = 2 covers 8..<12, half inside.
        #expect(abs(r3[3, 2] - 0.5) < 1e-6)
    }

    @Test func erosionAndDilationByKPositions() {
        let l = [layer("pool1")]
        guard let base = GuidePropagation(mode: .simple).propagate(guide, to: l)[l[0]],
              let eroded = GuidePropagation(mode: .simple, erosion: 2).propagate(guide, to: l)[l[0]],
              let dilated = GuidePropagation(mode: .simple, erosion: -1).propagate(guide, to: l)[l[0]] else {
            Issue.record("missing"); return
        }
        // Rectangle at pool1: x 5..<20, y 4..<17 (15×13); eroded by 2 → 11×9 of full ones.
        #expect(eroded.values.filter { $0 == 1 }.count == 11 * 9)
        #expect(eroded.values.filter { $0 > 0 }.count == 11 * 9)
        for k in 0..<base.count {
            #expect(eroded.values[k] <= base.values[k] && base.values[k] <= dilated.values[k])
        }
        #expect(dilated.values.filter { $0 == 1 }.count == 17 * 15 + 32 * 3)
    }

    @Test func softGuidesUseValues() {
        var ramp = Guide(width: 8, height: 8)
        for y in 0..<8 { for x in 0..<8 { ramp[y, x] = Float(x) / 7 } }
        let l = layer("relu1_1")
        guard let inside = GuidePropagation(mode: .inside).propagate(ramp, to: [l])[l],
              let all = GuidePropagation(mode: .all).propagate(ramp, to: [l])[l] else { Issue.record("missing"); return }
        #expect(abs(inside[3, 4] - 3 / 7) < 1e-6 && abs(all[3, 4] - 5 / 7) < 1e-6)
        #expect(inside[3, 0] == 0 && all[3, 7] == 1)
    }

    @Test func defaultModeIsSimpleWithAnyNumberOfStyleImages() {
        #expect(PropagationMode.defaultMode(styleImageCount: 1) == .simple)
        #expect(PropagationMode.defaultMode(styleImageCount: 2) == .simple)
    }

    @Test func featheringSoftensEdgesAndKeepsMass() throws {
        let soft = try guide.feathered(radius: 3)
        #expect(soft.width == 64 && soft.height == 48)
        #expect(abs(soft.mass - guide.mass) / guide.mass < 0.02)
        // Reaches exactly 3 pixels across the left edge (x = 10).
        #expect(soft[20, 6] == 0 && soft[20, 7] > 0 && soft[20, 12] < 0.999 && soft[20, 13] > 0.9999)
        #expect(soft[20, 9] > 0.2 && soft[20, 9] < 0.5 && soft[20, 10] > 0.5)
        #expect(try guide.feathered(radius: 0) == guide)
        #expect(throws: GuidanceError.invalidRadius(parameter: "feather radius", value: -1)) { try guide.feathered(radius: -1) }
    }
}

@Suite struct SoftAndAdaptivePropagationTests {
    let layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"].map(layer)

    /// soft: a partition of the image stays a partition (the means of guides summing to 1 sum to 1), values are
    /// fractional only near the boundary, and the band of fractional values widens with depth.
    @Test func softGuidesOfAPartitionSumToOneAndBlurTheBoundary() {
        let left = rectangleGuide(width: 128, height: 64, x0: 0, y0: 0, x1: 64, y1: 64)
        let right = rectangleGuide(width: 128, height: 64, x0: 64, y0: 0, x1: 128, y1: 64)
        let soft = GuidePropagation(mode: .soft)
        let l = soft.propagate(left, to: layers), r = soft.propagate(right, to: layers)
        var previousBand = 0.0
        for layerName in layers {
            guard let a = l[layerName], let b = r[layerName] else { Issue.record("missing \(layerName)"); continue }
            for k in 0..<a.count { #expect(abs(a.values[k] + b.values[k] - 1) < 1e-5) }
            // Share of the row (in input pixels) whose value is strictly between 0 and 1.
            let row = (0..<a.width).map { a[a.height / 2, $0] }
            let band = Double(row.filter { $0 > 1e-6 && $0 < 1 - 1e-6 }.count) / Double(a.width)
            #expect(band >= previousBand, "\(layerName): band \(band) after \(previousBand)")
            previousBand = band
            #expect((row.first ?? 0) > 0.5 && (row.last ?? 1) < 0.5, "\(layerName) \(row)")
            #expect(zip(row, row.dropFirst()).allSatisfy { $0 >= $1 - 1e-6 }, "\(layerName): not monotone \(row)")
        }
        #expect(previousBand > 0.1)
    }

    /// adaptive: equal to inside where inside keeps at least half of the region, and never empty where simple is not;
    /// on a region that inside empties at relu5_1 it keeps at least half of simple's mass there.
    @Test func adaptiveStopsErodingBeforeTheRegionVanishes() {
        let g = rectangleGuide(width: 128, height: 96, x0: 16, y0: 16, x1: 80, y1: 64)   // 64×48 px
        let inside = GuidePropagation(mode: .inside).propagate(g, to: layers)
        let simple = GuidePropagation(mode: .simple).propagate(g, to: layers)
        let adaptive = GuidePropagation(mode: .adaptive).propagate(g, to: layers)
        #expect(inside[layer("relu5_1")]?.isEmpty == true)
        for l in layers {
            guard let i = inside[l], let s = simple[l], let a = adaptive[l] else { Issue.record("missing \(l)"); continue }
            #expect(!a.isEmpty && a.mass >= 0.5 * s.mass - 1e-6 && a.mass <= s.mass + 1e-6, "\(l): \(a.mass) of \(s.mass)")
            if i.mass >= 0.5 * s.mass { #expect(a == i, "\(l)") }
            for k in 0..<a.count where a.values[k] > 0 { #expect(s.values[k] > 0) }
        }
        #expect(adaptive[layer("relu1_1")] == inside[layer("relu1_1")])
    }
}
