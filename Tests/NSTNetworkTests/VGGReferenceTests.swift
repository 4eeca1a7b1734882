import Foundation
import Testing
import NSTImage
import NSTTensor
@testable import NSTNetwork
import NSTTestSupport

/// vgg_reference.json, written by Fixtures/make_vgg_fixture.py (float64 numpy, independent PNG decoder).
private struct Reference: Decodable {
    struct Crop: Decodable { let x, y, width, height: Int }
    struct Layer: Decodable {
        let shape: [Int]
        let channelMeans: [Double]
        let maxAbs: Double
        /// [channel, y, x, value]
        let samples: [[Double]]
    }
    let image: String
    let crop: Crop
    let weightsSourceSha256: String
    let layers: [String: Layer]
}

@Suite struct VGGReferenceTests {
    @Test(.needsSharedImages) func forwardMatchesTheFloat64NumpyReference() throws {
        let fixtureURL = packageRoot.appendingPathComponent("Tests/NSTNetworkTests/Fixtures/vgg_reference.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let reference = try decoder.decode(Reference.self, from: Data(contentsOf: fixtureURL))
        let weights = try TestData.installedWeights.get()
        #expect(weights.metadata[PasticheWeights.sourceHashKey] == reference.weightsSourceSha256)

        let imageURL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/images/\(reference.image)")
        let crop = try ImageIO.load(imageURL).cropped(x: reference.crop.x, y: reference.crop.y,
                                                      width: reference.crop.width, height: reference.crop.height)
        let names = reference.layers.keys.sorted()
        let layers = try names.map { try LayerName($0) }
        let outputs = VGG19(weights: weights).forward(VGGInput.fromImage(crop), layers: layers)

        for (name, layer) in zip(names, layers) {
            let expected = try #require(reference.layers[name])
            let actual = try #require(outputs[layer])
            #expect([actual.channels, actual.height, actual.width] == expected.shape, "\(name)")
            // float32 against float64: allow a small fraction of the layer's range (the observed worst
            // case is about 2e-7 of it); a wrong weight, channel order or mean shifts values far more.
            let tolerance = 1e-5 * expected.maxAbs
            var worst = 0.0
            for sample in expected.samples {
                let (c, y, x) = (Int(sample[0]), Int(sample[1]), Int(sample[2]))
                worst = max(worst, abs(Double(actual[c, y, x]) - sample[3]))
            }
            #expect(worst <= tolerance, "\(name): worst sample error \(worst), tolerance \(tolerance)")
            let plane = Double(actual.plane)
            var worstMean = 0.0
            for (c, mean) in expected.channelMeans.enumerated() {
                let sum = actual.data[(c * actual.plane)..<((c + 1) * actual.plane)].reduce(0.0) { $0 + Double($1) }
                worstMean = max(worstMean, abs(sum / plane - mean))
            }
            #expect(worstMean <= tolerance, "\(name): worst channel-mean error \(worstMean), tolerance \(tolerance)")
        }
    }
}
