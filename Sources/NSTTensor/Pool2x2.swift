/// 2×2 pooling with stride 2, as in VGG-19. Odd trailing rows and columns are dropped
/// (floor mode, as Keras and PyTorch's defaults); they receive zero gradient.
public enum Pool2x2 {
    /// Which reduction a pooling layer applies.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case max
        case average
    }

    /// Output size for an input extent.
    @inlinable public static func outSize(_ n: Int) -> Int { n / 2 }

    // MARK: reference

    /// Naive reference. x: C×H×W → y: C×(H/2)×(W/2).
    public static func forwardReference(_ kind: Kind, x: UnsafePointer<Float>, channels c: Int, height h: Int,
                                        width w: Int, y: UnsafeMutablePointer<Float>) {
        let oh = h / 2, ow = w / 2
        for ch in 0..<c {
            for i in 0..<oh {
                for j in 0..<ow {
                    let a = x[(ch * h + 2 * i) * w + 2 * j], b = x[(ch * h + 2 * i) * w + 2 * j + 1]
                    let d = x[(ch * h + 2 * i + 1) * w + 2 * j], e = x[(ch * h + 2 * i + 1) * w + 2 * j + 1]
                    y[(ch * oh + i) * ow + j] = kind == .max ? max(max(a, b), max(d, e)) : (a + b + d + e) * 0.25
                }
            }
        }
    }

    /// Naive reference of the backward pass. Max routes dy to the first maximum of its window (the same
    /// element `forward` picked, scanning row-major); average spreads dy/4. dx: C×H×W, overwritten.
    public static func backwardReference(_ kind: Kind, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, channels c: Int,
                                         height h: Int, width w: Int, dx: UnsafeMutablePointer<Float>) {
        dx.update(repeating: 0, count: c * h * w)
        let oh = h / 2, ow = w / 2
        for ch in 0..<c {
            for i in 0..<oh {
                for j in 0..<ow {
                    let g = dy[(ch * oh + i) * ow + j]
                    let idx = [(ch * h + 2 * i) * w + 2 * j, (ch * h + 2 * i) * w + 2 * j + 1,
                               (ch * h + 2 * i + 1) * w + 2 * j, (ch * h + 2 * i + 1) * w + 2 * j + 1]
                    if kind == .average {
                        for k in idx { dx[k] += g * 0.25 }
                    } else {
                        var best = idx[0]
                        for k in idx.dropFirst() where x[k] > x[best] { best = k }
                        dx[best] += g
                    }
                }
            }
        }
    }

    // MARK: fast (channels split over the workers, no temporaries)

    /// Fast forward, same contract as `forwardReference`.
    public static func forward(_ kind: Kind, x: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
                               y: UnsafeMutablePointer<Float>) {
        let oh = h / 2, ow = w / 2
        let parts = min(c, Parallel.workers)
        Parallel.forEach(parts) { part, _ in
            for ch in Parallel.chunk(part, of: parts, count: c) {
                let src = x + ch * h * w, dst = y + ch * oh * ow
                for i in 0..<oh {
                    let r0 = src + 2 * i * w, r1 = r0 + w, out = dst + i * ow
                    if kind == .max {
                        for j in 0..<ow { out[j] = max(max(r0[2 * j], r0[2 * j + 1]), max(r1[2 * j], r1[2 * j + 1])) }
                    } else {
                        for j in 0..<ow { out[j] = (r0[2 * j] + r0[2 * j + 1] + r1[2 * j] + r1[2 * j + 1]) * 0.25 }
                    }
                }
            }
        }
    }

    /// Fast backward, same contract as `backwardReference`.
    public static func backward(_ kind: Kind, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, channels c: Int,
                                height h: Int, width w: Int, dx: UnsafeMutablePointer<Float>) {
        let oh = h / 2, ow = w / 2
        let parts = min(c, Parallel.workers)
        Parallel.forEach(parts) { part, _ in
            for ch in Parallel.chunk(part, of: parts, count: c) {
                let src = x + ch * h * w, g = dy + ch * oh * ow, dst = dx + ch * h * w
                dst.update(repeating: 0, count: h * w)
                for i in 0..<oh {
                    let r0 = 2 * i * w, r1 = r0 + w
                    for j in 0..<ow {
                        let gv = g[i * ow + j]
                        let a = r0 + 2 * j, b = a + 1, d = r1 + 2 * j, e = d + 1
                        if kind == .average {
                            let q = gv * 0.25
                            dst[a] = q; dst[b] = q; dst[d] = q; dst[e] = q
                        } else {
                            var best = a
                            if src[b] > src[best] { best = b }
                            if src[d] > src[best] { best = d }
                            if src[e] > src[best] { best = e }
                            dst[best] = gv
                        }
                    }
                }
            }
        }
    }
}

/// Rectified linear unit, applied in place after each convolution.
public enum ReLU {
    /// y = max(x, 0), in place over `count` values.
    public static func forward(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let parts = Parallel.workers
        Parallel.forEach(parts) { part, _ in
            for i in Parallel.chunk(part, of: parts, count: count) { x[i] = max(x[i], 0) }
        }
    }

    /// dx = dy · [y > 0], in place on the gradient; `y` is the forward output (the pre-activation's sign is
    /// the output's, so the input need not be kept). At 0 the subgradient 0 is used, as PyTorch does.
    public static func backward(y: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int) {
        let parts = Parallel.workers
        Parallel.forEach(parts) { part, _ in
            // A select rather than a branch, so the loop vectorizes.
            for i in Parallel.chunk(part, of: parts, count: count) { gradient[i] = y[i] > 0 ? gradient[i] : 0 }
        }
    }
}

// MARK: compact backward state (what the backward pass needs instead of the activations themselves)

extension ReLU {
    /// Words of a bit mask over `count` values.
    @inlinable public static func maskWords(_ count: Int) -> Int { (count + 63) / 64 }

    /// bits[i/64] bit i%64 = [y[i] > 0]: one bit per activation instead of the float `backward(y:)` reads.
    public static func packMask(y: UnsafePointer<Float>, count: Int, bits: UnsafeMutablePointer<UInt64>) {
        let words = maskWords(count)
        let parts = min(words, Parallel.workers)
        Parallel.forEach(parts) { part, _ in
            for word in Parallel.chunk(part, of: parts, count: words) {
                let lo = word * 64, hi = min(count, lo + 64)
                var v: UInt64 = 0
                if hi - lo == 64 {
                    // Eight lanes at a time: each compare selects the lanes' bit values and a sum (no carries,
                    // the bits are distinct) gives the byte. The scalar-shift form vectorized poorly (2.4 % of a
                    // 256×256 step).
                    let p = UnsafeRawPointer(y + lo)
                    let weights = SIMD8<UInt32>(1, 2, 4, 8, 16, 32, 64, 128)
                    for b in 0..<8 {
                        let x = p.loadUnaligned(fromByteOffset: 32 * b, as: SIMD8<Float>.self)
                        let byte = SIMD8<UInt32>(repeating: 0).replacing(with: weights, where: x .> 0).wrappedSum()
                        v |= UInt64(byte) << UInt64(8 * b)
                    }
                } else {
                    for i in lo..<hi { v |= (y[i] > 0 ? 1 : 0) << UInt64(i - lo) }
                }
                bits[word] = v
            }
        }
    }

    /// dx = dy · [bit set], in place on the gradient: `backward(y:)` on a mask from `packMask`.
    public static func backward(mask bits: UnsafePointer<UInt64>, gradient: UnsafeMutablePointer<Float>, count: Int) {
        let words = maskWords(count)
        let parts = min(words, Parallel.workers)
        Parallel.forEach(parts) { part, _ in
            for word in Parallel.chunk(part, of: parts, count: words) {
                let v = bits[word], lo = word * 64, hi = min(count, lo + 64)
                for i in lo..<hi { gradient[i] = (v >> UInt64(i - lo)) & 1 != 0 ? gradient[i] : 0 }
            }
        }
    }
}

extension Pool2x2 {
    /// Max pooling that also records, per output, which of its window's four inputs (0 top-left, 1 top-right,
    /// 2 bottom-left, 3 bottom-right) was the first maximum, the one `backward(.max, x:)` routes dy to, plus
    /// 4 if that maximum is positive (`backwardMax` uses it to apply the ReLU below, see there).
    public static func forwardMax(x: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
                                  y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<UInt8>) {
        let oh = h / 2, ow = w / 2
        let parts = min(c, Parallel.workers)
        Parallel.forEach(parts) { part, _ in
            for ch in Parallel.chunk(part, of: parts, count: c) {
                let src = x + ch * h * w, out = y + ch * oh * ow, idx = argmax + ch * oh * ow
                for i in 0..<oh {
                    let r0 = src + 2 * i * w, r1 = r0 + w
                    for j in 0..<ow {
                        (out[i * ow + j], idx[i * ow + j]) = firstMax(r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1])
                    }
                }
            }
        }
    }

    /// The maximum of one window (a b / c d, row-major) and its winner byte: the position of the first maximum
    /// in row-major order (ties go to the earlier one), plus 4 if it is positive. Selects, not branches, so the
    /// callers' loops vectorize; `Winograd3x3`'s fused pool uses the same rule.
    @inline(__always)
    public static func firstMax(_ a: Float, _ b: Float, _ c: Float, _ d: Float) -> (value: Float, winner: UInt8) {
        var best = a, k: UInt8 = 0
        k = b > best ? 1 : k; best = b > best ? b : best
        k = c > best ? 2 : k; best = c > best ? c : best
        k = d > best ? 3 : k; best = d > best ? d : best
        return (best, k | (best > 0 ? 4 : 0))
    }

    /// Row r (width w) of max pooling's input gradient from the pooled gradient `dy` and the winners (each
    /// ⌊W/2⌋ values of pooled row r/2): a window's value goes to its winner if the winner is positive, every other
    /// position gets 0, as does an odd last row or column, which lies in no window.
    @inline(__always)
    public static func unpoolRow(_ r: Int, dy: UnsafePointer<Float>, winners: UnsafePointer<UInt8>, pooledHeight ph: Int,
                                 width w: Int, into out: UnsafeMutablePointer<Float>) {
        guard r / 2 < ph else { out.update(repeating: 0, count: w); return }
        let pw = w / 2
        let left: UInt8 = r % 2 == 0 ? 0 : 2, right = left + 1
        for j in 0..<pw {
            let v = winners[j] & 4 != 0 ? dy[j] : 0
            out[2 * j] = winners[j] & 3 == left ? v : 0
            out[2 * j + 1] = winners[j] & 3 == right ? v : 0
        }
        if w % 2 == 1 { out[w - 1] = 0 }
    }

    /// Backward of max pooling from the recorded winners, fused with the backward of a ReLU that produced x:
    /// dy goes to the window's winner only if the winner is positive. For x = ReLU(z) this is exactly
    /// ReLU.backward(y: x) after `backward(.max, x:…)`: every other position of the window gets 0 anyway,
    /// so VGG19 skips the separate ReLU pass over the pool's input gradient.
    public static func backwardMax(argmax: UnsafePointer<UInt8>, dy: UnsafePointer<Float>, channels c: Int,
                                   height h: Int, width w: Int, dx: UnsafeMutablePointer<Float>) {
        let oh = h / 2, ow = w / 2
        let parts = min(c, Parallel.workers)
        Parallel.forEach(parts) { part, _ in
            for ch in Parallel.chunk(part, of: parts, count: c) {
                let g = dy + ch * oh * ow, idx = argmax + ch * oh * ow, dst = dx + ch * h * w
                // Every position is written once (no zero-fill pass first).
                for r in 0..<h {
                    let pooled = min(r / 2, max(oh - 1, 0)) * ow
                    unpoolRow(r, dy: g + pooled, winners: idx + pooled, pooledHeight: oh, width: w, into: dst + r * w)
                }
            }
        }
    }
}
