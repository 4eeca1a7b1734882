import Foundation
import NSTImage

/// Drives the `gnuplot` program through a pipe: the script, with its data inline as `$name << EOD` blocks, goes
/// to gnuplot's standard input; a non-zero exit status becomes a typed error carrying gnuplot's own message.
public struct Gnuplot: Sendable {
    /// The gnuplot executable used.
    public var executable: URL

    /// Default terminal font; DejaVu ships with Debian's gnuplot and Chromium.
    public static let font = "DejaVu Sans"

    /// Finds `gnuplot` on PATH (or at `$NST_GNUPLOT`).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if let explicit = environment["NST_GNUPLOT"], FileManager.default.isExecutableFile(atPath: explicit) {
            executable = URL(fileURLWithPath: explicit)
            return
        }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("gnuplot")
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                executable = candidate
                return
            }
        }
        throw ReportError.gnuplotMissing(hint: "install it with `apt-get install gnuplot-nox` (or run scripts/install-deps.sh)")
    }

    /// Runs one script; `output` names what it draws, for the error message. Returns gnuplot's warnings.
    @discardableResult
    public func run(_ script: String, output: String) throws -> String {
        let process = Process()
        process.executableURL = executable
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw ReportError.gnuplotMissing(hint: "\(executable.path) could not be started (\(error.localizedDescription)); reinstall with `apt-get install gnuplot-nox`")
        }
        // Feed stdin on another thread: gnuplot may fill the stderr pipe before it has read the whole script.
        // If gnuplot stops at an error before reading everything, the write fails with EPIPE (SIGPIPE is
        // ignored so that this is an error, not the end of our process); its exit status tells what happened.
        _ = Self.ignoreBrokenPipes
        let writer = Thread {
            try? input.fileHandleForWriting.write(contentsOf: Data(script.utf8))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let messages = String(decoding: FileIO.readToEnd(errors), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ReportError.gnuplotFailed(output: output, status: process.terminationStatus, stderr: messages)
        }
        return messages
    }

    /// Writing to a child that has exited raises SIGPIPE, which by default terminates the writer.
    static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Renders the same plot commands to `<stem>.png` (Cairo) and `<stem>.svg` at one size, in one gnuplot process.
    /// gnuplot writes `<stem>.partial.<ext>`, renamed over the figure once it has finished, so an interrupted report
    /// leaves the earlier figure (or none), never an empty or half-written one.
    public func render(_ body: String, data: String = "", to stem: URL, width: Int, height: Int, svg: Bool = true) throws {
        let extensions = svg ? ["png", "svg"] : ["png"]
        func partial(_ ext: String) -> String { stem.path + ".partial." + ext }
        var script = data
        script += "set terminal pngcairo size \(width),\(height) font '\(Self.font),11' noenhanced background rgb 'white'\n"
        script += "set output \(Self.quote(partial("png")))\n\(body)\nunset output\n"
        if svg {
            script += "reset\n"
            script += "set terminal svg size \(width),\(height) font '\(Self.font),11' noenhanced background rgb 'white'\n"
            script += "set output \(Self.quote(partial("svg")))\n\(body)\nunset output\n"
        }
        defer { for ext in extensions { unlink(partial(ext)) } }
        try run(script, output: stem.lastPathComponent + (svg ? ".png/.svg" : ".png"))
        for ext in extensions {
            guard FileManager.default.fileExists(atPath: partial(ext)) else {
                throw ReportError.gnuplotFailed(output: stem.lastPathComponent + "." + ext, status: 0,
                                               stderr: "gnuplot exited normally but wrote no file")
            }
            guard rename(partial(ext), stem.path + "." + ext) == 0 else {
                throw ReportError.unwritable(path: stem.path + "." + ext, reason: String(cString: strerror(errno)))
            }
        }
    }

    /// A gnuplot single-quoted string literal (a quote inside is doubled; no escapes are interpreted).
    public static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// An inline datablock `$name << EOD … EOD`; non-finite values become NaN, which gnuplot skips.
    public static func datablock(_ name: String, rows: [[Double]]) -> String {
        var text = "$\(name) << EOD\n"
        for row in rows {
            text += row.map { $0.isFinite ? String($0) : "NaN" }.joined(separator: " ") + "\n"
        }
        return text + "EOD\n"
    }

    /// Line colours (colour-blind-friendly Okabe–Ito order, then Tableau) set as linetypes 1…10.
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                 "#56B4E9", "#000000", "#8C564B", "#F0E442", "#7F7F7F"]

    /// Common styling: palette, grid, key box.
    static let preamble: String = {
        var text = ""
        for (i, colour) in palette.enumerated() {
            text += "set linetype \(i + 1) lc rgb '\(colour)' lw 2 pt 7 ps 0.8\n"
        }
        text += "set linetype cycle \(palette.count)\n"
        text += "set grid lc rgb '#dddddd' lw 1\nset border lc rgb '#555555'\nset key opaque box lc rgb '#cccccc'\n"
        return text
    }()
}
