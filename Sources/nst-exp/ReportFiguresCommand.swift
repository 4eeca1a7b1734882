import ArgumentParser
import Foundation
import NSTExperiments

/// `nst-exp report-figures ROOT`: one page over the figure-group sweeps under ROOT.
struct ReportFiguresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report-figures",
        abstract: "Rebuild the report of every sweep folder under ROOT and write ROOT/index.html showing all of them as figure groups.")

    @Argument(help: "Folder holding one sweep output folder per figure group.")
    var root: String = "Reports/report-figures"

    @Option(help: "Page title.")
    var title: String = "Figures of the report, reproduced"

    func run() throws {
        let summary = try FigureIndex(writer: ReportWriter()).write(root: URL(fileURLWithPath: root), title: title)
        for warning in summary.warnings { print("note: \(warning)") }
        print("wrote \(summary.figures.count) figures into \(summary.index.path)")
    }
}
