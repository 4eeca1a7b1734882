import CBLAS

/// Winograd minimal-filtering convolution for the 3×3, stride-1, zero-padding-1 layers of VGG-19
/// (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural Networks", CVPR; arXiv:1509.09308): the driver
/// every tile size runs through.
///
/// F(m×m, 3×3) computes each m×m output tile from an α×α input tile (α = m + 2, tiles overlap by 2) as
///   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
/// summed over input channels. The sum over channels of the element-wise products is, for each of the α² tile
/// positions ξ, one matrix product M_ξ (Cout × tiles) = U_ξ (Cout × Cin) · V_ξ (Cin × tiles): α² SGEMMs between
/// the input transform (V) and the output transform (Y from M), which each tile size writes out in its own file:
/// F(2×2) in `Winograd2x2.swift` (with its matrices) and F(4×4) in `Winograd4x4.swift`. There is no F(6×6): with 21 %
/// fewer products than F(4×4) it runs slower on every VGG-19 shape here (`bench --kernels --size 256` on Zen 4 with
/// OpenBLAS 0.3.21: 64→64 at 256² 0.032 against 0.028 CPU s forward, 512→512 at 32² 0.031 against 0.024; a whole
/// 512×512 forward and backward 1.9 CPU s either way) at 1.5 times the error: its SGEMMs are no faster per product at
/// these shapes, and its eight-row transforms need more live pointers than x86-64 has registers.
///
/// Backward to the input is the forward of the flipped, transposed kernel g'[c,o] = J g[o,c] J (J reverses
/// the three taps). On interpolation points closed under p ↦ 1/p (with 0 ↔ ∞), G·J = Π·D·G for a permutation Π
/// and a diagonal D of powers of two, so U'[ξ] = d_ξ·U[π(ξ)]ᵀ (`WinogradTransform`): the backward pass reuses U
/// through `CblasTrans`, with no second weight copy.
///
/// Work is split into bands of tile rows whose transformed tiles (V: α²·Cin·tiles, M: α²·Cout·tiles) fit in
/// a fixed budget, so no buffer grows with H (a band holds at least one tile row); the workers take every
/// other band (static assignment, bitwise deterministic for a given thread count) and run single-threaded BLAS.
public enum Winograd3x3 {
    /// Upper bound on one band's transformed tiles (V and M), in floats: 32 MiB per worker. A band holds at least
    /// one tile row, so very wide layers may exceed it. With F(2×2) at 512×512 (CPU s per iteration / peak RSS): 32 MiB 2.91 / 719 MiB,
    /// 16 MiB 2.95 / 686, 8 MiB 2.98 / 670, 4 MiB 3.19 / 668. With F(4×4), whose wide layers need more tiles
    /// per band to amortize streaming U, 8 → 16 MiB took the 512→512 layer at 64² from 0.088 to 0.071 CPU s
    /// and the 256→256 one at 128² from 0.107 to 0.087; 16 → 32 MiB a whole 512×512 L-BFGS step from 1.19 to
    /// 1.13 s at the same peak RSS (the peak lies elsewhere).
    public static let bandBudget = 1 << 23

    /// Tiles per band the SGEMMs aim for: each band streams all of U (α²·Cin·Cout floats), so wide layers
    /// need more columns to amortize it, while V and M (α²·(Cin+Cout) per tile) should stay near the caches.
    /// Measured on Zen 4: 128 tiles suit 64–128 channels, 256 or more suit 256–512.
    public static func targetTiles(inChannels cin: Int, outChannels cout: Int) -> Int {
        max(128, (cin + cout) / 2)
    }

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
        }
    }


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
