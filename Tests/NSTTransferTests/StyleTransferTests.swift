import Foundation
import NSTImage
import NSTNetwork
import Testing
@testable import NSTTransfer
import NSTTestSupport

@Suite("Style transfer runs")
struct StyleTransferTests {
    @Test("a run lowers the loss and writes the image, snapshots and a consistent loss log")
    func endToEnd() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = tinyConfiguration(output: folder.appendingPathComponent("out.png"))
        config.saveEvery = 3
        config.tvWeight = 1
        config.log = folder.appendingPathComponent("loss.csv").path
        var events: [TransferEvent] = []
        let result = try StyleTransfer(configuration: config, weights: tinyWeights).run { events.append($0) }
        #expect(result.stopReason == .completed && result.iterations == 8)
        let first = try #require(result.history.first), last = try #require(result.history.last)
        #expect(last.losses.total < 0.5 * first.losses.total, "\(first.losses.total) → \(last.losses.total)")
        let image = try ImageIO.load(URL(fileURLWithPath: config.output))
        #expect(image.width == 40 && image.height == 27)
        for i in [3, 6] { #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out_\(i).png").path)) }
        #expect(events.contains { if case .saved(_, true) = $0 { return true }; return false })

        let lines = try String(contentsOfFile: try #require(config.log), encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "iteration,total,content,style,tv,seconds,content_relu4_2,style_relu1_1,style_relu2_1,style_relu3_1,style_relu4_1,style_relu5_1")
        #expect(lines.count == 1 + 9)   // rows for iterations 0…8
        for (k, line) in lines.dropFirst().enumerated() {
            let v = line.split(separator: ",").map { Double($0) ?? .nan }
            try #require(v.count == 12, "row \(k): \(line)")
            #expect(Int(v[0]) == k)
            #expect(abs(v[2] + v[3] + v[4] - v[1]) <= 1e-5 * v[1])          // weighted terms sum to total
            #expect(abs(v[6...].reduce(0, +) - (v[2] + v[3])) <= 1e-4 * v[1])   // per-layer columns sum to their terms
            #expect(v[4] > 0)
        }
    }

    @Test("same inputs, options and seed give identical output bytes (noise init, both optimizers)")
    func determinism() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for optimizer in OptimizerKind.allCases {
            var bytes: [Data] = []
            for run in 0..<2 {
                var config = tinyConfiguration(output: folder.appendingPathComponent("\(optimizer)-\(run).png"))
                config.initialization = .noise
                config.seed = 42
                config.optimizer = optimizer
                config.iterations = 5
                _ = try StyleTransfer(configuration: config, weights: tinyWeights).run()
                bytes.append(try Data(contentsOf: URL(fileURLWithPath: config.output)))
            }
            #expect(bytes.count == 2 && bytes.first == bytes.last, "\(optimizer) runs differ")
        }
        var other = tinyConfiguration(output: folder.appendingPathComponent("seed.png"))
        other.initialization = .noise
        other.seed = 43
        other.iterations = 5
        _ = try StyleTransfer(configuration: other, weights: tinyWeights).run()
        #expect(try Data(contentsOf: URL(fileURLWithPath: other.output))
                != Data(contentsOf: folder.appendingPathComponent("lbfgs-0.png")))
    }

    @Test("coarse-to-fine: each scale runs its iterations and the output has the last scale's size")
    func scales() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = tinyConfiguration(output: folder.appendingPathComponent("multi.jpg"))
        config.scales = [32, 48]
        config.iterationsPerScale = [4, 3]
        config.initialization = .style
        var stages: [(Int, Int)] = []
        let result = try StyleTransfer(configuration: config, weights: tinyWeights).run {
            if case .stageStarted(_, _, let w, let h, _) = $0 { stages.append((w, h)) }
        }
        #expect(stages.map(\.0) == [32, 48] && stages.map(\.1) == [21, 32])
        #expect(result.iterations == 7 && result.history.last?.width == 48)
        let image = try ImageIO.load(URL(fileURLWithPath: config.output))
        #expect(image.width == 48 && image.height == 32)
    }

    @Test("a stop request ends the run cleanly, writing the last image and the log")
    func interruption() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = tinyConfiguration(output: folder.appendingPathComponent("stopped.png"))
        config.log = folder.appendingPathComponent("stopped.csv").path
        let transfer = try StyleTransfer(configuration: config, weights: tinyWeights)
        let result = try transfer.run { event in
            if case .iteration(let report) = event, report.iteration == 3 { transfer.stopFlag.request() }
        }
        #expect(result.stopReason == .interrupted && result.iterations == 3)
        #expect(FileManager.default.fileExists(atPath: config.output))
        let rows = try String(contentsOfFile: try #require(config.log), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 1 + 4)
    }

    @Test("a loss that overflows stops with a divergence message and keeps the last good image")
    func divergence() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = tinyConfiguration(output: folder.appendingPathComponent("diverged.png"))
        config.styleWeight = 3e38   // finite and valid, but β·L_s overflows to inf
        let result = try StyleTransfer(configuration: config, weights: tinyWeights).run()
        guard case .diverged(let message) = result.stopReason else {
            Issue.record("expected divergence, got \(result.stopReason)"); return
        }
        #expect(message.contains("inf") && result.iterations == 0)
        let written = try ImageIO.load(URL(fileURLWithPath: config.output))
        let content = try ImageIO.load(URL(fileURLWithPath: try #require(config.content))).resized(width: 40, height: 27)
        let difference = zip(written.pixels, content.pixels).map { abs($0 - $1) }.max() ?? 1
        #expect(difference <= 1.0 / 255 + 1e-6)   // the starting (content) image, only 8-bit rounding apart
    }
}
