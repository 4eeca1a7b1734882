/// F(6×6, 3×3) band transforms with the matrices of `WinogradTransform.f6x6` written out (points 0, ±1, ±2, ±½, ∞,
/// rows of Bᵀ balanced by powers of two):
///
///        ⎡ ¼     0    −21/16   0     21/16   0     −¼    0⎤
///        ⎢ 0   −4/9   −4/9   17/9   17/9  −4/9   −4/9   0⎥         ⎡1 1  1  1   1   1     1    0⎤
///        ⎢ 0    4/9   −4/9  −17/9   17/9   4/9   −4/9   0⎥         ⎢0 1 −1  2  −2   ½    −½    0⎥
///   Bᵀ = ⎢ 0  16/45   8/45  −16/9   −8/9  64/45  32/45  0⎥    Aᵀ = ⎢0 1  1  4   4   ¼     ¼    0⎥
///        ⎢ 0 −16/45   8/45   16/9   −8/9 −64/45  32/45  0⎥         ⎢0 1 −1  8  −8   ⅛    −⅛    0⎥
///        ⎢ 0  32/45  64/45   −8/9  −16/9   8/45  16/45  0⎥         ⎢0 1  1 16  16  1/16  1/16  0⎥
///        ⎢ 0 −32/45  64/45    8/9  −16/9  −8/45  16/45  0⎥         ⎣0 1 −1 32 −32  1/32 −1/32  1⎦
///        ⎣ 0   −¼      0     21/16    0   −21/16   0    ¼⎦
///
/// The points come in pairs ±p, so each pair of rows is an even part ± an odd part (as in Lavin & Gray's F(6×6)
/// and NNPACK's transforms), which halves the multiplies. F(6×6) needs 64 products per 6×6 tile, 1.78 per output
/// against F(4×4)'s 2.25, and moves 21 % fewer transformed values, at about ten times F(4×4)'s rounding error
/// (larger entries and more cancellation); `VGG19` uses it only on large maps of layers up to 256 channels.
/// Layout and contracts are those of the F(4×4) transforms: V[ξ = 8k+l][c][tile], M[ξ][o][tile], y planar.
extension Winograd3x3 {
    // Bᵀ entries that are not short binary fractions, rounded once.
    private static let c4_9: Float = 4 / 9, c17_9: Float = 17 / 9, c8_45: Float = 8 / 45, c8_9: Float = 8 / 9
    private static let c32_45: Float = 32 / 45, c16_45: Float = 16 / 45, c16_9: Float = 16 / 9, c64_45: Float = 64 / 45

    /// z = Bᵀ·(d0…d7) for one column of eight values.
    @inline(__always)
    static func bt8(_ d0: Float, _ d1: Float, _ d2: Float, _ d3: Float, _ d4: Float, _ d5: Float, _ d6: Float,
                    _ d7: Float) -> (Float, Float, Float, Float, Float, Float, Float, Float) {
        let e1 = c17_9 * d4 - c4_9 * (d2 + d6), o1 = c17_9 * d3 - c4_9 * (d1 + d5)
        let e3 = c8_45 * d2 - c8_9 * d4 + c32_45 * d6, o3 = c16_45 * d1 - c16_9 * d3 + c64_45 * d5
        let e5 = c64_45 * d2 - c16_9 * d4 + c16_45 * d6, o5 = c32_45 * d1 - c8_9 * d3 + c8_45 * d5
        return (0.25 * (d0 - d6) + 1.3125 * (d4 - d2), e1 + o1, e1 - o1, e3 + o3, e3 - o3, e5 + o5, e5 - o5,
                0.25 * (d7 - d1) + 1.3125 * (d3 - d5))
    }

    /// y = Aᵀ·(m0…m7) for one column of eight values, plus `b`, floored at `lowest`.
    @inline(__always)
    static func at8(_ m0: Float, _ m1: Float, _ m2: Float, _ m3: Float, _ m4: Float, _ m5: Float, _ m6: Float,
                    _ m7: Float, _ b: Float, _ lowest: Float) -> (Float, Float, Float, Float, Float, Float) {
        let s1 = m1 + m2, d1 = m1 - m2, s2 = m3 + m4, d2 = m3 - m4, s3 = m5 + m6, d3 = m5 - m6
        return (max(m0 + s1 + s2 + s3 + b, lowest), max(d1 + 2 * d2 + 0.5 * d3 + b, lowest),
                max(s1 + 4 * s2 + 0.25 * s3 + b, lowest), max(d1 + 8 * d2 + 0.125 * d3 + b, lowest),
                max(s1 + 16 * s2 + 0.0625 * s3 + b, lowest), max(d1 + 32 * d2 + 0.03125 * d3 + m7 + b, lowest))
    }

    /// Padded row: column 0 is image column −1, zeros up to the last tile's eighth column and one phase beyond.
    static func paddedWidthF6(_ w: Int) -> Int { 6 * ((w + 5) / 6) + 6 }

    /// Row scratch of the F(6×6) transforms, in floats: eight transformed rows of padded width, a zero row and six
    /// phase streams (input); 48 streams of q, one output row and six output streams (output).
    static func rowScratchF6(width w: Int) -> Int {
        let tilesW = (w + 5) / 6
        return max(9 * paddedWidthF6(w) + 6 * (tilesW + 1), 54 * tilesW + paddedWidthF6(w))
    }

    /// V for the band's tiles: Bᵀ down the columns (eight image rows combined element-wise, contiguous over x),
    /// then B along each tile's row (stride 6). `only` restricts the work to those input channels.
    static func inputTransformF6(x: UnsafePointer<Float>, channels ci: Int, height h: Int, width w: Int,
                                 tileRows: Range<Int>, v: UnsafeMutablePointer<Float>, tiles: Int,
                                 rows z: UnsafeMutablePointer<Float>, only: Range<Int>? = nil) {
        let tilesW = (w + 5) / 6, wp = paddedWidthF6(w)
        let zero = z + 8 * wp
        zero.update(repeating: 0, count: wp)
        for k in 0..<8 {
            z[k * wp] = 0
            (z + k * wp + w + 1).update(repeating: 0, count: wp - w - 1)
        }
        let z0 = z + 1, z1 = z0 + wp, z2 = z1 + wp, z3 = z2 + wp, z4 = z3 + wp, z5 = z4 + wp, z6 = z5 + wp, z7 = z6 + wp
        let phase = tilesW + 1
        let e0 = zero + wp, e1 = e0 + phase, e2 = e1 + phase, e3 = e2 + phase, e4 = e3 + phase, e5 = e4 + phase
        for c in only ?? 0..<ci {
            let plane = x + c * h * w
            for t in tileRows {
                // Input rows 6t−1 … 6t+6; rows outside the image read the zero row.
                func row(_ k: Int) -> UnsafePointer<Float> {
                    let r = 6 * t - 1 + k
                    return r >= 0 && r < h ? plane + r * w : UnsafePointer(zero)
                }
                let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5), r6 = row(6), r7 = row(7)
                for j in 0..<w {
                    let (a, b, cc, d, e, f, g, hh) = bt8(r0[j], r1[j], r2[j], r3[j], r4[j], r5[j], r6[j], r7[j])
                    z0[j] = a; z1[j] = b; z2[j] = cc; z3[j] = d; z4[j] = e; z5[j] = f; z6[j] = g; z7[j] = hh
                }
                let base = (t - tileRows.lowerBound) * tilesW
                for k in 0..<8 {
                    // Six phase streams e_j[s] = z[6s + j]: tile s reads e0…e5 at s and e0, e1 at s + 1.
                    let src = z + k * wp
                    for q in 0...tilesW {
                        e0[q] = src[6 * q]; e1[q] = src[6 * q + 1]; e2[q] = src[6 * q + 2]
                        e3[q] = src[6 * q + 3]; e4[q] = src[6 * q + 4]; e5[q] = src[6 * q + 5]
                    }
                    let stride = ci * tiles
                    let o0 = v + (8 * k * ci + c) * tiles + base
                    let o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride, o4 = o3 + stride
                    let o5 = o4 + stride, o6 = o5 + stride, o7 = o6 + stride
                    for q in 0..<tilesW {
                        let (a, b, cc, d, e, f, g, hh) = bt8(e0[q], e1[q], e2[q], e3[q], e4[q], e5[q], e0[q + 1], e1[q + 1])
                        o0[q] = a; o1[q] = b; o2[q] = cc; o3[q] = d; o4[q] = e; o5[q] = f; o6[q] = g; o7[q] = hh
                    }
                }
            }
        }
    }

    /// y tile = Aᵀ M A + bias, then ReLU if asked, clipped to the image (`only`: just those output channels).
    /// Aᵀ combines the 64 ξ-rows of each tile element-wise over tiles, A then combines columns within the tile.
    static func outputTransformF6(mm: UnsafeMutablePointer<Float>, channels co: Int, height h: Int, width w: Int,
                                  tileRows: Range<Int>, tiles: Int, bias: UnsafePointer<Float>?, relu: Bool,
                                  y: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>,
                                  only: Range<Int>? = nil) {
        let tilesW = (w + 5) / 6
        let lowest: Float = relu ? 0 : -.infinity
        let stride = co * tiles
        // q[i][l] (48 streams over one tile row's tiles), one output row of padded width, six column streams.
        let q = rows, out = rows + 48 * tilesW
        let y0 = out + paddedWidthF6(w), y1 = y0 + tilesW, y2 = y1 + tilesW
        let y3 = y2 + tilesW, y4 = y3 + tilesW, y5 = y4 + tilesW
        for o in only ?? 0..<co {
            let b = bias?[o] ?? 0
            let plane = y + o * h * w
            for t in tileRows {
                let m = mm + o * tiles + (t - tileRows.lowerBound) * tilesW
                // Aᵀ down the tile's columns: q[i][l][s] = Σ_k Aᵀ[i][k]·M[8k+l][s], contiguous over s.
                for l in 0..<8 {
                    let m0 = m + l * stride, m1 = m0 + 8 * stride, m2 = m1 + 8 * stride, m3 = m2 + 8 * stride
                    let m4 = m3 + 8 * stride, m5 = m4 + 8 * stride, m6 = m5 + 8 * stride, m7 = m6 + 8 * stride
                    let q0 = q + l * tilesW, q1 = q0 + 8 * tilesW, q2 = q1 + 8 * tilesW
                    let q3 = q2 + 8 * tilesW, q4 = q3 + 8 * tilesW, q5 = q4 + 8 * tilesW
                    for s in 0..<tilesW {
                        let (a, bb, c, d, e, f) = at8(m0[s], m1[s], m2[s], m3[s], m4[s], m5[s], m6[s], m7[s], 0, -.infinity)
                        q0[s] = a; q1[s] = bb; q2[s] = c; q3[s] = d; q4[s] = e; q5[s] = f
                    }
                }
                // A along each row of q, bias and ReLU into six column streams, then interleave into the row.
                for i in 0..<6 where 6 * t + i < h {
                    let r0 = q + 8 * i * tilesW, r1 = r0 + tilesW, r2 = r1 + tilesW, r3 = r2 + tilesW
                    let r4 = r3 + tilesW, r5 = r4 + tilesW, r6 = r5 + tilesW, r7 = r6 + tilesW
                    for s in 0..<tilesW {
                        let (a, bb, c, d, e, f) = at8(r0[s], r1[s], r2[s], r3[s], r4[s], r5[s], r6[s], r7[s], b, lowest)
                        y0[s] = a; y1[s] = bb; y2[s] = c; y3[s] = d; y4[s] = e; y5[s] = f
                    }
                    for s in 0..<tilesW {
                        out[6 * s] = y0[s]; out[6 * s + 1] = y1[s]; out[6 * s + 2] = y2[s]
                        out[6 * s + 3] = y3[s]; out[6 * s + 4] = y4[s]; out[6 * s + 5] = y5[s]
                    }
                    (plane + (6 * t + i) * w).update(from: out, count: w)
                }
            }
        }
    }
}
