import Foundation
import Testing
import NSTNetwork
@testable import NSTExperiments

/// True when `../shared/images` sits beside the package; a user's clone has no such folder.
let sharedImagesPresent = FileManager.default.fileExists(atPath: Fixtures.sharedImage(""))

extension Trait where Self == ConditionTrait {
    /// Skips a test that reads `../shared/images` when the folder is missing, naming it in the test output.
    static var needsSharedImages: Self {
        .enabled(if: sharedImagesPresent, "needs ../shared/images beside the repository (not part of a clone)")
    }
}

/// Paths and helpers shared by the sweep tests.
enum Fixtures {
    /// The package root (three levels above this file).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/images/<relative>` beside the package root.
    static func sharedImage(_ relative: String) -> String {
        packageRoot.deletingLastPathComponent().appendingPathComponent("shared/images").appendingPathComponent(relative).path
    }

    /// `Examples/<relative>` in the package: the example images the README's setup installs
    /// (`nst-exp examples install --dir Examples`).
    static func exampleImage(_ relative: String) -> String {
        packageRoot.appendingPathComponent("Examples").appendingPathComponent(relative).path
    }

    /// A fresh empty folder under the system temporary directory.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nst-sweeps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `json` as `<folder>/<name>` and parses it as a sweep.
    static func sweep(_ json: String, in folder: URL, name: String = "sweep.json") throws -> Sweep {
        let url = folder.appendingPathComponent(name)
        try Data(json.utf8).write(to: url)
        return try Sweep.load(from: url)
    }

    /// The nst-exp executable built beside this test bundle.
    static func executable() throws -> URL {
        let own = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var folder = URL(fileURLWithPath: own).deletingLastPathComponent()
        // The test binary may sit inside `<product>.xctest/`; nst-exp is in the build folder beside it.
        while !folder.path.isEmpty, folder.path != "/" {
            let candidate = folder.appendingPathComponent("nst-exp")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        throw MissingExecutable(near: own)
    }

    struct MissingExecutable: Error, CustomStringConvertible {
        let near: String
        var description: String { "no nst-exp executable beside \(near); build it first with `swift build -c release`" }
    }

    /// Runs a program to completion; returns its exit status and combined output.
    @discardableResult
    static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let child = try ChildProcess(executable, arguments, environment: environment)
        let status = child.wait()
        return (status, child.output)
    }

    /// Reads and decodes a JSON file.
    static func json<T: Decodable>(_ type: T.Type, at url: URL) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}

/// plan.json as a reader sees it.
struct PlanJSON: Decodable {
    struct Run: Decodable {
        var index: Int
        var id: String
        var dir: String
        var params: [String: JSONValue]
        var config_hash: String
    }
    var name: String
    var swept: [String]
    var report: JSONValue?
    var runs: [Run]
}

/// A child process started with posix_spawn: a clean signal mask and default handlers (the test runner's threads
/// block signals, and daemons started through Foundation.Process would inherit that), output to a temporary file.
final class ChildProcess {
    let pid: pid_t
    private let log: URL
    private var status: Int32?

    struct SpawnFailed: Error, CustomStringConvertible {
        let program: String
        let code: Int32
        var description: String { "cannot start \(program): \(String(cString: strerror(code)))" }
    }

    init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("nst-sweeps-out-\(UUID().uuidString).txt")
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let env = ProcessInfo.processInfo.environment.merging(environment ?? [:]) { $1 }
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let code = posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp)
        guard code == 0 else { throw SpawnFailed(program: executable.path, code: code) }
        self.pid = pid
    }

    /// True until the process has exited (reaps it when it has).
    var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return true }
        status = ChildProcess.decode(raw)
        return false
    }

    /// Waits for the exit; the exit code, or 128 + the signal that ended it.
    @discardableResult
    func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        let decoded = ChildProcess.decode(raw)
        status = decoded
        return decoded
    }

    /// Combined standard output and error so far.
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    private static func decode(_ raw: Int32) -> Int32 {
        raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    }

    deinit { try? FileManager.default.removeItem(at: log) }
}
