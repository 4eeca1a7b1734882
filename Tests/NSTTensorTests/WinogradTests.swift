import Testing
import Foundation
@testable import NSTTensor

/// Shapes covering partial edge tiles (odd H or W), single rows and columns, and channel counts on both
/// sides of BLAS's blocking.
let winogradShapes = [ConvShape(cin: 3, cout: 8, h: 9, w: 7), ConvShape(cin: 5, cout: 4, h: 1, w: 6),
                      ConvShape(cin: 4, cout: 3, h: 6, w: 1), ConvShape(cin: 2, cout: 2, h: 1, w: 1),
                      ConvShape(cin: 1, cout: 1, h: 2, w: 2), ConvShape(cin: 3, cout: 2, h: 3, w: 3),
                      ConvShape(cin: 2, cout: 5, h: 2, w: 3), ConvShape(cin: 16, cout: 24, h: 33, w: 17),
                      ConvShape(cin: 64, cout: 32, h: 20, w: 21), ConvShape(cin: 7, cout: 130, h: 5, w: 11),
                      ConvShape(cin: 130, cout: 9, h: 12, w: 4),
                      // Few tiles and ≥ 64 channels: F(4×4) runs it split over the workers by channels.
                      ConvShape(cin: 64, cout: 72, h: 9, w: 13), ConvShape(cin: 96, cout: 64, h: 4, w: 4)]

func winogradWeights(_ w: [Float], _ s: ConvShape, _ tile: WinogradTile = .f2x2) throws -> WinogradWeights {
    try WinogradWeights(weight: w, outChannels: s.cout, inChannels: s.cin, tile: tile)
}

/// Relative error allowed against the direct reference, for unit-scale data: F(4×4)'s transforms have
/// entries up to 8 and cancel more, so its rounding error is larger.
func tolerance(_ tile: WinogradTile) -> Float {
    switch tile {
    case .f2x2: return 1e-5
    case .f4x4: return 1e-4
    }
}

/// Runs the Winograd kernel; NaN-filled output shows any position it fails to write.
func winogradConv(_ x: [Float], height h: Int, width w: Int, _ weights: WinogradWeights, transposed: Bool,
                  bias: [Float]?, relu: Bool, scratch: ConvScratch = ConvScratch()) -> [Float] {
    let outChannels = transposed ? weights.inChannels : weights.outChannels
    var y = [Float](repeating: .nan, count: outChannels * h * w)
    y.withUnsafeMutableBufferPointer { yp in
        Winograd3x3.forward(x: x, height: h, width: w, weights: weights, transposed: transposed, bias: bias,
                            relu: relu, y: yp.baseAddress!, scratch: scratch)
    }
    return y
}

func referenceBackward(_ dy: [Float], _ s: ConvShape, _ w: [Float]) -> [Float] {
    var dx = [Float](repeating: 0, count: s.cin * s.h * s.w)
    dx.withUnsafeMutableBufferPointer {
        Conv3x3.backwardInputReference(dy: dy, outChannels: s.cout, height: s.h, width: s.w, weight: w,
                                       inChannels: s.cin, dx: $0.baseAddress!)
    }
    return dx
}

@Suite struct WinogradTests {
    @Test(arguments: WinogradTile.allCases, winogradShapes)
    func forwardMatchesReference(_ tile: WinogradTile, _ s: ConvShape) throws {
        let x = randomArray(s.cin * s.h * s.w, seed: 21)
        let w = randomArray(s.cout * s.cin * 9, seed: 22)
        let b = randomArray(s.cout, seed: 23)
        let weights = try winogradWeights(w, s, tile)
        for (bias, relu) in [(nil, false), (b, false), (b, true)] as [([Float]?, Bool)] {
            let fast = winogradConv(x, height: s.h, width: s.w, weights, transposed: false, bias: bias, relu: relu)
            let ref = referenceConv(x, s, w, bias, relu: relu)
            #expect(maxRelativeError(fast, ref) < tolerance(tile), "bias \(bias != nil), relu \(relu)")
            if relu { #expect(fast.allSatisfy { $0 >= 0 }) }
        }
    }

    @Test(arguments: WinogradTile.allCases, winogradShapes)
    func transposedMatchesBackwardReference(_ tile: WinogradTile, _ s: ConvShape) throws {
        let dy = randomArray(s.cout * s.h * s.w, seed: 24)
        let w = randomArray(s.cout * s.cin * 9, seed: 25)
        let fast = winogradConv(dy, height: s.h, width: s.w, try winogradWeights(w, s, tile), transposed: true,
                                bias: nil, relu: false)
        #expect(maxRelativeError(fast, referenceBackward(dy, s, w)) < tolerance(tile))
    }

    /// G·J = Π·G, so transforming the flipped, transposed kernel gives U'[ξ] = U[π(ξ)]ᵀ. With inputs of
    /// 24 significant bits the Double transform is exact, so the two agree to the last bit.
    @Test func flippedKernelTransformIsPermutedTranspose() throws {
        let s = ConvShape(cin: 5, cout: 3, h: 1, w: 1)
        let w = randomArray(s.cout * s.cin * 9, seed: 26)
        let u = try winogradWeights(w, s).transformed
        let flipped = try WinogradWeights(weight: Conv3x3.flippedTransposed(w, outChannels: s.cout, inChannels: s.cin),
                                          outChannels: s.cin, inChannels: s.cout).transformed
        for xi in 0..<16 {
            let p = Winograd3x3.flippedPosition(xi)
            for c in 0..<s.cin {
                for o in 0..<s.cout {
                    #expect(flipped[(xi * s.cin + c) * s.cout + o] == u[(p * s.cout + o) * s.cin + c], "ξ \(xi), c \(c), o \(o)")
                }
            }
        }
        // π is an involution that moves exactly the positions touching rows or columns 0 and 3.
        #expect((0..<16).allSatisfy { Winograd3x3.flippedPosition(Winograd3x3.flippedPosition($0)) == $0 })
        #expect((0..<16).filter { Winograd3x3.flippedPosition($0) == $0 } == [5, 6, 9, 10])
    }

    /// The Toom–Cook construction on 0, ±1, ∞ reproduces Lavin & Gray's F(2×2) matrices, which the
    /// hand-written F(2×2) transforms hard-code, up to the sign of the ∞ row of Bᵀ and column of Aᵀ
    /// (the two signs cancel in the product), and with G exactly the same, so U serves both.
    @Test func generatedF2MatricesAreLavinGrays() {
        let t = WinogradTransform.f2x2
        #expect(t.bt == [1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, -1, 0, 1])
        #expect(t.g == [1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1])
        #expect(t.at == [1, 1, 1, 0, 0, 1, -1, 1])
        #expect(t.flip == Winograd3x3.flipIndex && t.flipScale == [1, 1, 1, 1])
    }

    /// F(4×4) on 0, ±1, 2, ½, ∞: reversing the taps swaps 0 ↔ ∞ and 2 ↔ ½ with power-of-two scales, and
    /// the flipped kernel's transform is d_a·d_b·U[π(ξ)]ᵀ, exactly (G has binary entries only).
    @Test func f4FlippedKernelTransformIsScaledPermutedTranspose() throws {
        let t = WinogradTransform.f4x4
        #expect(t.flip == [5, 1, 2, 4, 3, 0])
        #expect(t.flipScale.allSatisfy { $0 != 0 && exp2(log2(abs($0)).rounded()) == abs($0) })
        let s = ConvShape(cin: 4, cout: 3, h: 1, w: 1)
        let w = randomArray(s.cout * s.cin * 9, seed: 34)
        let u = try winogradWeights(w, s, .f4x4).transformed
        let flipped = try WinogradWeights(weight: Conv3x3.flippedTransposed(w, outChannels: s.cout, inChannels: s.cin),
                                          outChannels: s.cin, inChannels: s.cout, tile: .f4x4).transformed
        for xi in 0..<36 {
            let p = t.flippedPosition(xi), d = t.flippedScale(xi)
            for c in 0..<s.cin {
                for o in 0..<s.cout {
                    #expect(flipped[(xi * s.cin + c) * s.cout + o] == d * u[(p * s.cout + o) * s.cin + c], "ξ \(xi)")
                }
            }
        }
    }

    /// Weights transformed per pass (one SGEMM into shared scratch) give the kept-U results up to rounding, in
    /// the banded and the channel-split paths, forward and backward, and reuse one scratch across layers.
    @Test(arguments: WinogradTile.allCases, winogradShapes)
    func perPassWeightsMatchKeptOnes(_ tile: WinogradTile, _ s: ConvShape) throws {
        let x = randomArray(s.cin * s.h * s.w, seed: 31)
        let dy = randomArray(s.cout * s.h * s.w, seed: 32)
        let w = randomArray(s.cout * s.cin * 9, seed: 33)
        let b = randomArray(s.cout, seed: 34)
        let kept = try winogradWeights(w, s, tile)
        let perPass = try WinogradWeights(weight: w, outChannels: s.cout, inChannels: s.cin, tile: tile, perPass: true)
        #expect(perPass.perPass && !kept.perPass && perPass.transformed.isEmpty)
        let scratch = ConvScratch()
        // A larger layer first, so the shared buffer holds stale values of another shape.
        let big = try WinogradWeights(weight: randomArray(40 * 30 * 9, seed: 35), outChannels: 40, inChannels: 30,
                                      tile: tile, perPass: true)
        _ = winogradConv(randomArray(30 * 8 * 8, seed: 36), height: 8, width: 8, big, transposed: false, bias: nil,
                         relu: false, scratch: scratch)
        let forward = winogradConv(x, height: s.h, width: s.w, perPass, transposed: false, bias: b, relu: true, scratch: scratch)
        #expect(maxRelativeError(forward, winogradConv(x, height: s.h, width: s.w, kept, transposed: false, bias: b,
                                                       relu: true)) < 1e-5)
        let backward = winogradConv(dy, height: s.h, width: s.w, perPass, transposed: true, bias: nil, relu: false, scratch: scratch)
        #expect(maxRelativeError(backward, referenceBackward(dy, s, w)) < tolerance(tile))
        #expect(scratch.bytes >= 40 * 30 * tile.transform.alpha * tile.transform.alpha * 4)
    }

    /// The per-pass policy at VGG-19's F(4×4) layer shapes: kept at 256×256 and below, per pass for the
    /// 256- and 512-channel layers at 512×512 except conv5_1 (64 tiles), every layer from 256 channels up at 2048.
    @Test func perPassPolicyFollowsTileCountAndSize() {
        func perPass(_ cin: Int, _ cout: Int, _ side: Int) -> Bool {
            WinogradWeights.transformsPerPass(.f4x4, outChannels: cout, inChannels: cin, height: side, width: side)
        }
        // 512×512 input: conv1_2 at 512², conv2_2 at 256², conv3_2 at 128², conv4_1/4_2 at 64², conv5_1 at 32².
        #expect(!perPass(64, 64, 512) && !perPass(128, 128, 256))
        #expect(perPass(256, 256, 128) && perPass(128, 256, 128) && perPass(256, 512, 64) && perPass(512, 512, 64))
        #expect(!perPass(512, 512, 32))
        // 256×256 input: every layer keeps U.
        #expect(!perPass(256, 256, 64) && !perPass(512, 512, 32) && !perPass(512, 512, 16))
        // 2048×2048: conv5_1 at 128² as well.
        #expect(perPass(512, 512, 128) && perPass(256, 256, 512) && !perPass(64, 64, 2048))
    }

    /// One F(4×4) pass with a fused max pool over `values` and `winners` (ReLU on in the forward).
    func fusedPass(_ x: [Float], _ s: ConvShape, _ weights: WinogradWeights, transposed: Bool, bias: [Float]?,
                   values: inout [Float], winners: inout [UInt8], y: inout [Float]) {
        values.withUnsafeMutableBufferPointer { p in
            winners.withUnsafeMutableBufferPointer { k in
                y.withUnsafeMutableBufferPointer { yp in
                    Winograd3x3.forward(x: x, height: s.h, width: s.w, weights: weights, transposed: transposed, bias: bias,
                                        relu: !transposed, y: yp.baseAddress!, scratch: ConvScratch(),
                                        pool: FusedMaxPool(values: p.baseAddress!, winners: k.baseAddress!))
                }
            }
        }
    }

    /// The max pool fused into F(4×4) gives bitwise what the separate kernels give: forward, the pooled ReLU
    /// output and winners of `Pool2x2.forwardMax`; transposed, the pass on `Pool2x2.backwardMax`'s dy. Odd sizes
    /// (a last row or column outside every window), banded and channel-split layers.
    @Test(arguments: [ConvShape(cin: 3, cout: 8, h: 9, w: 7), ConvShape(cin: 16, cout: 24, h: 33, w: 17),
                      ConvShape(cin: 5, cout: 4, h: 2, w: 6), ConvShape(cin: 64, cout: 72, h: 9, w: 13),
                      ConvShape(cin: 96, cout: 64, h: 12, w: 12), ConvShape(cin: 4, cout: 6, h: 1, w: 5)])
    func fusedMaxPoolMatchesSeparateKernels(_ s: ConvShape) throws {
        let x = randomArray(s.cin * s.h * s.w, seed: 51)
        let w = randomArray(s.cout * s.cin * 9, seed: 52)
        let b = randomArray(s.cout, seed: 53)
        let weights = try winogradWeights(w, s, .f4x4)
        let ph = s.h / 2, pw = s.w / 2, pooledCount = s.cout * ph * pw
        // Separate: conv + ReLU, then max pool with winners.
        let y = winogradConv(x, height: s.h, width: s.w, weights, transposed: false, bias: b, relu: true)
        var pooled = [Float](repeating: .nan, count: pooledCount), winners = [UInt8](repeating: 9, count: pooledCount)
        pooled.withUnsafeMutableBufferPointer { p in
            winners.withUnsafeMutableBufferPointer {
                Pool2x2.forwardMax(x: y, channels: s.cout, height: s.h, width: s.w, y: p.baseAddress!, argmax: $0.baseAddress!)
            }
        }
        // Fused.
        var fusedPooled = [Float](repeating: .nan, count: pooledCount), fusedWinners = [UInt8](repeating: 9, count: pooledCount)
        var untouched = [Float](repeating: .nan, count: s.cout * s.h * s.w)
        fusedPass(x, s, weights, transposed: false, bias: b, values: &fusedPooled, winners: &fusedWinners, y: &untouched)
        #expect(fusedPooled == pooled && fusedWinners == winners)
        #expect(untouched.allSatisfy { $0.isNaN }, "the full-resolution output is never written")

        // Backward: dy through the winners, then the transposed conv.
        var g = randomArray(pooledCount, seed: 54)
        var dy = [Float](repeating: .nan, count: s.cout * s.h * s.w)
        dy.withUnsafeMutableBufferPointer { d in
            winners.withUnsafeBufferPointer {
                Pool2x2.backwardMax(argmax: $0.baseAddress!, dy: g, channels: s.cout, height: s.h, width: s.w, dx: d.baseAddress!)
            }
        }
        let separate = winogradConv(dy, height: s.h, width: s.w, weights, transposed: true, bias: nil, relu: false)
        var fused = [Float](repeating: .nan, count: s.cin * s.h * s.w)
        let garbage = [Float](repeating: .nan, count: s.cout * s.h * s.w)
        fusedPass(garbage, s, weights, transposed: true, bias: nil, values: &g, winners: &winners, y: &fused)
        #expect(fused == separate, "x is not read when the pool is fused")
    }

    @Test func fewTileWideLayersTakeTheChannelSplit() {
        #expect(Winograd3x3.channelSplit(.f4x4, inChannels: 64, outChannels: 72, height: 9, width: 13) == (Parallel.workers > 1))
        #expect(!Winograd3x3.channelSplit(.f2x2, inChannels: 64, outChannels: 72, height: 9, width: 13))
        #expect(!Winograd3x3.channelSplit(.f4x4, inChannels: 64, outChannels: 64, height: 512, width: 512))
    }

    /// The written-out F(4×4) transforms against the generic Toom–Cook ones they replace, on partial
    /// tiles (H, W not multiples of m) and a band that starts below the first tile row.
    @Test(arguments: [WinogradTile.f4x4], [(9, 11), (4, 4), (1, 6), (13, 1), (14, 19)])
    func specializedTransformsMatchGeneric(_ tile: WinogradTile, _ shape: (Int, Int)) {
        let (h, w) = shape
        let t = tile.transform, m = t.m, positions = t.alpha * t.alpha
        let ci = 5, co = 3, tilesH = (h + m - 1) / m, tilesW = (w + m - 1) / m
        let band = (tilesH > 1 ? 1 : 0)..<tilesH
        let tiles = band.count * tilesW
        let x = randomArray(ci * h * w, seed: 41)
        var fast = [Float](repeating: .nan, count: positions * ci * tiles), slow = fast
        var rows = [Float](repeating: 0, count: max(t.rowScratch(width: w), Winograd3x3.rowScratch(tile, width: w)))
        rows.withUnsafeMutableBufferPointer { r in
            fast.withUnsafeMutableBufferPointer {
                Winograd3x3.bandInputTransform(tile, x: x, channels: ci, height: h, width: w, tileRows: band,
                                               v: $0.baseAddress!, tiles: tiles, rows: r.baseAddress!)
            }
            slow.withUnsafeMutableBufferPointer {
                t.inputTransform(x: x, channels: ci, height: h, width: w, tileRows: band, v: $0.baseAddress!,
                                 tiles: tiles, rows: r.baseAddress!)
            }
        }
        #expect(maxRelativeError(fast, slow) < 1e-6)

        var mm = randomArray(positions * co * tiles, seed: 42)
        let bias = randomArray(co, seed: 43)
        for relu in [false, true] {
            var yFast = [Float](repeating: .nan, count: co * h * w), ySlow = yFast
            rows.withUnsafeMutableBufferPointer { r in
                mm.withUnsafeMutableBufferPointer { m in
                    bias.withUnsafeBufferPointer { b in
                        yFast.withUnsafeMutableBufferPointer {
                            Winograd3x3.bandOutputTransform(tile, mm: m.baseAddress!, channels: co, height: h, width: w,
                                                            tileRows: band, tiles: tiles, bias: b.baseAddress!, relu: relu,
                                                            y: $0.baseAddress!, rows: r.baseAddress!)
                        }
                        ySlow.withUnsafeMutableBufferPointer {
                            t.outputTransform(mm: m.baseAddress!, channels: co, height: h, width: w, tileRows: band,
                                              tiles: tiles, bias: b.baseAddress!, relu: relu, y: $0.baseAddress!,
                                              rows: r.baseAddress!)
                        }
                    }
                }
            }
            // Rows of the band are written by both (NaN elsewhere in both), and agree.
            let written = (0..<(co * h * w)).filter { !ySlow[$0].isNaN }
            #expect(!written.isEmpty && written.allSatisfy { !yFast[$0].isNaN })
            #expect(maxRelativeError(written.map { yFast[$0] }, written.map { ySlow[$0] }) < 1e-6, "relu \(relu)")
        }
    }

    /// L(x) = Σ r·conv(x) is linear, so dL/dx = transposed(r); central differences in Double on the fast
    /// forward check that the two passes are adjoint.
    @Test(arguments: WinogradTile.allCases)
    func transposedMatchesFiniteDifferences(_ tile: WinogradTile) throws {
        let s = ConvShape(cin: 3, cout: 4, h: 5, w: 7)
        let x = randomArray(s.cin * s.h * s.w, seed: 27)
        let w = try winogradWeights(randomArray(s.cout * s.cin * 9, seed: 28), s, tile)
        let r = randomArray(s.cout * s.h * s.w, seed: 29)
        let grad = winogradConv(r, height: s.h, width: s.w, w, transposed: true, bias: nil, relu: false)
        func loss(_ x: [Float]) -> Double {
            zip(winogradConv(x, height: s.h, width: s.w, w, transposed: false, bias: nil, relu: false), r)
                .reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        // L is linear, so a large step has no truncation error and keeps rounding noise small.
        let eps: Float = 0.25
        for i in stride(from: 0, to: x.count, by: 5) {
            var xp = x, xm = x
            xp[i] += eps; xm[i] -= eps
            let fd = (loss(xp) - loss(xm)) / Double(2 * eps)
            #expect(abs(fd - Double(grad[i])) < 1e-3 * max(1, abs(fd)), "x[\(i)]: fd \(fd) vs \(grad[i])")
        }
    }

    @Test(arguments: WinogradTile.allCases)
    func repeatedRunsAreBitwiseEqual(_ tile: WinogradTile) throws {
        let s = ConvShape(cin: 24, cout: 40, h: 67, w: 45)
        let x = randomArray(s.cin * s.h * s.w, seed: 30)
        let w = try winogradWeights(randomArray(s.cout * s.cin * 9, seed: 31), s, tile)
        let b = randomArray(s.cout, seed: 32)
        let scratch = ConvScratch()
        let first = winogradConv(x, height: s.h, width: s.w, w, transposed: false, bias: b, relu: true, scratch: scratch)
        let second = winogradConv(x, height: s.h, width: s.w, w, transposed: false, bias: b, relu: true, scratch: scratch)
        #expect(first == second)
        let dy = randomArray(s.cout * s.h * s.w, seed: 33)
        #expect(winogradConv(dy, height: s.h, width: s.w, w, transposed: true, bias: nil, relu: false)
                == winogradConv(dy, height: s.h, width: s.w, w, transposed: true, bias: nil, relu: false, scratch: scratch))
    }

    @Test(arguments: WinogradTile.allCases)
    func scratchStaysBoundedForLargeImages(_ tile: WinogradTile) {
        // A 2048×2048 layer with 64 channels in and out holds one band's tiles, never the whole layer's,
        // and taller images need no more.
        let floats = Winograd3x3.scratchPerWorker(tile, inChannels: 64, outChannels: 64, height: 2048, width: 2048)
        #expect(floats < 64 * 2048 * 2048 / 8)
        #expect(floats == Winograd3x3.scratchPerWorker(tile, inChannels: 64, outChannels: 64, height: 8192, width: 2048))
        let narrow = Winograd3x3.scratchPerWorker(tile, inChannels: 64, outChannels: 64, height: 2048, width: 256)
        #expect(narrow <= Winograd3x3.bandBudget + Winograd3x3.rowScratch(tile, width: 256))
    }

    @Test func wrongWeightCountIsRejected() {
        #expect(throws: WinogradError.weightCount(expected: 36, got: 35, outChannels: 2, inChannels: 2)) {
            try WinogradWeights(weight: [Float](repeating: 0, count: 35), outChannels: 2, inChannels: 2)
        }
        do {
            _ = try WinogradWeights(weight: [], outChannels: 4, inChannels: 3)
            Issue.record("an empty weight array was accepted")
        } catch {
            #expect(String(describing: error).contains("4×3×3×3"))
        }
    }
}
