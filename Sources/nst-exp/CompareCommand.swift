import ArgumentParser
import Foundation
import NSTExperiments

/// `nst-exp compare DIR1 DIR2 …`: one report over several sweeps.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare sweeps: matching runs (same swept values) side by side, and the union of their runs tables.")

    @Argument(help: "Two or more sweep output folders.")
    var directories: [String]

    @Option(help: "Folder for the comparison report (default: Reports/compare-<name>-vs-<name>…).")
    var output: String?

    @Option(help: "Longest side of thumbnails and contact-sheet cells, in pixels.")
    var thumbnailSize: Int = 256

    func run() throws {
        guard thumbnailSize >= 32 else { throw ValidationError("--thumbnail-size must be at least 32, got \(thumbnailSize)") }
        let sweeps = try directories.map { try SweepResults.load(URL(fileURLWithPath: $0)) }
        let comparison = try SweepComparison(sweeps)
        let folder = output ?? comparison.defaultFolder
        let summary = try ComparisonWriter(thumbnailSize: thumbnailSize).write(comparison, to: URL(fileURLWithPath: folder))
        for warning in summary.warnings { print("note: \(warning)") }
        print("compared \(sweeps.count) sweeps (\(comparison.shared.count) matching settings); wrote \(summary.index.path)")
    }
}
