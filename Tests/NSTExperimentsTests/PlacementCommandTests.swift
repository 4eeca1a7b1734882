import Foundation
import NSTGuidance
import NSTImage
import Testing
@testable import NSTExperiments
import NSTTestSupport

/// `nst-exp placement` and the placement every guided run records, on synthetic images (no ../shared needed).
@Suite struct PlacementCommandTests {
    let folder: URL
    init() throws { folder = try temporaryFolder() }

    /// Diagonal red/white stripes (kind 0) or a blue/yellow 2-px checker (kind 1) in each half.
    static func halves(left: Int, right: Int, width: Int = 96, height: Int = 64) -> Image {
        var image = Image(width: width, height: height, channels: 3)
        for y in 0..<height { for x in 0..<width {
            let kind = x < width / 2 ? left : right
            let rgb: [Float] = kind == 0 ? ((x + y) % 8 < 4 ? [0.9, 0.1, 0.1] : [0.95, 0.95, 0.95])
                                         : (((x / 2) + (y / 2)) % 2 == 0 ? [0.1, 0.2, 0.9] : [0.95, 0.85, 0.1])
            for c in 0..<3 { image[c, y, x] = rgb[c] }
        } }
        return image
    }

    /// A colour label map: black left half, white right half.
    static func labelMap(width: Int = 96, height: Int = 64) -> Image {
        var image = Image(width: width, height: height, channels: 3)
        for y in 0..<height { for x in width / 2..<width { for c in 0..<3 { image[c, y, x] = 1 } } }
        return image
    }

    func save(_ image: Image, _ name: String) throws -> String { try Fixtures.save(image, name, in: folder) }

    @Test func jsonReportsOwnStyleAboveOneAndSwappedBelowOneAndBadInputIsAnError() throws {
        let exe = try nstExecutable()
        let style = try save(Self.halves(left: 0, right: 1), "style.png")
        let own = try save(Self.halves(left: 0, right: 1), "own.png")
        let swapped = try save(Self.halves(left: 1, right: 0), "swapped.png")
        let mask = try save(Self.labelMap(), "mask.png")
        let result = try ChildProcess.run(exe, ["placement", own, swapped, "--style", style, "--content-mask", mask,
                                            "--style-mask", mask, "--json"])
        #expect(result.status == 0, "\(result.output)")
        let json = String(result.output[(result.output.firstIndex(of: "[") ?? result.output.startIndex)...])
        let measured = try JSONDecoder().decode([Placement.FileMeasurement].self, from: Data(json.utf8))
        #expect(measured.count == 2)
        guard measured.count == 2 else { return }
        #expect(measured[0].outputSize == [96, 64] && measured[0].styleSize == [96, 64])
        #expect(measured[0].placement.regions.count == 2)
        for r in measured[0].placement.regions { #expect((r.ratio ?? 0) > Placement.goal && r.verdict == "placed", "\(r)") }
        for r in measured[1].placement.regions { #expect((r.ratio ?? 2) < 1 && r.verdict == "wrong", "\(r)") }
        #expect(json.contains("\"definition\"") && json.contains("\"meets_goal\" : true") && json.contains("\"meets_goal\" : false"))

        // The table form names the verdicts; --size rescales.
        let table = try ChildProcess.run(exe, ["placement", swapped, "--style", style, "--content-mask", mask, "--style-mask", mask,
                                           "--size", "128"])
        #expect(table.status == 0 && table.output.contains("output 128×85") && table.output.contains("wrong"), "\(table.output)")

        // A negative number after a space reaches the command's own check, not "Missing value for '--size'".
        let negative = try ChildProcess.run(exe, ["placement", swapped, "--style", style, "--content-mask", mask, "--style-mask", mask,
                                              "--size", "-3"])
        #expect(negative.status != 0 && negative.output.contains("--size must be ≥ 0") && negative.output.contains("-3"), "\(negative.output)")

        let missing = folder.appendingPathComponent("nope.png").path
        let bad = try ChildProcess.run(exe, ["placement", own, "--style", style, "--content-mask", missing, "--style-mask", mask])
        #expect(bad.status != 0 && bad.output.contains("nope.png"), "\(bad.output)")
        let wide = try save(Image(width: 200, height: 64, channels: 3), "wide.png")
        let misfit = try ChildProcess.run(exe, ["placement", own, "--style", style, "--content-mask", wide, "--style-mask", mask])
        #expect(misfit.status != 0 && misfit.output.contains("200×64"), "\(misfit.output)")
    }

    @Test func aGuidedSweepRunRecordsPlacementInStatusAndRunsTable() throws {
        let content = try save(Self.halves(left: 1, right: 0, width: 64, height: 64), "content.png")
        let style = try save(Self.halves(left: 0, right: 1, width: 64, height: 64), "style.png")
        let mask = try save(Self.labelMap(width: 64, height: 64), "mask.png")
        let json = """
        {"name": "placed", "base": {"content": "\(content)", "style": "\(style)", "content_mask": "\(mask)",
           "style_masks": "\(mask)", "size": 64, "iterations": 3},
         "grid": {"propagation": ["simple", "inside"]}}
        """
        let sweep = try Fixtures.sweep(json, in: folder)
        let options = SweepOptions(output: folder.appendingPathComponent("out"))
        let runner = try SweepRunner(sweep: sweep, options: options)
        #expect(try runner.run().finished == 2)
        for run in runner.plan.runs {
            let record = try Fixtures.json(RunRecord.self, at: folder.appendingPathComponent("out/\(run.directory)/status.json"))
            guard let p = record.placement else { Issue.record("no placement in \(run.directory)/status.json"); continue }
            #expect(p.regions.count == 2 && p.regions.allSatisfy { $0.ratio != nil && abs($0.share - 0.5) < 0.01 })
            #expect(p.layers == ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])
        }
        let csv = try String(contentsOf: folder.appendingPathComponent("out/runs.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines.first?.hasSuffix("placement_worst,placement_mean,placement_regions,photorealism_energy") == true, "\(lines.first ?? "")")
        #expect(lines.count == 3 && lines.dropFirst().allSatisfy { $0.contains("=") }, "\(csv)")
        let results = try SweepResults.load(folder.appendingPathComponent("out"))
        #expect(results.runs.allSatisfy { $0.placement?.regions.count == 2 })
    }
}
