import ArgumentParser
import Foundation
import NSTExperiments

/// `nst-exp report DIR`: rebuilds a sweep's report from its files.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Build DIR/report/ (plots, contact sheet, index.html, README.md) from a sweep folder's files alone.")

    @Argument(help: "Sweep output folder, e.g. Reports/style-weight-vs-tv (merged Slurm shards work too).")
    var directory: String

    @Option(help: "Write the report here instead of DIR/report.")
    var output: String?

    @Option(help: "Longest side of thumbnails and contact-sheet cells, in pixels.")
    var thumbnailSize: Int = 256

    func run() throws {
        guard thumbnailSize >= 32 else { throw ValidationError("--thumbnail-size must be at least 32, got \(thumbnailSize)") }
        let writer = try ReportWriter(thumbnailSize: thumbnailSize)
        let summary = try writer.write(sweep: URL(fileURLWithPath: directory), to: output.map { URL(fileURLWithPath: $0) })
        for warning in summary.warnings { print("note: \(warning)") }
        print("wrote \(summary.figures.count) figures, \(summary.index.path) and \(summary.readme.lastPathComponent)")
    }
}
