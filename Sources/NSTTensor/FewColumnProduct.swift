/// y = α · X · Cᵀ for a tall X and a few rows of C: the products of k-means (every feature row against k centres).
///
/// Why not SGEMM: OpenBLAS packs the whole of X into its panel layout before every product (`sgemm_oncopy`), and with
/// k columns of output each packed value then serves k multiply-adds, so the product is bound by copying X, not by
/// arithmetic. In `AutoMask.segment` (X: 9 600 × 770, k = 1…5, a few thousand products per run) the packing was 21–24 %
/// of the command's CPU time. `forward` reads each row of X from memory once and keeps four sums at a time in
/// registers; C (k × d, 15 KB at k = 5, d = 770) stays in L1. Rows are split over `Parallel.workers` in contiguous blocks; each
/// value is computed by the same sequence of operations whatever the block, so results do not depend on the worker
/// count. Measured: README, *Automatic masks* (run time).
public enum FewColumnProduct {
    // MARK: reference

    /// Naive reference. x: n × d (row-major), c: k × d → y: n × k, y[i][j] = α · Σ_t x[i][t] · c[j][t].
    public static func forwardReference(x: UnsafePointer<Float>, rows n: Int, dimension d: Int, c: UnsafePointer<Float>,
                                        columns k: Int, alpha: Float, y: UnsafeMutablePointer<Float>) {
        for i in 0..<n {
            for j in 0..<k {
                var s: Float = 0
                for t in 0..<d { s += x[i * d + t] * c[j * d + t] }
                y[i * k + j] = alpha * s
            }
        }
    }

    // MARK: fast

    /// x: n × d (row-major), c: k × d → y: n × k, y[i][j] = α · Σ_t x[i][t] · c[j][t]. Each sum is taken in 8 lanes
    /// (t mod 8) over the first ⌊d/8⌋·8 values, the lanes added in a fixed tree, then the tail. Columns go four at a
    /// time: four accumulators in registers (multiply, then add: no fused multiply-add, which an `NST_PORTABLE` build
    /// lacks and would call per lane); a group of fewer repeats its last column and drops the repeats. A row is read
    /// from memory once and from L1 once per group.
    public static func forward(x: UnsafePointer<Float>, rows n: Int, dimension d: Int, c: UnsafePointer<Float>,
                               columns k: Int, alpha: Float, y: UnsafeMutablePointer<Float>) {
        let parts = max(1, min(Parallel.workers, n / 256)), body = d / 8 * 8
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
        @inline(__always) func total(_ a: SIMD8<Float>, _ row: UnsafePointer<Float>, _ col: UnsafePointer<Float>) -> Float {
            let four = a.lowHalf + a.highHalf, two = four.lowHalf + four.highHalf
            var s = two[0] + two[1]
            for u in body..<d { s += row[u] * col[u] }
            return s
        }
        Parallel.forEach(parts) { part, _ in
            for i in Parallel.chunk(part, of: parts, count: n) {
                let row = x + i * d
                for j in Swift.stride(from: 0, to: k, by: 4) {
                    let m = min(4, k - j)
                    let c0 = c + j * d, c1 = c + (j + min(1, m - 1)) * d, c2 = c + (j + min(2, m - 1)) * d, c3 = c + (j + m - 1) * d
                    var a0 = SIMD8<Float>.zero, a1 = a0, a2 = a0, a3 = a0
                    var t = 0
                    while t < body {
                        let v = load(row + t)
                        a0 += v * load(c0 + t)
                        a1 += v * load(c1 + t)
                        a2 += v * load(c2 + t)
                        a3 += v * load(c3 + t)
                        t += 8
                    }
                    let out = y + i * k + j
                    out[0] = alpha * total(a0, row, c0)
                    if m > 1 { out[1] = alpha * total(a1, row, c1) }
                    if m > 2 { out[2] = alpha * total(a2, row, c2) }
                    if m > 3 { out[3] = alpha * total(a3, row, c3) }
                }
            }
        }
    }
}
