/// F(4×4, 3×3) band transforms with the matrices of `WinogradTransform.f4x4` written out (points 0, ±1, 2, ½, ∞,
/// rows of Bᵀ balanced by powers of two):
///
///        ⎡ ½  −5/4    0     5/4   −½   0⎤
///        ⎢ 0   −1    3/2    3/2   −1   0⎥          ⎡1 1  1 1  1   0⎤
///   Bᵀ = ⎢ 0  −4/9  14/9  −14/9   4/9  0⎥     Aᵀ = ⎢0 1 −1 2  ½   0⎥
///        ⎢ 0   8/9 −16/9   −8/9  16/9  0⎥          ⎢0 1  1 4  ¼   0⎥
///        ⎢ 0  16/9  −8/9  −16/9   8/9  0⎥          ⎣0 1 −1 8  ⅛   1⎦
///        ⎣ 0  −½    5/4     0    −5/4  ½⎦
///
/// They replace the generic `WinogradTransform.inputTransform`/`outputTransform` (kept as the reference the
/// tests compare against) in the hot path: the generic ones go through closures per row and tile, which cost
/// reference counting and kept the compiler from vectorizing (about 20 % of an F(4×4) step at 512×512).
/// Layout and contracts are the generic ones: V[ξ = 6k+l][c][tile], M[ξ][o][tile], y planar.
extension Winograd3x3 {
    // Bᵀ entries that are not short binary fractions, rounded once.
    private static let b4: Float = 4 / 9, b8: Float = 8 / 9, b14: Float = 14 / 9, b16: Float = 16 / 9

    /// z = Bᵀ·(a0…a5) for one column of six values.
    @inline(__always)
    static func bt6(_ a0: Float, _ a1: Float, _ a2: Float, _ a3: Float, _ a4: Float, _ a5: Float)
        -> (Float, Float, Float, Float, Float, Float) {
        (0.5 * a0 - 1.25 * a1 + 1.25 * a3 - 0.5 * a4,
         -a1 + 1.5 * a2 + 1.5 * a3 - a4,
         -b4 * a1 + b14 * a2 - b14 * a3 + b4 * a4,
         b8 * a1 - b16 * a2 - b8 * a3 + b16 * a4,
         b16 * a1 - b8 * a2 - b16 * a3 + b8 * a4,
         -0.5 * a1 + 1.25 * a2 - 1.25 * a4 + 0.5 * a5)
    }

    /// e_j[q] = src[4q + j] for q in 0..<n: the four phase streams of a row, eight tiles per step through one
    /// 32-float load and shuffles. The scalar loop this replaces compiled to single-float loads and was 40 % of the
    /// input transform (perf, 256×256 step).
    @inline(__always)
    static func deinterleave4(_ src: UnsafePointer<Float>, count n: Int, _ e0: UnsafeMutablePointer<Float>,
                              _ e1: UnsafeMutablePointer<Float>, _ e2: UnsafeMutablePointer<Float>,
                              _ e3: UnsafeMutablePointer<Float>) {
        var q = 0
        while q + 8 <= n {
            let v = UnsafeRawPointer(src + 4 * q).loadUnaligned(as: SIMD32<Float>.self)
            UnsafeMutableRawPointer(e0 + q).storeBytes(of: SIMD8(v[0], v[4], v[8], v[12], v[16], v[20], v[24], v[28]),
                                                       as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(e1 + q).storeBytes(of: SIMD8(v[1], v[5], v[9], v[13], v[17], v[21], v[25], v[29]),
                                                       as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(e2 + q).storeBytes(of: SIMD8(v[2], v[6], v[10], v[14], v[18], v[22], v[26], v[30]),
                                                       as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(e3 + q).storeBytes(of: SIMD8(v[3], v[7], v[11], v[15], v[19], v[23], v[27], v[31]),
                                                       as: SIMD8<Float>.self)
            q += 8
        }
        while q < n {
            e0[q] = src[4 * q]; e1[q] = src[4 * q + 1]; e2[q] = src[4 * q + 2]; e3[q] = src[4 * q + 3]
            q += 1
        }
    }

    /// row[4s + j] = y_j[s] for s in 0..<n: the inverse of `deinterleave4`, eight tiles per step.
    @inline(__always)
    static func interleave4(_ y0: UnsafePointer<Float>, _ y1: UnsafePointer<Float>, _ y2: UnsafePointer<Float>,
                            _ y3: UnsafePointer<Float>, count n: Int, into row: UnsafeMutablePointer<Float>) {
        var s = 0
        while s + 8 <= n {
            let a = UnsafeRawPointer(y0 + s).loadUnaligned(as: SIMD8<Float>.self)
            let b = UnsafeRawPointer(y1 + s).loadUnaligned(as: SIMD8<Float>.self)
            let c = UnsafeRawPointer(y2 + s).loadUnaligned(as: SIMD8<Float>.self)
            let d = UnsafeRawPointer(y3 + s).loadUnaligned(as: SIMD8<Float>.self)
            let v = SIMD32<Float>(a[0], b[0], c[0], d[0], a[1], b[1], c[1], d[1], a[2], b[2], c[2], d[2],
                                  a[3], b[3], c[3], d[3], a[4], b[4], c[4], d[4], a[5], b[5], c[5], d[5],
                                  a[6], b[6], c[6], d[6], a[7], b[7], c[7], d[7])
            UnsafeMutableRawPointer(row + 4 * s).storeBytes(of: v, as: SIMD32<Float>.self)
            s += 8
        }
        while s < n {
            row[4 * s] = y0[s]; row[4 * s + 1] = y1[s]; row[4 * s + 2] = y2[s]; row[4 * s + 3] = y3[s]
            s += 1
        }
    }

    /// Row scratch of the F(4×4) transforms, in floats: six transformed rows of padded width, a zero row and
    /// four phase streams (input); 24 rows of q and four output streams (output) fit in the same space.
    static func rowScratchF4(width w: Int) -> Int {
        let tilesW = (w + 3) / 4
        return max(7 * paddedWidthF4(w) + 4 * (tilesW + 1) + 6 * w, 28 * tilesW + 4 * paddedWidthF4(w))
    }

    /// Padded row: column 0 is image column −1, zeros up to the last tile's sixth column.
    static func paddedWidthF4(_ w: Int) -> Int { 4 * ((w + 3) / 4) + 4 }

    /// V for the band's tiles: Bᵀ down the columns (six image rows combined element-wise, contiguous over x),
    /// then B along each tile's row (stride 4).
    /// `only` restricts the work to those input channels (V's layout still spans all `ci`).
    static func inputTransformF4(x: UnsafePointer<Float>, channels ci: Int, height h: Int, width w: Int,
                                 tileRows: Range<Int>, v: UnsafeMutablePointer<Float>, tiles: Int,
                                 rows z: UnsafeMutablePointer<Float>, only: Range<Int>? = nil,
                                 pooled: FusedMaxPool? = nil) {
        let tilesW = (w + 3) / 4, wp = paddedWidthF4(w)
        let zero = z + 6 * wp
        zero.update(repeating: 0, count: wp)
        for k in 0..<6 {
            z[k * wp] = 0
            (z + k * wp + w + 1).update(repeating: 0, count: wp - w - 1)
        }
        let z0 = z + 1, z1 = z + wp + 1, z2 = z + 2 * wp + 1, z3 = z + 3 * wp + 1, z4 = z + 4 * wp + 1, z5 = z + 5 * wp + 1
        let phase = tilesW + 1
        let e0 = zero + wp, e1 = e0 + phase, e2 = e1 + phase, e3 = e2 + phase
        // With a fused pool, the six input rows are unpooled into these first.
        let unpooled = e3 + phase
        let ph = h / 2, pw = w / 2
        for c in only ?? 0..<ci {
            let plane = x + c * h * w
            for t in tileRows {
                // Input rows 4t−1 … 4t+4; rows outside the image read the zero row.
                func row(_ k: Int) -> UnsafePointer<Float> {
                    let r = 4 * t - 1 + k
                    guard r >= 0 && r < h else { return UnsafePointer(zero) }
                    guard let pool = pooled else { return plane + r * w }
                    let out = unpooled + k * w, at = (c * ph + min(r / 2, max(ph - 1, 0))) * pw
                    Pool2x2.unpoolRow(r, dy: pool.values + at, winners: pool.winners + at, pooledHeight: ph, width: w,
                                      into: out)
                    return UnsafePointer(out)
                }
                let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5)
                for j in 0..<w {
                    let (a, b, cc, d, e, f) = bt6(r0[j], r1[j], r2[j], r3[j], r4[j], r5[j])
                    z0[j] = a; z1[j] = b; z2[j] = cc; z3[j] = d; z4[j] = e; z5[j] = f
                }
                let base = (t - tileRows.lowerBound) * tilesW
                for k in 0..<6 {
                    // Deinterleave the row into four phase streams e_j[s] = z[4s + j], so tile s reads
                    // e0[s] e1[s] e2[s] e3[s] e0[s+1] e1[s+1] with contiguous (vectorizable) loads.
                    let src = z + k * wp
                    deinterleave4(src, count: tilesW + 1, e0, e1, e2, e3)
                    let stride = ci * tiles
                    let o0 = v + (6 * k * ci + c) * tiles + base
                    let o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride, o4 = o3 + stride, o5 = o4 + stride
                    for q in 0..<tilesW {
                        let (a, b, cc, d, e, f) = bt6(e0[q], e1[q], e2[q], e3[q], e0[q + 1], e1[q + 1])
                        o0[q] = a; o1[q] = b; o2[q] = cc; o3[q] = d; o4[q] = e; o5[q] = f
                    }
                }
            }
        }
    }

    /// y tile = Aᵀ M A + bias, then ReLU if asked, clipped to the image (`only`: just those output channels). Aᵀ combines the 36 ξ-rows of each
    /// tile element-wise over tiles (contiguous loads), A then combines columns within the tile. With `pool`, the
    /// 2×2 max pool of the result goes there (values and winners) instead of y.
    static func outputTransformF4(mm: UnsafeMutablePointer<Float>, channels co: Int, height h: Int, width w: Int,
                                  tileRows: Range<Int>, tiles: Int, bias: UnsafePointer<Float>?, relu: Bool,
                                  y: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>,
                                  only: Range<Int>? = nil, pool: FusedMaxPool? = nil) {
        let tilesW = (w + 3) / 4, wp = paddedWidthF4(w)
        let lowest: Float = relu ? 0 : -.infinity
        let stride = co * tiles
        // q[i][l] (24 streams over the band's tiles of one tile row), then four output rows of padded width.
        let q = rows, out = rows + 24 * tilesW
        let y0 = q + 24 * tilesW + 4 * wp   // four column streams of one output row
        let y1 = y0 + tilesW, y2 = y1 + tilesW, y3 = y2 + tilesW
        for o in only ?? 0..<co {
            let b = bias?[o] ?? 0
            let plane = y + o * h * w
            for t in tileRows {
                let m = mm + o * tiles + (t - tileRows.lowerBound) * tilesW
                // Aᵀ down the tile's columns: q[i][l][s] = Σ_k Aᵀ[i][k]·M[6k+l][s], contiguous over s.
                for l in 0..<6 {
                    let m0 = m + l * stride, m1 = m0 + 6 * stride, m2 = m1 + 6 * stride
                    let m3 = m2 + 6 * stride, m4 = m3 + 6 * stride, m5 = m4 + 6 * stride
                    let q0 = q + l * tilesW, q1 = q0 + 6 * tilesW, q2 = q1 + 6 * tilesW, q3 = q2 + 6 * tilesW
                    for s in 0..<tilesW {
                        let a1 = m1[s], a2 = m2[s], a3 = m3[s], a4 = m4[s]
                        q0[s] = m0[s] + a1 + a2 + a3 + a4
                        q1[s] = a1 - a2 + 2 * a3 + 0.5 * a4
                        q2[s] = a1 + a2 + 4 * a3 + 0.25 * a4
                        q3[s] = a1 - a2 + 8 * a3 + 0.125 * a4 + m5[s]
                    }
                }
                /// A along row i of q, bias and ReLU: the row's four column streams.
                func rowStreams(_ i: Int, _ z0: UnsafeMutablePointer<Float>, _ z1: UnsafeMutablePointer<Float>,
                                _ z2: UnsafeMutablePointer<Float>, _ z3: UnsafeMutablePointer<Float>) {
                    let r0 = q + 6 * i * tilesW, r1 = r0 + tilesW, r2 = r1 + tilesW
                    let r3 = r2 + tilesW, r4 = r3 + tilesW, r5 = r4 + tilesW
                    for s in 0..<tilesW {
                        let a1 = r1[s], a2 = r2[s], a3 = r3[s], a4 = r4[s]
                        z0[s] = max(r0[s] + a1 + a2 + a3 + a4 + b, lowest)
                        z1[s] = max(a1 - a2 + 2 * a3 + 0.5 * a4 + b, lowest)
                        z2[s] = max(a1 + a2 + 4 * a3 + 0.25 * a4 + b, lowest)
                        z3[s] = max(a1 - a2 + 8 * a3 + 0.125 * a4 + r5[s] + b, lowest)
                    }
                }
                guard let pool else {
                    // Interleave each row's streams into the row.
                    for i in 0..<4 where 4 * t + i < h {
                        rowStreams(i, y0, y1, y2, y3)
                        let row = out + i * wp
                        interleave4(y0, y1, y2, y3, count: tilesW, into: row)
                        (plane + (4 * t + i) * w).update(from: row, count: w)
                    }
                    continue
                }
                // Pooled rows 2t and 2t+1, each from two output rows: streams of the lower row, the pooled row
                // and its winners go to `out`.
                let v0 = out, v1 = v0 + tilesW, v2 = v1 + tilesW, v3 = v2 + tilesW
                let pooledRow = v3 + tilesW
                let winnerRow = UnsafeMutableRawPointer(pooledRow + 2 * tilesW).assumingMemoryBound(to: UInt8.self)
                let ph = h / 2, pw = w / 2
                for p in 0..<2 where 2 * t + p < ph {
                    rowStreams(2 * p, y0, y1, y2, y3)
                    rowStreams(2 * p + 1, v0, v1, v2, v3)
                    for s in 0..<tilesW {
                        (pooledRow[2 * s], winnerRow[2 * s]) = Pool2x2.firstMax(y0[s], y1[s], v0[s], v1[s])
                        (pooledRow[2 * s + 1], winnerRow[2 * s + 1]) = Pool2x2.firstMax(y2[s], y3[s], v2[s], v3[s])
                    }
                    let at = (o * ph + 2 * t + p) * pw
                    (pool.values + at).update(from: pooledRow, count: pw)
                    (pool.winners + at).update(from: winnerRow, count: pw)
                }
            }
        }
    }
}
