import CBLAS
import NSTTensor

/// Gram matrix of one layer's activations, G = F Fᵀ / M (N×N, row-major, both triangles filled).
///
/// Gatys, Ecker, Bethge 2016, "Image Style Transfer Using Convolutional Neural Networks", eq. 3 defines
/// G = F Fᵀ; the division by M (the number of positions) follows the authors' released code
/// (`GramMatrix` … `div_(h*w)`), which makes the style targets independent of image size.
public struct GramMatrix: Equatable, Sendable {
    /// N, the number of channels of the layer.
    public let order: Int
    /// G[i*N + j].
    public var values: [Float]

    /// A zero matrix of the given order.
    public init(order: Int) {
        self.order = order
        self.values = [Float](repeating: 0, count: order * order)
    }

    /// The Gram matrix of `features`.
    public init(of features: FeatureMap) {
        self.init(order: features.channels)
        compute(from: features)
    }

    /// Recomputes G = F Fᵀ / M in place (no allocation): `cblas_ssyrk` fills the upper triangle, then it is mirrored.
    public mutating func compute(from features: FeatureMap) {
        var scratch: [Float] = []
        compute(from: features, scratch: &scratch)
    }

    /// As `compute(from:)`, with the positions split over `Parallel.workers` column blocks for large layers:
    /// each worker's ssyrk sums its block into its own N×N partial (worker 0 into `values`, the others into
    /// `scratch`, grown once), and the partials are added in worker order, so the result depends only on the
    /// thread count. OpenBLAS runs single-threaded here (see `Parallel`), hence the split.
    public mutating func compute(from features: FeatureMap, scratch: inout [Float]) {
        precondition(features.channels == order, "GramMatrix: order \(order) but \(features.channels) channels")
        let n = order, m = features.plane
        guard n > 0 else { return }
        let scale: Float = m > 0 ? 1 / Float(m) : 0
        let parts = GramMatrix.parts(channels: n, positions: m)
        if scratch.count < (parts - 1) * n * n { scratch = [Float](repeating: 0, count: (parts - 1) * n * n) }
        features.data.withUnsafeBufferPointer { f in
            values.withUnsafeMutableBufferPointer { g in
                scratch.withUnsafeMutableBufferPointer { partial in
                    guard let fBase = f.baseAddress, let gBase = g.baseAddress else { return }
                    let partialBase = partial.baseAddress
                    Parallel.forEach(parts) { part, _ in
                        let columns = Parallel.chunk(part, of: parts, count: m)
                        let out = part == 0 ? gBase : partialBase! + (part - 1) * n * n
                        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(columns.count),
                                    scale, fBase + columns.lowerBound, Int32(max(m, 1)), 0, out, Int32(n))
                    }
                    for part in 1..<parts {
                        let src = partialBase! + (part - 1) * n * n
                        for i in 0..<n { for j in i..<n { gBase[i * n + j] += src[i * n + j] } }
                    }
                    for i in 0..<n {
                        for j in (i + 1)..<n { gBase[j * n + i] = gBase[i * n + j] }
                    }
                }
            }
        }
    }

    /// Column blocks for a layer of N channels and M positions: one per worker once the work is worth a thread.
    static func parts(channels n: Int, positions m: Int) -> Int {
        n * n * m >= 1 << 22 ? min(Parallel.workers, max(1, m / 64)) : 1
    }

    /// Back-propagates through G = F Fᵀ / M: given a symmetric dL/dG, adds dL/dF = (2/M)·(dL/dG)·F to `gradient`.
    ///
    /// Derivation: dG_ij = (dF_i·F_j + F_i·dF_j)/M, so dL/dF = (D + Dᵀ) F / M with D = dL/dG; D is symmetric here.
    public static func backward(upstream: [Float], features: FeatureMap, accumulateInto gradient: inout FeatureMap) {
        precondition(gradient.channels == features.channels && gradient.plane == features.plane,
                     "GramMatrix.backward: shape mismatch")
        gradient.data.withUnsafeMutableBufferPointer { backward(upstream: upstream, features: features, accumulateInto: $0.baseAddress!) }
    }

    /// As `backward(upstream:features:accumulateInto:)`, adding dL/dF to `gBase` (N×M values).
    public static func backward(upstream: [Float], features: FeatureMap, accumulateInto gBase: UnsafeMutablePointer<Float>) {
        let n = features.channels, m = features.plane
        precondition(upstream.count == n * n, "GramMatrix.backward: shape mismatch")
        guard n > 0, m > 0 else { return }
        upstream.withUnsafeBufferPointer { d in
            features.data.withUnsafeBufferPointer { f in
                guard let dBase = d.baseAddress, let fBase = f.baseAddress else { return }
                // Column blocks of F and dL/dF are independent: one ssymm per worker.
                let parts = GramMatrix.parts(channels: n, positions: m)
                Parallel.forEach(parts) { part, _ in
                    let columns = Parallel.chunk(part, of: parts, count: m)
                    cblas_ssymm(CblasRowMajor, CblasLeft, CblasUpper, Int32(n), Int32(columns.count),
                                2 / Float(m), dBase, Int32(n), fBase + columns.lowerBound, Int32(m), 1,
                                gBase + columns.lowerBound, Int32(m))
                }
            }
        }
    }
}
