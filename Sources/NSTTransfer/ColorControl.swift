import Foundation
import NSTImage

// Colour control from Gatys, Bethge, Hertzmann, Shechtman 2017 (CVPR; arXiv 2016),
// "Controlling Perceptual Factors in Neural Style Transfer", section 5:
//  - luminance-only transfer: style transfer runs on luminance images (the style's luminance first matched to the
//    content's mean and standard deviation); the result's luminance is recombined with the content's chroma in YIQ;
//  - colour histogram matching: the style image's RGB values are transformed so that their mean and covariance
//    match the content's, x' = A(x − μ_S) + μ_C with A = Σ_C^½ Σ_S^−½ (the symmetric "image analogies" variant).

/// How the output's colours relate to the content's.
public enum ColorPreservation: String, Codable, Sendable, CaseIterable {
    /// Colours come from the style, as in plain Gatys et al. 2016.
    case none
    /// Transfer on luminance only; the output keeps the content's chroma (YIQ).
    case luminance
    /// The style's colours are first matched to the content's mean and covariance.
    case histogram
}

/// Conversions and colour-statistics transforms on RGB images (values 0…1).
public enum ColorControl {
    /// RGB → YIQ (NTSC, FCC 1953 coefficients), rows Y, I, Q.
    public static let rgbToYIQ: Matrix3 = Matrix3(rows: [
        [0.299, 0.587, 0.114],
        [0.595716, -0.274453, -0.321263],
        [0.211456, -0.522591, 0.311135],
    ])
    /// YIQ → RGB, the exact inverse of `rgbToYIQ`.
    public static let yiqToRGB: Matrix3 = rgbToYIQ.inverse()

    static func rgb(_ image: Image) -> Image { image.toRGB() }

    /// Y, I, Q planes of an RGB (or grey) image, planar like `Image.pixels`.
    public static func yiq(_ image: Image) -> [Float] {
        transform(rgb(image).pixels, by: rgbToYIQ, planeSize: image.width * image.height)
    }

    /// The luminance plane Y.
    public static func luminance(_ image: Image) -> [Float] {
        Array(yiq(image).prefix(image.width * image.height))
    }

    /// A grey RGB image (Y replicated) of `image`'s luminance, affinely mapped so that its mean and standard
    /// deviation equal `target`'s (if given), then clamped to 0…1.
    public static func luminanceImage(_ image: Image, matchingStatisticsOf target: Image? = nil) -> Image {
        var y = luminance(image)
        if let target {
            let (mu, sigma) = meanAndDeviation(y)
            let (muT, sigmaT) = meanAndDeviation(luminance(target))
            let gain = sigma > 1e-6 ? sigmaT / sigma : 1
            for i in y.indices { y[i] = (y[i] - mu) * gain + muT }
        }
        for i in y.indices { y[i] = min(max(y[i], 0), 1) }
        return Image(width: image.width, height: image.height, channels: 3, pixels: y + y + y)
    }

    /// The luminance of `stylized` combined with the chroma (I, Q) of `content` (same size), clamped to 0…1.
    public static func recombine(luminanceOf stylized: Image, chromaOf content: Image) -> Image {
        precondition(stylized.width == content.width && stylized.height == content.height,
                     "recombine: sizes differ")
        let plane = content.width * content.height
        var yiq = self.yiq(content)
        let y = luminance(stylized)
        yiq.replaceSubrange(0..<plane, with: y)
        var rgb = transform(yiq, by: yiqToRGB, planeSize: plane)
        for i in rgb.indices { rgb[i] = min(max(rgb[i], 0), 1) }
        return Image(width: content.width, height: content.height, channels: 3, pixels: rgb)
    }

    /// `style` with its colours affinely mapped to `content`'s mean and covariance, x' = A(x − μ_S) + μ_C,
    /// A = Σ_C^½ Σ_S^−½, clamped to 0…1. Eigenvalues of Σ_S below 1e-5·λ_max are floored there, so a nearly grey
    /// style (singular covariance) gets a bounded gain instead of an explosion.
    public static func matchHistogram(of style: Image, to content: Image, clamp: Bool = true) -> Image {
        let s = rgb(style), c = rgb(content)
        let (muS, covS) = meanAndCovariance(s)
        let (muC, covC) = meanAndCovariance(c)
        let a = covC.symmetricPower(0.5).multiplied(by: covS.symmetricPower(-0.5))
        let plane = s.width * s.height
        var out = s.pixels
        for p in 0..<plane {
            let x = [s.pixels[p] - muS[0], s.pixels[plane + p] - muS[1], s.pixels[2 * plane + p] - muS[2]]
            for r in 0..<3 {
                var v = muC[r]
                for k in 0..<3 { v += a[r, k] * x[k] }
                out[r * plane + p] = clamp ? min(max(v, 0), 1) : v
            }
        }
        return Image(width: s.width, height: s.height, channels: 3, pixels: out)
    }

    /// Per-channel mean and the 3×3 covariance of an RGB image's pixels.
    public static func meanAndCovariance(_ image: Image) -> (mean: [Float], covariance: Matrix3) {
        let plane = image.width * image.height
        let px = rgb(image).pixels
        var mean = [Double](repeating: 0, count: 3)
        for c in 0..<3 { for p in 0..<plane { mean[c] += Double(px[c * plane + p]) } }
        mean = mean.map { $0 / Double(max(plane, 1)) }
        var cov = [[Double]](repeating: [0, 0, 0], count: 3)
        for p in 0..<plane {
            let d = (0..<3).map { Double(px[$0 * plane + p]) - mean[$0] }
            for r in 0..<3 { for k in 0..<3 { cov[r][k] += d[r] * d[k] } }
        }
        let n = Double(max(plane, 1))
        return (mean.map { Float($0) }, Matrix3(rows: cov.map { $0.map { $0 / n } }))
    }

    static func meanAndDeviation(_ values: [Float]) -> (mean: Float, deviation: Float) {
        guard !values.isEmpty else { return (0, 0) }
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return (Float(mean), Float(variance.squareRoot()))
    }

    static func transform(_ planes: [Float], by m: Matrix3, planeSize plane: Int) -> [Float] {
        var out = planes
        for p in 0..<plane {
            let x0 = planes[p], x1 = planes[plane + p], x2 = planes[2 * plane + p]
            for r in 0..<3 {
                out[r * plane + p] = Float(m[r, 0]) * x0 + Float(m[r, 1]) * x1 + Float(m[r, 2]) * x2
            }
        }
        return out
    }
}

/// A 3×3 matrix in double precision, with what colour control needs: product, inverse and powers of
/// symmetric positive semi-definite matrices via the Jacobi eigenvalue method.
public struct Matrix3: Equatable, Sendable {
    /// Row-major entries.
    public var entries: [Double]

    /// A matrix from three rows of three values.
    public init(rows: [[Double]]) {
        precondition(rows.count == 3 && rows.allSatisfy { $0.count == 3 }, "Matrix3: need 3×3")
        entries = rows.flatMap { $0 }
    }

    /// The identity.
    public static let identity = Matrix3(rows: [[1, 0, 0], [0, 1, 0], [0, 0, 1]])

    public subscript(r: Int, c: Int) -> Float {
        Float(entries[r * 3 + c])
    }

    func at(_ r: Int, _ c: Int) -> Double { entries[r * 3 + c] }

    /// self · other.
    public func multiplied(by other: Matrix3) -> Matrix3 {
        Matrix3(rows: (0..<3).map { r in (0..<3).map { c in (0..<3).reduce(0.0) { $0 + at(r, $1) * other.at($1, c) } } })
    }

    /// The transpose.
    public var transposed: Matrix3 { Matrix3(rows: (0..<3).map { r in (0..<3).map { at($0, r) } }) }

    /// The inverse by cofactors (the caller guarantees non-singularity; used for the constant YIQ matrix).
    public func inverse() -> Matrix3 {
        let cof = (0..<3).map { r in
            (0..<3).map { c -> Double in
                let rs = (0..<3).filter { $0 != r }, cs = (0..<3).filter { $0 != c }
                let minor = at(rs[0], cs[0]) * at(rs[1], cs[1]) - at(rs[0], cs[1]) * at(rs[1], cs[0])
                return (r + c) % 2 == 0 ? minor : -minor
            }
        }
        let det = (0..<3).reduce(0.0) { $0 + at(0, $1) * cof[0][$1] }
        return Matrix3(rows: (0..<3).map { r in (0..<3).map { c in cof[c][r] / det } })
    }

    /// Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations (Golub & Van Loan, §8.5):
    /// returns eigenvalues and the matrix whose columns are the corresponding eigenvectors.
    public func symmetricEigen() -> (values: [Double], vectors: Matrix3) {
        var a = entries, v = Matrix3.identity.entries
        for _ in 0..<50 {
            let off = a[1] * a[1] + a[2] * a[2] + a[5] * a[5]
            if off < 1e-30 { break }
            for (p, q) in [(0, 1), (0, 2), (1, 2)] where abs(a[p * 3 + q]) > 1e-300 {
                let theta = (a[q * 3 + q] - a[p * 3 + p]) / (2 * a[p * 3 + q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<3 {   // A ← A·J
                    let akp = a[k * 3 + p], akq = a[k * 3 + q]
                    a[k * 3 + p] = c * akp - s * akq
                    a[k * 3 + q] = s * akp + c * akq
                }
                for k in 0..<3 {   // A ← Jᵀ·A
                    let apk = a[p * 3 + k], aqk = a[q * 3 + k]
                    a[p * 3 + k] = c * apk - s * aqk
                    a[q * 3 + k] = s * apk + c * aqk
                }
                for k in 0..<3 {   // V ← V·J
                    let vkp = v[k * 3 + p], vkq = v[k * 3 + q]
                    v[k * 3 + p] = c * vkp - s * vkq
                    v[k * 3 + q] = s * vkp + c * vkq
                }
            }
        }
        var vectors = Matrix3.identity
        vectors.entries = v
        return ([a[0], a[4], a[8]], vectors)
    }

    /// V·diag(λᵢ^p)·Vᵀ for a symmetric positive semi-definite matrix; eigenvalues are floored at 1e-5·λ_max
    /// (and at 1e-12) so negative powers stay bounded.
    public func symmetricPower(_ power: Double) -> Matrix3 {
        let (values, v) = symmetricEigen()
        let floor = max((values.max() ?? 0) * 1e-5, 1e-12)
        let scaled = values.map { Foundation.pow(max($0, floor), power) }
        return Matrix3(rows: (0..<3).map { r in
            (0..<3).map { c in (0..<3).reduce(0.0) { $0 + v.at(r, $1) * scaled[$1] * v.at(c, $1) } }
        })
    }
}
