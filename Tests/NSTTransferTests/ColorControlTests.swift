import Foundation
import NSTImage
import Testing
@testable import NSTTransfer
import NSTTestSupport

@Suite("Colour control")
struct ColorControlTests {
    /// An example image (`Examples/<name>`) scaled to `side` pixels on its longest side.
    func photo(_ name: String, side: Int) throws -> Image {
        try ImageIO.load(URL(fileURLWithPath: exampleImage(name))).resized(longestSide: side).toRGB()
    }

    @Test("Jacobi eigen-decomposition reconstructs a symmetric matrix; Σ^½·Σ^½ = Σ, Σ^½·Σ^−½ = I")
    func jacobi() {
        let m = Matrix3(rows: [[4, 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 2]])
        let (values, v) = m.symmetricEigen()
        let rebuilt = v.multiplied(by: Matrix3(rows: [[values[0], 0, 0], [0, values[1], 0], [0, 0, values[2]]]))
            .multiplied(by: v.transposed)
        for i in 0..<9 { #expect(abs(rebuilt.entries[i] - m.entries[i]) < 1e-9) }
        let root = m.symmetricPower(0.5)
        let square = root.multiplied(by: root)
        let identity = root.multiplied(by: m.symmetricPower(-0.5))
        for i in 0..<9 {
            #expect(abs(square.entries[i] - m.entries[i]) < 1e-9)
            #expect(abs(identity.entries[i] - Matrix3.identity.entries[i]) < 1e-9)
        }
    }

    @Test("YIQ round trip is exact to float precision")
    func yiqRoundTrip() throws {
        let image = try photo("content/coffee.png", side: 32)
        let back = ColorControl.transform(ColorControl.yiq(image), by: ColorControl.yiqToRGB, planeSize: image.width * image.height)
        for i in back.indices { #expect(abs(back[i] - image.pixels[i]) < 1e-5) }
    }

    @Test("histogram matching gives the style the content's mean and covariance")
    func histogramMatching() throws {
        let content = try photo("content/coffee.png", side: 48), style = try photo("styles/ihc.png", side: 48)
        let matched = ColorControl.matchHistogram(of: style, to: content, clamp: false)
        let (mu, cov) = ColorControl.meanAndCovariance(matched)
        let (muC, covC) = ColorControl.meanAndCovariance(content)
        for c in 0..<3 { #expect(abs(mu[c] - muC[c]) < 1e-4) }
        for i in 0..<9 { #expect(abs(cov.entries[i] - covC.entries[i]) < 1e-4) }
        let change = zip(matched.pixels, style.pixels).map { abs($0 - $1) }.reduce(0, +) / Float(style.pixels.count)
        #expect(change > 0.02, "the style's colours really changed (mean change \(change))")
    }

    @Test("luminance images are grey and carry the content's luminance mean and deviation")
    func luminanceStatistics() throws {
        let content = try photo("content/coffee.png", side: 48), style = try photo("styles/ihc.png", side: 48)
        let grey = ColorControl.luminanceImage(style, matchingStatisticsOf: content)
        let plane = grey.width * grey.height
        #expect(Array(grey.pixels[0..<plane]) == Array(grey.pixels[plane..<2 * plane]))
        let (m, s) = ColorControl.meanAndDeviation(ColorControl.luminance(grey))
        let (mc, sc) = ColorControl.meanAndDeviation(ColorControl.luminance(content))
        #expect(abs(m - mc) < 0.01 && abs(s - sc) < 0.01)
    }

    @Test("luminance-only transfer: the output's chroma (I, Q) equals the content's")
    func luminanceTransferKeepsChroma() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = tinyConfiguration(output: folder.appendingPathComponent("lum.png"))
        config.preserveColor = .luminance
        config.styleWeight = 1e5
        let result = try StyleTransfer(configuration: config, weights: tinyWeights).run()
        let written = try ImageIO.load(URL(fileURLWithPath: config.output))
        let content = try ImageIO.load(URL(fileURLWithPath: try #require(config.content)))
            .resized(width: written.width, height: written.height)
        let plane = written.width * written.height
        let out = ColorControl.yiq(written), ref = ColorControl.yiq(content)
        var chromaError: Float = 0, lumaChange: Float = 0
        for p in plane..<(3 * plane) { chromaError = max(chromaError, abs(out[p] - ref[p])) }
        for p in 0..<plane { lumaChange += abs(out[p] - ref[p]) / Float(plane) }
        // 8-bit quantisation and clamping at the gamut edge allow a few levels of error.
        #expect(chromaError < 0.03, "max chroma difference \(chromaError)")
        #expect(lumaChange > 0.005, "the luminance was stylised (mean change \(lumaChange))")
        #expect(result.iterations == config.iterations)
    }
}
