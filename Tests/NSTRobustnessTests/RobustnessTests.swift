import Foundation
import NSTImage
import Testing
import NSTTestSupport

/// The robustness suite: every case of `HostileCases.all` drives the built `nst-exp` as a user would and asserts
/// (1) a clear refusal (exit 1 or 64, a message naming the path or key, no Foundation error codes) or correct
/// handling (exit 0 and a checked output), and (2) that no input, output or special file was damaged: no signal,
/// no hang past 60 s, no file of the workspace changed except the case's own outputs, no temporary file left,
/// /dev/null, /dev/full and /dev/zero still character devices. Runs one case at a time: the machine's cores
/// belong to the process under test.
@Suite("Robustness: hostile inputs", .serialized)
struct RobustnessTests {
    /// Text that must never reach a user.
    static let forbidden = ["NSCocoaErrorDomain", "error 256", "error 512", "Fatal error", "Stack dump", "Segmentation fault",
                            "The operation could not be completed"]

    @Test("hostile input", arguments: HostileCases.all)
    func hostileInput(_ hostile: HostileCase) throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try hostile.setup(workspace)
        let arguments = try hostile.arguments(workspace)
        let before = FolderSnapshot(workspace.folder)
        let specialBefore = SpecialFiles()
        let outcome = try Harness.run(arguments, in: workspace.folder)
        let after = FolderSnapshot(workspace.folder)
        let context = "nst-exp \(arguments.joined(separator: " "))\nexit \(outcome.status)\n\(outcome.output)"

        #expect(!outcome.timedOut, "hung for over \(Harness.timeLimit) s: \(context)")
        #expect(outcome.signal == nil, "killed by signal \(outcome.signal ?? 0): \(context)")
        for text in Self.forbidden {
            #expect(!outcome.output.contains(text), "message contains '\(text)': \(context)")
        }
        switch hostile.expectation {
        case .refused(let mentions):
            #expect([1, 64].contains(outcome.status), "expected exit 1 or 64: \(context)")
            let lower = outcome.output.lowercased()
            for mention in mentions {
                #expect(lower.contains(mention.lowercased()), "message does not mention '\(mention)': \(context)")
            }
        case .completes(let check):
            #expect(outcome.status == 0, "expected exit 0: \(context)")
            if outcome.status == 0 {
                #expect(throws: Never.self, "\(context)") { try check(workspace, outcome.output) }
            }
        }
        let damaged = before.damage(comparedTo: after, allowed: hostile.mayChange)
        #expect(damaged.isEmpty, "changed or removed: \(damaged): \(context)")
        #expect(after.leftovers.isEmpty, "temporary files left: \(after.leftovers): \(context)")
        #expect(SpecialFiles() == specialBefore, "a special file under /dev changed kind: \(context)")
    }

    @Test("the table holds at least 80 distinct cases")
    func caseCount() {
        #expect(HostileCases.all.count >= 80)
        #expect(Set(HostileCases.all.map(\.description)).count == HostileCases.all.count, "case names must be unique")
    }
}

/// The shared file helpers on their own: atomic writes, special files, reads that refuse what would block.
@Suite("Robustness: FileIO")
final class FileIOTests {
    let folder: URL

    init() throws {
        folder = try temporaryFolder("nst-fileio")
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    @Test func writeToDevFullThrowsAndKeepsTheDevice() throws {
        #expect(throws: FileIOError.self) { try FileIO.write(Data("x".utf8), to: "/dev/full") }
        #expect(FileIO.kind("/dev/full") == .characterDevice)
        try FileIO.write(Data("x".utf8), to: "/dev/null")
        #expect(FileIO.kind("/dev/null") == .characterDevice)
    }

    @Test func atomicWriteReplacesContentsAndLeavesNoTemporaryFile() throws {
        let path = folder.appendingPathComponent("a.txt").path
        try FileIO.write(Data("one".utf8), to: path)
        try FileIO.write(Data("two".utf8), to: path)
        #expect(try FileIO.read(path) == Data("two".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["a.txt"])
    }

    @Test func fifoWithoutReaderIsAnErrorNotAHang() throws {
        let path = folder.appendingPathComponent("pipe").path
        #expect(mkfifo(path, 0o644) == 0)
        #expect(throws: FileIOError.self) { try FileIO.write(Data("x".utf8), to: path) }
        #expect(throws: FileIOError.self) { try FileIO.read(path) }
        #expect(FileIO.kind(path) == .fifo)
    }

    @Test func identityMatchesLinksAndDotDot() throws {
        let path = folder.appendingPathComponent("f").path
        try FileIO.write(Data("x".utf8), to: path)
        try FileManager.default.createSymbolicLink(atPath: path + "-sym", withDestinationPath: path)
        try FileManager.default.linkItem(atPath: path, toPath: path + "-hard")
        #expect(FileIO.identity(path + "-sym") == FileIO.identity(path))
        #expect(FileIO.identity(path + "-hard") == FileIO.identity(path))
        // `sub/..` resolves as open(2) does: through an existing sub to the same file; through a missing one to none.
        #expect(FileIO.identity(folder.path + "/sub/../new")
                != FileIO.identity(folder.appendingPathComponent("new").path))
        #expect(FileIO.target(folder.path + "/sub/../new") == nil)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        #expect(FileIO.identity(folder.path + "/sub/../new")
                == FileIO.identity(folder.appendingPathComponent("new").path))
        // Through a symbolic link, `..` leaves the link's target: deep/dir/.. is deep, not this folder.
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("deep/dir"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("lnk").path,
                                                   withDestinationPath: folder.appendingPathComponent("deep/dir").path)
        let through = folder.appendingPathComponent("lnk").path + "/../f"
        #expect(FileIO.target(through) == FileIO.resolved(folder.path) + "/deep/f")
        #expect(throws: FileIOError.self) { try FileIO.checkWritable(through) }
        // A dangling link: writing it creates the file it points to, and the link stays a link.
        let dangling = folder.path + "/dangling.png"
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: "made.png")
        try FileIO.write(Data("y".utf8), to: dangling)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dangling) == "made.png")
        #expect(FileManager.default.contents(atPath: folder.path + "/made.png") == Data("y".utf8))
        #expect(FileIO.firstCollision(inputs: [("content", path)], outputs: [("output", path + "-hard")])?.second == "content")
        #expect(FileIO.firstCollision(inputs: [], outputs: [("output", "/dev/null"), ("log", "/dev/null")]) == nil)
    }

    @Test func jsonSyntaxPositions() {
        #expect(JSONSyntax.firstError(in: Data("{\"a\": 1e999}".utf8)).map { [$0.line, $0.column] } == [1, 7])
        #expect(JSONSyntax.firstError(in: Data("{\n\"a\": 1,\n}".utf8)).map { [$0.line, $0.column] } == [3, 1])
        #expect(JSONSyntax.firstError(in: Data("{\"a\": [1, 2.5e3, true, null, \"\\u00e9\"]}".utf8)) == nil)
        #expect(JSONSyntax.firstError(in: Data(String(repeating: "[", count: 100_000).utf8)) != nil)
    }

    /// An unknown enum value in a file the tool reads (status.json's status) is said in words, with its key.
    @Test func unknownEnumValueIsNamed() throws {
        enum Mode: String, Decodable { case fast, slow }
        struct File: Decodable { var mode: Mode }
        do {
            _ = try JSONDecoder().decode(File.self, from: Data("{\"mode\": \"weird\"}".utf8))
            Issue.record("decoded an unknown value")
        } catch let error as DecodingError {
            #expect(error.text == "mode: 'weird' is not one of the values this key accepts")
        }
    }

    /// A signal delivered to the reading thread (handler installed without SA_RESTART) interrupts read(2) with
    /// EINTR; FileIO.readToEnd retries and still returns everything the child wrote.
    @Test func readFromChildSurvivesSignals() throws {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0  // no SA_RESTART: read(2) returns EINTR
        sigemptyset(&action.sa_mask)
        var previous = sigaction()
        sigaction(SIGUSR2, &action, &previous)
        defer { sigaction(SIGUSR2, &previous, nil) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "sleep 0.3; printf first; sleep 0.3; printf second"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let reader = pthread_self()
        let done = Atomic()
        let sender = Thread {
            while !done.value {
                pthread_kill(reader, SIGUSR2)
                usleep(2_000)
            }
        }
        sender.start()
        let data = FileIO.readToEnd(pipe)
        done.value = true
        process.waitUntilExit()
        #expect(String(decoding: data, as: UTF8.self) == "firstsecond")
    }

    final class Atomic: @unchecked Sendable {
        private let lock = NSLock()
        private var stored = false
        var value: Bool {
            get { lock.withLock { stored } }
            set { lock.withLock { stored = newValue } }
        }
    }
}
