import Foundation
import NSTImage

/// A grid of images with headers and per-image labels, composed by gnuplot (`multiplot`, each image drawn with
/// `binary filetype=png with rgbimage` into a box placed in screen coordinates, text as gnuplot labels).
public struct ContactSheet: Sendable {
    /// One cell: a thumbnail (or a grey placeholder saying why there is none) and the lines of text under it.
    public struct Cell: Sendable {
        public var thumbnail: Thumbnail?
        public var lines: [String]
        /// Text drawn in the box when there is no image, e.g. "failed".
        public var placeholder: String
        public init(thumbnail: Thumbnail?, lines: [String], placeholder: String = "no image") {
            self.thumbnail = thumbnail; self.lines = lines; self.placeholder = placeholder
        }
    }

    /// A PNG scaled down for the sheet and the HTML tables.
    public struct Thumbnail: Equatable, Sendable {
        public var file: URL
        public var width: Int
        public var height: Int

        /// Writes `image` scaled so its longest side is at most `longestSide`, as an 8-bit RGB PNG.
        public static func make(from image: URL, to file: URL, longestSide: Int) throws -> Thumbnail {
            var picture = try ImageIO.load(image).toRGB()
            if max(picture.width, picture.height) > longestSide { picture = try picture.resized(longestSide: longestSide) }
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try ImageIO.save(picture, to: file)
            return Thumbnail(file: file, width: picture.width, height: picture.height)
        }
    }

    public var title: String
    public var subtitle: String
    public var columnHeaders: [String]
    public var rowHeaders: [String]
    /// cells[row][column]; nil leaves the place empty.
    public var cells: [[Cell?]]

    public init(title: String, subtitle: String = "", columnHeaders: [String] = [], rowHeaders: [String] = [], cells: [[Cell?]]) {
        self.title = title; self.subtitle = subtitle
        self.columnHeaders = columnHeaders; self.rowHeaders = rowHeaders; self.cells = cells
    }

    // Layout in pixels.
    static let margin = 16, gap = 14, lineHeight = 17, titleHeight = 34, subtitleHeight = 22, headerHeight = 26

    /// Draws the sheet to `<stem>.png`; returns the image size.
    @discardableResult
    public func render(with gnuplot: Gnuplot, to stem: URL) throws -> (width: Int, height: Int) {
        let columns = cells.map(\.count).max() ?? 0
        let thumbnails = cells.flatMap { $0.compactMap { $0?.thumbnail } }
        let box = min(320, max(180, thumbnails.map { max($0.width, $0.height) }.max() ?? 180))
        let lines = max(1, cells.flatMap { $0.compactMap { $0?.lines.count } }.max() ?? 1)
        // Wide enough that neither the labels under an image nor a column header run into the next column
        // (about 7 px per character at the 10–12 pt label fonts).
        let longestText = max(cells.flatMap { $0.compactMap { $0?.lines.map(\.count).max() } }.max() ?? 0,
                              columnHeaders.map { $0.count + 2 }.max() ?? 0)
        let slot = max(box, 7 * longestText)
        // Boxes only as tall as the tallest image needs, so landscape images leave no empty bands.
        let boxHeight = max(box / 3, thumbnails.map { Int((Double($0.height) * Double(box) / Double(max($0.width, $0.height))).rounded()) }.max() ?? box)
        let longestRowHeader = rowHeaders.map(\.count).max() ?? 0
        let rowHeaderWidth = rowHeaders.isEmpty ? 0 : min(220, 24 + 8 * longestRowHeader)
        let cellWidth = slot + Self.gap, cellHeight = boxHeight + lines * Self.lineHeight + Self.gap
        let top = Self.margin + Self.titleHeight + (subtitle.isEmpty ? 0 : Self.subtitleHeight)
            + (columnHeaders.isEmpty ? 0 : Self.headerHeight)
        let width = max(360, Self.margin * 2 + rowHeaderWidth + columns * cellWidth)
        let height = top + cells.count * cellHeight + Self.margin
        let W = Double(width), H = Double(height)
        func sx(_ x: Int) -> String { String(format: "%.5f", Double(x) / W) }
        func sy(_ y: Int) -> String { String(format: "%.5f", 1 - Double(y) / H) }   // y measured from the top

        var decorations = "set label \(Gnuplot.quote(title)) at screen \(sx(Self.margin)),\(sy(Self.margin + 22)) left font ',15'\n"
        if !subtitle.isEmpty {
            decorations += "set label \(Gnuplot.quote(subtitle)) at screen \(sx(Self.margin)),\(sy(Self.margin + Self.titleHeight + 12)) left font ',11' tc rgb '#444444'\n"
        }
        let left = Self.margin + rowHeaderWidth
        for (c, header) in columnHeaders.enumerated() {
            decorations += "set label \(Gnuplot.quote(header)) at screen \(sx(left + c * cellWidth + slot / 2)),\(sy(top - 8)) center font ',12'\n"
        }
        for (r, header) in rowHeaders.enumerated() {
            decorations += "set label \(Gnuplot.quote(header)) at screen \(sx(Self.margin)),\(sy(top + r * cellHeight + boxHeight / 2)) left font ',12'\n"
        }
        var images: [String] = []
        for (r, row) in cells.enumerated() {
            for (c, cell) in row.enumerated() {
                guard let cell else { continue }
                let x0 = left + c * cellWidth + (slot - box) / 2, y0 = top + r * cellHeight
                for (n, line) in cell.lines.enumerated() {
                    decorations += "set label \(Gnuplot.quote(line)) at screen \(sx(x0 + box / 2)),\(sy(y0 + boxHeight + 4 + (n + 1) * Self.lineHeight - 4)) center font ',10'\n"
                }
                if let t = cell.thumbnail {
                    let scale = Double(box) / Double(max(t.width, t.height))
                    let w = Int((Double(t.width) * scale).rounded()), h = Int((Double(t.height) * scale).rounded())
                    let ix = x0 + (box - w) / 2, iy = y0 + (boxHeight - h) / 2
                    images.append("set lmargin at screen \(sx(ix)); set rmargin at screen \(sx(ix + w))\n"
                        + "set tmargin at screen \(sy(iy)); set bmargin at screen \(sy(iy + h))\n"
                        + "set xrange [-0.5:\(Double(t.width) - 0.5)]; set yrange [-0.5:\(Double(t.height) - 0.5)]\n"
                        + "plot \(Gnuplot.quote(t.file.path)) binary filetype=png with rgbimage\n")
                } else {
                    decorations += "set object rect from screen \(sx(x0)),\(sy(y0 + boxHeight)) to screen \(sx(x0 + box)),\(sy(y0)) fc rgb '#eeeeee' fs solid noborder behind\n"
                    decorations += "set label \(Gnuplot.quote(cell.placeholder)) at screen \(sx(x0 + box / 2)),\(sy(y0 + boxHeight / 2)) center font ',12' tc rgb '#aa0000'\n"
                }
            }
        }
        // The labels belong to the first plot of the multiplot; later plots draw only their image.
        var body = "set multiplot\nunset border\nunset tics\nunset key\n" + decorations
        if images.isEmpty {
            body += "set lmargin at screen 0; set rmargin at screen 0.01; set tmargin at screen 0.01; set bmargin at screen 0\n"
            body += "set xrange [0:1]; set yrange [0:1]\nplot NaN notitle\n"
        }
        for (n, image) in images.enumerated() {
            body += image
            if n == 0 { body += "unset label\nunset object\n" }
        }
        body += "unset multiplot\n"
        try gnuplot.render(body, to: stem, width: width, height: height, svg: false)
        return (width, height)
    }
}
