import Foundation
import NSTNetwork
import NSTTransfer
import Testing
import NSTTestSupport
@testable import NSTExperiments

/// A sweep over `conv_kernel` with the installed VGG-19 at 32 px: each run records its kernel, the manifest names
/// every kernel, and the runs share no targets across kernels.
@Suite struct ConvKernelRecordTests {
    @Test func aSweepOverConvKernelRecordsEachRunsKernel() throws {
        let weights = VGGWeights.defaultURL
        guard FileManager.default.fileExists(atPath: weights.path) else { throw WeightsError.notInstalled(path: weights.path) }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = """
            {"name": "kernels", "base": {"content": "\(exampleImage("content/coffee.png"))",
               "style": "\(exampleImage("styles/ihc.png"))", "size": 32, "iterations": 2},
             "grid": {"conv_kernel": ["winograd4", "im2col"]}}
            """
        let out = folder.appendingPathComponent("out")
        let summary = try SweepRunner(sweep: try Fixtures.sweep(json, in: folder), options: SweepOptions(output: out)).run()
        #expect(summary.finished == 2 && summary.failed == 0)
        #expect(summary.targetHits == 0, "targets computed with one kernel must not serve the other")

        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json")))
        let system = (manifest as? [String: Any])?["system"] as? [String: Any]
        #expect(system?["conv_kernel"] as? String == "im2col, winograd4")

        let runs = try FileManager.default.contentsOfDirectory(at: out.appendingPathComponent("runs"),
                                                               includingPropertiesForKeys: nil)
        var seen: [ConvKernel] = []
        for run in runs {
            let configText = try String(contentsOf: run.appendingPathComponent("config.json"), encoding: .utf8)
            let config = try RunConfiguration.decode(from: Data(configText.utf8))
            seen.append(config.convKernel)
            #expect(configText.contains("conv_kernel") == (config.convKernel != .standard), "only a chosen kernel is written")
            let log = try String(contentsOf: run.appendingPathComponent("log.txt"), encoding: .utf8)
            #expect(log.contains("conv kernel \(config.convKernel.rawValue)"), "\(run.lastPathComponent)")
        }
        #expect(Set(seen) == [.winograd4, .im2col])
    }
}
