import Foundation
import Testing
@testable import NSTExperiments
import NSTImage
import NSTNetwork
import NSTTensor
import NSTTransfer
import NSTTestSupport

@Suite struct NetworkBenchmarkTests {
    @Test func flopCountFollowsTheLayerShapes() {
        // Forward to relu5_1 then the same again backward: Σ 2·s²·Cin·Cout·9 over conv1_1…conv5_1, twice.
        let shapes: [(side: Int, cin: Int, cout: Int)] = [(64, 3, 64), (64, 64, 64), (32, 64, 128), (32, 128, 128),
            (16, 128, 256), (16, 256, 256), (16, 256, 256), (16, 256, 256),
            (8, 256, 512), (8, 512, 512), (8, 512, 512), (8, 512, 512), (4, 512, 512)]
        let expected = 2 * shapes.reduce(0.0) { $0 + 2 * Double($1.side * $1.side * $1.cin * $1.cout * 9) } / 1e9
        let got = NetworkBenchmark.gflop(size: 64, weights: .random(seed: 1))
        #expect(abs(got - expected) < 1e-9)
    }

    @Test func reportsTimesAndLayerProfile() {
        let result = NetworkBenchmark(size: 32, repeats: 2).run(weights: .random(seed: 2, widthDivisor: 8), weightsLabel: "random")
        #expect(result.medianSeconds > 0 && result.minSeconds <= result.medianSeconds)
        #expect(result.cpuSecondsPerIteration > 0)
        #expect(result.peakRSSMiB > 1)
        #expect(result.layers.map(\.name).prefix(3) == ["conv1_1", "conv1_2", "pool1"])
        #expect(result.layers.first { $0.name == "conv5_1" }.map { $0.forward > 0 && $0.backward > 0 } == true)
        #expect(result.layers.first { $0.name == "conv5_2" }.map { $0.forward + $0.backward } == 0)
    }
}

@Suite struct FeatureExtractionTests {
    @Test(.needsSharedImages) func extractsRealFeaturesAndWritesMosaics() throws {
        let weights = try VGGWeights.loadInstalled()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("nst-features-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let layers = try ["relu1_1", "relu3_1", "relu5_1"].map { try LayerName($0) }
        let summaries = try FeatureExtraction.run(image: sharedImageURL("gatys/tubingen.jpg"), size: 128, layers: layers,
                                                  network: VGG19(weights: weights), output: out)
        #expect(summaries.map(\.layer) == ["relu1_1", "relu3_1", "relu5_1"])
        #expect(summaries.map { [$0.channels, $0.height, $0.width] } == [[64, 96, 128], [256, 24, 32], [512, 6, 8]])
        for s in summaries {
            #expect(s.mean > 0 && s.max > s.mean)
            #expect(s.activeFraction > 0.05 && s.activeFraction < 0.95)
            let mosaic = try ImageIO.load(out.appendingPathComponent("\(s.layer).png"))
            #expect(mosaic.channels == 1 && mosaic.width >= 96 * 4)
            #expect(Set(mosaic.pixels.map { ($0 * 8).rounded() }).count > 4, "mosaic of \(s.layer) is flat")
        }
        let json = try JSONDecoder().decode([FeatureExtraction.LayerSummary].self,
                                            from: Data(contentsOf: out.appendingPathComponent("features.json")))
        #expect(json == summaries)
    }

    @Test func badInputsFailBeforeWork() throws {
        let net = VGG19(weights: .random(seed: 3, widthDivisor: 16))
        let relu51 = try LayerName("relu5_1")
        #expect(throws: ImageError.self) {
            try FeatureExtraction.run(image: URL(fileURLWithPath: "/nonexistent/x.png"), size: 64, layers: [relu51], network: net, output: nil)
        }
        #expect(throws: NetworkError.self) {
            try FeatureExtraction.run(image: exampleImageURL("content/coffee.png"), size: 8, layers: [relu51], network: net, output: nil)
        }
    }
}

@Suite struct StepBenchmarkTests {
    /// Whole L-BFGS steps on the real network and images: the loss falls, every part of the step is timed,
    /// and the parts add up to no more than the step.
    @Test func timesRealLBFGSSteps() throws {
        var config = RunConfiguration()
        config.lbfgsHistoryMiB = 1   // a pair at 48×48 is 2·4·3·48² = 55 296 bytes, so 1 MiB holds ⌊18.96⌋ = 18
        let result = try StepBenchmark(size: 48, steps: 3, warmup: 1).run(
            weights: try VGGWeights.loadInstalled(), weightsLabel: "VGG-19",
            content: exampleImageURL("content/coffee.png"), style: exampleImageURL("styles/ihc.png"), configuration: config)
        #expect(result.size == 48 && result.steps == 3 && result.lbfgsHistory == 18)
        let t = result.shortHistory
        #expect(t.evaluationsPerStep >= 1)
        #expect(t.medianSeconds > 0 && t.minSeconds <= t.medianSeconds)
        #expect(t.forwardSeconds > 0 && t.backwardSeconds > 0 && t.lossSeconds >= 0)
        #expect(t.forwardSeconds + t.backwardSeconds <= t.medianSeconds * 1.5)
        #expect(result.total.isFinite && result.total > 0 && result.style > 0 && result.content > 0)
        // Forward to relu5_1 and back, at 48×48: 2·Σ 2·s²·Cin·Cout·9.
        #expect(abs(result.gflop - NetworkBenchmark.gflop(width: 48, height: 48,
                                                           layers: try ["relu5_1"].map { try LayerName($0) },
                                                           weights: try VGGWeights.loadInstalled())) < 1e-9)
    }

    /// With `fullHistory` the run goes on until the optimizer holds its whole history, then times as many steps
    /// again; the short figure was taken with only the warm-up's pairs. The result names what ran.
    @Test func timesStepsWithTheHistoryFull() throws {
        var config = RunConfiguration()
        config.lbfgsHistory = 6
        let result = try StepBenchmark(size: 32, steps: 2, warmup: 1, fullHistory: true).run(
            weights: try VGGWeights.loadInstalled(), weightsLabel: "VGG-19",
            content: exampleImageURL("content/coffee.png"), style: exampleImageURL("styles/ihc.png"), configuration: config)
        #expect(result.lbfgsHistory == 6 && result.shortHistory.afterSteps == 1 && result.shortHistory.pairsHeld <= 1)
        let full = try #require(result.fullHistory)
        #expect(full.pairsHeld == 6 && full.afterSteps >= 6 && full.medianSeconds > 0 && full.cpuSecondsPerStep > 0)
        #expect(result.gflopPerSecond == result.gflop / result.shortHistory.medianSeconds)
        try expectJSONRoundTrip(result)
        #expect(result.system.blasCore == BLASKernels.coreName && result.system.convKernel == result.kernel)
        let shortOnly = try StepBenchmark(size: 32, steps: 1, warmup: 0).run(
            weights: try VGGWeights.loadInstalled(), weightsLabel: "VGG-19",
            content: exampleImageURL("content/coffee.png"), style: exampleImageURL("styles/ihc.png"), configuration: config)
        #expect(shortOnly.fullHistory == nil)
    }

    /// `bench --step --json`: a format version, each timing once (under `shortHistory` and `fullHistory`), and the file
    /// reads back; a version-1 file (the short timing repeated at the top level, no version) still reads.
    func expectJSONRoundTrip(_ result: StepBenchmark.Result) throws {
        let data = try JSONEncoder().encode(result)
        let top = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(top["format_version"] as? Int == StepBenchmark.Result.currentVersion)
        #expect(top["medianSeconds"] == nil && top["peakRSSMiB"] == nil && top["imageTermSeconds"] == nil)
        #expect((top["shortHistory"] as? [String: Any])?["medianSeconds"] is Double)
        let back = try JSONDecoder().decode(StepBenchmark.Result.self, from: data)
        #expect(back.shortHistory.medianSeconds == result.shortHistory.medianSeconds && back.total == result.total)
        var old = top
        old["format_version"] = nil
        let short = try #require(top["shortHistory"] as? [String: Any])
        for key in ["medianSeconds", "minSeconds", "cpuSecondsPerStep", "forwardSeconds", "peakRSSMiB", "imageTermSeconds"] {
            old[key] = short[key]
        }
        let v1 = try JSONDecoder().decode(StepBenchmark.Result.self, from: try JSONSerialization.data(withJSONObject: old))
        // (JSONSerialization may round the last bit of a double, hence the tolerance.)
        #expect(v1.formatVersion == 1 && abs(v1.shortHistory.medianSeconds / result.shortHistory.medianSeconds - 1) < 1e-12)
        var newer = top
        newer["format_version"] = StepBenchmark.Result.currentVersion + 1
        #expect(throws: NewerFormatError(path: "", version: StepBenchmark.Result.currentVersion + 1, newest: StepBenchmark.Result.currentVersion)) {
            try JSONDecoder().decode(StepBenchmark.Result.self, from: try JSONSerialization.data(withJSONObject: newer))
        }
    }

    @Test func missingImageIsAnErrorNamingIt() throws {
        #expect(throws: (any Error).self) {
            try StepBenchmark(size: 32, steps: 1, warmup: 0).run(
                weights: .random(seed: 1, widthDivisor: 16), weightsLabel: "random",
                content: URL(fileURLWithPath: "/nonexistent/content.png"), style: exampleImageURL("styles/ihc.png"))
        }
    }
}

@Suite struct KernelAgreementTests {
    /// The accuracy bar of `bench --accuracy`, at test size: after 50 L-BFGS iterations with the fast default kernel, every
    /// loss term at the reached iterate agrees with the im2col direct convolution to 1e-3 relative.
    @Test(.needsSharedImages) func fastDefaultKernelAgreesWithReferenceAfter50Iterations() throws {
        let result = try KernelAgreement(size: 64, iterations: 50).run(
            weights: try VGGWeights.loadInstalled(), content: sharedImageURL("gatys/tubingen.jpg"),
            style: sharedImageURL("gatys/starry_night.jpg"))
        #expect(result.fastKernel == "winograd4" && result.referenceKernel == "im2col")
        #expect(result.terms.map(\.name) == ["total", "content", "style", "tv", "content_relu4_2", "style_relu1_1",
                                             "style_relu2_1", "style_relu3_1", "style_relu4_1", "style_relu5_1"])
        #expect(result.worst <= 1e-3, "worst term \(result.worst)")
        #expect(result.gradientDifference > 0 && result.gradientDifference < 1e-2)
        // The iterate is 50 steps from the content image: the terms are far from their starting values.
        #expect(try #require(result.terms.first).reference < 1e9)
    }

    /// Comparing a kernel with itself gives exactly zero difference: the check has nothing built in.
    @Test func sameKernelAgreesExactly() throws {
        let result = try KernelAgreement(size: 32, iterations: 3, fast: .im2col, reference: .im2col).run(
            weights: .random(seed: 5, widthDivisor: 8), content: exampleImageURL("content/coffee.png"),
            style: exampleImageURL("styles/ihc.png"))
        #expect(result.worst == 0 && result.gradientDifference == 0 && result.trajectoryTotals.relativeDifference == 0)
    }
}
