/// F(2×2, 3×3) band transforms (points 0, ±1, ∞): each 2×2 output tile from a 4×4 input tile as
///   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
/// summed over input channels, with
///        ⎡1  0 −1  0⎤        ⎡1    0    0 ⎤
///   Bᵀ = ⎢0  1  1  0⎥    G = ⎢½    ½    ½ ⎥    Aᵀ = ⎡1 1  1  0⎤
///        ⎢0 −1  1  0⎥        ⎢½   −½    ½ ⎥         ⎣0 1 −1 −1⎦
///        ⎣0  1  0 −1⎦        ⎣0    0    1 ⎦
/// The sum over channels of the element-wise products is, for each of the α² = 16 tile positions ξ,
/// one matrix product M_ξ (Cout × tiles) = U_ξ (Cout × Cin) · V_ξ (Cin × tiles): 16 SGEMMs with
/// 2.25× fewer multiplies than direct convolution (36 → 16 per output pair of a 2×2 tile).
///
/// For F(2,3), G·J = Π·G with Π swapping rows 0 and 3 (the points 0 and ∞ trade places, ±1 stay), so the
/// backward pass's U'[ξ] = U[π(ξ)]ᵀ with π permuting both of ξ's indices (`flippedPosition`). Its rounding error
/// is that of direct convolution; F(4×4)'s is about ten times larger.
///
/// The loop heads look like those of the generic `WinogradTransform.outputTransform`, but these are Lavin & Gray's
/// matrices, which `WinogradTransform.f2x2` reproduces only up to row scaling, so the two differ stage by stage; the
/// tests check this path end to end against direct convolution.
/// Layout and contracts are those of the generic transforms: V[ξ = 4k+l][c][tile], M[ξ][o][tile], y planar.
extension Winograd3x3 {
    /// F(2×2) row width: one zero column on the left, zeros up to the last tile's right edge.
    static func paddedWidth(_ w: Int) -> Int { ((w + 1) / 2) * 2 + 2 }

    /// Π of the comment above on one tile index: swaps rows (or columns) 0 and 3.
    static let flipIndex = [3, 1, 2, 0]

    /// π(ξ) for F(2×2): the tile position whose U, transposed, is the backward pass's U' at ξ.
    static func flippedPosition(_ xi: Int) -> Int { flipIndex[xi / 4] * 4 + flipIndex[xi % 4] }

    /// V[ξ = 4k+l][c][tile] = (Bᵀ d B)[k][l] for every 4×4 input tile d of the band, done separably:
    /// first Bᵀ down the columns (four image rows combined element-wise, contiguous over x), then B along
    /// each tile's row.
    static func inputTransform(x: UnsafePointer<Float>, channels ci: Int, height h: Int, width w: Int,
                               tileRows: Range<Int>, v: UnsafeMutablePointer<Float>, tiles: Int,
                               rows z: UnsafeMutablePointer<Float>, paddedWidth wp: Int) {
        let tilesW = (w + 1) / 2
        let zero = z + 4 * wp
        zero.update(repeating: 0, count: wp)
        // Padding columns of the transformed rows: column 0 is image column −1, columns w+1..<wp lie beyond.
        for k in 0..<4 {
            z[k * wp] = 0
            (z + k * wp + w + 1).update(repeating: 0, count: wp - w - 1)
        }
        let z0 = z + 1, z1 = z + wp + 1, z2 = z + 2 * wp + 1, z3 = z + 3 * wp + 1
        for c in 0..<ci {
            let plane = x + c * h * w
            for t in tileRows {
                // Input rows 2t−1 … 2t+2; rows outside the image read the zero row.
                func row(_ k: Int) -> UnsafePointer<Float> {
                    let r = 2 * t - 1 + k
                    return r >= 0 && r < h ? plane + r * w : UnsafePointer(zero)
                }
                let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3)
                // Bᵀ along y.
                for j in 0..<w {
                    let a = r0[j], b = r1[j], cc = r2[j], d = r3[j]
                    z0[j] = a - cc
                    z1[j] = b + cc
                    z2[j] = cc - b
                    z3[j] = b - d
                }
                // B along x: each tile reads padded columns 2s … 2s+3.
                let base = (t - tileRows.lowerBound) * tilesW
                for k in 0..<4 {
                    let src = z + k * wp
                    let o0 = v + ((4 * k + 0) * ci + c) * tiles + base
                    let o1 = v + ((4 * k + 1) * ci + c) * tiles + base
                    let o2 = v + ((4 * k + 2) * ci + c) * tiles + base
                    let o3 = v + ((4 * k + 3) * ci + c) * tiles + base
                    for s in 0..<tilesW {
                        let a = src[2 * s], b = src[2 * s + 1], cc = src[2 * s + 2], d = src[2 * s + 3]
                        o0[s] = a - cc
                        o1[s] = b + cc
                        o2[s] = cc - b
                        o3[s] = b - d
                    }
                }
            }
        }
    }

    /// y tile = Aᵀ M A + bias, then ReLU if asked, clipped to the image: Aᵀ combines the four ξ-rows
    /// element-wise over tiles (contiguous), then A combines columns within each tile.
    static func outputTransform(mm: UnsafeMutablePointer<Float>, channels co: Int, height h: Int, width w: Int,
                                tileRows: Range<Int>, tiles: Int, bias: UnsafePointer<Float>?, relu: Bool,
                                y: UnsafeMutablePointer<Float>, discard: UnsafeMutablePointer<Float>) {
        let tilesW = (w + 1) / 2
        let full = w / 2
        let lowest: Float = relu ? 0 : -.infinity
        for o in 0..<co {
            let b = bias?[o] ?? 0
            let plane = y + o * h * w
            for t in tileRows {
                let base = (t - tileRows.lowerBound) * tilesW
                @inline(__always) func p(_ xi: Int) -> UnsafeMutablePointer<Float> { mm + (xi * co + o) * tiles + base }
                let m00 = p(0), m01 = p(1), m02 = p(2), m03 = p(3)
                let m10 = p(4), m11 = p(5), m12 = p(6), m13 = p(7)
                let m20 = p(8), m21 = p(9), m22 = p(10), m23 = p(11)
                let m30 = p(12), m31 = p(13), m32 = p(14), m33 = p(15)
                let top = plane + 2 * t * w
                // A bottom row past the image (odd H) goes to the discard row.
                let bottom = 2 * t + 1 < h ? top + w : discard
                @inline(__always) func tile(_ s: Int) -> (Float, Float, Float, Float) {
                    // Aᵀ along y: rows 0+1+2 and 1−2−3, for each of the four columns.
                    let p00 = m00[s] + m10[s] + m20[s], p10 = m10[s] - m20[s] - m30[s]
                    let p01 = m01[s] + m11[s] + m21[s], p11 = m11[s] - m21[s] - m31[s]
                    let p02 = m02[s] + m12[s] + m22[s], p12 = m12[s] - m22[s] - m32[s]
                    let p03 = m03[s] + m13[s] + m23[s], p13 = m13[s] - m23[s] - m33[s]
                    // A along x, then bias and ReLU.
                    return (max(p00 + p01 + p02 + b, lowest), max(p01 - p02 - p03 + b, lowest),
                            max(p10 + p11 + p12 + b, lowest), max(p11 - p12 - p13 + b, lowest))
                }
                for s in 0..<full {
                    let (a, bb, c, d) = tile(s)
                    top[2 * s] = a
                    top[2 * s + 1] = bb
                    bottom[2 * s] = c
                    bottom[2 * s + 1] = d
                }
                if full < tilesW {
                    // Odd W: the last tile's right column lies outside the image.
                    let (a, _, c, _) = tile(full)
                    top[2 * full] = a
                    bottom[2 * full] = c
                }
            }
        }
    }
}
