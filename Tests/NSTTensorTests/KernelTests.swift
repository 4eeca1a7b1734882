import Testing
@testable import NSTTensor

/// Random values in [-1, 1), seeded.
func randomArray(_ n: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<n).map { _ in rng.nextUnitFloat() * 2 - 1 }
}

func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    let scale = max(b.map(abs).max() ?? 0, 1e-6)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

struct ConvShape: CustomTestStringConvertible, Sendable {
    var cin: Int, cout: Int, h: Int, w: Int
    var testDescription: String { "\(cin)→\(cout) @ \(h)×\(w)" }
}

let convShapes = [ConvShape(cin: 3, cout: 8, h: 9, w: 7), ConvShape(cin: 5, cout: 4, h: 1, w: 6),
                  ConvShape(cin: 4, cout: 3, h: 6, w: 1), ConvShape(cin: 2, cout: 2, h: 1, w: 1),
                  ConvShape(cin: 16, cout: 24, h: 33, w: 17)]

func fastConv(_ x: [Float], _ s: ConvShape, _ weight: [Float], _ bias: [Float]?, relu: Bool) -> [Float] {
    var y = [Float](repeating: .nan, count: s.cout * s.h * s.w)
    let scratch = ConvScratch()
    y.withUnsafeMutableBufferPointer { yp in
        Conv3x3.forward(x: x, inChannels: s.cin, height: s.h, width: s.w, weight: weight, bias: bias,
                        outChannels: s.cout, relu: relu, y: yp.baseAddress!, scratch: scratch)
    }
    return y
}

func referenceConv(_ x: [Float], _ s: ConvShape, _ weight: [Float], _ bias: [Float]?, relu: Bool) -> [Float] {
    var y = [Float](repeating: .nan, count: s.cout * s.h * s.w)
    y.withUnsafeMutableBufferPointer { yp in
        Conv3x3.forwardReference(x: x, inChannels: s.cin, height: s.h, width: s.w, weight: weight, bias: bias,
                                 outChannels: s.cout, relu: relu, y: yp.baseAddress!)
    }
    return y
}

@Suite struct Conv3x3Tests {
    @Test(arguments: convShapes)
    func fastForwardMatchesReference(_ s: ConvShape) {
        let x = randomArray(s.cin * s.h * s.w, seed: 1)
        let w = randomArray(s.cout * s.cin * 9, seed: 2)
        let b = randomArray(s.cout, seed: 3)
        for relu in [false, true] {
            let fast = fastConv(x, s, w, b, relu: relu)
            let ref = referenceConv(x, s, w, b, relu: relu)
            #expect(maxRelativeError(fast, ref) < 1e-5)
            if relu { #expect(fast.allSatisfy { $0 >= 0 }) }
        }
    }

    @Test(arguments: convShapes)
    func backwardThroughFlippedWeightsMatchesReference(_ s: ConvShape) {
        let dy = randomArray(s.cout * s.h * s.w, seed: 4)
        let w = randomArray(s.cout * s.cin * 9, seed: 5)
        var ref = [Float](repeating: 0, count: s.cin * s.h * s.w)
        ref.withUnsafeMutableBufferPointer {
            Conv3x3.backwardInputReference(dy: dy, outChannels: s.cout, height: s.h, width: s.w, weight: w,
                                           inChannels: s.cin, dx: $0.baseAddress!)
        }
        let flipped = Conv3x3.flippedTransposed(w, outChannels: s.cout, inChannels: s.cin)
        let fast = fastConv(dy, ConvShape(cin: s.cout, cout: s.cin, h: s.h, w: s.w), flipped, nil, relu: false)
        #expect(maxRelativeError(fast, ref) < 1e-5)
    }

    @Test(arguments: convShapes)
    func col2imBackwardMatchesReference(_ s: ConvShape) {
        let dy = randomArray(s.cout * s.h * s.w, seed: 14)
        let w = randomArray(s.cout * s.cin * 9, seed: 15)
        var ref = [Float](repeating: 0, count: s.cin * s.h * s.w), fast = ref
        ref.withUnsafeMutableBufferPointer {
            Conv3x3.backwardInputReference(dy: dy, outChannels: s.cout, height: s.h, width: s.w, weight: w,
                                           inChannels: s.cin, dx: $0.baseAddress!)
        }
        fast.withUnsafeMutableBufferPointer {
            Conv3x3.backwardInputCol2im(dy: dy, outChannels: s.cout, height: s.h, width: s.w, weight: w,
                                        inChannels: s.cin, dx: $0.baseAddress!, scratch: ConvScratch())
        }
        #expect(maxRelativeError(fast, ref) < 1e-5)
    }

    /// L(x) = Σ r·conv(x): dL/dx must equal backward(r); checked by central differences in Double.
    @Test func backwardMatchesFiniteDifferences() {
        let s = ConvShape(cin: 3, cout: 4, h: 5, w: 6)
        let x = randomArray(s.cin * s.h * s.w, seed: 6)
        let w = randomArray(s.cout * s.cin * 9, seed: 7)
        let r = randomArray(s.cout * s.h * s.w, seed: 8)
        var grad = [Float](repeating: 0, count: x.count)
        grad.withUnsafeMutableBufferPointer {
            Conv3x3.backwardInputReference(dy: r, outChannels: s.cout, height: s.h, width: s.w, weight: w,
                                           inChannels: s.cin, dx: $0.baseAddress!)
        }
        func loss(_ x: [Float]) -> Double {
            zip(referenceConv(x, s, w, nil, relu: false), r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let eps: Float = 1e-2
        for i in stride(from: 0, to: x.count, by: 7) {
            var xp = x, xm = x
            xp[i] += eps; xm[i] -= eps
            let fd = (loss(xp) - loss(xm)) / Double(2 * eps)
            #expect(abs(fd - Double(grad[i])) < 1e-3 * max(1, abs(fd)), "x[\(i)]: fd \(fd) vs \(grad[i])")
        }
    }

    @Test func scratchIsReusedForSmallerLayers() {
        let scratch = ConvScratch()
        scratch.reserve(1000)
        let before = scratch.bytes
        scratch.reserve(10)
        #expect(scratch.bytes == before)
    }

    @Test func bandsStayWithinBudgetForLargeImages() {
        // A 2048-wide layer with 64 input channels must not need an H·W·C·9 buffer.
        let floats = Conv3x3.scratchPerWorker(inChannels: 64, height: 2048, width: 2048)
        #expect(floats <= Conv3x3.bandBudget)
        #expect(floats < 64 * 9 * 2048 * 2048 / 100)
    }
}

@Suite struct PoolAndReLUTests {
    /// Max pooling with recorded winners routes dy exactly as the reference backward that reads x followed by
    /// the ReLU backward, including ties (inputs rounded to a few levels), non-positive windows and odd sizes
    /// whose last row and column get no gradient.
    @Test(arguments: [(3, 8, 6), (2, 7, 5), (1, 1, 3), (4, 33, 17)])
    func maxPoolWinnersMatchReference(_ shape: (Int, Int, Int)) {
        let (c, h, w) = shape
        let x = randomArray(c * h * w, seed: 31).map { ($0 * 3).rounded() }   // many ties
        let dy = randomArray(c * (h / 2) * (w / 2), seed: 32)
        var y1 = [Float](repeating: .nan, count: dy.count), y2 = y1
        var winners = [UInt8](repeating: 9, count: dy.count)
        var d1 = [Float](repeating: .nan, count: x.count), d2 = d1
        y1.withUnsafeMutableBufferPointer { yp in
            winners.withUnsafeMutableBufferPointer {
                Pool2x2.forwardMax(x: x, channels: c, height: h, width: w, y: yp.baseAddress!, argmax: $0.baseAddress!)
            }
        }
        y2.withUnsafeMutableBufferPointer { Pool2x2.forwardReference(.max, x: x, channels: c, height: h, width: w, y: $0.baseAddress!) }
        d1.withUnsafeMutableBufferPointer { dx in
            winners.withUnsafeBufferPointer {
                Pool2x2.backwardMax(argmax: $0.baseAddress!, dy: dy, channels: c, height: h, width: w, dx: dx.baseAddress!)
            }
        }
        d2.withUnsafeMutableBufferPointer { Pool2x2.backwardReference(.max, x: x, dy: dy, channels: c, height: h, width: w, dx: $0.baseAddress!) }
        // backwardMax includes the ReLU backward at x (VGG pools ReLU outputs).
        d2.withUnsafeMutableBufferPointer { ReLU.backward(y: x, gradient: $0.baseAddress!, count: x.count) }
        #expect(y1 == y2)
        #expect(winners.allSatisfy { $0 < 8 })
        #expect(d1 == d2)
    }

    /// The packed ReLU signs give the same backward as reading the activations, across word boundaries.
    @Test(arguments: [1, 63, 64, 65, 1000, 70_001])
    func packedReluMaskMatchesActivations(_ n: Int) {
        var y = randomArray(n, seed: 33)
        if n > 3 { y[1] = 0; y[2] = -0.0 }   // zero counts as inactive (subgradient 0)
        let g = randomArray(n, seed: 34)
        var bits = [UInt64](repeating: .max, count: ReLU.maskWords(n))
        bits.withUnsafeMutableBufferPointer { ReLU.packMask(y: y, count: n, bits: $0.baseAddress!) }
        var fromBits = g, fromFloats = g
        fromBits.withUnsafeMutableBufferPointer { gp in
            bits.withUnsafeBufferPointer { ReLU.backward(mask: $0.baseAddress!, gradient: gp.baseAddress!, count: n) }
        }
        fromFloats.withUnsafeMutableBufferPointer { ReLU.backward(y: y, gradient: $0.baseAddress!, count: n) }
        #expect(fromBits == fromFloats)
        if n > 3 { #expect(fromBits.contains(0) && fromBits.contains { $0 != 0 }) }
    }

    @Test(arguments: [Pool2x2.Kind.max, .average], [(3, 8, 6), (2, 7, 5), (1, 1, 3)])
    func fastPoolMatchesReference(_ kind: Pool2x2.Kind, _ shape: (Int, Int, Int)) {
        let (c, h, w) = shape
        let x = randomArray(c * h * w, seed: 9)
        let dy = randomArray(c * (h / 2) * (w / 2), seed: 10)
        var y1 = [Float](repeating: 0, count: dy.count), y2 = y1
        var d1 = [Float](repeating: .nan, count: x.count), d2 = d1
        y1.withUnsafeMutableBufferPointer { Pool2x2.forward(kind, x: x, channels: c, height: h, width: w, y: $0.baseAddress!) }
        y2.withUnsafeMutableBufferPointer { Pool2x2.forwardReference(kind, x: x, channels: c, height: h, width: w, y: $0.baseAddress!) }
        d1.withUnsafeMutableBufferPointer { Pool2x2.backward(kind, x: x, dy: dy, channels: c, height: h, width: w, dx: $0.baseAddress!) }
        d2.withUnsafeMutableBufferPointer { Pool2x2.backwardReference(kind, x: x, dy: dy, channels: c, height: h, width: w, dx: $0.baseAddress!) }
        #expect(y1 == y2)
        #expect(d1 == d2)
    }

    @Test(arguments: [Pool2x2.Kind.max, .average])
    func poolBackwardMatchesFiniteDifferences(_ kind: Pool2x2.Kind) {
        let (c, h, w) = (2, 6, 5)
        let x = randomArray(c * h * w, seed: 11)
        let r = randomArray(c * 3 * 2, seed: 12)
        var grad = [Float](repeating: 0, count: x.count)
        grad.withUnsafeMutableBufferPointer {
            Pool2x2.backward(kind, x: x, dy: r, channels: c, height: h, width: w, dx: $0.baseAddress!)
        }
        func loss(_ x: [Float]) -> Double {
            var y = [Float](repeating: 0, count: r.count)
            y.withUnsafeMutableBufferPointer { Pool2x2.forwardReference(kind, x: x, channels: c, height: h, width: w, y: $0.baseAddress!) }
            return zip(y, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let eps: Float = 1e-3
        for i in 0..<x.count {
            var xp = x, xm = x
            xp[i] += eps; xm[i] -= eps
            let fd = (loss(xp) - loss(xm)) / Double(2 * eps)
            #expect(abs(fd - Double(grad[i])) < 1e-3, "x[\(i)]: fd \(fd) vs \(grad[i])")
        }
    }

    @Test func reluBackwardMasksByOutputSign() {
        var x = randomArray(101, seed: 13)
        let original = x
        x.withUnsafeMutableBufferPointer { ReLU.forward($0.baseAddress!, count: 101) }
        #expect(x == original.map { max($0, 0) })
        var g = [Float](repeating: 1, count: 101)
        g.withUnsafeMutableBufferPointer { ReLU.backward(y: x, gradient: $0.baseAddress!, count: 101) }
        #expect(g == original.map { $0 > 0 ? 1 : 0 })
    }
}

@Suite struct ParallelTests {
    @Test func everyTaskRunsExactlyOnce() {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 37)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        Parallel.forEach(37) { task, _ in counts[task] += 1 }
        #expect(counts.allSatisfy { $0 == 1 })
    }

    @Test func chunksCoverTheRange() {
        let ranges = (0..<3).map { Parallel.chunk($0, of: 3, count: 10) }
        #expect(ranges.map(\.count).reduce(0, +) == 10)
        #expect(ranges[0].lowerBound == 0 && ranges[2].upperBound == 10)
    }

    @Test func randomGeneratorIsSeeded() {
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42), c = SplitMix64(seed: 43)
        let xa = (0..<5).map { _ in a.next() }
        #expect(xa == (0..<5).map { _ in b.next() })
        #expect(xa != (0..<5).map { _ in c.next() })
    }
}

@Suite struct FewColumnProductTests {
    /// (rows, dimension, columns): tails of the 8-lane body (d mod 8 ≠ 0, d < 8), one row, enough rows to split over
    /// the workers, and the palette's 9 columns.
    @Test(arguments: [(5, 3, 1), (1, 8, 2), (700, 770, 5), (513, 37, 9), (300, 16, 4)])
    func matchesReference(_ shape: (Int, Int, Int)) {
        let (n, d, k) = shape
        let x = randomArray(n * d, seed: 1), c = randomArray(k * d, seed: 2)
        var fast = [Float](repeating: .nan, count: n * k), reference = fast
        FewColumnProduct.forward(x: x, rows: n, dimension: d, c: c, columns: k, alpha: -2, y: &fast)
        FewColumnProduct.forwardReference(x: x, rows: n, dimension: d, c: c, columns: k, alpha: -2, y: &reference)
        #expect(maxRelativeError(fast, reference) < 1e-5)
    }

    @Test func rowsDoNotDependOnTheirBlock() {
        // The same rows computed alone and inside a larger product (a different block split) give the same bits.
        let n = 1000, d = 99, k = 3
        let x = randomArray(n * d, seed: 3), c = randomArray(k * d, seed: 4)
        var all = [Float](repeating: 0, count: n * k), head = [Float](repeating: 0, count: 10 * k)
        FewColumnProduct.forward(x: x, rows: n, dimension: d, c: c, columns: k, alpha: 1, y: &all)
        x.withUnsafeBufferPointer { p in
            FewColumnProduct.forward(x: p.baseAddress! + 600 * d, rows: 10, dimension: d, c: c, columns: k, alpha: 1, y: &head)
        }
        #expect(Array(all[(600 * k)..<(610 * k)]) == head)
    }
}
