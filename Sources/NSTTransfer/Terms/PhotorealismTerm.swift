import NSTNetwork
import NSTTensor

// Photorealism regularisation (Luan, Paris, Shechtman & Bala, "Deep Photo Style Transfer", CVPR 2017, eq. 2):
//
//     L_m = λ / N · Σ_{c ∈ R,G,B} V_c[O]ᵀ M_I V_c[O],      ∂L_m/∂V_c[O] = 2λ/N · M_I V_c[O]
//
// V_c[O]: channel c of the output image O in [0, 1] RGB, vectorised (N = H·W pixels). M_I: the matting Laplacian of the
// content image I (Levin, Lischinski & Weiss, "A Closed-Form Solution to Natural Image Matting", PAMI 2008, eq. 12):
//
//     M_ij = Σ_{k | i,j ∈ w_k} ( δ_ij − 1/|w| · (1 + (I_i − μ_k)ᵀ (Σ_k + ε/|w| · E₃)⁻¹ (I_j − μ_k)) )
//
// over the |w| = (2r+1)² windows w_k that lie inside the image, μ_k and Σ_k the mean and (population) covariance of I's
// RGB in w_k. vᵀ M v is the summed residual of the best ridge-regularised affine fit of v to I in every window,
// Σ_k min_{a,b} Σ_{i∈w_k} (v_i − aᵀI_i − b)² + ε‖a‖², so the term keeps the output locally an affine function of the
// content's colours. Departure from Luan et al.: the sum is divided by N, so λ does not depend on the image size
// (their λ = 10⁴ on a sum corresponds to λ·N here).
//
// Matrix-free product (He, Sun & Tang, "Fast Matting Using Large Kernel Matting Laplacian Matrices", CVPR 2010, eq. 9–11):
// with p̄_k the window mean of p and box sums over windows,
//
//     a_k = Δ_k⁻¹ (1/|w| Σ_{j∈w_k} I_j p_j − μ_k p̄_k),   Δ_k = Σ_k + ε/|w| E₃,   b_k = p̄_k − a_kᵀ μ_k
//     (M p)_i = Σ_{k | i ∈ w_k} (p_i − a_kᵀ I_i − b_k) = n_i p_i − (Σ_k a_k)ᵀ I_i − Σ_k b_k
//
// (n_i: the number of windows containing i), eight box filters per channel: O(N) whatever the window. μ_k, Δ_k⁻¹ and n_i
// depend only on the content and are computed once per stage. Everything windowed runs in Double: with ε = 10⁻⁷,
// Δ_k⁻¹ reaches |w|/ε ≈ 10⁸ in flat regions, where Float's cancellation in 1/|w| Σ I p − μ p̄ would swamp a_k.
//
// Colour space: the optimiser's x is BGR, minus the VGG mean, in 0–255 (`VGGInput`), so V_c[O] = (x_{2−c} + m_{2−c})/255
// and ∂L_m/∂x_{2−c} = (1/255) · 2λ/N · M_I V_c[O]. M_I·1 = 0, so the mean shift changes neither value nor gradient;
// it is applied anyway so that L_m/λ is exactly the energy `nst-exp photorealism` reports.

/// The matting Laplacian M_I of one image as a matrix-free operator (see the comment above for the formulas).
public final class MattingLaplacian {
    public let width: Int
    public let height: Int
    /// Window radius r: windows are (2r+1)×(2r+1).
    public let radius: Int
    public let epsilon: Double
    private let n: Int
    /// Owned buffers, allocated once: the guide I (3 planes, RGB in [0, 1]); μ_k (3 planes) and the upper triangle of
    /// Δ_k⁻¹ (6 planes: 00 01 02 11 12 22) at window centres; 1 at window centres (`valid`); n_i (`windowCount`);
    /// and the work planes of `apply` (4 window sums, 4 coefficient planes, one box-filter plane, one row).
    private let guide, mean, inverse, valid, windowCount, sums, coefficients, plane, row: UnsafeMutablePointer<Double>
    /// Bytes of those buffers per pixel: 23 planes of doubles (the row is negligible).
    public static let bytesPerPixel = 23 * MemoryLayout<Double>.size

    /// The Laplacian of `image` (RGB planes in [0, 1], `width`×`height`), windows of side 2·`radius`+1.
    public init(image: [Float], width: Int, height: Int, radius: Int = 1, epsilon: Double = 1e-7) {
        precondition(image.count == 3 * width * height && radius >= 1 && epsilon > 0, "MattingLaplacian: bad arguments")
        self.width = width
        self.height = height
        self.radius = radius
        self.epsilon = epsilon
        let n = width * height
        self.n = n
        func buffer(_ count: Int) -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            return p
        }
        guide = buffer(3 * n); mean = buffer(3 * n); inverse = buffer(6 * n); valid = buffer(n); windowCount = buffer(n)
        sums = buffer(4 * n); coefficients = buffer(4 * n); plane = buffer(n); row = buffer(max(width, height) + 1)
        for i in 0..<(3 * n) { guide[i] = Double(image[i]) }
        let side = 2 * radius + 1, w = Double(side * side), ridge = epsilon / w
        if width >= side && height >= side {
            for y in radius..<(height - radius) {
                for x in radius..<(width - radius) {
                    let k = y * width + x
                    var m0 = 0.0, m1 = 0.0, m2 = 0.0
                    for dy in -radius...radius {
                        for dx in -radius...radius {
                            let j = k + dy * width + dx
                            m0 += guide[j]; m1 += guide[n + j]; m2 += guide[2 * n + j]
                        }
                    }
                    m0 /= w; m1 /= w; m2 /= w
                    // Centred second moments (two passes: exact for flat windows).
                    var s00 = 0.0, s01 = 0.0, s02 = 0.0, s11 = 0.0, s12 = 0.0, s22 = 0.0
                    for dy in -radius...radius {
                        for dx in -radius...radius {
                            let j = k + dy * width + dx
                            let r = guide[j] - m0, g = guide[n + j] - m1, b = guide[2 * n + j] - m2
                            s00 += r * r; s01 += r * g; s02 += r * b; s11 += g * g; s12 += g * b; s22 += b * b
                        }
                    }
                    let a = s00 / w + ridge, b = s01 / w, c = s02 / w, d = s11 / w + ridge, e = s12 / w, f = s22 / w + ridge
                    // Δ_k⁻¹ of the symmetric [[a b c] [b d e] [c e f]] by cofactors.
                    let c00 = d * f - e * e, c01 = c * e - b * f, c02 = b * e - c * d
                    let inv = 1 / (a * c00 + b * c01 + c * c02)
                    inverse[k] = c00 * inv
                    inverse[n + k] = c01 * inv
                    inverse[2 * n + k] = c02 * inv
                    inverse[3 * n + k] = (a * f - c * c) * inv
                    inverse[4 * n + k] = (b * c - a * e) * inv
                    inverse[5 * n + k] = (a * d - b * b) * inv
                    mean[k] = m0; mean[n + k] = m1; mean[2 * n + k] = m2
                    valid[k] = 1
                }
            }
        }
        boxSum(valid, into: windowCount)
    }

    deinit {
        for p in [guide, mean, inverse, valid, windowCount, sums, coefficients, plane, row] { p.deallocate() }
    }

    /// Writes (M p) into `out` (`width`·`height` values) for one channel `p`. O(N): eight box filters.
    public func apply(_ p: UnsafePointer<Float>, into out: UnsafeMutablePointer<Double>) {
        fitWindows(p)
        let n = self.n
        for i in 0..<n {
            let fit = sums[i] * guide[i] + sums[n + i] * guide[n + i] + sums[2 * n + i] * guide[2 * n + i] + sums[3 * n + i]
            out[i] = windowCount[i] * Double(p[i]) - fit
        }
    }

    /// The guided filter of one channel `p` with this Laplacian's image as the guide (He, Sun & Tang, "Guided Image
    /// Filtering", ECCV 2010, eq. 8): q_i = 1/n_i Σ_{k | i ∈ w_k} (a_kᵀ I_i + b_k), the mean over the windows containing i
    /// of each window's best ridge-regularised affine fit, so that (M p)_i = n_i (p_i − q_i). Their ε on the covariance
    /// is this Laplacian's ε/|w|. Writes `width`·`height` values into `out`.
    public func guidedFilter(_ p: UnsafePointer<Float>, into out: UnsafeMutablePointer<Double>) {
        fitWindows(p)
        let n = self.n
        for i in 0..<n {
            let fit = sums[i] * guide[i] + sums[n + i] * guide[n + i] + sums[2 * n + i] * guide[2 * n + i] + sums[3 * n + i]
            out[i] = windowCount[i] > 0 ? fit / windowCount[i] : Double(p[i])
        }
    }

    /// Leaves Σ_{k ∋ i} a_k (3 planes) and Σ_{k ∋ i} b_k (1 plane) in `sums` for one channel `p`.
    private func fitWindows(_ p: UnsafePointer<Float>) {
        let n = self.n, w = Double((2 * radius + 1) * (2 * radius + 1))
        // Window sums of p and of I_c·p (the products pass through `coefficients`).
        for i in 0..<n {
            let v = Double(p[i])
            coefficients[i] = v
            coefficients[n + i] = guide[i] * v
            coefficients[2 * n + i] = guide[n + i] * v
            coefficients[3 * n + i] = guide[2 * n + i] * v
        }
        for c in 0..<4 { boxSum(coefficients + c * n, into: sums + c * n) }
        // a_k = Δ_k⁻¹ (Σ I p / |w| − μ_k p̄_k), b_k = p̄_k − a_kᵀ μ_k at window centres, 0 elsewhere.
        for k in 0..<n {
            let pbar = sums[k] / w
            let m0 = mean[k], m1 = mean[n + k], m2 = mean[2 * n + k]
            let v0 = sums[n + k] / w - m0 * pbar, v1 = sums[2 * n + k] / w - m1 * pbar, v2 = sums[3 * n + k] / w - m2 * pbar
            let i00 = inverse[k], i01 = inverse[n + k], i02 = inverse[2 * n + k]
            let i11 = inverse[3 * n + k], i12 = inverse[4 * n + k], i22 = inverse[5 * n + k]
            let a0 = i00 * v0 + i01 * v1 + i02 * v2
            let a1 = i01 * v0 + i11 * v1 + i12 * v2
            let a2 = i02 * v0 + i12 * v1 + i22 * v2
            coefficients[k] = a0
            coefficients[n + k] = a1
            coefficients[2 * n + k] = a2
            coefficients[3 * n + k] = valid[k] * (pbar - (a0 * m0 + a1 * m1 + a2 * m2))   // Δ⁻¹ = 0 off centres: a = 0
        }
        for c in 0..<4 { boxSum(coefficients + c * n, into: sums + c * n) }
    }

    /// pᵀ M p for one channel; `scratch` receives M p.
    public func energy(_ p: [Float], scratch: inout [Double]) -> Double {
        precondition(p.count == n, "MattingLaplacian.energy: \(p.count) values for \(width)×\(height)")
        if scratch.count != n { scratch = [Double](repeating: 0, count: n) }
        p.withUnsafeBufferPointer { pb in scratch.withUnsafeMutableBufferPointer { apply(pb.baseAddress!, into: $0.baseAddress!) } }
        var sum = 0.0
        for i in 0..<n { sum += Double(p[i]) * scratch[i] }
        return sum
    }

    /// The mean matting-Laplacian energy of `output` given this Laplacian's image: (1/N) Σ_c V_cᵀ M V_c, both RGB in
    /// [0, 1] (3 planes of `width`·`height`). 0 for an output that is an affine function of the image in every window.
    public func meanEnergy(of output: [Float]) -> Double {
        precondition(output.count == 3 * n, "MattingLaplacian.meanEnergy: \(output.count) values for 3×\(width)×\(height)")
        var scratch = [Double](repeating: 0, count: n), total = 0.0
        for c in 0..<3 { total += energy(Array(output[(c * n)..<((c + 1) * n)]), scratch: &scratch) }
        return total / Double(n)
    }

    /// Window sums (zero outside the image) of the plane `source` into `out` (may not alias): running sums along each
    /// row, then a running sum of rows down the columns, O(N) whatever the radius.
    private func boxSum(_ source: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        guard width > 0 && height > 0 else { return }
        let r = radius
        for y in 0..<height {
            let s = source + y * width, d = plane + y * width
            row[0] = 0
            for x in 0..<width { row[x + 1] = row[x] + s[x] }
            for x in 0..<width { d[x] = row[min(x + r + 1, width)] - row[max(x - r, 0)] }
        }
        // out row y = Σ plane rows y−r…y+r: start from rows 0…r, then add the row entering and drop the one leaving.
        for x in 0..<width { out[x] = 0 }
        for y in 0...min(r, height - 1) { for x in 0..<width { out[x] += plane[y * width + x] } }
        for y in 1..<max(height, 1) {
            let d = out + y * width, previous = out + (y - 1) * width
            let entering = y + r < height ? plane + (y + r) * width : nil
            let leaving = y - r - 1 >= 0 ? plane + (y - r - 1) * width : nil
            for x in 0..<width {
                var v = previous[x]
                if let entering { v += entering[x] }
                if let leaving { v -= leaving[x] }
                d[x] = v
            }
        }
    }

    /// The explicit matrix (dense, row-major N×N) from Levin et al.'s formula, window by window: the reference that
    /// `apply` is tested against. Only for small images.
    public static func explicitMatrix(image: [Float], width: Int, height: Int, radius: Int = 1, epsilon: Double = 1e-7) -> [Double] {
        let n = width * height, side = 2 * radius + 1, w = Double(side * side)
        var m = [Double](repeating: 0, count: n * n)
        guard width >= side && height >= side else { return m }
        for y in radius..<(height - radius) {
            for x in radius..<(width - radius) {
                var index: [Int] = []
                for dy in -radius...radius { for dx in -radius...radius { index.append((y + dy) * width + x + dx) } }
                let colours = index.map { j in (0..<3).map { Double(image[$0 * n + j]) } }
                let mu = (0..<3).map { c in colours.reduce(0) { $0 + $1[c] } / w }
                var cov = [[Double]](repeating: [0, 0, 0], count: 3)
                for c in 0..<3 { for d in 0..<3 {
                    cov[c][d] = colours.reduce(0) { $0 + ($1[c] - mu[c]) * ($1[d] - mu[d]) } / w + (c == d ? epsilon / w : 0)
                } }
                let inv = invert3(cov)
                for (a, i) in index.enumerated() {
                    for (b, j) in index.enumerated() {
                        var q = 0.0
                        for c in 0..<3 { for d in 0..<3 { q += (colours[a][c] - mu[c]) * inv[c][d] * (colours[b][d] - mu[d]) } }
                        m[i * n + j] += (i == j ? 1 : 0) - (1 + q) / w
                    }
                }
            }
        }
        return m
    }

    private static func invert3(_ m: [[Double]]) -> [[Double]] {
        let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        var r = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<3 { for j in 0..<3 {
            let a = [0, 1, 2].filter { $0 != j }, b = [0, 1, 2].filter { $0 != i }
            let minor = m[a[0]][b[0]] * m[a[1]][b[1]] - m[a[0]][b[1]] * m[a[1]][b[0]]
            r[i][j] = ((i + j) % 2 == 0 ? 1 : -1) * minor / det
        } }
        return r
    }
}

/// The photorealism term λ/N · Σ_c V_c[O]ᵀ M_I V_c[O] on the output image (see the comment above), logged as
/// `photorealism` when λ > 0.
public final class PhotorealismTerm: LossTerm {
    public static let weight = TermSetting(key: "photorealism_weight", defaultValue: 0,
        help: "λ of the photorealism (matting-Laplacian) term, per pixel; 0 = off") { $0 >= 0 ? nil : "use a weight ≥ 0 (0 turns the term off)" }
    public static let epsilon = TermSetting(key: "photorealism_epsilon", defaultValue: 1e-7,
        help: "ε of the matting Laplacian (ridge on the local affine fit)") {
            $0 >= RunLimits.minimumEpsilon && $0 <= 1 ? nil : "use ε in [\(RunLimits.minimumEpsilon), 1] (smaller is lost in float rounding); Levin et al. use 1e-7"
        }
    public static let window = TermSetting(key: "photorealism_window", defaultValue: 3,
        help: "side of the matting Laplacian's square windows, odd") { v in
            v >= 3 && v <= 15 && v == v.rounded() && Int(v) % 2 == 1 ? nil : "use an odd side from 3 to 15; Levin et al. use 3"
        }

    public static let kind = LossTermKind(name: "photorealism", keys: [], settings: [weight, epsilon, window]) { context in
        let config = context.configuration
        let lambda = config.value(of: weight)
        guard lambda > 0 else { return nil }
        return PhotorealismTerm(content: VGGInput.toImage(context.content).pixels, width: context.content.width,
                                height: context.content.height, weight: lambda, epsilon: config.value(of: epsilon),
                                window: Int(config.value(of: window)))
    }

    public let name = "photorealism"
    /// λ.
    public let weight: Double
    public let laplacian: MattingLaplacian
    private var channel: [Float]
    private var product: [Double]

    /// The term for content RGB planes in [0, 1] (`width`×`height`).
    public init(content: [Float], width: Int, height: Int, weight: Double, epsilon: Double = 1e-7, window: Int = 3) {
        laplacian = MattingLaplacian(image: content, width: width, height: height, radius: window / 2, epsilon: epsilon)
        self.weight = weight
        channel = [Float](repeating: 0, count: width * height)
        product = [Double](repeating: 0, count: width * height)
    }

    public func evaluate(image x: FeatureMap, gradient: inout FeatureMap) -> Float {
        let n = x.plane
        precondition(x.channels == 3 && n == laplacian.width * laplacian.height, "PhotorealismTerm: image of another size")
        let scale = 2 * weight / Double(n) / 255   // ∂/∂x = (1/255)·2λ/N·M V
        var energy = 0.0
        x.data.withUnsafeBufferPointer { xs in
            gradient.data.withUnsafeMutableBufferPointer { g in
                channel.withUnsafeMutableBufferPointer { v in
                    product.withUnsafeMutableBufferPointer { mv in
                        for bgr in 0..<3 {
                            let mean = VGGInput.meanBGR[bgr]
                            for i in 0..<n { v[i] = (xs[bgr * n + i] + mean) / 255 }
                            laplacian.apply(UnsafePointer(v.baseAddress!), into: mv.baseAddress!)
                            for i in 0..<n {
                                energy += Double(v[i]) * mv[i]
                                g[bgr * n + i] += Float(scale * mv[i])
                            }
                        }
                    }
                }
            }
        }
        return Float(weight * energy / Double(n))
    }
}
