import Foundation
import NSTImage
import NSTNetwork
import NSTTensor
import Testing
@testable import NSTGuidance
import NSTTestSupport

/// Procedural textures with known regions: `region(x, y)` picks the texture of each pixel.
private enum Texture: Int, CaseIterable {
    case stripes, speckle, checker

    func color(_ x: Int, _ y: Int, _ rng: inout SplitMix64) -> (Float, Float, Float) {
        switch self {
        case .stripes:   // orange/brown diagonal stripes, period 6 px
            let t = 0.5 + 0.5 * sinf(Float(x + y) * 2 * .pi / 6)
            return (0.55 + 0.4 * t, 0.3 + 0.25 * t, 0.1)
        case .speckle:   // blue-grey noise
            let v = rng.nextUnitFloat()
            return (0.2 + 0.2 * v, 0.3 + 0.25 * v, 0.55 + 0.4 * v)
        case .checker:   // green 8-px checkerboard
            let on = ((x / 8) + (y / 8)) % 2 == 0
            return on ? (0.1, 0.6, 0.15) : (0.6, 0.9, 0.5)
        }
    }
}

private func synthetic(width: Int, height: Int, seed: UInt64, region: (Int, Int) -> Texture) -> (image: Image, labels: Image) {
    var rng = SplitMix64(seed: seed)
    var image = Image(width: width, height: height, channels: 3), labels = Image(width: width, height: height, channels: 3)
    let plane = width * height
    let codes: [Texture: (Float, Float, Float)] = [.stripes: (1, 0, 0), .speckle: (0, 0, 1), .checker: (0, 1, 0)]
    for y in 0..<height {
        for x in 0..<width {
            let t = region(x, y), (r, g, b) = t.color(x, y, &rng), code = codes[t]!
            let i = y * width + x
            image.pixels[i] = r; image.pixels[plane + i] = g; image.pixels[2 * plane + i] = b
            labels.pixels[i] = code.0; labels.pixels[plane + i] = code.1; labels.pixels[2 * plane + i] = code.2
        }
    }
    return (image, labels)
}

private func labelMap(_ image: Image, path: String) throws -> LabelMap {
    LabelMap(image: image, palette: try Palette.discover(in: image), path: path)
}

private func agreement(_ result: AutoMaskResult, content: Image, style: Image) throws -> RegionAgreement {
    let palette = try Palette(colors: result.colors)
    return RegionAgreement.measure(
        candidate: (LabelMap(image: result.contentMap, palette: palette, path: "auto content"),
                    LabelMap(image: result.styleMap, palette: palette, path: "auto style")),
        reference: (try labelMap(content, path: "content truth"), try labelMap(style, path: "style truth")))
}

/// One network for the suite (VGG19 keeps work buffers: the suite runs serialized).
private let network: VGG19? = (try? VGGWeights.loadInstalled()).map { VGG19(weights: $0) }

/// Content: stripes left, speckle right. Style (another size and layout): speckle on top, stripes below.
private let twoContent = synthetic(width: 192, height: 144, seed: 1) { x, _ in x < 110 ? .stripes : .speckle }
private let twoStyle = synthetic(width: 160, height: 176, seed: 2) { _, y in y < 70 ? .speckle : .stripes }

@Suite("Automatic masks", .serialized) struct AutoMaskTests {
    @Test("two textures: K = 2 is chosen and the regions match the truth (IoU ≈ 1), colours corresponding", .enabled(if: network != nil, "VGG-19 weights not installed (nst-exp weights install)"))
    func twoTextures() throws {
        let result = try AutoMask.segment(content: twoContent.image, style: twoStyle.image, network: network)
        #expect(result.regionCount == 2)
        #expect(result.contentMap.width == 192 && result.styleMap.height == 176)
        let score = try agreement(result, content: twoContent.labels, style: twoStyle.labels)
        #expect(score.content > 0.95, "content IoU \(score.content)")
        #expect(score.style > 0.95, "style IoU \(score.style)")
        #expect(result.notices.contains { $0.message.contains("2 regions") && $0.message.contains("separable") })
        #expect(result.notices.contains { $0.message.contains("regions from") && $0.message.contains("9 × 9 cells") })
        // Without the window, the same regions, and no word of it.
        var pointwise = AutoMaskOptions()
        pointwise.poolRadius = 0
        let plain = try AutoMask.segment(content: twoContent.image, style: twoStyle.image, network: network, options: pointwise)
        #expect(plain.regionCount == 2 && !plain.notices.contains { $0.message.contains("regions from") })
        #expect(try agreement(plain, content: twoContent.labels, style: twoStyle.labels).mean > 0.95)
    }

    @Test("textures in blocks finer than the window: the averaged regions do not separate, so the point-by-point ones are kept", .enabled(if: network != nil, "VGG-19 weights not installed"))
    func windowWiderThanTheBlocks() throws {
        // Stripes and speckle in 16-px checkerboards: 27–29 px at the 320-px analysis size, under the 36-px window.
        let content = synthetic(width: 192, height: 144, seed: 5) { x, y in (x / 16 + y / 16) % 2 == 0 ? .stripes : .speckle }
        let style = synthetic(width: 160, height: 176, seed: 6) { x, y in ((x + 5) / 16 + (y + 5) / 16) % 2 == 0 ? .stripes : .speckle }
        let result = try AutoMask.segment(content: content.image, style: style.image, network: network)
        #expect(result.regionCount == 2, "criterion \(result.criterion)")
        #expect(result.notices.contains { $0.message.contains("regions from point-by-point") }, "\(result.notices.map(\.message))")
        var pointwise = AutoMaskOptions()
        pointwise.poolRadius = 0
        let plain = try AutoMask.segment(content: content.image, style: style.image, network: network, options: pointwise)
        #expect(result.contentMap.pixels == plain.contentMap.pixels && result.styleMap.pixels == plain.styleMap.pixels)
        let score = try agreement(result, content: content.labels, style: style.labels)
        #expect(score.mean > 0.8, "IoU \(score.content), \(score.style)")
    }

    @Test("window average: each cell's vector becomes the mean over the cells within r in x and y, clipped at the borders")
    func windowAverage() throws {
        // A 5 × 4 grid of 2-D rows with arbitrary values; the reference sums every window cell directly.
        let width = 5, height = 4, d = 2
        let values: [Float] = (0..<(width * height * d)).map { Float(($0 * 7) % 11) - 3 }
        for r in [1, 2] {
            var filtered = values
            FeatureSpace.boxFiltered(&filtered, width: width, height: height, dimension: d, radius: r)
            for y in 0..<height {
                for x in 0..<width {
                    for k in 0..<d {
                        var sum: Float = 0, n: Float = 0
                        for yy in max(y - r, 0)...min(y + r, height - 1) {
                            for xx in max(x - r, 0)...min(x + r, width - 1) { sum += values[(yy * width + xx) * d + k]; n += 1 }
                        }
                        #expect(abs(filtered[(y * width + x) * d + k] - sum / n) < 1e-5, "r \(r) cell (\(x), \(y)) channel \(k)")
                    }
                }
            }
        }
        var same = values
        FeatureSpace.boxFiltered(&same, width: width, height: height, dimension: d, radius: 0)
        #expect(same == values)
    }

    @Test("three textures: K = 3 is chosen among 2…5, the K with the most separable style regions", .enabled(if: network != nil, "VGG-19 weights not installed"))
    func threeTextures() throws {
        let content = synthetic(width: 192, height: 144, seed: 3) { x, y in y < 50 ? .checker : x < 96 ? .stripes : .speckle }
        let style = synthetic(width: 176, height: 176, seed: 4) { x, y in x < 60 ? .speckle : y < 90 ? .stripes : .checker }
        let result = try AutoMask.segment(content: content.image, style: style.image, network: network)
        #expect(result.regionCount == 3, "criterion \(result.criterion)")
        #expect(result.criterion.map(\.regions) == [2, 3, 4, 5])
        let three = result.criterion.first { $0.regions == 3 }
        #expect(three?.kept == 3 && three?.separable == 3, "criterion \(result.criterion)")
        #expect(result.criterion.allSatisfy { $0.separable <= 3 }, "a fourth region would split one texture")
        #expect(result.criterion.first { $0.regions == 2 }.map { $0.separable < 3 } ?? false)
        let score = try agreement(result, content: content.labels, style: style.labels)
        #expect(score.mean > 0.9, "IoU \(score.content), \(score.style)")
    }

    @Test("a band two cells wide along a boundary has no core and is dissolved; regions with an interior keep a core share")
    func coreShares() throws {
        let blank = Image(width: 64, height: 64, channels: 3)
        let a = try AnalysedImage(blank, side: 64), b = try AnalysedImage(blank, side: 64)
        let space = FeatureSpace(a, b)   // 16×16 cells an image
        #expect(space.grids[0].width == 16 && space.grids[1].height == 16)
        var labels = [Int32](repeating: 0, count: space.rows)
        for side in 0..<2 {
            for y in 0..<16 { for x in 0..<16 { labels[space.row(side: side, y * 16 + x)] = x < 7 ? 0 : x < 9 ? 1 : 2 } }
        }
        let shares = Segmentation(labels: labels, centers: [], count: 3).coreShares(space)
        // Region 0 covers x 0…6: its cells with every neighbour within 2 columns also in it are x 0…4, 5 of 16 columns.
        #expect(shares[0] == [5.0 / 16, 0, 5.0 / 16] && shares[1] == shares[0], "\(shares)")
    }

    @Test("dissolving the last shared region turns the style-only ones back into ordinary regions, so content cells keep a label")
    func dissolvingTheLastSharedRegion() throws {
        let blank = Image(width: 32, height: 32, channels: 3)
        var space = FeatureSpace(try AnalysedImage(blank, side: 64), try AnalysedImage(blank, side: 64))
        space.append(dimension: 1, values: (0..<space.rows).map { Float($0 % 3) })
        // Region 0 shared (all content cells, a quarter of the style), region 1 style-only (the rest of the style).
        var labels = [Int32](repeating: 0, count: space.rows)
        for i in 0..<space.counts.1 where i % 4 != 0 { labels[space.row(side: 1, i)] = 1 }
        var s = Segmentation(labels: labels, centers: [0, 1], count: 2)
        s.styleOnly = [false, true]
        s.dissolve(0, space)
        #expect(s.count == 1 && s.styleOnly == [false] && s.shared == 1)
        #expect(s.labels.allSatisfy { $0 == 0 })
    }

    @Test("the silhouette of one side reads only that image's cells: content labels that follow its two clusters score ≈ 1 whatever the style's")
    func silhouetteOfOneSide() throws {
        let blank = Image(width: 32, height: 32, channels: 3)
        var space = FeatureSpace(try AnalysedImage(blank, side: 64), try AnalysedImage(blank, side: 64))   // 256 cells each
        // Content: two tight clusters, values 0 and 10 (by row parity); style: values spread evenly over 0…10.
        let n = space.counts.0
        space.append(dimension: 1, values: (0..<space.rows).map { $0 < n ? Float($0 % 2) * 10 : Float($0 - n) / Float(space.counts.1 - 1) * 10 })
        // Content labelled by its clusters, the style at random (by a hash of the row).
        let labels = (0..<space.rows).map { Int32($0 < n ? $0 % 2 : ($0 * 7919 / 13) % 2) }
        let s = Segmentation(labels: labels, centers: [], count: 2)
        #expect(s.silhouette(space, side: 0) > 0.99)
        #expect(s.silhouette(space) < 0.6 && s.silhouette(space, side: 1) < 0.1, "\(s.silhouette(space)), \(s.silhouette(space, side: 1))")
        // The content labelled across its clusters scores about 0.
        let crossing = Segmentation(labels: (0..<space.rows).map { Int32($0 < n ? ($0 / 2) % 2 : 0) }, centers: [], count: 2)
        #expect(crossing.silhouette(space, side: 0) < 0.05)
    }

    @Test("k-means with restarts escapes the poor local optimum that some single starts get stuck in, from every seed")
    func restarts() throws {
        // 512 2-D points cycling over a 60 × 12 lattice, x < 20 halved (a dense block at x < 10, a gap, a long strip
        // at x ≥ 20): k-means with K = 4 has local optima;
        // 3 of 12 single k-means++ starts end 50 % above the best sum of squares. The best of 8 starts (compared on a
        // subsample) may still pick a partition within a few per cent of the best, never the poor one.
        let blank = Image(width: 48, height: 48, channels: 3)
        var space = FeatureSpace(try AnalysedImage(blank, side: 64), try AnalysedImage(blank, side: 64))
        var values: [Float] = []
        for i in 0..<space.rows {
            let x = Float(i % 60), y = Float((i / 60) % 12)
            values += [x < 20 ? x * 0.5 : x, y]
        }
        space.append(dimension: 2, values: values)
        func inertia(_ s: Segmentation) -> Double {
            let dist = space.distances(to: s.centers, k: s.count)
            return (0..<space.rows).reduce(0) { $0 + Double(dist[$1 * s.count + Int(s.labels[$1])]) }
        }
        let single = (0..<12).map { inertia(Segmentation.cluster(space, k: 4, seed: UInt64($0), restarts: 1)) }
        let multi = (0..<12).map { inertia(Segmentation.cluster(space, k: 4, seed: UInt64($0), restarts: 8)) }
        let best = (single + multi).min() ?? 0
        #expect(single.contains { $0 > best * 1.2 }, "no single start got stuck: \(single)")
        #expect(multi.allSatisfy { $0 <= best * 1.02 }, "restarts: \(multi), single starts: \(single)")
    }

    @Test("mutual information between cluster and image: 0 bit for clusters shared alike, 1 bit for clusters split by image")
    func imageInformation() throws {
        let blank = Image(width: 32, height: 32, channels: 3)
        let space = FeatureSpace(try AnalysedImage(blank, side: 64), try AnalysedImage(blank, side: 64))
        let byRegion = (0..<space.rows).map { Int32($0 % 2) }
        let byImage = (0..<space.rows).map { Int32($0 < space.counts.0 ? 0 : 1) }
        #expect(abs(Segmentation(labels: byRegion, centers: [], count: 2).imageInformation(space)) < 1e-12)
        #expect(abs(Segmentation(labels: byImage, centers: [], count: 2).imageInformation(space) - 1) < 1e-12)
    }

    @Test("centring: each image's deep vectors lose that image's mean, so a gap between the two images as a whole no longer splits them")
    func centring() throws {
        var rows: [Float] = [1, 2, 3, 6, 5, 1]   // three rows of two
        FeatureSpace.centre(&rows, dimension: 2)
        #expect(rows == [-2, -1, 0, 3, 2, -2])
        // Two 2-channel maps, one per image, each cell pointing the same way within an image but another way in the other:
        // uncentred, the images sit apart (distance between their rows > 0); centred, every row is 0.
        let blank = Image(width: 32, height: 32, channels: 3)
        let a = try AnalysedImage(blank, side: 64), b = try AnalysedImage(blank, side: 64)
        let layer = try LayerName("relu4_1")
        func uniform(_ c0: Float, _ c1: Float) -> FeatureMap {
            FeatureMap(channels: 2, height: 4, width: 4, data: [Float](repeating: c0, count: 16) + [Float](repeating: c1, count: 16))
        }
        let maps = [[layer: uniform(1, 0)], [layer: uniform(0, 1)]]
        for centred in [false, true] {
            var space = FeatureSpace(a, b)
            space.addDeep(maps: maps, a: a, b: b, layers: [(layer, 1)], centred: centred)
            let first = Array(space.matrix[0..<2]), last = Array(space.matrix[(space.rows - 1) * 2..<space.rows * 2])
            #expect(centred ? space.matrix.allSatisfy { abs($0) < 1e-6 } : (first == [1, 0] && last == [0, 1]))
        }
    }

    @Test("among k-means runs, the features method keeps one whose clusters both images share clearly more, else the smallest sum of squares")
    func mostSharedRun() throws {
        let blank = Image(width: 32, height: 32, channels: 3)
        let space = FeatureSpace(try AnalysedImage(blank, side: 64), try AnalysedImage(blank, side: 64))
        func run(_ label: (Int) -> Int32, _ inertia: Double) -> (segmentation: Segmentation, inertia: Double) {
            (Segmentation(labels: (0..<space.rows).map(label), centers: [], count: 2), inertia)
        }
        let byImage = run({ $0 < space.counts.0 ? 0 : 1 }, 16)   // 1 bit, the smallest sum of squares
        let byRegion = run({ Int32($0 % 2) }, 25)                // 0 bit
        // Nearly by image: 1 content cell in 64 labelled as the style (0.06 bit less than by image).
        let nearlyByImage = run({ $0 < space.counts.0 ? ($0 % 64 == 0 ? 1 : 0) : 1 }, 17)
        #expect(Segmentation.choose([byImage, byRegion], in: space, by: .mostShared) == 1)
        #expect(Segmentation.choose([byRegion, byImage], in: space, by: .mostShared) == 0)
        #expect(Segmentation.choose([byImage, byRegion], in: space, by: .leastSquares) == 0)
        let small = byImage.segmentation.imageInformation(space) - nearlyByImage.segmentation.imageInformation(space)
        #expect(small > 0 && small < Segmentation.sharedMargin, "\(small) bit")
        #expect(Segmentation.choose([nearlyByImage, byImage], in: space, by: .mostShared) == 1)
    }

    @Test("label transfer: a region scores the mean of its best matches (t = 5, fewer if it has fewer cells); a label no style cell carries cannot win")
    func transferScores() throws {
        // One content cell, 1-D descriptors: its similarity to a style cell is that cell's value.
        let style: [Float] = [0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.95, 0.7]
        let labels: [Int32] = [0, 0, 0, 0, 0, 0, 0, 1, 1]   // region 0: seven cells, region 1: two, region 2: none
        let scores = LabelTransfer.regionScores(content: [1], style: style, dimension: 1, styleLabels: labels, count: 3)
        #expect(abs(scores[0] - (0.9 + 0.6 + 0.5 + 0.4 + 0.3) / 5) < 1e-6, "\(scores)")
        #expect(abs(scores[1] - (0.95 + 0.7) / 2) < 1e-6 && scores[2] == -.infinity, "\(scores)")
        // Blocks of `LabelTransfer.block` content rows give the same scores as one.
        let rows = LabelTransfer.block + 3
        let many = LabelTransfer.regionScores(content: (0..<rows).map { Float($0 % 3) }, style: style, dimension: 1, styleLabels: labels, count: 3)
        #expect(many.count == 3 * rows)
        #expect(abs(many[3 * (rows - 2)] - 2 * scores[0]) < 1e-5 && abs(many[3 * (rows - 2) + 1] - 2 * scores[1]) < 1e-5)   // row 257: 2 × content 1
    }

    @Test("label transfer smoothing: a cell joins its four neighbours only when its own best label wins by less than 4λ")
    func transferSmoothing() throws {
        func centre(margin: Float) -> Int32 {
            // 3 × 3 cells, two labels: every cell prefers label 0 by 1, the centre prefers label 1 by `margin`.
            var scores = [Float](repeating: 0, count: 18)
            for i in 0..<9 { scores[2 * i] = i == 4 ? 0 : 1; scores[2 * i + 1] = i == 4 ? margin : 0 }
            return LabelTransfer.smooth(scores, width: 3, height: 3, count: 2)[4]
        }
        #expect(centre(margin: 3 * LabelTransfer.smoothness) == 0)
        #expect(centre(margin: 5 * LabelTransfer.smoothness) == 1)
    }

    @Test("content coherence: a cell whose scores favour another region but whose own vector lies among its neighbours' joins them; κ = 0 leaves the scores")
    func transferCoherence() throws {
        // Six cells, 1-D vectors: cells 0–3 near 0 (one object), 4–5 at 10 (another). The scores favour label 0 on
        // cells 0–2 and label 1 on cells 3–5 (cell 3: a façade whose nearest style cells lie in the sky); label 2 has no
        // style cell.
        let x: [Float] = [0, 0, 0, 0.1, 10, 10]
        var scores = [Float](repeating: -.infinity, count: 18)
        for i in 0..<6 { scores[3 * i] = i < 3 ? 0.5 : 0; scores[3 * i + 1] = i < 3 ? 0 : i == 3 ? 0.1 : 0.5 }
        func labels(_ u: [Float]) -> [Int] { (0..<6).map { i in (0..<3).max { u[3 * i + $0] < u[3 * i + $1] }! } }
        #expect(labels(scores) == [0, 0, 0, 1, 1, 1])
        let u = LabelTransfer.coherent(scores, features: x[...], dimension: 1, count: 3, weight: 0.2)
        #expect(labels(u) == [0, 0, 0, 0, 1, 1], "\(u)")
        #expect((0..<6).allSatisfy { u[3 * $0 + 2] == -.infinity })
        // Cell 3 against region 1's first centre (0.1 + 10 + 10) / 3: U_1 = 0.1 − 0.2 · 43.6 / 10.9 ≈ −0.7 < U_0 ≈ 0.
        #expect(LabelTransfer.coherent(scores, features: x[...], dimension: 1, count: 3, weight: 0) == scores)
        // Where the scores already follow the content's structure, nothing moves.
        var agreeing = scores
        agreeing[3 * 3] = 0.5; agreeing[3 * 3 + 1] = 0
        #expect(labels(LabelTransfer.coherent(agreeing, features: x[...], dimension: 1, count: 3, weight: 0.2)) == [0, 0, 0, 0, 1, 1])
    }

    @Test("label transfer carries the style's regions to the content's cells by their nearest style cells; a region matched by under the minimum share is withdrawn")
    func transferredLabels() throws {
        let blank = Image(width: 64, height: 64, channels: 3)
        let a = try AnalysedImage(blank, side: 64), b = try AnalysedImage(blank, side: 64)   // 16 × 16 cells, 8 × 8 to match
        // Style: columns of 4-pixel cells 0…7 region 0, 8…11 region 1, 12…15 region 2, with features (1, 0), (0.6, 0.8), (0, 1).
        let styleLabels = (0..<256).map { Int32($0 % 16 < 8 ? 0 : $0 % 16 < 12 ? 1 : 2) }
        func maps(_ vector: (Int, Int) -> (Float, Float)) throws -> [LayerName: FeatureMap] {
            var f = FeatureMap(channels: 2, height: 8, width: 8)
            for y in 0..<8 { for x in 0..<8 { let v = vector(x, y); f.data[y * 8 + x] = v.0; f.data[64 + y * 8 + x] = v.1 } }
            return [try LayerName("relu4_1"): f, try LayerName("relu5_1"): f]
        }
        let styleMaps = try maps { x, _ in x < 4 ? (1, 0) : x < 6 ? (0.6, 0.8) : (0, 1) }
        // Content, in matching cells: like region 0 everywhere but a 2 × 2 block like region 2 (6 % of the content) at the
        // top left and a 3 × 3 block like region 1 (14 %) from (4, 4).
        let contentMaps = try maps { x, y in x < 2 && y < 2 ? (0, 1) : x >= 4 && x < 7 && y >= 4 && y < 7 ? (0.6, 0.8) : (1, 0) }
        func transfer(minimumShare: Double) -> [Int32] {
            LabelTransfer.contentLabels(content: a, style: b, contentMaps: contentMaps, styleMaps: styleMaps, layers: LabelTransfer.layers,
                                        styleLabels: styleLabels[...], count: 3, minimumShare: minimumShare,
                                        coherence: (features: [], dimension: 0, weight: 0))
        }
        func label(_ x: Int, _ y: Int, in labels: [Int32]) -> Int32 { labels[y * 16 + x] }   // 4-pixel cell (x, y)
        let kept = transfer(minimumShare: 0.03)
        #expect(kept.count == 256)
        #expect(label(1, 1, in: kept) == 2 && label(10, 10, in: kept) == 1 && label(0, 15, in: kept) == 0 && label(15, 0, in: kept) == 0, "\(kept)")
        let shares = (0..<3).map { q in Double(kept.filter { $0 == q }.count) / 256 }
        #expect(abs(shares[1] - 9.0 / 64) < 0.04 && abs(shares[2] - 4.0 / 64) < 0.03, "\(shares)")
        // With a minimum share of 10 %, region 2 is withdrawn: its cells go to their next nearest region, 1.
        let withdrawn = transfer(minimumShare: 0.1)
        #expect(!withdrawn.contains(2) && label(1, 1, in: withdrawn) == 1 && label(10, 10, in: withdrawn) == 1, "\(withdrawn)")
    }

    @Test("label transfer interpolates the matching grid's scores bilinearly to the 4-pixel grid; a label no style cell carries stays -∞")
    func transferInterpolation() throws {
        // 2 × 1 matching cells, label 0 scores 0 and 1, label 1 absent; to 4 × 2 cells (centres at 0.25, 0.75, 1.25, 1.75
        // of a matching cell): 0, 0.25, 0.75, 1 in each row.
        let out = LabelTransfer.interpolated([0, -.infinity, 1, -.infinity], from: (2, 1), to: (4, 2), count: 2)
        #expect((0..<8).map { out[2 * $0] } == [0, 0.25, 0.75, 1, 0, 0.25, 0.75, 1])
        #expect((0..<8).allSatisfy { out[2 * $0 + 1] == -.infinity })
    }

    @Test("a style of one texture yields one region and a notice", .enabled(if: network != nil, "VGG-19 weights not installed"))
    func oneTextureStyle() throws {
        let style = synthetic(width: 160, height: 160, seed: 5) { _, _ in .speckle }
        let result = try AutoMask.segment(content: twoContent.image, style: style.image, network: network)
        #expect(result.regionCount == 1, "\(result.notices) \(result.contentShares) \(result.styleShares)")
        #expect(result.contentShares == [1] && result.styleShares == [1])
        #expect(result.notices.contains { $0.message.contains("one texture") && $0.message.contains("one region") })
    }

    @Test("a style texture the content lacks becomes a style-only region: in the style map, absent from the content's, with a notice", .enabled(if: network != nil, "VGG-19 weights not installed"))
    func styleOnlyRegion() throws {
        // Content: stripes | speckle. Style: speckle on top, stripes in the middle, a checkerboard (not in the content) below.
        let style = synthetic(width: 176, height: 192, seed: 6) { _, y in y < 64 ? .speckle : y < 128 ? .stripes : .checker }
        let result = try AutoMask.segment(content: twoContent.image, style: style.image, network: network)
        #expect(result.regionCount == 3, "criterion \(result.criterion)")
        let unused = result.contentShares.indices.filter { result.contentShares[$0] == 0 }
        #expect(unused.count == 1, "content shares \(result.contentShares)")
        if let j = unused.first { #expect(abs(result.styleShares[j] - 64.0 / 192) < 0.05, "style shares \(result.styleShares)") }
        #expect(result.notices.contains { $0.message.contains("2 regions and 1 style-only") }, "\(result.notices)")
        let score = try agreement(result, content: twoContent.labels, style: style.labels)
        #expect(score.content > 0.9 && score.style > 0.9, "IoU \(score.content), \(score.style)")
        // A run pairs the two shared regions and leaves the checkerboard unused.
        let palette = try Palette(colors: result.colors)
        let pairs = try RegionPairing.pair(content: LabelMap(image: result.contentMap, palette: palette, path: "c"),
                                           style: LabelMap(image: result.styleMap, palette: palette, path: "s"))
        #expect(pairs.pairs.count == 2 && pairs.notices.contains { $0.message.contains("unused") })
    }

    @Test("the same seed gives the same maps; an explicit K is honoured", .enabled(if: network != nil, "VGG-19 weights not installed"))
    func determinismAndExplicitK() throws {
        var options = AutoMaskOptions()
        options.seed = 7
        let a = try AutoMask.segment(content: twoContent.image, style: twoStyle.image, network: network, options: options)
        let b = try AutoMask.segment(content: twoContent.image, style: twoStyle.image, network: network, options: options)
        #expect(a.contentMap == b.contentMap && a.styleMap == b.styleMap)
        options.regions = 2
        let fixed = try AutoMask.segment(content: twoContent.image, style: twoStyle.image, network: network, options: options)
        #expect(fixed.regionCount == 2 && fixed.criterion.map(\.regions) == [2])
        options.regions = 1
        let one = try AutoMask.segment(content: twoContent.image, style: twoStyle.image, network: network, options: options)
        #expect(one.regionCount == 1)
    }

    @Test("the colour k-means baseline needs no network and separates colours")
    func colorBaseline() throws {
        var options = AutoMaskOptions()
        options.method = .color
        options.regions = 2
        let result = try AutoMask.segment(content: twoContent.image, style: twoStyle.image, network: nil, options: options)
        let score = try agreement(result, content: twoContent.labels, style: twoStyle.labels)
        #expect(score.mean > 0.8, "IoU \(score.content), \(score.style)")
        options.method = .features
        #expect(throws: AutoMaskError.networkRequired) {
            try AutoMask.segment(content: twoContent.image, style: twoStyle.image, network: nil, options: options)
        }
        options.regions = 12
        #expect(throws: AutoMaskError.self) {
            try AutoMask.segment(content: twoContent.image, style: twoStyle.image, network: nil, options: options)
        }
        options.regions = 2
        options.poolRadius = -1
        #expect(throws: AutoMaskError.invalidPoolRadius(-1)) {
            try AutoMask.segment(content: twoContent.image, style: twoStyle.image, network: nil, options: options)
        }
        #expect(AutoMaskError.invalidPoolRadius(-1).description.contains("use 0"))
        // Out of range or not a number: refused before any work (an unbounded radius overflowed the window sums; NaN
        // weights gave one region with a misleading notice).
        options.poolRadius = .max
        #expect(throws: AutoMaskError.invalidPoolRadius(.max)) {
            try AutoMask.segment(content: twoContent.image, style: twoStyle.image, network: nil, options: options)
        }
        options.poolRadius = 4
        for change in [{ (o: inout AutoMaskOptions) in o.colorWeight = .nan }, { $0.positionWeight.y = .infinity },
                       { $0.smoothness = -1 }, { $0.coherence = .nan }, { $0.coherence = -0.1 }, { $0.minimumShare = 2 }, { $0.minimumShare = .nan }, { $0.deepWeights = [0, 0, 0] }] {
            var bad = options
            change(&bad)
            #expect(throws: AutoMaskError.self) { try bad.validate() }
            #expect(throws: AutoMaskError.self) {
                try AutoMask.segment(content: twoContent.image, style: twoStyle.image, network: nil, options: bad)
            }
        }
        #expect(throws: Never.self) { try options.validate() }
        // A 200 × 4 content is 320 × 6 at the analysis size: under relu4_1's 8 pixels, a typed error (not a crash); the
        // colour method reads no layer and segments it.
        options.poolRadius = 4
        let thin = Image(width: 200, height: 4, channels: 3)
        #expect(throws: AutoMaskError.imageTooThin("content", width: 200, height: 4, analysedWidth: 320, analysedHeight: 6, minimum: 8)) {
            try AutoMask.segment(content: thin, style: twoStyle.image, network: nil, options: options)
        }
        for side in [63, 1025] {
            options.analysisSide = side
            #expect(throws: AutoMaskError.invalidAnalysisSide(side)) {
                try AutoMask.segment(content: thin, style: twoStyle.image, network: nil, options: options)
            }
        }
        #expect(AutoMaskError.invalidAnalysisSide(1025).description.contains("64…1024"))
        options.analysisSide = AutoMaskOptions().analysisSide
        options.method = .color
        let colour = try AutoMask.segment(content: thin, style: twoStyle.image, network: nil, options: options)
        #expect(colour.contentMap.width == 200 && colour.contentMap.height == 4)
    }

    @Test("the preview puts both images side by side at one height")
    func preview() throws {
        var options = AutoMaskOptions()
        options.method = .color
        options.regions = 2
        let result = try AutoMask.segment(content: twoContent.image, style: twoStyle.image, network: nil, options: options)
        let image = try result.preview(content: twoContent.image, style: twoStyle.image)
        #expect(image.height == 320)
        #expect(image.width == 427 + 8 + 291)
    }
}

@Suite("Region agreement") struct RegionAgreementTests {
    private func map(_ width: Int, _ height: Int, _ color: (Int, Int) -> (Float, Float, Float), path: String) throws -> LabelMap {
        var image = Image(width: width, height: height, channels: 3)
        for y in 0..<height { for x in 0..<width {
            let c = color(x, y)
            image[0, y, x] = c.0; image[1, y, x] = c.1; image[2, y, x] = c.2
        } }
        return try labelMap(image, path: path)
    }

    @Test("identical partitions in other colours score 1; the matching is shared by both images")
    func matching() throws {
        let truth = (try map(20, 10, { x, _ in x < 10 ? (1, 0, 0) : (0, 0, 1) }, path: "c"),
                     try map(10, 20, { _, y in y < 5 ? (1, 0, 0) : (0, 0, 1) }, path: "s"))
        let renamed = (try map(20, 10, { x, _ in x < 10 ? (0, 1, 0) : (1, 1, 1) }, path: "c2"),
                       try map(10, 20, { _, y in y < 5 ? (0, 1, 0) : (1, 1, 1) }, path: "s2"))
        let perfect = RegionAgreement.measure(candidate: renamed, reference: truth)
        #expect(perfect.content == 1 && perfect.style == 1)
        // Style regions swapped: the content says green = red, so the style scores 0 under the shared matching.
        let swapped = (renamed.0, try map(10, 20, { _, y in y < 5 ? (1, 1, 1) : (0, 1, 0) }, path: "s3"))
        let crossed = RegionAgreement.measure(candidate: swapped, reference: truth)
        #expect(crossed.content + crossed.style == 1)
    }

    @Test("matching a reference of many colours: exact over the smaller side, as brute force says; greedy beyond 12")
    func manyColours() {
        // Scores from a fixed pseudo-random table; 3 candidate regions against 40 reference colours (a photograph given
        // as the reference map allocated 2^40 states before).
        func score(_ i: Int, _ j: Int) -> Double { Double((i * 7919 + j * 104_729) % 1000) / 1000 }
        func total(_ pairs: [(Int, Int)], _ f: (Int, Int) -> Double) -> Double { pairs.reduce(0) { $0 + f($1.0, $1.1) } }
        var best = 0.0
        for a in 0..<40 { for b in 0..<40 where b != a { for c in 0..<40 where c != a && c != b {
            best = max(best, score(0, a) + score(1, b) + score(2, c))
        } } }
        let pairs = RegionAgreement.bestMatching(m: 3, n: 40, score: score)
        #expect(pairs.count == 3 && Set(pairs.map(\.1)).count == 3 && pairs.map(\.0) == [0, 1, 2])
        #expect(abs(total(pairs, score) - best) < 1e-12)
        // The transposed problem reaches the same best total.
        let transposed = RegionAgreement.bestMatching(m: 40, n: 3) { score($1, $0) }
        #expect(transposed.count == 3 && abs(total(transposed) { score($1, $0) } - best) < 1e-12)
        // 20 × 30: greedy, one-to-one, every one of the 20 matched.
        let greedy = RegionAgreement.bestMatching(m: 20, n: 30, score: score)
        #expect(greedy.count == 20 && Set(greedy.map(\.0)).count == 20 && Set(greedy.map(\.1)).count == 20)
    }

    @Test("partial overlap: IoU by hand, and an extra candidate region counts as 0")
    func partial() throws {
        // Reference halves at x = 10; candidate splits at x = 15: left IoU 10/15, right 5/10.
        let truth = (try map(20, 10, { x, _ in x < 10 ? (1, 0, 0) : (0, 0, 1) }, path: "c"),
                     try map(20, 10, { x, _ in x < 10 ? (1, 0, 0) : (0, 0, 1) }, path: "s"))
        let shifted = try map(20, 10, { x, _ in x < 15 ? (1, 0, 0) : (0, 0, 1) }, path: "c2")
        let score = RegionAgreement.measure(candidate: (shifted, shifted), reference: truth)
        #expect(abs(score.content - (10.0 / 15 + 0.5) / 2) < 1e-9)
        let three = try map(20, 10, { x, _ in x < 10 ? (1, 0, 0) : x < 15 ? (0, 0, 1) : (0, 1, 0) }, path: "c3")
        let extra = RegionAgreement.measure(candidate: (three, three), reference: truth)
        #expect(abs(extra.content - (1.0 + 0.5) / 3) < 1e-9)
    }
}
