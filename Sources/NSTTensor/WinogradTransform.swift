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
struct WinogradTransform: Sendable {
    /// Output tile side m and input tile side α = m + 2.
    let m: Int, alpha: Int
    /// Bᵀ (α×α), G (α×3), Aᵀ (m×α), row-major, in Double.
    let bt: [Double], g: [Double], at: [Double]
    /// π of one tile index and d of `G·J = Π·D·G`.
    let flip: [Int], flipScale: [Double]
    /// Non-zero entries per row of Bᵀ and of Aᵀ, as (column, coefficient): the transforms' sparse recipes.
    let btRows: [[(Int, Float)]], atRows: [[(Int, Float)]]

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
        func sparse(_ mat: [Double], rows: Int) -> [[(Int, Float)]] {
            (0..<rows).map { r in (0..<alpha).compactMap { c in mat[r * alpha + c] == 0 ? nil : (c, Float(mat[r * alpha + c])) } }
        }
        btRows = sparse(bt, rows: alpha)
        atRows = sparse(at, rows: m)
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

    // MARK: band transforms (any m)

    /// dst[0..<n] (=|+=) Σ coef·source(index) over `terms`, four terms per pass so each loop vectorizes.
    @inline(__always)
    static func combine(_ dst: UnsafeMutablePointer<Float>, count n: Int, _ terms: [(Int, Float)], accumulate: Bool,
                        _ source: (Int) -> UnsafePointer<Float>) {
        var i = 0
        var add = accumulate
        if terms.isEmpty && !add { dst.update(repeating: 0, count: n) }
        while i < terms.count {
            let k = min(4, terms.count - i)
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
            default:
                let b = source(terms[i + 1].0), cb = terms[i + 1].1
                let c = source(terms[i + 2].0), cc = terms[i + 2].1
                let d = source(terms[i + 3].0), cd = terms[i + 3].1
                if add { for s in 0..<n { dst[s] += ca * a[s] + cb * b[s] + cc * c[s] + cd * d[s] } }
                else { for s in 0..<n { dst[s] = ca * a[s] + cb * b[s] + cc * c[s] + cd * d[s] } }
            }
            i += k
            add = true
        }
    }

    /// Floats of per-worker row scratch: α transformed rows, a zero row, α de-interleaved tile columns and
    /// m·α partial output streams plus one output stream.
    func rowScratch(width w: Int) -> Int {
        let tilesW = (w + m - 1) / m
        return (alpha + 1) * (tilesW * m + 2) + (alpha + m * alpha + 1) * tilesW
    }

    /// V[ξ = k·α+l][c][tile] = (Bᵀ d B)[k][l] for every α×α input tile of the band: Bᵀ down the columns
    /// (α image rows combined element-wise), then the tile columns de-interleaved into α contiguous
    /// streams and combined by B, also element-wise.
    func inputTransform(x: UnsafePointer<Float>, channels ci: Int, height h: Int, width w: Int,
                        tileRows: Range<Int>, v: UnsafeMutablePointer<Float>, tiles: Int,
                        rows z: UnsafeMutablePointer<Float>) {
        let tilesW = (w + m - 1) / m
        let wp = tilesW * m + 2
        let zero = z + alpha * wp
        let streams = zero + wp
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
                    WinogradTransform.combine(z + l * wp + 1, count: w, btRows[l], accumulate: false) { k in
                        let r = top + k
                        return r >= 0 && r < h ? plane + r * w : UnsafePointer(zero)
                    }
                }
                let base = (t - tileRows.lowerBound) * tilesW
                for k in 0..<alpha {
                    let src = z + k * wp
                    for j in 0..<alpha {
                        let e = streams + j * tilesW
                        for s in 0..<tilesW { e[s] = src[m * s + j] }
                    }
                    for l in 0..<alpha {
                        WinogradTransform.combine(v + ((k * alpha + l) * ci + c) * tiles + base, count: tilesW,
                                                  btRows[l], accumulate: false) { UnsafePointer(streams + $0 * tilesW) }
                    }
                }
            }
        }
    }

    /// y tile = Aᵀ M A + bias, ReLU if asked, clipped to the image: Aᵀ combines the α ξ-rows element-wise
    /// over tiles, then A combines the columns, and each of the m² results is stored with stride m.
    func outputTransform(mm: UnsafeMutablePointer<Float>, channels co: Int, height h: Int, width w: Int,
                         tileRows: Range<Int>, tiles: Int, bias: UnsafePointer<Float>?, relu: Bool,
                         y: UnsafeMutablePointer<Float>, rows scratch: UnsafeMutablePointer<Float>) {
        let tilesW = (w + m - 1) / m
        let q = scratch + (alpha + 1) * (tilesW * m + 2) + alpha * tilesW
        let out = q + m * alpha * tilesW
        let lowest: Float = relu ? 0 : -.infinity
        for o in 0..<co {
            let b = bias?[o] ?? 0
            let plane = y + o * h * w
            for t in tileRows {
                let base = (t - tileRows.lowerBound) * tilesW
                for i in 0..<m {
                    for l in 0..<alpha {
                        WinogradTransform.combine(q + (i * alpha + l) * tilesW, count: tilesW, atRows[i], accumulate: false) {
                            UnsafePointer(mm + (($0 * alpha + l) * co + o) * tiles + base)
                        }
                    }
                }
                for i in 0..<m where m * t + i < h {
                    let row = plane + (m * t + i) * w
                    for j in 0..<m {
                        WinogradTransform.combine(out, count: tilesW, atRows[j], accumulate: false) {
                            UnsafePointer(q + (i * alpha + $0) * tilesW)
                        }
                        let count = (w - j + m - 1) / m
                        for s in 0..<count { row[m * s + j] = max(out[s] + b, lowest) }
                    }
                }
            }
        }
    }
}
