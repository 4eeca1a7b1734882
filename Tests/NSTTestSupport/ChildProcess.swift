import Foundation

/// The nst-exp executable built beside the running test bundle (the test binary may sit inside `<product>.xctest/`;
/// nst-exp is in the build folder above it).
public func nstExecutable() throws -> URL {
    let own = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    var folder = URL(fileURLWithPath: own).deletingLastPathComponent()
    while !folder.path.isEmpty, folder.path != "/" {
        let candidate = folder.appendingPathComponent("nst-exp")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        folder.deleteLastPathComponent()
    }
    throw MissingExecutable(near: own)
}

public struct MissingExecutable: Error, CustomStringConvertible {
    public let near: String
    public var description: String { "no nst-exp executable beside \(near); build it first with `swift build -c release`" }
}

/// A child process started with posix_spawn: a clean signal mask and default handlers (the test runner's threads
/// block signals, and daemons started through Foundation.Process would inherit that), stdin from /dev/null, stdout and
/// stderr to one temporary file.
public final class ChildProcess {
    public let pid: pid_t
    private let log: URL
    private var status: Int32?
    /// The signal that ended the process, once it has ended by one.
    public private(set) var signal: Int32?

    public struct SpawnFailed: Error, CustomStringConvertible {
        public let program: String
        public let code: Int32
        public var description: String { "cannot start \(program): \(String(cString: strerror(code)))" }
    }

    /// Starts `executable arguments` with `environment` added to this process's; in `folder` when given (through
    /// /bin/sh, which changes into it and execs the program, so exit status and signals are the program's own).
    public init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil, in folder: URL? = nil) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("nst-child-output-\(UUID().uuidString).txt")
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGHUP, SIGUSR1] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let env = ProcessInfo.processInfo.environment.merging(environment ?? [:]) { $1 }
        let program = folder == nil ? executable.path : "/bin/sh"
        let words = folder.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0.path, executable.path] } ?? [executable.path]
        let argv = (words + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let code = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        guard code == 0 else { throw SpawnFailed(program: executable.path, code: code) }
        self.pid = pid
    }

    /// Runs a program to completion; its exit status and combined output.
    @discardableResult
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let child = try ChildProcess(executable, arguments, environment: environment)
        let status = child.wait()
        return (status, child.output)
    }

    /// True until the process has exited (reaps it when it has).
    public var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        if result == pid { record(raw); return false }
        if result == -1, errno == ECHILD { status = 255; return false }   // reaped elsewhere: nothing left to wait for
        return true
    }

    /// Waits for the exit; the exit code, or 128 + the signal that ended it.
    @discardableResult
    public func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        return record(raw)
    }

    /// Waits at most `limit` seconds, then kills the process (SIGKILL) and reaps it; whether it had to be killed.
    public func wait(limit: TimeInterval) -> (status: Int32, timedOut: Bool) {
        let start = Date()
        var timedOut = false
        while isRunning {
            if Date().timeIntervalSince(start) > limit, !timedOut {
                timedOut = true
                kill(pid, SIGKILL)
            }
            usleep(5_000)
        }
        return (wait(), timedOut)
    }

    /// Combined standard output and error so far.
    public var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    @discardableResult
    private func record(_ raw: Int32) -> Int32 {
        let decoded: Int32
        if raw & 0x7f == 0 { decoded = (raw >> 8) & 0xff } else { signal = raw & 0x7f; decoded = 128 + (raw & 0x7f) }
        status = decoded
        return decoded
    }

    deinit { try? FileManager.default.removeItem(at: log) }
}
