import CBLAS
import Foundation

/// Winograd minimal-filtering convolution for the 3×3, stride-1, zero-padding-1 layers of VGG-19
/// (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural Networks", CVPR; arXiv:1509.09308).
///
/// F(2×2, 3×3) computes each 2×2 output tile from a 4×4 input tile (tiles overlap by 2) as
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
/// Backward to the input is the forward of the flipped, transposed kernel g'[c,o] = J g[o,c] J (J reverses
/// the three taps). For F(2,3), G·J = Π·G with Π swapping rows 0 and 3 (the points 0 and ∞ trade places,
/// ±1 stay), so the transform of g' is U'_ξ = Π U_ξ Πᵀ transposed over channels: U'[ξ] = U[π(ξ)]ᵀ with π
/// permuting both of ξ's indices. The backward pass therefore reuses U through `CblasTrans`, with no
/// second weight copy.
///
/// F(4×4, 3×3) (α = 6, 36 products per 4×4 tile, 4× fewer than direct) and F(6×6, 3×3) (α = 8, 64 per 6×6
/// tile, experimental) run through the same band and SGEMM machinery, built by `WinogradTransform` on points
/// chosen so that the same reuse of U holds (with a power-of-two SGEMM α per ξ) and written out in
/// `Winograd4x4.swift` and `Winograd6x6.swift`; their rounding errors are about 10× and 15× F(2×2)'s.
///
/// Work is split into bands of tile rows whose transformed tiles (V: α²·Cin·tiles, M: α²·Cout·tiles) fit in
/// a fixed budget, so no buffer grows with H (a band holds at least one tile row); the workers take every
/// other band (static assignment, bitwise deterministic for a given thread count) and run single-threaded BLAS.
public enum Winograd3x3 {
    /// Upper bound on one band's transformed tiles (V and M), in floats (default 32 MiB per worker;
    /// `NST_WINOGRAD_BUDGET` overrides, for tuning). A band holds at least one tile row, so very wide layers
    /// may exceed it. With F(2×2) at 512×512 (CPU s per iteration / peak RSS): 32 MiB 2.91 / 719 MiB,
    /// 16 MiB 2.95 / 686, 8 MiB 2.98 / 670, 4 MiB 3.19 / 668. With F(4×4), whose wide layers need more tiles
    /// per band to amortize streaming U, 8 → 16 MiB took the 512→512 layer at 64² from 0.088 to 0.071 CPU s
    /// and the 256→256 one at 128² from 0.107 to 0.087; 16 → 32 MiB a whole 512×512 L-BFGS step from 1.19 to
    /// 1.13 s at the same peak RSS (the peak lies elsewhere).
    public static let bandBudget: Int = {
        if let text = ProcessInfo.processInfo.environment["NST_WINOGRAD_BUDGET"], let n = Int(text), n >= 4096 { return n }
        return 1 << 23
    }()

    /// Tiles per band the SGEMMs aim for: each band streams all of U (α²·Cin·Cout floats), so wide layers
    /// need more columns to amortize it, while V and M (α²·(Cin+Cout) per tile) should stay near the caches.
    /// Measured on Zen 4: 128 tiles suit 64–128 channels, 256 or more suit 256–512. `NST_WINOGRAD_TILES` overrides.
    public static func targetTiles(inChannels cin: Int, outChannels cout: Int) -> Int {
        if let n = tilesOverride { return n }
        return max(128, (cin + cout) / 2)
    }

    static let tilesOverride: Int? = {
        if let text = ProcessInfo.processInfo.environment["NST_WINOGRAD_TILES"], let n = Int(text), n >= 1 { return n }
        return nil
    }()

    /// Tile rows per band: enough rows for `targetTiles` tiles, within the budget, and at least one band per
    /// worker when the image allows it (assignment is static, so smaller bands would not balance better).
    public static func bandTileRows(_ tile: WinogradTile, inChannels cin: Int, outChannels cout: Int,
                                    height h: Int, width w: Int) -> Int {
        let m = tile.rawValue, alpha = m + 2
        let tilesH = (h + m - 1) / m, tilesW = (w + m - 1) / m
        let perTileRow = alpha * alpha * (cin + cout) * tilesW
        let byBudget = max(1, bandBudget / max(1, perTileRow))
        let byBalance = max(1, (tilesH + Parallel.workers - 1) / Parallel.workers)
        let byTarget = (targetTiles(inChannels: cin, outChannels: cout) + tilesW - 1) / tilesW
        return min(tilesH, byTarget, byBudget, byBalance)
    }

    /// Floats of scratch each worker needs for a layer of this shape (channels as seen by the pass).
    public static func scratchPerWorker(_ tile: WinogradTile, inChannels cin: Int, outChannels cout: Int,
                                        height h: Int, width w: Int) -> Int {
        let m = tile.rawValue, alpha = m + 2
        let tiles = bandTileRows(tile, inChannels: cin, outChannels: cout, height: h, width: w) * ((w + m - 1) / m)
        return alpha * alpha * (cin + cout) * tiles + rowScratch(tile, width: w)
    }

    /// Per-worker row buffers of the tile transforms.
    static func rowScratch(_ tile: WinogradTile, width w: Int) -> Int {
        switch tile {
        case .f2x2: return (4 + 2) * paddedWidth(w)
        case .f4x4: return rowScratchF4(width: w)
        case .f6x6: return rowScratchF6(width: w)
        }
    }

    /// F(2×2) row width: one zero column on the left, zeros up to the last tile's right edge.
    static func paddedWidth(_ w: Int) -> Int { ((w + 1) / 2) * 2 + 2 }

    /// Π of the class comment on one tile index of F(2×2): swaps rows (or columns) 0 and 3.
    static let flipIndex = [3, 1, 2, 0]

    /// π(ξ) for F(2×2): the tile position whose U, transposed, is the backward pass's U' at ξ.
    static func flippedPosition(_ xi: Int) -> Int { flipIndex[xi / 4] * 4 + flipIndex[xi % 4] }

    /// Fast 3×3 convolution. transposed = false: y (Cout×H×W) = conv(x (Cin×H×W)) + bias, ReLU if asked,
    /// the contract of `Conv3x3.forward`. transposed = true: the backward to the input, y = dx (Cin×H×W)
    /// from x = dy (Cout×H×W), the contract of `Conv3x3.backwardInputReference` (bias and ReLU still apply
    /// if given). `scratch` holds `Parallel.workers` buffers, grown as needed to `scratchPerWorker`.
    ///
    /// `pool` fuses a 2×2 max pool (F(4×4) only): forward, the pass writes the pooled output and winners there
    /// (`Pool2x2.forwardMax`'s contract on the ReLU'd output) and not y; transposed, it reads dy through them
    /// (`Pool2x2.backwardMax`'s, ReLU below included) and not x. Either way the full-resolution map between the
    /// conv and the pool is never stored.
    public static func forward(x: UnsafePointer<Float>, height h: Int, width w: Int, weights: WinogradWeights,
                               transposed: Bool, bias: UnsafePointer<Float>?, relu: Bool,
                               y: UnsafeMutablePointer<Float>, scratch: ConvScratch, pool: FusedMaxPool? = nil) {
        guard h > 0, w > 0 else { return }   // an empty map (input too small for the layer): nothing to do
        precondition(pool == nil || weights.tile == .f4x4, "Winograd3x3: a fused max pool needs F(4×4)")
        let tile = weights.tile, transform = tile.transform
        let m = transform.m, alpha = transform.alpha, positions = alpha * alpha
        let ci = transposed ? weights.outChannels : weights.inChannels
        let co = transposed ? weights.inChannels : weights.outChannels
        let tilesH = (h + m - 1) / m, tilesW = (w + m - 1) / m
        if channelSplit(tile, inChannels: ci, outChannels: co, height: h, width: w) {
            return forwardChannelSplit(x: x, height: h, width: w, weights: weights, transposed: transposed, bias: bias,
                                       relu: relu, y: y, scratch: scratch, pool: pool)
        }
        let rows = bandTileRows(tile, inChannels: ci, outChannels: co, height: h, width: w)
        let bands = (tilesH + rows - 1) / rows
        let maxTiles = rows * tilesW
        scratch.reserve(scratchPerWorker(tile, inChannels: ci, outChannels: co, height: h, width: w))
        weights.withTransformed(scratch) { u in
            Parallel.forEach(bands) { band, worker in
                let t0 = band * rows, t1 = min(tilesH, t0 + rows)
                let tiles = (t1 - t0) * tilesW
                let v = scratch.buffer(worker)
                let mm = v + positions * ci * maxTiles
                let rowBuffer = mm + positions * co * maxTiles
                bandInputTransform(tile, x: x, channels: ci, height: h, width: w, tileRows: t0..<t1, v: v, tiles: tiles,
                                   rows: rowBuffer, pooled: transposed ? pool : nil)
                for xi in 0..<positions {
                    let mXi = mm + xi * co * tiles, vXi = v + xi * ci * tiles
                    if transposed {
                        // M'_ξ (Cin × tiles) = d·U_{π(ξ)}ᵀ (Cin × Cout) · V'_ξ (Cout × tiles); U_π(ξ) is stored Cout × Cin.
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(co), Int32(tiles), Int32(ci),
                                    transform.flippedScale(xi), u + transform.flippedPosition(xi) * ci * co, Int32(co),
                                    vXi, Int32(tiles), 0, mXi, Int32(tiles))
                    } else {
                        // M_ξ (Cout × tiles) = U_ξ (Cout × Cin) · V_ξ (Cin × tiles)
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(co), Int32(tiles), Int32(ci), 1,
                                    u + xi * co * ci, Int32(ci), vXi, Int32(tiles), 0, mXi, Int32(tiles))
                    }
                }
                bandOutputTransform(tile, mm: mm, channels: co, height: h, width: w, tileRows: t0..<t1, tiles: tiles,
                                    bias: bias, relu: relu, y: y, rows: rowBuffer, pool: transposed ? nil : pool)
            }
        }
    }

    /// Whether a layer runs as one band split over the workers by channels instead of as bands of tile rows:
    /// F(4×4) layers with few tiles and many channels (VGG-19's deep layers at small sizes), where every band
    /// would stream all of U (α²·Cin·Cout floats, 37 MB at 512 channels) for a few dozen tiles.
    static func channelSplit(_ tile: WinogradTile, inChannels ci: Int, outChannels co: Int, height h: Int, width w: Int) -> Bool {
        guard tile != .f2x2, Parallel.workers > 1, min(ci, co) >= 64 else { return false }
        let alpha = tile.rawValue + 2, tiles = tile.tileCount(height: h, width: w)
        return tiles <= 2 * targetTiles(inChannels: ci, outChannels: co) && alpha * alpha * max(ci, co) * tiles <= bandBudget
    }

    /// One band over the whole image: the workers transform disjoint input channels into a shared V, then each
    /// computes its share of the output channels (its rows of every M_ξ, so it reads only its rows of U) and
    /// transforms them into y. Same contract as `forward`.
    static func forwardChannelSplit(x: UnsafePointer<Float>, height h: Int, width w: Int, weights: WinogradWeights,
                                    transposed: Bool, bias: UnsafePointer<Float>?, relu: Bool,
                                    y: UnsafeMutablePointer<Float>, scratch: ConvScratch, pool: FusedMaxPool?) {
        let tile = weights.tile, transform = tile.transform, m = transform.m, positions = transform.alpha * transform.alpha
        let ci = transposed ? weights.outChannels : weights.inChannels
        let co = transposed ? weights.inChannels : weights.outChannels
        let tilesH = (h + m - 1) / m, tiles = tile.tileCount(height: h, width: w)
        let parts = Parallel.workers
        // Worker 0's buffer holds V, worker 1's M; each keeps its own transform rows after them.
        let shared = positions * max(ci, co) * tiles
        scratch.reserve(shared + rowScratch(tile, width: w))
        let v = scratch.buffer(0), mm = scratch.buffer(1)
        weights.withTransformed(scratch) { u in
            Parallel.forEach(parts) { part, worker in
                bandInputTransform(tile, x: x, channels: ci, height: h, width: w, tileRows: 0..<tilesH, v: v, tiles: tiles,
                                   rows: scratch.buffer(worker) + shared, only: Parallel.chunk(part, of: parts, count: ci),
                                   pooled: transposed ? pool : nil)
            }
            Parallel.forEach(parts) { part, worker in
                let outputs = Parallel.chunk(part, of: parts, count: co)
                guard !outputs.isEmpty else { return }
                for xi in 0..<positions {
                    let mXi = mm + xi * co * tiles + outputs.lowerBound * tiles, vXi = v + xi * ci * tiles
                    if transposed {
                        // Rows r of U_π(ξ)ᵀ are columns r of U_π(ξ) (stored Cout × Cin of the weights).
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(outputs.count), Int32(tiles), Int32(ci),
                                    transform.flippedScale(xi), u + transform.flippedPosition(xi) * ci * co + outputs.lowerBound,
                                    Int32(co), vXi, Int32(tiles), 0, mXi, Int32(tiles))
                    } else {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outputs.count), Int32(tiles), Int32(ci), 1,
                                    u + xi * co * ci + outputs.lowerBound * ci, Int32(ci), vXi, Int32(tiles), 0, mXi, Int32(tiles))
                    }
                }
                bandOutputTransform(tile, mm: mm, channels: co, height: h, width: w, tileRows: 0..<tilesH, tiles: tiles,
                                    bias: bias, relu: relu, y: y, rows: scratch.buffer(worker) + shared, only: outputs,
                                    pool: transposed ? nil : pool)
            }
        }
    }

    /// V for the band's tiles with `tile`'s written-out transform (`only`: just those input channels; F(2×2)
    /// always does all).
    static func bandInputTransform(_ tile: WinogradTile, x: UnsafePointer<Float>, channels ci: Int, height h: Int,
                                   width w: Int, tileRows: Range<Int>, v: UnsafeMutablePointer<Float>, tiles: Int,
                                   rows: UnsafeMutablePointer<Float>, only: Range<Int>? = nil,
                                   pooled: FusedMaxPool? = nil) {
        switch tile {
        case .f2x2:
            inputTransform(x: x, channels: ci, height: h, width: w, tileRows: tileRows, v: v, tiles: tiles, rows: rows,
                           paddedWidth: paddedWidth(w))
        case .f4x4:
            inputTransformF4(x: x, channels: ci, height: h, width: w, tileRows: tileRows, v: v, tiles: tiles, rows: rows,
                             only: only, pooled: pooled)
        case .f6x6:
            inputTransformF6(x: x, channels: ci, height: h, width: w, tileRows: tileRows, v: v, tiles: tiles, rows: rows,
                             only: only)
        }
    }

    /// y from the band's M with `tile`'s written-out transform (`only`: just those output channels; F(2×2) always
    /// does all).
    static func bandOutputTransform(_ tile: WinogradTile, mm: UnsafeMutablePointer<Float>, channels co: Int, height h: Int,
                                    width w: Int, tileRows: Range<Int>, tiles: Int, bias: UnsafePointer<Float>?,
                                    relu: Bool, y: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>,
                                    only: Range<Int>? = nil, pool: FusedMaxPool? = nil) {
        switch tile {
        case .f2x2:
            outputTransform(mm: mm, channels: co, height: h, width: w, tileRows: tileRows, tiles: tiles, bias: bias,
                            relu: relu, y: y, discard: rows + 5 * paddedWidth(w))
        case .f4x4:
            outputTransformF4(mm: mm, channels: co, height: h, width: w, tileRows: tileRows, tiles: tiles, bias: bias,
                              relu: relu, y: y, rows: rows, only: only, pool: pool)
        case .f6x6:
            outputTransformF6(mm: mm, channels: co, height: h, width: w, tileRows: tileRows, tiles: tiles, bias: bias,
                              relu: relu, y: y, rows: rows, only: only)
        }
    }

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

/// A 2×2 max pool fused into a `Winograd3x3` pass over an H×W map: the pooled values (C × ⌊H/2⌋ × ⌊W/2⌋; the
/// output of the forward, the gradient dy read by the transposed pass) and each window's winner byte as
/// `Pool2x2.forwardMax` records it (position 0–3 in row-major order, bit 4 set if the winner is positive).
public struct FusedMaxPool {
    /// Pooled values, C × ⌊H/2⌋ × ⌊W/2⌋.
    public let values: UnsafeMutablePointer<Float>
    /// Winner bytes, one per pooled value.
    public let winners: UnsafeMutablePointer<UInt8>

    /// A fused pool over these buffers.
    public init(values: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<UInt8>) {
        self.values = values
        self.winners = winners
    }
}

/// Errors building Winograd weights.
public enum WinogradError: Error, CustomStringConvertible, Equatable {
    /// The weight array does not hold Cout·Cin·9 values.
    case weightCount(expected: Int, got: Int, outChannels: Int, inChannels: Int)

    public var description: String {
        switch self {
        case let .weightCount(expected, got, cout, cin):
            return "Winograd weights: expected \(expected) values for a \(cout)×\(cin)×3×3 kernel (OIHW), got \(got); "
                + "pass the layer's weight array and its channel counts"
        }
    }
}

/// Which Winograd algorithm a layer uses: its output tile side m.
public enum WinogradTile: Int, Sendable, CaseIterable, Codable {
    /// F(2×2, 3×3): 16 products per 2×2 tile, 2.25× fewer than direct convolution; error as direct.
    case f2x2 = 2
    /// F(4×4, 3×3): 36 products per 4×4 tile, 4× fewer; larger rounding error (see `WinogradTransform`).
    case f4x4 = 4
    /// F(6×6, 3×3): 64 products per 6×6 tile, 5.06× fewer; about ten times F(4×4)'s rounding error.
    case f6x6 = 6

    /// Tiles covering an h×w map (partial tiles at the bottom and right edges count).
    func tileCount(height h: Int, width w: Int) -> Int { ((h + rawValue - 1) / rawValue) * ((w + rawValue - 1) / rawValue) }

    var transform: WinogradTransform {
        switch self {
        case .f2x2: return .f2x2
        case .f4x4: return .f4x4
        case .f6x6: return .f6x6
        }
    }
}

/// A 3×3 layer's weights for `Winograd3x3`: U[ξ][o][c] = (G g[o,c] Gᵀ)[ξ] for the α² tile positions ξ
/// (row-major over the α×α tile), either transformed once and kept, or transformed on every pass into shared
/// scratch. Serves both the forward and the backward-to-input pass.
///
/// U holds α²/9 times the weights' floats (4× for F(4×4): 207 MB for VGG-19 up to conv5_1). Transforming per
/// pass is one SGEMM, U (α² × Cout·Cin) = T (α² × 9) · gᵀ (9 × Cout·Cin), with T[(a,b)][(i,j)] = G[a][i]·G[b][j]:
/// it writes U once per pass, which is cheap against a pass over a large image but not a small one.
public struct WinogradWeights: Sendable {
    /// The algorithm these weights were transformed for.
    public let tile: WinogradTile
    /// Output channels of the layer (Cout).
    public let outChannels: Int
    /// Input channels of the layer (Cin).
    public let inChannels: Int
    /// U, α² × Cout × Cin; empty when U is transformed per pass.
    public let transformed: [Float]
    /// The OIHW weights, kept (shared, not copied) when U is transformed per pass; else empty.
    let weight: [Float]

    /// Transforms `weight` (Cout×Cin×3×3, OIHW as `Conv3x3` takes it) for `tile`; `perPass` keeps only `weight`
    /// and transforms it into the pass's scratch each time instead.
    public init(weight: [Float], outChannels cout: Int, inChannels cin: Int, tile: WinogradTile = .f2x2,
                perPass: Bool = false) throws {
        guard cout > 0, cin > 0, weight.count == cout * cin * 9 else {
            throw WinogradError.weightCount(expected: max(0, cout * cin * 9), got: weight.count,
                                            outChannels: cout, inChannels: cin)
        }
        self.tile = tile
        outChannels = cout
        inChannels = cin
        self.weight = perPass ? weight : []
        transformed = perPass ? [] : tile.transform.transformWeights(weight, outChannels: cout, inChannels: cin)
    }

    /// Whether a layer of this shape and map size should transform U per pass rather than keep it. Every layer
    /// trades memory for time at the same rate (the transform writes U once, about 5 ms per 37.7 MB on Zen 4), but
    /// the transform's share of the pass falls with the map's tile count: measured at 512×512 with F(4×4),
    /// conv4_2 (U 37.7 MB, 256 tiles) went from 36 to 41 ms per pass, 15 %; the same layer at 256×256 (64 tiles)
    /// would pay 50 %. So U is transformed per pass when it is large (≥ 16 MiB, VGG-19's 512-channel layers) and
    /// the map has at least 128 tiles, or when it is medium (≥ 4 MiB, the 256-channel layers) and the map has at
    /// least 1024 tiles (a few per cent). At 512×512 that keeps U only for conv1_2, block 2 and conv5_1 and saves
    /// about 160 MiB of peak RSS for 5 % of a step; at 256×256 and below every U is kept.
    public static func transformsPerPass(_ tile: WinogradTile, outChannels cout: Int, inChannels cin: Int,
                                         height h: Int, width w: Int) -> Bool {
        let alpha = tile.rawValue + 2, tiles = tile.tileCount(height: h, width: w)
        let bytes = alpha * alpha * cout * cin * MemoryLayout<Float>.stride
        return (bytes >= 16 << 20 && tiles >= 128) || (bytes >= 4 << 20 && tiles >= 1024)
    }

    /// Whether U is transformed on every pass.
    public var perPass: Bool { transformed.isEmpty }

    /// Floats of U.
    public var transformedCount: Int { tile.transform.alpha * tile.transform.alpha * outChannels * inChannels }

    /// Calls `body` with U: the kept copy, or one transformed now into `scratch`'s shared buffer, split over the
    /// workers by output channel.
    func withTransformed(_ scratch: ConvScratch, _ body: (UnsafePointer<Float>) -> Void) {
        if !perPass {
            transformed.withUnsafeBufferPointer { body($0.baseAddress!) }
            return
        }
        let u = scratch.shared(transformedCount)
        let positions = Int32(tile.transform.alpha * tile.transform.alpha)
        let cout = outChannels, cin = inChannels
        tile.transform.weightMatrix.withUnsafeBufferPointer { t in
            weight.withUnsafeBufferPointer { g in
                Parallel.forEach(Parallel.workers) { part, _ in
                    let outputs = Parallel.chunk(part, of: Parallel.workers, count: cout)
                    guard !outputs.isEmpty else { return }
                    // U[ξ][o][c] for o in `outputs` = T (α² × 9) · g[o,c][k]ᵀ, g read as (o,c) rows of 9 taps.
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, positions, Int32(outputs.count * cin), 9, 1,
                                t.baseAddress!, 9, g.baseAddress! + outputs.lowerBound * cin * 9, 9, 0,
                                u + outputs.lowerBound * cin, Int32(cout * cin))
                }
            }
        }
        body(UnsafePointer(u))
    }
}
