import CBLAS
import NSTNetwork
import NSTTensor

// Label transfer: the content's regions carried over from the style's by nearest neighbours in deep-feature space.
//
// The joint k-means (`Segmentation.cluster`) has to find clusters that both images populate. Between a photograph and
// a painting the features differ as a whole, and the cluster a part of the content falls in need not be the one its
// counterpart in the style falls in (pair04: Tübingen's houses with the cypress of *The Starry Night*). Label transfer
// keeps the style's regions from the joint clustering and asks instead, for each content cell, which style region's
// cells it resembles most: a question of the *nearest* style cells, which a uniform gap between the two images does
// not change. On relu4_1's grid (one matching cell per 8 × 8 analysis pixels, in both images)
//
//     S_q(i)   = mean of the t largest s(i, j) over the style cells j of region q
//     s(i, j)  = Σ_l ⟨f̂_l(i), f̂_l(j)⟩,  l ∈ {relu4_1, relu5_1},  f̂ = the cell's feature vector, L2-normalised
//
// and each cell c of the content's 4-pixel grid, with S_q(c) interpolated bilinearly from the matching cells, takes
//
//     label(c) = argmax_q  U_q(c) + λ · #{4-neighbours of c labelled q}
//
// with U_q = S_q made coherent with the content's own structure (*Content coherence*, below), t = `matches` = 5 and
// λ = `smoothness` = 0.02, by iterated conditional modes (raster sweeps until no label changes, at most 10). The t best
// matches of each region, not a vote of all style cells, keep a large style region from winning by its size alone. Matching photograph and painting by their normalised relu4_1/relu5_1 vectors is the
// nearest-neighbour field of Liao et al., "Visual Attribute Transfer through Deep Image Analogy" (SIGGRAPH 2017); here
// only the region of the matches is used, not their positions. Measured on the nine deep-photo pairs: README,
// *Automatic masks*.

// Content coherence. The nearest style cells decide cell by cell, and a cell of the content can resemble another
// style region than the rest of the object it belongs to: Tübingen's bright façades and river resemble the bright
// strokes of *The Starry Night*'s sky more than its dark village, and a third of the houses went to the sky (pair04).
// The content's own features say which cells belong together, so the scores are combined with a k-means on the
// content's vectors x_i (its rows of the clustering space: relu3_1 and relu4_1, normalised and weighted as there, and
// position), whose assignment step they bias:
//
//     U_q(i)  = S_q(i) − κ · ‖x_i − μ_q‖² / d̄
//     μ_q     = mean of x_i over the cells labelled q,   d̄ = mean over i of ‖x_i − μ_label(i)‖²
//     label(i) = argmax_q U_q(i)
//
// alternated from label = argmax S until no label changes (at most `coherenceRounds`), κ = `AutoMaskOptions.coherence`
// (0.2; 0 = the scores alone). A cell whose nearest style cells lie in region q but whose vector lies among another
// content region's joins that region; where the transferred regions already follow the content's structure little
// moves. Departure from Liao et al.: their field has no such term. Measured (README, *Content coherence*): of pair04's
// houses and river 33 % went to the painting's sky without it, none with it; of its bare tree 44 % and 9 %.

/// How `AutoMask.segment` (`.features`) labels the content's cells once the regions are found.
public enum AutoMaskContentLabels: String, CaseIterable, Codable, Sendable {
    /// Carried over from the style map by nearest neighbours at relu4_1 and relu5_1 (`LabelTransfer`).
    case transferred
    /// The joint clustering's own labels.
    case joint
}

enum LabelTransfer {
    /// The layers whose normalised vectors are compared.
    static let layers: [LayerName] = ["relu4_1", "relu5_1"].compactMap { try? LayerName($0) }
    /// Analysis pixels per side of a matching cell (relu4_1's stride).
    static let cellSide = 8
    /// t: the best matches averaged per style region.
    static let matches = 5
    /// λ: the reward of each 4-neighbour sharing a label, in units of s (which lies in [0, `layers.count`]), on the
    /// content's 4-pixel grid.
    static let smoothness: Float = 0.02
    /// Content rows compared with all style cells at a time (bounds the similarity block's memory).
    static let block = 256
    /// Most rounds of the coherence k-means (`coherent`).
    static let coherenceRounds = 20

    /// The matching grid of an analysed image.
    static func grid(_ image: AnalysedImage) -> (width: Int, height: Int) {
        (max(1, image.image.width / cellSide), max(1, image.image.height / cellSide))
    }

    /// The layers of `layers` both images are large enough for (an image thinner than 16 analysis pixels has no
    /// relu5_1 position).
    static func usableLayers(_ a: AnalysedImage, _ b: AnalysedImage) -> [LayerName] {
        layers.filter { l in [a, b].allSatisfy { min($0.image.width, $0.image.height) >= VGG19.minimumSide(for: l) } }
    }

    /// One row per matching cell (cell-major): each layer's vector resampled to the grid and L2-normalised, layers
    /// concatenated.
    static func descriptors(_ maps: [LayerName: FeatureMap], layers: [LayerName], width: Int, height: Int) -> (values: [Float], dimension: Int) {
        let parts = layers.compactMap { maps[$0] }.map { (channels: $0.channels, values: FeatureSpace.sampled($0, width: width, height: height, weight: 1)) }
        let d = parts.reduce(0) { $0 + $1.channels }
        var out = [Float](repeating: 0, count: width * height * d)
        var offset = 0
        for p in parts {
            for i in 0..<(width * height) {
                for c in 0..<p.channels { out[i * d + offset + c] = p.values[i * p.channels + c] }
            }
            offset += p.channels
        }
        return (out, d)
    }

    /// The style's labels on its matching grid: the most frequent label of the 4-pixel cells each matching cell covers
    /// (ties: the lower label). `labels`: the style's cells on its `AnalysedImage` grid.
    static func coarse(_ labels: ArraySlice<Int32>, image: AnalysedImage, count: Int) -> [Int32] {
        let (w, h) = grid(image), r = cellSide / 4, base = labels.startIndex
        var out = [Int32](repeating: 0, count: w * h)
        var votes = [Int](repeating: 0, count: count)
        for y in 0..<h {
            for x in 0..<w {
                for j in 0..<count { votes[j] = 0 }
                // The matching grid lies within the 4-pixel one (⌊w/8⌋ · 2 ≤ ⌊w/4⌋), so every matching cell has a 4-pixel cell.
                for yy in (y * r)..<min(y * r + r, image.gridHeight) {
                    for xx in (x * r)..<min(x * r + r, image.gridWidth) { votes[Int(labels[base + yy * image.gridWidth + xx])] += 1 }
                }
                var best = 0
                for j in 1..<max(count, 1) where votes[j] > votes[best] { best = j }
                out[y * w + x] = Int32(best)
            }
        }
        return out
    }

    /// S_q(i) for every content row i (rows × count): the mean of the `matches` largest similarities to the style rows
    /// labelled q; -∞ for a label no style row carries. `content`, `style`: descriptor rows of `dimension` values.
    static func regionScores(content: [Float], style: [Float], dimension d: Int, styleLabels: [Int32], count: Int) -> [Float] {
        let nc = content.count / max(d, 1), ns = styleLabels.count
        var sizes = [Int](repeating: 0, count: count)
        for l in styleLabels { sizes[Int(l)] += 1 }
        var scores = [Float](repeating: -.infinity, count: nc * count)
        var sim = [Float](repeating: 0, count: min(block, nc) * ns)
        var top = [Float](repeating: 0, count: count * matches)
        for start in Swift.stride(from: 0, to: nc, by: block) {
            let rows = min(block, nc - start)
            // sim (rows × ns) = content[start ..< start + rows] (rows × d) · styleᵀ (d × ns)
            content.withUnsafeBufferPointer { c in
                style.withUnsafeBufferPointer { s in
                    sim.withUnsafeMutableBufferPointer { out in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(ns), Int32(d), 1,
                                    c.baseAddress.map { $0 + start * d }, Int32(d), s.baseAddress, Int32(d), 0, out.baseAddress, Int32(ns))
                    }
                }
            }
            for r in 0..<rows {
                for t in 0..<top.count { top[t] = -.infinity }
                for j in 0..<ns {
                    let q = Int(styleLabels[j]), v = sim[r * ns + j], base = q * matches
                    guard v > top[base + matches - 1] else { continue }
                    var t = matches - 1   // insert v into region q's descending list
                    while t > 0, top[base + t - 1] < v { top[base + t] = top[base + t - 1]; t -= 1 }
                    top[base + t] = v
                }
                for q in 0..<count where sizes[q] > 0 {
                    let n = min(matches, sizes[q])
                    var sum: Float = 0
                    for t in 0..<n { sum += top[q * matches + t] }
                    scores[(start + r) * count + q] = sum / Float(n)
                }
            }
        }
        return scores
    }

    /// Labels maximising Σ_i S_{label(i)}(i) + λ · (4-neighbour pairs sharing a label), by iterated conditional modes
    /// from the per-cell best; ties keep the current label, then go to the lower one.
    static func smooth(_ scores: [Float], width w: Int, height h: Int, count: Int) -> [Int32] {
        var labels = [Int32](repeating: 0, count: w * h)
        for i in 0..<(w * h) {
            var best = 0
            for q in 1..<max(count, 1) where scores[i * count + q] > scores[i * count + best] { best = q }
            labels[i] = Int32(best)
        }
        var agree = [Float](repeating: 0, count: count)
        for _ in 0..<10 {
            var changed = false
            for y in 0..<h {
                for x in 0..<w {
                    let i = y * w + x, current = Int(labels[i])
                    for q in 0..<count { agree[q] = 0 }
                    if x > 0 { agree[Int(labels[i - 1])] += 1 }
                    if x + 1 < w { agree[Int(labels[i + 1])] += 1 }
                    if y > 0 { agree[Int(labels[i - w])] += 1 }
                    if y + 1 < h { agree[Int(labels[i + w])] += 1 }
                    var best = current, bestValue = scores[i * count + current] + smoothness * agree[current]
                    for q in 0..<count {
                        let v = scores[i * count + q] + smoothness * agree[q]
                        if v > bestValue { best = q; bestValue = v }
                    }
                    if best != current { labels[i] = Int32(best); changed = true }
                }
            }
            if !changed { break }
        }
        return labels
    }

    /// U (cells × count): `scores` S made coherent with the content's own vectors (`features`, cells × `dimension`), by
    /// the k-means of the comment above with weight κ = `weight`. A label that is -∞ in S, or that no cell takes, is -∞.
    static func coherent(_ scores: [Float], features x: ArraySlice<Float>, dimension d: Int, count: Int, weight: Float) -> [Float] {
        let n = scores.count / max(count, 1)
        guard weight > 0, n > 0, d > 0, x.count == n * d else { return scores }
        let base = x.startIndex
        func argmax(_ u: [Float], _ i: Int) -> Int {
            var best = 0
            for q in 1..<max(count, 1) where u[i * count + q] > u[i * count + best] { best = q }
            return best
        }
        var labels = (0..<n).map { argmax(scores, $0) }
        var out = scores
        var centres = [Float](repeating: 0, count: count * d), sizes = [Int](repeating: 0, count: count)
        var dist = [Float](repeating: 0, count: n * count)
        let rowNorms: [Float] = (0..<n).map { i in
            var v: Float = 0
            for t in 0..<d { v += x[base + i * d + t] * x[base + i * d + t] }
            return v
        }
        for _ in 0..<coherenceRounds {
            // μ_q over the cells labelled q
            for t in 0..<(count * d) { centres[t] = 0 }
            for q in 0..<count { sizes[q] = 0 }
            for i in 0..<n {
                let q = labels[i]; sizes[q] += 1
                for t in 0..<d { centres[q * d + t] += x[base + i * d + t] }
            }
            for q in 0..<count where sizes[q] > 0 { for t in 0..<d { centres[q * d + t] /= Float(sizes[q]) } }
            // ‖x_i − μ_q‖² (dist: n × count), and d̄
            FeatureSpace.squaredDistances(x, rowNorms: rowNorms[...], dimension: d, to: centres, k: count, into: &dist)
            var own: Double = 0
            for i in 0..<n { own += Double(dist[i * count + labels[i]]) }
            let mean = Float(own / Double(n))
            guard mean > 0 else { break }
            for i in 0..<n {
                for q in 0..<count {
                    out[i * count + q] = sizes[q] > 0 && scores[i * count + q].isFinite
                        ? scores[i * count + q] - weight * dist[i * count + q] / mean : -.infinity
                }
            }
            var changed = false
            for i in 0..<n {
                let q = argmax(out, i)
                if q != labels[i] { labels[i] = q; changed = true }
            }
            if !changed { break }
        }
        return out
    }

    /// Per-label scores (cells × count) on a `from` grid resampled bilinearly to a `to` grid (cell centres aligned; a
    /// `from` cell spans `to.width / from.width` cells). A label that is -∞ on one cell is -∞ on all (no style cell
    /// carries it) and stays -∞.
    static func interpolated(_ scores: [Float], from: (width: Int, height: Int), to: (width: Int, height: Int), count: Int) -> [Float] {
        var out = [Float](repeating: -.infinity, count: to.width * to.height * count)
        let usable = (0..<count).map { scores[$0].isFinite }
        for y in 0..<to.height {
            let (y0, y1, ty) = FeatureSpace.bilinearTaps(y, from: from.height, to: to.height)
            for x in 0..<to.width {
                let (x0, x1, tx) = FeatureSpace.bilinearTaps(x, from: from.width, to: to.width)
                let i00 = (y0 * from.width + x0) * count, i01 = (y0 * from.width + x1) * count
                let i10 = (y1 * from.width + x0) * count, i11 = (y1 * from.width + x1) * count
                for q in 0..<count where usable[q] {
                    out[(y * to.width + x) * count + q] = (1 - ty) * ((1 - tx) * scores[i00 + q] + tx * scores[i01 + q])
                        + ty * ((1 - tx) * scores[i10 + q] + tx * scores[i11 + q])
                }
            }
        }
        return out
    }

    /// The content's labels on its `AnalysedImage` grid, carried over from `styleLabels` (the style's, on its grid).
    /// `contentMaps`, `styleMaps`: the images' feature maps at (at least) `layers`. Every label the result uses covers
    /// at least `minimumShare` of the content's matching cells. `coherence`: the content's own vectors on its grid (cells
    /// × `dimension`) and κ (`coherent`).
    static func contentLabels(content: AnalysedImage, style: AnalysedImage, contentMaps: [LayerName: FeatureMap],
                              styleMaps: [LayerName: FeatureMap], layers: [LayerName], styleLabels: ArraySlice<Int32>, count: Int,
                              minimumShare: Double,
                              coherence: (features: ArraySlice<Float>, dimension: Int, weight: Float)) -> [Int32] {
        let gc = grid(content), gs = grid(style)
        let dc = descriptors(contentMaps, layers: layers, width: gc.width, height: gc.height)
        let ds = descriptors(styleMaps, layers: layers, width: gs.width, height: gs.height)
        let coarseScores = regionScores(content: dc.values, style: ds.values, dimension: dc.dimension,
                                        styleLabels: coarse(styleLabels, image: style, count: count), count: count)
        // Matched on relu4_1's grid, labelled on the content's 4-pixel grid: the scores are interpolated bilinearly to
        // it, so region edges do not follow the 8-pixel blocks of the matching grid.
        var scores = interpolated(coarseScores, from: gc, to: (content.gridWidth, content.gridHeight), count: count)
        // A region matched by under `minimumShare` of the content (the odd cell whose nearest style cells happen to lie in
        // a texture the content lacks) is no content region: it is withdrawn, smallest first, and its cells matched again.
        // Withdrawn on the scores alone first, then again with the content's coherence: a region only a few boundary
        // cells match would otherwise get a centre among those mixed cells and gather the whole band along the boundary.
        func labelled(_ weight: Float) -> [Int32] {
            smooth(coherent(scores, features: coherence.features, dimension: coherence.dimension, count: count, weight: weight),
                   width: content.gridWidth, height: content.gridHeight, count: count)
        }
        var out: [Int32] = []
        for weight in [0, coherence.weight] {
            out = labelled(weight)
            while true {
                var n = [Int](repeating: 0, count: count)
                for l in out { n[Int(l)] += 1 }
                guard let weakest = (0..<count).filter({ n[$0] > 0 && Double(n[$0]) < minimumShare * Double(out.count) })
                    .min(by: { n[$0] < n[$1] }) else { break }
                for i in 0..<out.count { scores[i * count + weakest] = -.infinity }
                out = labelled(weight)
            }
        }
        return out
    }
}
