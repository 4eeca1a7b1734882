import Foundation

/// How runs are arranged on the contact sheet and heat map: rows and columns are two swept keys (from the sweep's
/// `report` block or the first two swept keys); every combination of the other swept keys gets its own page.
public struct ReportGrid: Sendable {
    /// One page: the values of the keys that are neither rows nor columns, and the runs in its cells.
    public struct Page: Sendable {
        public var fixed: [(key: String, value: JSONValue)]
        /// cells[row][column]; nil where no run has those values.
        public var cells: [[SweepResults.Run?]]
        /// "init=noise, seed=1" (empty when nothing else varies).
        public var caption: String { fixed.map { "\($0.key)=\($0.value.label)" }.joined(separator: ", ") }
    }

    public var rowKey: String?
    public var columnKey: String?
    public var rowValues: [JSONValue]
    public var columnValues: [JSONValue]
    public var pages: [Page]
    /// Why a requested layout was not used, if it was not.
    public var note: String?

    /// True when rows and columns are both swept keys, so a heat map makes sense.
    public var isTwoDimensional: Bool { rowKey != nil && columnKey != nil }

    /// Runs wider than this many in a one-key sweep wrap onto further rows (unless the report block sets `wrap`).
    static let maxColumns = 6

    /// Arranges the runs of a sweep.
    public init(_ results: SweepResults) {
        let swept = results.swept
        var note: String?
        var rowKey: String?, columnKey: String?
        if let layout = results.layout {
            for key in [layout.rows, layout.columns].compactMap({ $0 }) where !swept.contains(key) {
                note = "the report block names \"\(key)\", which the sweep does not vary; the layout was chosen automatically"
            }
            if note == nil { rowKey = layout.rows; columnKey = layout.columns }
        }
        if rowKey == nil && columnKey == nil {
            // Seeds repeat a setting rather than change it, so other keys make better axes.
            let candidates = swept.filter { $0 != "seed" } + swept.filter { $0 == "seed" }
            rowKey = candidates.count >= 2 ? candidates[0] : nil
            columnKey = candidates.count >= 2 ? candidates[1] : candidates.first
        }
        let runs = results.runs
        if rowKey == nil || columnKey == nil || Self.linked(rowKey, columnKey, runs) {
            // One axis, or two keys zipped together (a grid of them would be mostly empty): one wrapped sheet of all runs.
            let key = columnKey ?? rowKey
            let values = key.map { k in JSONValue.axisOrder(runs.compactMap { $0.params[k] }) } ?? []
            self.rowKey = nil
            self.columnKey = key
            self.rowValues = []
            self.columnValues = values
            let ordered = swept.count == 1 ? values.compactMap { v in runs.first { $0.params[key ?? ""] == v } } : runs
            let width = min(max(1, results.layout?.wrap ?? Self.maxColumns), max(1, ordered.count))
            self.pages = [Page(fixed: [], cells: stride(from: 0, to: ordered.count, by: width).map { start in
                (start..<(start + width)).map { $0 < ordered.count ? ordered[$0] : nil }
            })]
            self.note = note
            return
        }
        let rowValues = rowKey.map { k in JSONValue.axisOrder(runs.compactMap { $0.params[k] }) } ?? []
        let columnValues = columnKey.map { k in JSONValue.axisOrder(runs.compactMap { $0.params[k] }) } ?? []
        let others = swept.filter { $0 != rowKey && $0 != columnKey }

        var pageKeys: [[JSONValue]] = [], pageRuns: [[SweepResults.Run]] = []
        for run in runs {
            let key = others.map { run.params[$0] ?? .null }
            if let i = pageKeys.firstIndex(of: key) { pageRuns[i].append(run) } else { pageKeys.append(key); pageRuns.append([run]) }
        }
        var pages: [Page] = []
        for (key, members) in zip(pageKeys, pageRuns) {
            let fixed = Array(zip(others, key)).map { (key: $0.0, value: $0.1) }
            pages.append(Page(fixed: fixed, cells: Self.cells(members, rowKey: rowKey, rowValues: rowValues,
                                                            columnKey: columnKey, columnValues: columnValues)))
        }
        self.rowKey = rowKey
        self.columnKey = columnKey
        self.rowValues = rowValues
        self.columnValues = columnValues
        self.pages = pages
        self.note = note
    }

    /// True when each value of one key comes with exactly one value of the other (a `zip` in the sweep file).
    static func linked(_ a: String?, _ b: String?, _ runs: [SweepResults.Run]) -> Bool {
        guard let a, let b else { return false }
        let pairs = Set(runs.map { [$0.params[a] ?? .null, $0.params[b] ?? .null] })
        return pairs.count > 1 && pairs.count == Set(pairs.map { $0[0] }).count && pairs.count == Set(pairs.map { $0[1] }).count
    }

    static func cells(_ runs: [SweepResults.Run], rowKey: String?, rowValues: [JSONValue],
                      columnKey: String?, columnValues: [JSONValue]) -> [[SweepResults.Run?]] {
        guard let rowKey, let columnKey else { return [] }
        return rowValues.map { r in
            columnValues.map { c in runs.first { $0.params[rowKey] == r && $0.params[columnKey] == c } }
        }
    }
}
