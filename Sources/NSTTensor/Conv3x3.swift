import CBLAS
import Foundation

/// 3×3 convolution, stride 1, zero padding 1: the only convolution VGG-19 has.
///
/// Forward (cross-correlation, as Caffe, Keras and PyTorch define it):
///   y[o, i, j] = b[o] + Σ_c Σ_{u,v∈0..2} W[o, c, u, v] · x[c, i+u−1, j+v−1]
/// Backward to the input is the same operation with the weights transposed and flipped:
///   dx[c, i, j] = Σ_o Σ_{u,v} W[o, c, 2−u, 2−v] · dy[o, i+u−1, j+v−1]
/// so one fast kernel (`forward`) serves both directions; `flippedTransposed` makes the second weight set.
///
/// The fast kernel is im2col + SGEMM done in bands of output rows: each band's column matrix
/// (Cin·9 × rows·W) is bounded by `Conv3x3.bandBudget` floats, so no buffer grows as H·W·C·9, and bands
/// are independent, so the two cores each take every other band with single-threaded BLAS.
public enum Conv3x3 {
    /// Upper bound on one band's im2col buffer, in floats: 8 MiB. Budgets of 2, 8 and 32 MiB gave 1.41, 1.28–1.41 and
    /// 1.29 CPU s for a 256×256 forward and backward of the whole network on im2col (`nst-exp bench --size 256
    /// --set conv_kernel=im2col`; Zen 4, OpenBLAS 0.3.21, 2 threads, under load): none measurably faster, and 8 MiB
    /// keeps the scratch small. With the Winograd kernels it bounds only conv1_1's bands.
    public static let bandBudget = 1 << 21

    // MARK: forward (reference)

    /// Naive reference. x: Cin×H×W, weight: Cout×Cin×3×3, bias: Cout (or nil), y: Cout×H×W.
    public static func forwardReference(x: UnsafePointer<Float>, inChannels cin: Int, height h: Int, width w: Int,
                                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                        outChannels cout: Int, relu: Bool, y: UnsafeMutablePointer<Float>) {
        for o in 0..<cout {
            for i in 0..<h {
                for j in 0..<w {
                    var acc: Float = bias?[o] ?? 0
                    for c in 0..<cin {
                        for u in 0..<3 {
                            let si = i + u - 1
                            if si < 0 || si >= h { continue }
                            for v in 0..<3 {
                                let sj = j + v - 1
                                if sj < 0 || sj >= w { continue }
                                acc += weight[((o * cin + c) * 3 + u) * 3 + v] * x[(c * h + si) * w + sj]
                            }
                        }
                    }
                    y[(o * h + i) * w + j] = relu ? max(acc, 0) : acc
                }
            }
        }
    }

    // MARK: backward to the input (reference)

    /// Naive reference, scattering each dy back through the forward definition.
    /// dy: Cout×H×W, weight: Cout×Cin×3×3 (the forward weights), dx: Cin×H×W (overwritten).
    public static func backwardInputReference(dy: UnsafePointer<Float>, outChannels cout: Int, height h: Int, width w: Int,
                                              weight: UnsafePointer<Float>, inChannels cin: Int,
                                              dx: UnsafeMutablePointer<Float>) {
        dx.update(repeating: 0, count: cin * h * w)
        for o in 0..<cout {
            for i in 0..<h {
                for j in 0..<w {
                    let g = dy[(o * h + i) * w + j]
                    for c in 0..<cin {
                        for u in 0..<3 {
                            let si = i + u - 1
                            if si < 0 || si >= h { continue }
                            for v in 0..<3 {
                                let sj = j + v - 1
                                if sj < 0 || sj >= w { continue }
                                dx[(c * h + si) * w + sj] += weight[((o * cin + c) * 3 + u) * 3 + v] * g
                            }
                        }
                    }
                }
            }
        }
    }

    /// W'[c, o, u, v] = W[o, c, 2−u, 2−v]: the weights that turn `forward` into the backward-to-input pass.
    public static func flippedTransposed(_ weight: [Float], outChannels cout: Int, inChannels cin: Int) -> [Float] {
        var out = [Float](repeating: 0, count: weight.count)
        for o in 0..<cout {
            for c in 0..<cin {
                for u in 0..<3 {
                    for v in 0..<3 {
                        out[((c * cout + o) * 3 + u) * 3 + v] = weight[((o * cin + c) * 3 + (2 - u)) * 3 + (2 - v)]
                    }
                }
            }
        }
        return out
    }

    // MARK: fast path (im2col bands + SGEMM)

    /// Rows per band for a layer: within the im2col budget, and at least two bands per worker when possible.
    @inlinable
    public static func bandRows(inChannels cin: Int, height h: Int, width w: Int) -> Int {
        let byBudget = max(1, bandBudget / max(1, cin * 9 * w))
        let byBalance = max(1, (h + 2 * Parallel.workers - 1) / (2 * Parallel.workers))
        return min(h, byBudget, byBalance)
    }

    /// Floats of scratch each worker needs for a layer of this shape.
    public static func scratchPerWorker(inChannels cin: Int, height h: Int, width w: Int) -> Int {
        cin * 9 * bandRows(inChannels: cin, height: h, width: w) * w
    }

    /// Fast forward: same contract as `forwardReference`, with `scratch` holding `Parallel.workers` buffers of
    /// at least `scratchPerWorker` floats each (see `ConvScratch`).
    public static func forward(x: UnsafePointer<Float>, inChannels cin: Int, height h: Int, width w: Int,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               outChannels cout: Int, relu: Bool, y: UnsafeMutablePointer<Float>,
                               scratch: ConvScratch) {
        guard h > 0, w > 0 else { return }   // an empty map (input too small for the layer): nothing to do
        let rows = bandRows(inChannels: cin, height: h, width: w)
        let bands = (h + rows - 1) / rows
        let k = cin * 9
        let plane = h * w
        scratch.reserve(k * rows * w)
        Parallel.forEach(bands) { band, worker in
            let y0 = band * rows
            let y1 = min(h, y0 + rows)
            let n = (y1 - y0) * w
            let col = scratch.buffer(worker)
            im2col(x: x, inChannels: cin, height: h, width: w, rows: y0..<y1, col: col)
            // y[:, y0..<y1, :] (Cout × n, row stride H·W) = W (Cout × Cin·9) · col (Cin·9 × n)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(cout), Int32(n), Int32(k),
                        1, weight, Int32(k), col, Int32(n), 0, y + y0 * w, Int32(plane))
            biasActivate(y: y + y0 * w, outChannels: cout, count: n, stride: plane, bias: bias, relu: relu)
        }
    }

    /// Fast backward to the input for layers with few input channels (conv1_1: Cin = 3), where the
    /// flipped-weights GEMM would have only Cin rows: instead, per band, dcol = Wᵀ·dy (Cin·9 × n, a GEMM
    /// with K = Cout) followed by col2im. Bands overlap by one row at each edge, so even bands run in
    /// parallel first, then odd ones (three phases if a band is a single row); the accumulation order is
    /// fixed, so results stay deterministic. Same contract as `backwardInputReference`.
    public static func backwardInputCol2im(dy: UnsafePointer<Float>, outChannels cout: Int, height h: Int, width w: Int,
                                           weight: UnsafePointer<Float>, inChannels cin: Int,
                                           dx: UnsafeMutablePointer<Float>, scratch: ConvScratch) {
        guard h > 0, w > 0 else { return }
        let k = cin * 9
        let byBudget = max(1, bandBudget / max(1, k * w))
        let rows = min(h, byBudget, max(2, (h + 2 * Parallel.workers - 1) / (2 * Parallel.workers)))
        let bands = (h + rows - 1) / rows
        let phases = rows >= 2 ? 2 : 3
        scratch.reserve(k * rows * w)
        dx.update(repeating: 0, count: cin * h * w)
        for phase in 0..<phases {
            let mine = stride(from: phase, to: bands, by: phases).map { $0 }
            Parallel.forEach(mine.count) { t, worker in
                let y0 = mine[t] * rows
                let y1 = min(h, y0 + rows)
                let n = (y1 - y0) * w
                let col = scratch.buffer(worker)
                // dcol (Cin·9 × n) = Wᵀ (Cin·9 × Cout) · dy[:, y0..<y1, :] (Cout × n)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(n), Int32(cout),
                            1, weight, Int32(k), dy + y0 * w, Int32(h * w), 0, col, Int32(n))
                col2im(col: col, inChannels: cin, height: h, width: w, rows: y0..<y1, dx: dx)
            }
        }
    }

    /// dx[c, i+u−1, j+v−1] += col[(c·3+u)·3+v, (i−y0)·W + j]: the adjoint of `im2col`, whose loop nest it repeats on
    /// purpose (the same index map, read instead of written), so the two can be checked against each other line by line.
    static func col2im(col: UnsafePointer<Float>, inChannels cin: Int, height h: Int, width w: Int,
                       rows: Range<Int>, dx: UnsafeMutablePointer<Float>) {
        let n = rows.count * w
        for c in 0..<cin {
            for u in 0..<3 {
                for v in 0..<3 {
                    let src = col + ((c * 3 + u) * 3 + v) * n
                    for i in rows {
                        let si = i + u - 1
                        if si < 0 || si >= h { continue }
                        let row = src + (i - rows.lowerBound) * w
                        let dst = dx + (c * h + si) * w
                        switch v {
                        case 0: for j in 0..<(w - 1) { dst[j] += row[j + 1] }
                        case 1: for j in 0..<w { dst[j] += row[j] }
                        default: for j in 1..<max(1, w) { dst[j] += row[j - 1] }
                        }
                    }
                }
            }
        }
    }

    /// col[(c·3+u)·3+v, (i−y0)·W + j] = x[c, i+u−1, j+v−1] (zero outside), for i in `rows`.
    static func im2col(x: UnsafePointer<Float>, inChannels cin: Int, height h: Int, width w: Int,
                       rows: Range<Int>, col: UnsafeMutablePointer<Float>) {
        let n = rows.count * w
        for c in 0..<cin {
            for u in 0..<3 {
                for v in 0..<3 {
                    let dst = col + ((c * 3 + u) * 3 + v) * n
                    for i in rows {
                        let row = dst + (i - rows.lowerBound) * w
                        let si = i + u - 1
                        if si < 0 || si >= h {
                            row.update(repeating: 0, count: w)
                            continue
                        }
                        let src = x + (c * h + si) * w
                        switch v {
                        case 0:
                            row[0] = 0
                            (row + 1).update(from: src, count: w - 1)
                        case 1:
                            row.update(from: src, count: w)
                        default:
                            row.update(from: src + 1, count: w - 1)
                            row[w - 1] = 0
                        }
                    }
                }
            }
        }
    }

    /// y[o, p] = relu?(y[o, p] + b[o]) over one band (`count` positions per channel, channel stride `stride`).
    static func biasActivate(y: UnsafeMutablePointer<Float>, outChannels cout: Int, count n: Int, stride: Int,
                             bias: UnsafePointer<Float>?, relu: Bool) {
        if bias == nil && !relu { return }
        for o in 0..<cout {
            let p = y + o * stride
            let b = bias?[o] ?? 0
            if relu {
                for i in 0..<n { p[i] = max(p[i] + b, 0) }
            } else {
                for i in 0..<n { p[i] += b }
            }
        }
    }
}

/// Per-worker scratch buffers for the banded kernels; grows only when a larger layer needs it, so a
/// network that runs the same image size again allocates nothing.
public final class ConvScratch: @unchecked Sendable {
    private var buffers: [UnsafeMutablePointer<Float>] = []
    private(set) var capacity = 0

    public init() {}

    deinit { buffers.forEach { $0.deallocate() } }

    /// Makes sure every worker has at least `floats` floats.
    public func reserve(_ floats: Int) {
        if floats <= capacity && buffers.count == Parallel.workers { return }
        buffers.forEach { $0.deallocate() }
        capacity = max(floats, capacity)
        buffers = (0..<Parallel.workers).map { _ in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
            p.initialize(repeating: 0, count: capacity)
            return p
        }
    }

    /// Worker `i`'s buffer.
    public func buffer(_ i: Int) -> UnsafeMutablePointer<Float> { buffers[i] }

    private let sharedBuffer = GrowableBuffer()

    /// One buffer of at least `floats` floats that all workers read (per-pass Winograd weights), grown as needed.
    public func shared(_ floats: Int) -> UnsafeMutablePointer<Float> { sharedBuffer.atLeast(floats) }

    /// Bytes held.
    public var bytes: Int { (buffers.count * capacity + sharedBuffer.capacity) * MemoryLayout<Float>.stride }
}

/// A Float buffer that grows to the largest size asked of it (its contents are not kept when it grows) and is
/// freed with it.
public final class GrowableBuffer: @unchecked Sendable {
    /// The storage, nil until first asked for.
    public private(set) var base: UnsafeMutablePointer<Float>?
    /// Floats it has room for.
    public private(set) var capacity = 0

    /// An empty buffer.
    public init() {}

    deinit { base?.deallocate() }

    /// The storage with room for at least `floats` floats, reallocated and zero-filled if it is smaller.
    public func atLeast(_ floats: Int) -> UnsafeMutablePointer<Float> {
        if let b = base, floats <= capacity { return b }
        base?.deallocate()
        let b = UnsafeMutablePointer<Float>.allocate(capacity: max(floats, 1))
        b.initialize(repeating: 0, count: max(floats, 1))
        base = b
        capacity = floats
        return b
    }
}
