import CBLAS

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

    /// Tiles covering an h×w map (partial tiles at the bottom and right edges count).
    func tileCount(height h: Int, width w: Int) -> Int { ((h + rawValue - 1) / rawValue) * ((w + rawValue - 1) / rawValue) }

    var transform: WinogradTransform {
        switch self {
        case .f2x2: return .f2x2
        case .f4x4: return .f4x4
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
