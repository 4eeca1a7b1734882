import Foundation

/// The matrices of one Winograd algorithm F(m×m, 3×3), built by Toom–Cook from α − 1 finite
/// interpolation points plus the point at infinity (α = m + 2), following Lavin & Gray 2016, §4:
/// for correlation y = Tᵀd of m outputs with the 3 taps g,
///   y = Aᵀ [ (G g) ⊙ (Bᵀ d) ],
///   A (α×m): rows [1, p, …, p^(m−1)] (∞: [0, …, 0, 1]),
///   G (α×3): rows [1, p, p²]          (∞: [0, 0, 1]),
///   Bᵀ = V⁻ᵀ with V (α×α) the Vandermonde rows [1, p, …, p^(α−1)] (∞: [0, …, 0, 1]),
/// because c = V⁻¹[(A a) ⊙ (G g)] is the linear convolution c = a ∗ g, and correlation is its transpose.
/// Each row i of Bᵀ and G may trade a factor (G_i·s, Bᵀ_i/s); we take s a power of two that brings
/// Bᵀ's largest entry into [1, 2), so the rescaling itself adds no rounding.
///
/// Reversal symmetry: if the points are closed under p ↦ 1/p (with 0 ↔ ∞), reversing the taps maps the
/// row of p to p²·(row of 1/p), so G·J = Π·D·G for a permutation Π and a diagonal D. Then the flipped,
/// transposed kernel's transform is U'[a,b] = d_a·d_b·U[π(a), π(b)]ᵀ and the backward-to-input pass
/// reuses U (see `Winograd3x3`).
final class WinogradTransform: Sendable {
    /// Output tile side m and input tile side α = m + 2.
    let m: Int, alpha: Int
    /// Bᵀ (α×α), G (α×3), Aᵀ (m×α), row-major, in Double.
    let bt: [Double], g: [Double], at: [Double]
    /// π of one tile index and d of `G·J = Π·D·G`.
    let flip: [Int], flipScale: [Double]
    /// Non-zero entries of Bᵀ and of Aᵀ row by row, as (column, coefficient): the transforms' sparse
    /// recipes, flat (row r is terms[offsets[r]..<offsets[r+1]]) so hot loops index them through pointers.
    let btTerms: [(Int, Float)], btOffsets: [Int], atTerms: [(Int, Float)], atOffsets: [Int]
    /// T (α² × 9, row-major): U[ξ = αa+b] = Σ_{i,j} G[a][i]·G[b][j]·g[3i+j], the weight transform as one matrix,
    /// for transforming weights with an SGEMM (`WinogradWeights.perPass`).
    let weightMatrix: [Float]

    /// F(4×4, 3×3) on the points 0, ±1, 2, ½ and ∞: the standard 0, ±1, ±2 set would not be closed under
    /// p ↦ 1/p, so the backward pass could not reuse U.
    static let f4x4 = WinogradTransform(points: [0, 1, -1, 2, 0.5])
    /// F(2×2, 3×3) on 0, ±1, ∞ (the matrices in the `Winograd3x3` comment, up to row scaling).
    static let f2x2 = WinogradTransform(points: [0, 1, -1])

    init(points: [Double]) {
        let alpha = points.count + 1, m = alpha - 2
        self.alpha = alpha
        self.m = m
        func power(_ p: Double, _ k: Int) -> Double { (0..<k).reduce(1) { r, _ in r * p } }
        func vandermonde(_ cols: Int) -> [Double] {
            var v = [Double](repeating: 0, count: alpha * cols)
            for (i, p) in points.enumerated() { for k in 0..<cols { v[i * cols + k] = power(p, k) } }
            v[points.count * cols + cols - 1] = 1
            return v
        }
        let a = vandermonde(m)
        var at = [Double](repeating: 0, count: m * alpha)
        for i in 0..<alpha { for k in 0..<m { at[k * alpha + i] = a[i * m + k] } }
        var g = vandermonde(3)
        var bt = WinogradTransform.inverseTranspose(vandermonde(alpha), n: alpha)
        for i in 0..<alpha {
            let largest = (0..<alpha).map { abs(bt[i * alpha + $0]) }.max() ?? 1
            let s = largest > 0 ? exp2(floor(log2(largest))) : 1
            for k in 0..<alpha { bt[i * alpha + k] /= s }
            for k in 0..<3 { g[i * 3 + k] *= s }
        }
        self.at = at
        self.g = g
        self.bt = bt
        (flip, flipScale) = WinogradTransform.reversal(g: g, alpha: alpha)
        func sparse(_ mat: [Double], rows: Int) -> ([(Int, Float)], [Int]) {
            let perRow = (0..<rows).map { r in
                (0..<alpha).compactMap { c in mat[r * alpha + c] == 0 ? nil : (c, Float(mat[r * alpha + c])) }
            }
            return (perRow.flatMap { $0 }, perRow.reduce(into: [0]) { $0.append($0[$0.count - 1] + $1.count) })
        }
        weightMatrix = (0..<alpha * alpha * 9).map { e in
            let (xi, k) = (e / 9, e % 9)
            return Float(g[(xi / alpha) * 3 + k / 3] * g[(xi % alpha) * 3 + k % 3])
        }
        (btTerms, btOffsets) = sparse(bt, rows: alpha)
        (atTerms, atOffsets) = sparse(at, rows: m)
    }

    /// (V⁻¹)ᵀ by Gauss–Jordan elimination with partial pivoting (V is small and well conditioned here).
    static func inverseTranspose(_ v: [Double], n: Int) -> [Double] {
        var a = v
        var inv = [Double](repeating: 0, count: n * n)
        for i in 0..<n { inv[i * n + i] = 1 }
        for col in 0..<n {
            let pivot = (col..<n).max { abs(a[$0 * n + col]) < abs(a[$1 * n + col]) } ?? col
            for k in 0..<n {
                a.swapAt(col * n + k, pivot * n + k)
                inv.swapAt(col * n + k, pivot * n + k)
            }
            let d = a[col * n + col]
            for k in 0..<n { a[col * n + k] /= d; inv[col * n + k] /= d }
            for r in 0..<n where r != col {
                let f = a[r * n + col]
                if f == 0 { continue }
                for k in 0..<n { a[r * n + k] -= f * a[col * n + k]; inv[r * n + k] -= f * inv[col * n + k] }
            }
        }
        var t = inv
        for r in 0..<n { for c in 0..<n { t[c * n + r] = inv[r * n + c] } }
        return t
    }

    /// Finds Π and D with G·J = Π·D·G: row a of G·J equals d_a times row π(a) of G.
    /// A point set not closed under p ↦ 1/p is a programming error in the static definitions above.
    static func reversal(g: [Double], alpha: Int) -> ([Int], [Double]) {
        var flip = [Int](repeating: 0, count: alpha), scale = [Double](repeating: 0, count: alpha)
        for a in 0..<alpha {
            let reversed = [g[a * 3 + 2], g[a * 3 + 1], g[a * 3]]
            let match = (0..<alpha).first { b in
                let k = (0..<3).first { g[b * 3 + $0] != 0 } ?? 0
                let ratio = reversed[k] / g[b * 3 + k]
                return (0..<3).allSatisfy { abs(reversed[$0] - ratio * g[b * 3 + $0]) <= 1e-12 * max(1, abs(reversed[$0])) }
            }
            guard let b = match else { preconditionFailure("Winograd points are not closed under p ↦ 1/p") }
            let k = (0..<3).first { g[b * 3 + $0] != 0 } ?? 0
            flip[a] = b
            scale[a] = reversed[k] / g[b * 3 + k]
        }
        return (flip, scale)
    }

    /// U[ξ][o][c] = (G g[o,c] Gᵀ)[ξ] for OIHW weights, in Double, rounded once.
    func transformWeights(_ weight: [Float], outChannels cout: Int, inChannels cin: Int) -> [Float] {
        let n = alpha * alpha
        var u = [Float](repeating: 0, count: n * cout * cin)
        var t = [Double](repeating: 0, count: alpha * 3)
        for o in 0..<cout {
            for c in 0..<cin {
                let k = (o * cin + c) * 9
                for a in 0..<alpha {
                    for v in 0..<3 {
                        t[a * 3 + v] = (0..<3).reduce(0) { $0 + g[a * 3 + $1] * Double(weight[k + $1 * 3 + v]) }
                    }
                }
                for a in 0..<alpha {
                    for b in 0..<alpha {
                        let value = (0..<3).reduce(0) { $0 + t[a * 3 + $1] * g[b * 3 + $1] }
                        u[((a * alpha + b) * cout + o) * cin + c] = Float(value)
                    }
                }
            }
        }
        return u
    }

    /// π(ξ) for ξ = a·α + b.
    func flippedPosition(_ xi: Int) -> Int { flip[xi / alpha] * alpha + flip[xi % alpha] }

    /// d_a·d_b for ξ = a·α + b: the SGEMM α of the backward pass.
    func flippedScale(_ xi: Int) -> Float { Float(flipScale[xi / alpha] * flipScale[xi % alpha]) }

    /// row[m·s + j] = max(out_j[s] + bias, lowest), clipped to the width: whole tiles in one loop over
    /// groups of m (vector shuffles and stores for m = 4), then the partial last tile.
    @inline(__always)
    func interleave(_ out: UnsafeMutablePointer<Float>, tiles n: Int, full: Int, bias b: Float, lowest: Float,
                    row: UnsafeMutablePointer<Float>, width w: Int) {
        if m == 4 {
            let o0 = out, o1 = out + n, o2 = out + 2 * n, o3 = out + 3 * n
            for s in 0..<full {
                row[4 * s] = max(o0[s] + b, lowest); row[4 * s + 1] = max(o1[s] + b, lowest)
                row[4 * s + 2] = max(o2[s] + b, lowest); row[4 * s + 3] = max(o3[s] + b, lowest)
            }
        } else {
            for j in 0..<m { for s in 0..<full { row[m * s + j] = max(out[j * n + s] + b, lowest) } }
        }
        for j in 0..<(w - full * m) { row[full * m + j] = max(out[j * n + full] + b, lowest) }
    }

    // MARK: band transforms (any m)

    /// Sparse rows of one matrix, borrowed for the duration of a transform.
    struct Recipe {
        let terms: UnsafeBufferPointer<(Int, Float)>
        let start: Int, count: Int
        var isEmpty: Bool { count == 0 }
        subscript(i: Int) -> (Int, Float) { terms[start + i] }
    }

    /// Calls `body` with row-r accessors of Bᵀ and Aᵀ that need no reference counting in the loops.
    @inline(__always)
    func withRecipes<R>(_ body: (_ bt: (Int) -> Recipe, _ at: (Int) -> Recipe) -> R) -> R {
        btTerms.withUnsafeBufferPointer { bt in
            btOffsets.withUnsafeBufferPointer { bo in
                atTerms.withUnsafeBufferPointer { at in
                    atOffsets.withUnsafeBufferPointer { ao in
                        body({ Recipe(terms: bt, start: bo[$0], count: bo[$0 + 1] - bo[$0]) },
                             { Recipe(terms: at, start: ao[$0], count: ao[$0 + 1] - ao[$0]) })
                    }
                }
            }
        }
    }

    /// dst[0..<n] (=|+=) Σ coef·source(index) over `terms`, up to six terms per pass so each loop vectorizes.
    @inline(__always)
    static func combine(_ dst: UnsafeMutablePointer<Float>, count n: Int, _ terms: Recipe, accumulate: Bool,
                        _ source: (Int) -> UnsafePointer<Float>) {
        var i = 0
        var add = accumulate
        if terms.isEmpty && !add { dst.update(repeating: 0, count: n) }
        while i < terms.count {
            let k = min(6, terms.count - i)
            let a = source(terms[i].0), ca = terms[i].1
            switch (k, add) {
            case (1, false): for s in 0..<n { dst[s] = ca * a[s] }
            case (1, true): for s in 0..<n { dst[s] += ca * a[s] }
            case (2, _):
                let b = source(terms[i + 1].0), cb = terms[i + 1].1
                if add { for s in 0..<n { dst[s] += ca * a[s] + cb * b[s] } } else { for s in 0..<n { dst[s] = ca * a[s] + cb * b[s] } }
            case (3, _):
                let b = source(terms[i + 1].0), cb = terms[i + 1].1
                let c = source(terms[i + 2].0), cc = terms[i + 2].1
                if add { for s in 0..<n { dst[s] += ca * a[s] + cb * b[s] + cc * c[s] } }
                else { for s in 0..<n { dst[s] = ca * a[s] + cb * b[s] + cc * c[s] } }
            case (4, _):
                let b = source(terms[i + 1].0), cb = terms[i + 1].1
                let c = source(terms[i + 2].0), cc = terms[i + 2].1
                let d = source(terms[i + 3].0), cd = terms[i + 3].1
                if add { for s in 0..<n { dst[s] += ca * a[s] + cb * b[s] + cc * c[s] + cd * d[s] } }
                else { for s in 0..<n { dst[s] = ca * a[s] + cb * b[s] + cc * c[s] + cd * d[s] } }
            case (5, _):
                let b = source(terms[i + 1].0), cb = terms[i + 1].1
                let c = source(terms[i + 2].0), cc = terms[i + 2].1
                let d = source(terms[i + 3].0), cd = terms[i + 3].1
                let e = source(terms[i + 4].0), ce = terms[i + 4].1
                if add { for s in 0..<n { dst[s] += ca * a[s] + cb * b[s] + cc * c[s] + cd * d[s] + ce * e[s] } }
                else { for s in 0..<n { dst[s] = ca * a[s] + cb * b[s] + cc * c[s] + cd * d[s] + ce * e[s] } }
            default:
                let b = source(terms[i + 1].0), cb = terms[i + 1].1
                let c = source(terms[i + 2].0), cc = terms[i + 2].1
                let d = source(terms[i + 3].0), cd = terms[i + 3].1
                let e = source(terms[i + 4].0), ce = terms[i + 4].1
                let f = source(terms[i + 5].0), cf = terms[i + 5].1
                if add { for s in 0..<n { dst[s] += ca * a[s] + cb * b[s] + cc * c[s] + cd * d[s] + ce * e[s] + cf * f[s] } }
                else { for s in 0..<n { dst[s] = ca * a[s] + cb * b[s] + cc * c[s] + cd * d[s] + ce * e[s] + cf * f[s] } }
            }
            i += k
            add = true
        }
    }

    /// Floats of per-worker row scratch: α transformed rows and a zero row (each m·(tiles + 1) wide, so
    /// de-interleaving reads whole groups of m), m de-interleaved phase streams, m·α partial output
    /// streams and m output streams.
    func rowScratch(width w: Int) -> Int {
        let tilesW = (w + m - 1) / m
        return (alpha + 1) * paddedWidth(tilesW) + m * (tilesW + 1) + (m * alpha + m) * tilesW
    }

    /// Row width for `tilesW` tiles: a zero column on the left, zeros to the right up to a whole group of m.
    func paddedWidth(_ tilesW: Int) -> Int { m * (tilesW + 1) }

    /// V[ξ = k·α+l][c][tile] = (Bᵀ d B)[k][l] for every α×α input tile of the band: Bᵀ down the columns
    /// (α image rows combined element-wise), then each row de-interleaved into its m phases (column
    /// m·s + j of tile s is phase j at s, and for j ≥ m phase j − m at s + 1), combined by B element-wise.
    func inputTransform(x: UnsafePointer<Float>, channels ci: Int, height h: Int, width w: Int,
                        tileRows: Range<Int>, v: UnsafeMutablePointer<Float>, tiles: Int,
                        rows z: UnsafeMutablePointer<Float>) {
        withRecipes { bt, _ in
            inputTransform(x: x, channels: ci, height: h, width: w, tileRows: tileRows, v: v, tiles: tiles, rows: z, bt: bt)
        }
    }

    @inline(__always)
    func inputTransform(x: UnsafePointer<Float>, channels ci: Int, height h: Int, width w: Int,
                        tileRows: Range<Int>, v: UnsafeMutablePointer<Float>, tiles: Int,
                        rows z: UnsafeMutablePointer<Float>, bt: (Int) -> Recipe) {
        let tilesW = (w + m - 1) / m
        let wp = paddedWidth(tilesW)
        let zero = z + alpha * wp
        let streams = zero + wp
        let phase = tilesW + 1
        zero.update(repeating: 0, count: wp)
        for k in 0..<alpha {
            z[k * wp] = 0
            (z + k * wp + w + 1).update(repeating: 0, count: wp - w - 1)
        }
        for c in 0..<ci {
            let plane = x + c * h * w
            for t in tileRows {
                let top = m * t - 1
                for l in 0..<alpha {
                    WinogradTransform.combine(z + l * wp + 1, count: w, bt(l), accumulate: false) { k in
                        let r = top + k
                        return r >= 0 && r < h ? plane + r * w : UnsafePointer(zero)
                    }
                }
                let base = (t - tileRows.lowerBound) * tilesW
                for k in 0..<alpha {
                    deinterleave(z + k * wp, into: streams, phaseLength: phase)
                    for l in 0..<alpha {
                        WinogradTransform.combine(v + ((k * alpha + l) * ci + c) * tiles + base, count: tilesW,
                                                  bt(l), accumulate: false) { j in
                            UnsafePointer(j < m ? streams + j * phase : streams + (j - m) * phase + 1)
                        }
                    }
                }
            }
        }
    }

    /// e_j[s] = src[m·s + j] for j < m, s ≤ `phaseLength` − 1; for m = 4 one loop reads whole groups of
    /// four, which the compiler turns into vector loads and shuffles.
    @inline(__always)
    func deinterleave(_ src: UnsafeMutablePointer<Float>, into e: UnsafeMutablePointer<Float>, phaseLength n: Int) {
        if m == 4 {
            let e0 = e, e1 = e + n, e2 = e + 2 * n, e3 = e + 3 * n
            for s in 0..<n {
                e0[s] = src[4 * s]; e1[s] = src[4 * s + 1]; e2[s] = src[4 * s + 2]; e3[s] = src[4 * s + 3]
            }
        } else {
            for j in 0..<m { for s in 0..<n { e[j * n + s] = src[m * s + j] } }
        }
    }

    /// y tile = Aᵀ M A + bias, ReLU if asked, clipped to the image: Aᵀ combines the α ξ-rows element-wise
    /// over tiles, then A combines the columns, and each of the m² results is stored with stride m.
    func outputTransform(mm: UnsafeMutablePointer<Float>, channels co: Int, height h: Int, width w: Int,
                         tileRows: Range<Int>, tiles: Int, bias: UnsafePointer<Float>?, relu: Bool,
                         y: UnsafeMutablePointer<Float>, rows scratch: UnsafeMutablePointer<Float>) {
        withRecipes { _, at in
            outputTransform(mm: mm, channels: co, height: h, width: w, tileRows: tileRows, tiles: tiles, bias: bias,
                            relu: relu, y: y, rows: scratch, at: at)
        }
    }

    @inline(__always)
    func outputTransform(mm: UnsafeMutablePointer<Float>, channels co: Int, height h: Int, width w: Int,
                         tileRows: Range<Int>, tiles: Int, bias: UnsafePointer<Float>?, relu: Bool,
                         y: UnsafeMutablePointer<Float>, rows scratch: UnsafeMutablePointer<Float>,
                         at: (Int) -> Recipe) {
        let tilesW = (w + m - 1) / m
        let q = scratch + (alpha + 1) * paddedWidth(tilesW) + m * (tilesW + 1)
        let out = q + m * alpha * tilesW
        let full = w / m
        let lowest: Float = relu ? 0 : -.infinity
        for o in 0..<co {
            let b = bias?[o] ?? 0
            let plane = y + o * h * w
            for t in tileRows {
                let base = (t - tileRows.lowerBound) * tilesW
                for i in 0..<m {
                    for l in 0..<alpha {
                        WinogradTransform.combine(q + (i * alpha + l) * tilesW, count: tilesW, at(i), accumulate: false) {
                            UnsafePointer(mm + (($0 * alpha + l) * co + o) * tiles + base)
                        }
                    }
                }
                for i in 0..<m where m * t + i < h {
                    let row = plane + (m * t + i) * w
                    for j in 0..<m {
                        WinogradTransform.combine(out + j * tilesW, count: tilesW, at(j), accumulate: false) {
                            UnsafePointer(q + (i * alpha + $0) * tilesW)
                        }
                    }
                    interleave(out, tiles: tilesW, full: full, bias: b, lowest: lowest, row: row, width: w)
                }
            }
        }
    }
}
