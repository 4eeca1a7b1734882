import Foundation
import NSTImage
import Testing
@testable import NSTExperiments
import NSTTestSupport

/// Debian's headless Chromium, run as the reports' readers would open them: from the file system.
struct HeadlessChromium {
    let executable: URL
    /// Own profile and HOME per instance: two runs sharing a profile fail on its SingletonLock.
    let home: URL

    /// Finds `chromium` on PATH; the test set-up installs it (`scripts/install-deps.sh chromium`).
    static func find() throws -> HeadlessChromium {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: candidate.path) {
                    return HeadlessChromium(executable: candidate, home: try SyntheticSweep.temporaryFolder("chromium"))
                }
            }
        }
        throw BrowserError("chromium is not installed; run `scripts/install-deps.sh chromium` (or `apt-get install chromium`)")
    }

    struct BrowserError: Error, CustomStringConvertible {
        var description: String
        init(_ text: String) { description = text }
    }

    /// Runs chromium headless on a local page with extra arguments; returns its standard output.
    func run(_ page: URL, _ arguments: [String], windowWidth: Int = 1200) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(home.path)",
                             "--window-size=\(windowWidth),900", "--hide-scrollbars", "--virtual-time-budget=5000"]
            + arguments + [page.absoluteURL.absoluteString]
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BrowserError("chromium exited with status \(process.terminationStatus) on \(page.path)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The page's `<body …>` tag after load: the report's script marks `data-images` and `data-broken` there.
    func bodyTag(_ page: URL) throws -> String {
        let dom = try run(page, ["--dump-dom"])
        guard let start = dom.range(of: "<body"), let end = dom.range(of: ">", range: start.upperBound..<dom.endIndex) else {
            throw BrowserError("no <body> in the DOM chromium dumped for \(page.path)")
        }
        return String(dom[start.lowerBound..<end.upperBound])
    }

    /// A screenshot of the page at the given window width.
    func screenshot(_ page: URL, width: Int) throws -> Image {
        let file = home.appendingPathComponent("shot-\(width).png")
        _ = try run(page, ["--screenshot=\(file.path)"], windowWidth: width)
        return try ImageIO.load(file)
    }
}

@Suite("Sweep report in a headless browser")
struct ReportBrowserTests {
    @Test("index.html loads from the file system with every image, and its screenshot (desktop and phone width) is not blank")
    func reportRendersInChromium() throws {
        let dir = try SyntheticSweep.temporaryFolder("browser")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sweep = try SyntheticSweep.write(to: dir)
        let summary = try ReportWriter().write(sweep: dir)
        let browser = try HeadlessChromium.find()
        defer { try? FileManager.default.removeItem(at: browser.home) }

        let html = try String(contentsOf: summary.index, encoding: .utf8)
        let imageCount = html.components(separatedBy: "<img ").count - 1
        let body = try browser.bodyTag(summary.index)
        #expect(body.contains("data-images=\"\(imageCount) loaded\""), "the load check did not run or counted wrongly: \(body)")
        #expect(body.contains("data-broken=\"\""), "broken images: \(body)")
        #expect(imageCount >= sweep.finished.count + 4, "thumbnails, plots and the contact sheet are all on the page")

        for width in [1200, 390] {
            let shot = try browser.screenshot(summary.index, width: width)
            #expect(shot.width == width)
            // A text page is mostly white; a blank one is entirely so. Count pixels that are clearly not background.
            let plane = shot.width * shot.height
            var inked = 0
            for i in 0..<plane where min(shot.pixels[i], shot.pixels[plane + i], shot.pixels[2 * plane + i]) < 0.8 { inked += 1 }
            let share = Double(inked) / Double(plane)
            #expect(share > 0.01, "screenshot at \(width) px looks blank (\(share * 100) % of pixels inked)")
        }
    }

    @Test("a broken image is detected by the page's load check")
    func missingImageIsCaught() throws {
        let dir = try SyntheticSweep.temporaryFolder("browser-broken")
        defer { try? FileManager.default.removeItem(at: dir) }
        try SyntheticSweep.write(to: dir)
        let summary = try ReportWriter().write(sweep: dir)
        try FileManager.default.removeItem(at: summary.folder.appendingPathComponent("plots/heatmap.png"))
        let browser = try HeadlessChromium.find()
        defer { try? FileManager.default.removeItem(at: browser.home) }
        let body = try browser.bodyTag(summary.index)
        #expect(body.contains("data-broken=\"plots/heatmap.png\""), "\(body)")
    }
}
