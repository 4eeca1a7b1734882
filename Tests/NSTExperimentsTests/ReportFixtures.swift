import Foundation
import NSTImage
import NSTTransfer
@testable import NSTExperiments
import NSTTestSupport

/// Synthetic sweep folders in the format `nst-exp run` writes (plan.json, manifest.json, runs/<index>-<hash>/…),
/// with finished, failed, unfinished and not-yet-started runs, for the report tests. plan.json and status.json are
/// written as key-value text without `format_version`, as sweep folders written before that field hold them, so every
/// report test also checks that such folders still read.
struct SyntheticSweep {
    let directory: URL
    let name: String
    let styleWeights: [Double]
    let tvWeights: [Double]
    /// Run indices by state.
    let failed: Int, unfinished: Int, pending: Int
    /// A setting every run shares (differs between sweeps in comparisons).
    let optimizer: String
    /// The finished run that saved snapshots.
    let withSnapshots = 0
    static let failureMessage = "VGG-19 weights not found at /nowhere <script>alert(\"x\")</script> & more"

    var runCount: Int { styleWeights.count * tvWeights.count }
    var finished: [Int] { (0..<runCount).filter { ![failed, unfinished, pending].contains($0) } }

    static func id(_ index: Int) -> String { String(format: "%04d-%08x", index, 0x1a2b_0000 + index * 7919) }

    /// A fresh temporary folder.
    static func temporaryFolder(_ label: String) throws -> URL { try NSTTestSupport.temporaryFolder("nst-report-\(label)") }

    /// Writes a style_weight × tv_weight sweep into `directory`; `offset` scales the losses (for comparisons).
    @discardableResult
    static func write(to directory: URL, name: String = "synthetic-grid", styleWeights: [Double] = [100, 1000, 10000, 100000],
                      tvWeights: [Double] = [0, 0.001], failed: Int = 5, unfinished: Int = 6, pending: Int = 7,
                      offset: Double = 1, optimizer: String = "lbfgs", withPlan: Bool = true) throws -> SyntheticSweep {
        let sweep = SyntheticSweep(directory: directory, name: name, styleWeights: styleWeights, tvWeights: tvWeights,
                                   failed: failed, unfinished: unfinished, pending: pending, optimizer: optimizer)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("runs"), withIntermediateDirectories: true)
        var planRuns: [[String: Any]] = []
        for index in 0..<sweep.runCount {
            let sw = styleWeights[index / tvWeights.count], tv = tvWeights[index % tvWeights.count]
            planRuns.append(["index": index, "id": id(index), "dir": "runs/\(id(index))",
                             "params": ["style_weight": sw, "tv_weight": tv], "config_hash": String(repeating: "ab", count: 32)])
            if index != pending { try sweep.writeRun(index, styleWeight: sw, tvWeight: tv, offset: offset) }
        }
        if withPlan {
            try json(["name": name, "swept": ["style_weight", "tv_weight"],
                      "report": ["rows": "style_weight", "columns": "tv_weight"], "runs": planRuns],
                     to: directory.appendingPathComponent("plan.json"))
        }
        try json(["toolkit_version": "0.1.0", "git_commit": "0123456789abcdef", "git_dirty": false, "swift_version": "6.3",
                  "blas": "OpenBLAS 0.3.21", "threads": 2, "cpu": "Test CPU @ 2.0GHz",
                  "command_line": ["nst-exp", "run", "sweep.json"], "started": "2026-11-25T10:00:00Z", "ended": "2026-11-25T10:05:00Z",
                  "weights": ["path": "/cache/vgg19.safetensors", "sha256": String(repeating: "0f", count: 32)],
                  "inputs": ["../Examples/content/chelsea.png": String(repeating: "12", count: 32)]],
                 to: directory.appendingPathComponent("manifest.json"))
        try Data("{\"name\": \"\(name)\", \"grid\": {\"style_weight\": [100, 1000, 10000, 100000], \"tv_weight\": [0, 0.001]}}\n".utf8)
            .write(to: directory.appendingPathComponent("sweep.json"))
        // A runs.csv from one shard only: the report must not depend on it.
        try Data("index,id,status,style_weight,tv_weight,total,content,style,tv,iterations,seconds,peak_rss_mib\n0,\(id(0)),finished,100,0,1,1,1,0,30,1,100\n".utf8)
            .write(to: directory.appendingPathComponent("runs.csv"))
        return sweep
    }

    func writeRun(_ index: Int, styleWeight sw: Double, tvWeight tv: Double, offset: Double) throws {
        let folder = directory.appendingPathComponent("runs/\(Self.id(index))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.json(["content": "/data/Examples/content/chelsea.png", "style": ["/data/Examples/styles/ihc.png"], "size": 64,
                       "iterations": 30, "optimizer": optimizer, "style_weight": sw, "tv_weight": tv, "content_weight": 1,
                       "style_layers": ["relu1_1", "relu2_1"], "init": "content", "seed": 0, "output": "final.png"],
                      to: folder.appendingPathComponent("config.json"))
        if index == failed {
            try Self.json(["index": index, "id": Self.id(index), "status": "failed", "error": Self.failureMessage,
                           "config_hash": "ab", "final": NSNull(), "iterations": 0, "seconds": 0.2, "peak_rss_mib": 80,
                           "started": "2026-11-25T10:01:00Z", "ended": "2026-11-25T10:01:01Z", "output": "final.png"],
                          to: folder.appendingPathComponent("status.json"))
            return
        }
        let iterations = index == unfinished ? 12 : 30
        let columns = LossLogColumns(terms: ["content", "style", "tv"], layers: ["style_relu1_1", "style_relu2_1", "content_relu4_2"])
        var csv = columns.header.joined(separator: ",") + "\n"
        var last = (total: 0.0, content: 0.0, style: 0.0, tv: 0.0)
        for it in 0...iterations {
            let t = Double(it)
            let style = offset * sw * (10 * exp(-t / 6) + 0.02)
            let content = offset * 1000 * (1 - exp(-t / 5)) + 1
            let tvTerm = tv * 1e6 * (1 + exp(-t / 8))
            last = (style + content + tvTerm, content, style, tvTerm)
            csv += "\(it),\(last.total),\(content),\(style),\(tvTerm),\(0.1 * t),\(style * 0.6),\(style * 0.4),\(content)\n"
        }
        if index == unfinished { csv += "13,12" }   // cut short by the kill
        try Data(csv.utf8).write(to: folder.appendingPathComponent("losses.csv"))
        if index == unfinished { return }
        try ImageIO.save(Self.picture(index), to: folder.appendingPathComponent("final.png"))
        if index == withSnapshots {
            for it in [10, 20] {
                try ImageIO.save(Self.picture(index, fade: Float(it) / 30),
                                 to: folder.appendingPathComponent(String(format: "snapshot-%05d.png", it)))
            }
        }
        try Self.json(["index": index, "id": Self.id(index), "status": "finished", "error": NSNull(), "config_hash": "ab",
                       "final": ["total": last.total, "content": last.content, "style": last.style, "tv": last.tv],
                       "iterations": iterations, "seconds": 3.0 + Double(index), "peak_rss_mib": 150 + index,
                       "started": "2026-11-25T10:00:00Z", "ended": "2026-11-25T10:00:03Z", "output": "final.png"],
                      to: folder.appendingPathComponent("status.json"))
    }

    /// A 48×40 colour pattern that differs per run.
    static func picture(_ index: Int, fade: Float = 1) -> Image {
        var image = Image(width: 48, height: 40, channels: 3)
        let plane = 48 * 40
        for y in 0..<40 {
            for x in 0..<48 {
                let i = y * 48 + x
                image.pixels[i] = fade * Float(x) / 47
                image.pixels[plane + i] = fade * Float((index * 37) % 100) / 100
                image.pixels[2 * plane + i] = Float(y) / 39 * (((x / 8 + y / 8 + index) % 2 == 0) ? 1 : 0.5)
            }
        }
        return image
    }

    static func json(_ object: Any, to url: URL) throws {
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: url)
    }
}
