import Foundation

/// A report's content, written once and rendered both as `index.html` (sortable tables, responsive) and as
/// `README.md`, so the two always say the same thing. Every path in it is relative to the report folder.
public struct ReportDocument: Sendable {
    /// A table cell: text, an optional number to sort by, an optional thumbnail.
    public struct Cell: Sendable, Equatable {
        public var text: String
        public var sortKey: Double?
        public var image: String?
        /// Marks the cell (and its row) as a problem, e.g. a failed run.
        public var alert: Bool
        public init(_ text: String, sortKey: Double? = nil, image: String? = nil, alert: Bool = false) {
            self.text = text; self.sortKey = sortKey; self.image = image; self.alert = alert
        }
    }

    public struct Table: Sendable, Equatable {
        public var headers: [String]
        public var rows: [[Cell]]
        /// Clicking a header sorts by that column (HTML only).
        public var sortable: Bool
        public init(headers: [String], rows: [[Cell]], sortable: Bool = false) {
            self.headers = headers; self.rows = rows; self.sortable = sortable
        }
    }

    public enum Block: Sendable, Equatable {
        case heading(String)
        case subheading(String)
        case paragraph(String)
        case list([String])
        case table(Table)
        /// Figures shown side by side where the screen is wide enough.
        case figures([ReportFigure])
        case preformatted(String)
    }

    public var title: String
    public var blocks: [Block]

    public init(title: String, blocks: [Block] = []) { self.title = title; self.blocks = blocks }

    /// Every relative file the document points at (images and SVG links).
    public var referencedFiles: [String] {
        blocks.flatMap { block -> [String] in
            switch block {
            case .figures(let figures): return figures.flatMap { [$0.png] + ($0.svg.map { [$0] } ?? []) }
            case .table(let table): return table.rows.flatMap { $0.compactMap(\.image) }
            default: return []
            }
        }
    }
}

// MARK: HTML

extension ReportDocument {
    /// Escapes text for HTML element content and attribute values.
    public static func escapeHTML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// A relative path as a URL attribute: each segment percent-encoded, then HTML-escaped.
    static func href(_ path: String) -> String {
        let encoded = path.split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? String($0)
        }.joined(separator: "/")
        return escapeHTML(encoded)
    }

    /// The standalone page: inline CSS and script only, no external resources.
    /// Marks a report's index.html as written here: `ReportWriter.prepare` clears only folders that carry it.
    public static let generatorMark = #"<meta name="generator" content="nst-exp report">"#

    public func html() -> String {
        let e = Self.escapeHTML
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        \(Self.generatorMark)
        <title>\(e(title))</title>
        <style>\(Self.css)</style>
        </head>
        <body>
        <main>
        <h1>\(e(title))</h1>

        """
        var tableCount = 0
        for block in blocks {
            switch block {
            case .heading(let text): out += "<h2 id=\"\(e(Self.anchor(text)))\">\(e(text))</h2>\n"
            case .subheading(let text): out += "<h3>\(e(text))</h3>\n"
            case .paragraph(let text): out += "<p>\(e(text))</p>\n"
            case .list(let items): out += "<ul>\n" + items.map { "<li>\(e($0))</li>\n" }.joined() + "</ul>\n"
            case .preformatted(let text): out += "<pre>\(e(text))</pre>\n"
            case .table(let table):
                tableCount += 1
                out += Self.htmlTable(table, id: "table\(tableCount)")
            case .figures(let figures):
                out += "<div class=\"figures\">\n"
                for f in figures {
                    out += "<figure>\n<a href=\"\(Self.href(f.svg ?? f.png))\"><img src=\"\(Self.href(f.png))\" alt=\"\(e(f.title))\"></a>\n"
                    out += "<figcaption><strong>\(e(f.title)).</strong> \(e(f.caption))"
                    if let svg = f.svg { out += " <a href=\"\(Self.href(svg))\">SVG</a>" }
                    out += "</figcaption>\n</figure>\n"
                }
                out += "</div>\n"
            }
        }
        out += "</main>\n<script>\(Self.script)</script>\n</body>\n</html>\n"
        return out
    }

    static func htmlTable(_ table: Table, id: String) -> String {
        let e = Self.escapeHTML
        var out = "<div class=\"scroll\"><table id=\"\(id)\"\(table.sortable ? " class=\"sortable\"" : "")>\n<thead><tr>"
        for header in table.headers {
            out += table.sortable ? "<th tabindex=\"0\" title=\"sort\">\(e(header))</th>" : "<th>\(e(header))</th>"
        }
        out += "</tr></thead>\n<tbody>\n"
        for row in table.rows {
            out += row.contains(where: \.alert) ? "<tr class=\"alert\">" : "<tr>"
            for cell in row {
                let sort = cell.sortKey.map { $0.isFinite ? " data-sort=\"\($0)\"" : "" } ?? ""
                if let image = cell.image {
                    out += "<td\(sort)><a href=\"\(Self.href(image))\"><img class=\"thumb\" src=\"\(Self.href(image))\" alt=\"\(e(cell.text))\"></a></td>"
                } else {
                    out += "<td\(sort)>\(e(cell.text))</td>"
                }
            }
            out += "</tr>\n"
        }
        return out + "</tbody>\n</table></div>\n"
    }

    static func anchor(_ text: String) -> String {
        String(text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    static let css = """
    body{margin:0;font-family:system-ui,-apple-system,"DejaVu Sans",sans-serif;line-height:1.45;color:#222;background:#fff}
    main{max-width:1200px;margin:0 auto;padding:12px 16px 48px}
    h1{font-size:1.6em;margin:.4em 0}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
    img{max-width:100%;height:auto}
    .figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,520px),1fr));gap:16px}
    figure{margin:0;border:1px solid #e4e4e4;border-radius:6px;padding:8px;background:#fafafa}
    .figures>figure:only-child{grid-column:1/-1;justify-self:start}
    figcaption{font-size:.9em;color:#444;margin-top:4px}
    .scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
    table{border-collapse:collapse;font-size:.9em;margin:.6em 0}
    th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:middle;white-space:nowrap}
    th{background:#f0f0f0;position:sticky;top:0}
    table.sortable th{cursor:pointer}table.sortable th:after{content:" \\2195";color:#999}
    tr.alert td{background:#fff0f0}
    img.thumb{width:72px;max-width:none;display:block}
    pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:.85em}
    @media (max-width:600px){main{padding:8px}th,td{padding:3px 5px}h1{font-size:1.3em}}
    """

    /// Click-to-sort for `table.sortable` (numbers by `data-sort`, text otherwise), and a load check that marks
    /// `<body data-images="loaded" data-broken="…">` once every image has decoded, for headless-browser tests.
    static let script = """
    document.querySelectorAll("table.sortable").forEach(function(t){
      t.querySelectorAll("th").forEach(function(th,i){
        function sort(){
          var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows),dir=th.dataset.dir==="asc"?-1:1;
          th.dataset.dir=dir===1?"asc":"desc";
          rows.sort(function(a,b){
            var x=a.cells[i],y=b.cells[i],p=x.dataset.sort,q=y.dataset.sort;
            if(p!==undefined&&q!==undefined)return dir*(parseFloat(p)-parseFloat(q));
            if(p!==undefined)return -1;if(q!==undefined)return 1;
            return dir*x.textContent.localeCompare(y.textContent);});
          rows.forEach(function(r){body.appendChild(r);});}
        th.addEventListener("click",sort);
        th.addEventListener("keydown",function(e){if(e.key==="Enter")sort();});});});
    window.addEventListener("load",function(){
      var imgs=Array.prototype.slice.call(document.images);
      var broken=imgs.filter(function(i){return !(i.complete&&i.naturalWidth>0);}).map(function(i){return i.getAttribute("src");});
      document.body.setAttribute("data-images",imgs.length+" loaded");
      document.body.setAttribute("data-broken",broken.join(" "));});
    """
}

// MARK: Markdown

extension ReportDocument {
    /// Escapes Markdown punctuation so text shows literally (also in table cells).
    public static func escapeMarkdown(_ text: String) -> String {
        var out = ""
        for ch in text {
            if "\\`*_[]<>|#".contains(ch) { out.append("\\") }
            out.append(ch == "\n" ? " " : ch)
        }
        return out
    }

    /// The same content as `html()`, in GitHub-flavoured Markdown.
    public func markdown() -> String {
        let m = Self.escapeMarkdown
        var out = "# \(m(title))\n\n"
        for block in blocks {
            switch block {
            case .heading(let text): out += "## \(m(text))\n\n"
            case .subheading(let text): out += "### \(m(text))\n\n"
            case .paragraph(let text): out += "\(m(text))\n\n"
            case .list(let items): out += items.map { "- \(m($0))\n" }.joined() + "\n"
            case .preformatted(let text):
                let fence = text.contains("```") ? "~~~~" : "```"
                out += "\(fence)\n\(text)\n\(fence)\n\n"
            case .table(let table):
                out += "| " + table.headers.map(m).joined(separator: " | ") + " |\n"
                out += "|" + table.headers.map { _ in " --- |" }.joined() + "\n"
                for row in table.rows {
                    out += "| " + row.map { cell in
                        cell.image.map { "<img src=\"\(Self.href($0))\" width=\"72\" alt=\"\(Self.escapeHTML(cell.text))\">" } ?? m(cell.text)
                    }.joined(separator: " | ") + " |\n"
                }
                out += "\n"
            case .figures(let figures):
                for f in figures {
                    out += "![\(m(f.title))](\(Self.markdownPath(f.png)))\n\n*\(m(f.title)).* \(m(f.caption))"
                    if let svg = f.svg { out += " [SVG](\(Self.markdownPath(svg)))" }
                    out += "\n\n"
                }
            }
        }
        return out
    }

    /// A relative path as a Markdown link target (spaces and parentheses percent-encoded).
    static func markdownPath(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "()"))) ?? path
    }
}
