import Foundation

/// The columns of the loss log `losses.csv`, the one place that names them: `iteration`, `total`, one column per
/// weighted term of the objective in objective order (`LossTerms.registered`: `content`, `style`, `tv`, then any other
/// term the run uses, e.g. `photorealism`), `seconds` since the run started, then one column per layer of each term
/// (`LayerLoss.columnName`: `content_relu4_2`, `style_relu1_1`, …). The writer (`LossLog.csv`) and the reports' reader
/// (`LossLogTable` in NSTExperiments) both go through it.
///
/// The header is the format: a new column goes into `header` (and `init(header:)`); readers find columns by name.
public struct LossLogColumns: Equatable, Sendable {
    public static let iteration = "iteration"
    public static let total = "total"
    public static let seconds = "seconds"

    /// The weighted terms, in objective order.
    public var terms: [String]
    /// The per-layer columns, `<term>_<layer>`.
    public var layers: [String]

    public init(terms: [String], layers: [String]) {
        self.terms = terms
        self.layers = layers
    }

    /// The columns of a log whose evaluations have these terms and per-layer parts.
    public init(_ losses: LossBreakdown) {
        self.init(terms: losses.terms.map(\.name), layers: losses.layers.map(\.columnName))
    }

    /// The header row's fields.
    public var header: [String] { [Self.iteration, Self.total] + terms + [Self.seconds] + layers }

    /// The layout of a header read from a file; nil unless it starts with `iteration,total` and has `seconds`.
    public init?(header: [String]) {
        guard header.count >= 3, header[0] == Self.iteration, header[1] == Self.total,
              let end = header.firstIndex(of: Self.seconds) else { return nil }
        self.init(terms: Array(header[2..<end]), layers: Array(header[(end + 1)...]))
    }
}

/// The loss log as a run writes it: one row per iteration in the layout of `LossLogColumns`.
public struct LossLog: Sendable {
    public private(set) var rows: [IterationReport] = []

    public init() {}

    public mutating func append(_ row: IterationReport) { rows.append(row) }

    /// The columns of this log: those of its first row, or `content,style,tv` before any row.
    public var columns: LossLogColumns {
        rows.first.map { LossLogColumns($0.losses) }
            ?? LossLogColumns(terms: LossTerms.names.filter { ["content", "style", "tv"].contains($0) }, layers: [])
    }

    /// The CSV text (weighted terms summing to total; `seconds` since the run started).
    public func csv() -> String {
        var text = columns.header.joined(separator: ",") + "\n"
        for row in rows {
            let l = row.losses
            let fields = ["\(row.iteration)", "\(l.total)"] + l.terms.map { "\($0.value)" }
                + [String(format: "%.3f", row.seconds)] + l.layers.map { "\($0.value)" }
            text += fields.joined(separator: ",") + "\n"
        }
        return text
    }
}
