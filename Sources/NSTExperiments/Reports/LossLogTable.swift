import Foundation
import NSTTransfer

/// The per-iteration loss log `losses.csv` of one run as the reports read it: the columns `LossLogColumns` names
/// (`iteration`, `total`, the weighted terms, `seconds`, the per-layer `<term>_<layer>` columns) and one row of numbers
/// per iteration.
public struct LossLogTable: Equatable, Sendable {
    /// Column names from the header, e.g. `total`, `style_relu1_1`.
    public var columns: [String]
    /// One row per iteration, one value per column (NaN for empty cells).
    public var rows: [[Double]]

    /// The header's layout, nil for a log whose header does not start with `iteration,total` or has no `seconds`.
    public var layout: LossLogColumns? { LossLogColumns(header: columns) }

    /// The weighted loss terms of the log, in objective order.
    public var terms: [String] { layout?.terms ?? [] }

    /// Parses CSV text. A last line cut short by a killed run is dropped rather than rejected.
    public static func parse(_ text: String, path: String) throws -> LossLogTable {
        var lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        guard !lines.isEmpty else { return LossLogTable(columns: [], rows: []) }
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard header.first == LossLogColumns.iteration else {
            throw ReportError.malformedFile(path: path, reason: "the header starts with \"\(header.first ?? "")\", expected \"\(LossLogColumns.iteration)\"")
        }
        var rows: [[Double]] = []
        for (n, line) in lines.enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == header.count else {
                if n == lines.count - 1 { break }
                throw ReportError.malformedFile(path: path, reason: "line \(n + 2) has \(cells.count) cells, the header has \(header.count)")
            }
            var row: [Double] = []
            row.reserveCapacity(cells.count)
            for cell in cells {
                let trimmed = cell.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { row.append(.nan); continue }
                guard let v = Double(trimmed) else {
                    if n == lines.count - 1 { return LossLogTable(columns: header, rows: rows) }
                    throw ReportError.malformedFile(path: path, reason: "line \(n + 2): \"\(trimmed)\" is not a number")
                }
                row.append(v)
            }
            rows.append(row)
        }
        return LossLogTable(columns: header, rows: rows)
    }

    /// Loads `losses.csv`; nil when the file does not exist.
    public static func load(_ url: URL) throws -> LossLogTable? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ReportError.malformedFile(path: url.path, reason: "unreadable")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: url.path)
    }

    /// Values of one column, or nil if the log has no such column.
    public func column(_ name: String) -> [Double]? {
        guard let i = columns.firstIndex(of: name) else { return nil }
        return rows.map { $0[i] }
    }

    /// The last row's value in a column.
    public func last(_ name: String) -> Double? {
        guard let values = column(name), let v = values.last, !v.isNaN else { return nil }
        return v
    }
}
