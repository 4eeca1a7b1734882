import Foundation
import NSTImage
import NSTNetwork
import NSTTensor
import Testing
@testable import NSTTransfer
import NSTTestSupport

@Suite("Photorealism term (matting Laplacian)")
struct PhotorealismTests {
    /// RGB planes in [0, 1]: smooth gradients, noise, and a flat block (zero covariance, where ε alone regularises).
    func contentImage(width: Int, height: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        for c in 0..<3 {
            for y in 0..<height {
                for x in 0..<width {
                    let flat = x < width / 3 && y < height / 2
                    pixels[(c * height + y) * width + x] = flat ? 0.25 * Float(c + 1)
                        : min(1, max(0, 0.3 * Float(x) / Float(width) + 0.2 * Float(c) + 0.5 * rng.nextUnitFloat()))
                }
            }
        }
        return pixels
    }

    func randomPlane(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in rng.nextUnitFloat() }
    }

    @Test("box-filter product M·p equals the explicit Levin et al. matrix (3×3 and 5×5 windows, up to 32×32)",
          arguments: [(12, 10, 1), (32, 32, 1), (17, 13, 2)])
    func matchesExplicitMatrix(width: Int, height: Int, radius: Int) {
        let image = contentImage(width: width, height: height, seed: UInt64(width))
        let n = width * height
        let explicit = MattingLaplacian.explicitMatrix(image: image, width: width, height: height, radius: radius, epsilon: 1e-5)
        let laplacian = MattingLaplacian(image: image, width: width, height: height, radius: radius, epsilon: 1e-5)
        for seed in 0..<2 {
            let p = randomPlane(n, seed: UInt64(40 + seed))
            var fast = [Double](repeating: 0, count: n)
            p.withUnsafeBufferPointer { pb in fast.withUnsafeMutableBufferPointer { laplacian.apply(pb.baseAddress!, into: $0.baseAddress!) } }
            var worst = 0.0, scale = 0.0
            for i in 0..<n {
                var reference = 0.0
                for j in 0..<n { reference += explicit[i * n + j] * Double(p[j]) }
                worst = max(worst, abs(fast[i] - reference))
                scale = max(scale, abs(reference))
            }
            #expect(scale > 0 && worst <= 1e-8 * scale, "\(width)×\(height) r=\(radius): max |Δ| \(worst) of \(scale)")
        }
    }

    @Test("with ε = 1e-7 the product stays accurate over a flat region, and M·1 = 0")
    func smallEpsilon() {
        let width = 20, height = 16, n = width * height
        let image = contentImage(width: width, height: height, seed: 3)
        let explicit = MattingLaplacian.explicitMatrix(image: image, width: width, height: height)
        let laplacian = MattingLaplacian(image: image, width: width, height: height)
        let p = randomPlane(n, seed: 9)
        var scratch: [Double] = []
        let energy = laplacian.energy(p, scratch: &scratch)
        var reference = 0.0
        for i in 0..<n { for j in 0..<n { reference += Double(p[i]) * explicit[i * n + j] * Double(p[j]) } }
        #expect(energy > 0 && abs(energy - reference) <= 1e-7 * reference, "\(energy) vs \(reference)")
        _ = laplacian.energy([Float](repeating: 0.7, count: n), scratch: &scratch)
        #expect(scratch.allSatisfy { abs($0) < 1e-9 }, "M·1 = \(scratch.map(abs).max() ?? 0)")
    }

    @Test("an output that is an affine function of the content's colours has (almost) no energy; noise has a lot")
    func affineOutputIsPhotorealistic() {
        let width = 24, height = 20, n = width * height
        let image = contentImage(width: width, height: height, seed: 5)
        let laplacian = MattingLaplacian(image: image, width: width, height: height)
        // Each output channel = a mix of the content's channels plus an offset (a global colour transform).
        var affine = [Float](repeating: 0, count: 3 * n)
        for c in 0..<3 {
            for i in 0..<n { affine[c * n + i] = 0.1 * Float(c) + 0.5 * image[i] + 0.3 * image[n + i] - 0.2 * image[2 * n + i] }
        }
        let noisy = randomPlane(3 * n, seed: 6)
        let e0 = laplacian.meanEnergy(of: affine), e1 = laplacian.meanEnergy(of: noisy)
        #expect(e0 >= 0 && e0 < 1e-6 && e1 > 1e-2, "affine \(e0), noise \(e1)")
    }

    @Test("the term's value is λ/N·Σ_c V_cᵀMV_c on the [0,1] RGB image and its gradient in network space matches finite differences")
    func termGradient() {
        let width = 14, height = 11, n = width * height
        let image = contentImage(width: width, height: height, seed: 7)
        let term = PhotorealismTerm(content: image, width: width, height: height, weight: 300)
        var rng = SplitMix64(seed: 8)
        let output = (0..<(3 * n)).map { _ in rng.nextUnitFloat() }
        var rgb = Image(width: width, height: height, channels: 3)
        rgb.pixels = output
        let x = VGGInput.fromImage(rgb)
        var gradient = FeatureMap(channels: 3, height: height, width: width)
        let value = term.evaluate(image: x, gradient: &gradient)
        let expected = 300 * term.laplacian.meanEnergy(of: output)
        #expect(abs(Double(value) - expected) <= 1e-4 * expected, "\(value) vs \(expected)")
        func loss(_ v: [Float]) -> Float {
            var g = FeatureMap(channels: 3, height: height, width: width)
            return term.evaluate(image: FeatureMap(channels: 3, height: height, width: width, data: v), gradient: &g)
        }
        for seed in 0..<3 {
            var r = SplitMix64(seed: UInt64(20 + seed))
            let direction = x.data.map { _ in r.nextUnitFloat() * 2 - 1 }
            let analytic = zip(gradient.data, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let numeric = directionalDerivative(loss, at: x.data, along: direction, step: 2)   // quadratic: exact up to rounding
            #expect(abs(numeric - analytic) <= 1e-3 * abs(analytic), "direction \(seed): numeric \(numeric), analytic \(analytic)")
        }
        // Gradient at a single pixel against a one-sided pair of evaluations.
        var plus = x.data, minus = x.data
        plus[37] += 1; minus[37] -= 1
        let numeric = (Double(loss(plus)) - Double(loss(minus))) / 2
        #expect(abs(numeric - Double(gradient.data[37])) <= 1e-2 * abs(numeric) + 1e-6)
    }

    @Test("configuration: the keys decode, encode only when set, and bad values are refused naming the key")
    func configurationKeys() throws {
        let config = try RunConfiguration.decode(from: Data(#"{"photorealism_weight": 1000, "photorealism_window": 5}"#.utf8))
        #expect(config.value(of: PhotorealismTerm.weight) == 1000 && config.value(of: PhotorealismTerm.window) == 5)
        #expect(config.value(of: PhotorealismTerm.epsilon) == 1e-7)
        let encoded = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        #expect(encoded.contains("\"photorealism_weight\":1000") && !encoded.contains("photorealism_epsilon"))
        #expect(try RunConfiguration.decode(from: Data(encoded.utf8)) == config)
        #expect(!String(decoding: try JSONEncoder().encode(RunConfiguration()), as: UTF8.self).contains("photorealism"))
        #expect(RunConfiguration.keys.contains("photorealism_epsilon"))
        for (key, value) in [("photorealism_weight", "-1"), ("photorealism_window", "4"), ("photorealism_epsilon", "0")] {
            var bad = try RunConfiguration.decode(from: Data("{\"\(key)\": \(value)}".utf8))
            bad.content = sharedImage("gatys/tubingen.jpg")
            bad.style = [sharedImage("gatys/starry_night.jpg")]
            #expect { try bad.validate() } throws: { "\($0)".contains(key) }
        }
        #expect { try RunConfiguration.decode(from: Data(#"{"photorealism_wieght": 1}"#.utf8)) } throws: {
            "\($0)".contains("photorealism_weight")
        }
    }

    @Test("a run with the term logs a photorealism column, and its output's matting energy is lower than without it")
    func transferLowersEnergy() throws {
        guard FileManager.default.fileExists(atPath: sharedImage("gatys/tubingen.jpg")) else {
            print("skipped: ../shared/images is not there"); return
        }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var energies: [Double] = []
        for lambda in [0.0, 1e10] {
            var config = tinyConfiguration(output: folder.appendingPathComponent("out\(Int(lambda)).png"))
            config.log = folder.appendingPathComponent("loss\(Int(lambda)).csv").path
            config.iterations = 15
            config.termSettings["photorealism_weight"] = lambda
            let result = try StyleTransfer(configuration: config, weights: tinyWeights).run()
            let header = try String(contentsOfFile: config.log!, encoding: .utf8).split(separator: "\n")[0]
            #expect(header.hasPrefix(lambda > 0 ? "iteration,total,content,style,tv,photorealism,seconds," : "iteration,total,content,style,tv,seconds,"))
            let content = try config.plan().content.resized(width: result.image.width, height: result.image.height)
            let laplacian = MattingLaplacian(image: content.pixels, width: content.width, height: content.height)
            energies.append(laplacian.meanEnergy(of: result.image.pixels))
            if lambda > 0, let last = result.history.last?.losses {
                #expect(last[term: "photorealism"] > 0 && last.total == last.terms.reduce(0) { $0 + $1.value })
            }
        }
        #expect(energies[1] < 0.5 * energies[0], "energy without the term \(energies[0]), with it \(energies[1])")
    }
}
