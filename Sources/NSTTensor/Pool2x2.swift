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
