import Foundation

/// How well one pair of label maps (content and style, colours corresponding) agrees with another, e.g. automatic
/// masks with hand-made ones.
///
/// Regions are matched one to one, the same matching for both images (a region is one colour in both maps, so the
/// correspondence is part of what is scored), choosing the matching that maximises the summed IoU over both images
/// (exhaustive over subsets, fine for ≤ 12 regions). Per image, mean IoU = Σ matched IoU / max(R_a, R_b), R = the
/// regions present in that image, so unmatched regions on either side count as 0. Pixels in no region of the
/// reference map (anti-aliased edges) are left out.
public struct RegionAgreement: Equatable, Sendable {
    /// Mean IoU on the content and on the style image.
    public let content: Double
    public let style: Double
    /// The matched colours (candidate → reference) with their IoU on each image.
    public let matches: [(candidate: RegionColor, reference: RegionColor, content: Double, style: Double)]

    public var mean: Double { (content + style) / 2 }

    public static func == (a: RegionAgreement, b: RegionAgreement) -> Bool {
        a.content == b.content && a.style == b.style && a.matches.count == b.matches.count
    }

    /// Agreement of `candidate` maps with `reference` maps; each candidate map is resampled (nearest) to its
    /// reference's size if needed.
    public static func measure(candidate: (content: LabelMap, style: LabelMap), reference: (content: LabelMap, style: LabelMap)) -> RegionAgreement {
        let candidateColors = union(candidate.content, candidate.style)
        let referenceColors = union(reference.content, reference.style)
        func table(_ c: LabelMap, _ r: LabelMap) -> (iou: [[Double]], present: (Int, Int)) {
            let cl = labels(c, colors: candidateColors, width: r.width, height: r.height)
            let rl = labels(r, colors: referenceColors, width: r.width, height: r.height)
            let m = candidateColors.count, n = referenceColors.count
            var inter = [[Int]](repeating: [Int](repeating: 0, count: n), count: m)
            var cCount = [Int](repeating: 0, count: m), rCount = [Int](repeating: 0, count: n)
            for i in 0..<rl.count where rl[i] >= 0 {
                rCount[Int(rl[i])] += 1
                if cl[i] >= 0 { cCount[Int(cl[i])] += 1; inter[Int(cl[i])][Int(rl[i])] += 1 }
            }
            let iou = (0..<m).map { a in (0..<n).map { b -> Double in
                let union = cCount[a] + rCount[b] - inter[a][b]
                return union == 0 ? 0 : Double(inter[a][b]) / Double(union)
            } }
            return (iou, (cCount.filter { $0 > 0 }.count, rCount.filter { $0 > 0 }.count))
        }
        let c = table(candidate.content, reference.content), s = table(candidate.style, reference.style)
        let pairs = bestMatching(m: candidateColors.count, n: referenceColors.count) { c.iou[$0][$1] + s.iou[$0][$1] }
        let matches = pairs.map { (candidate: candidateColors[$0.0], reference: referenceColors[$0.1], content: c.iou[$0.0][$0.1], style: s.iou[$0.0][$0.1]) }
        func mean(_ values: [Double], _ present: (Int, Int)) -> Double { values.reduce(0, +) / Double(max(present.0, present.1, 1)) }
        return RegionAgreement(content: mean(matches.map(\.content), c.present), style: mean(matches.map(\.style), s.present), matches: matches)
    }

    /// Colours of both maps, first map's order first.
    static func union(_ a: LabelMap, _ b: LabelMap) -> [RegionColor] {
        var colors = a.regions.map(\.color)
        for r in b.regions where !colors.contains(where: { $0.distance(to: r.color) < b.tolerance }) { colors.append(r.color) }
        return colors
    }

    /// Index into `colors` of each pixel's region (−1 for none), at width×height (nearest-neighbour).
    static func labels(_ map: LabelMap, colors: [RegionColor], width: Int, height: Int) -> [Int32] {
        var out = [Int32](repeating: -1, count: width * height)
        for region in map.regions {
            guard let index = colors.firstIndex(where: { $0.distance(to: region.color) < map.tolerance }) else { continue }
            for y in 0..<height {
                let sy = min(map.height - 1, y * map.height / height)
                for x in 0..<width where region.guide.values[sy * map.width + min(map.width - 1, x * map.width / width)] > 0.5 {
                    out[y * width + x] = Int32(index)
                }
            }
        }
        return out
    }

    /// Largest count of regions on the smaller side matched exactly (2^12 states per region of the larger side);
    /// beyond it, greedily.
    static let exactMatchingLimit = 12

    /// The one-to-one matching of rows 0..<m to columns 0..<n maximising Σ score: dynamic programming over the subsets
    /// of the smaller side's regions, so that a reference with many colours (a photograph given as a label map) costs
    /// rows × 2^(candidate's regions), not 2^(its own colours); beyond `exactMatchingLimit` regions on both sides, the
    /// best remaining pair is taken greedily.
    static func bestMatching(m: Int, n: Int, score: (Int, Int) -> Double) -> [(Int, Int)] {
        guard m > 0, n > 0 else { return [] }
        if n > m { return bestMatching(m: n, n: m) { score($1, $0) }.map { ($0.1, $0.0) }.sorted { $0.0 < $1.0 } }
        guard n <= exactMatchingLimit else {
            var pairs: [(Int, Int)] = [], rowFree = [Bool](repeating: true, count: m), columnFree = [Bool](repeating: true, count: n)
            for _ in 0..<n {
                var best: (Int, Int)? = nil
                for i in 0..<m where rowFree[i] {
                    for j in 0..<n where columnFree[j] && (best.map { score(i, j) > score($0.0, $0.1) } ?? true) { best = (i, j) }
                }
                guard let (i, j) = best else { break }
                pairs.append((i, j)); rowFree[i] = false; columnFree[j] = false
            }
            return pairs.sorted { $0.0 < $1.0 }
        }
        let states = 1 << n
        var value = [[Double]](repeating: [Double](repeating: -.infinity, count: states), count: m + 1)
        var choice = [[Int]](repeating: [Int](repeating: -1, count: states), count: m + 1)
        value[0][0] = 0
        for i in 0..<m {
            for mask in 0..<states where value[i][mask] > -.infinity {
                if value[i][mask] > value[i + 1][mask] { value[i + 1][mask] = value[i][mask]; choice[i + 1][mask] = -1 }
                for j in 0..<n where mask & (1 << j) == 0 {
                    let v = value[i][mask] + score(i, j), next = mask | (1 << j)
                    if v > value[i + 1][next] { value[i + 1][next] = v; choice[i + 1][next] = j }
                }
            }
        }
        var mask = (0..<states).max { value[m][$0] < value[m][$1] } ?? 0
        var pairs: [(Int, Int)] = []
        for i in stride(from: m, to: 0, by: -1) {
            let j = choice[i][mask]
            if j >= 0 { pairs.append((i - 1, j)); mask &= ~(1 << j) }
        }
        return pairs.reversed()
    }
}
