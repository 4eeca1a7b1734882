import Foundation
import NSTImage
import NSTNetwork

/// Runs the built `nst-exp` as a user would and records everything a hostile case is judged on.
enum Harness {
    /// The package root (two levels above this file's folder).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Longest a case may take before it counts as a hang.
    static let timeLimit: TimeInterval = 60

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The nst-exp executable built beside this test bundle.
    static func executable() throws -> URL {
        let own = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var folder = URL(fileURLWithPath: own).deletingLastPathComponent()
        while !folder.path.isEmpty, folder.path != "/" {
            let candidate = folder.appendingPathComponent("nst-exp")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        throw Failure(description: "no nst-exp executable beside \(own); build it first with `swift build -c release`")
    }

    /// What a finished (or killed) process left.
    struct Outcome {
        /// Exit code, or 128 + the signal that ended it.
        var status: Int32
        var signal: Int32?
        var timedOut: Bool
        var output: String
        var seconds: Double
    }

    /// Spawns `nst-exp arguments` in `folder` with a clean signal mask, stdin from /dev/null, stdout and stderr to
    /// one file; kills it after `timeLimit`.
    static func run(_ arguments: [String], in folder: URL, environment: [String: String] = [:]) throws -> Outcome {
        let program = try executable()
        let log = folder.appendingPathComponent(".case-output-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: log) }
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
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        env["NST_THREADS"] = env["NST_THREADS"] ?? "1"
        // /bin/sh changes into the workspace and execs nst-exp (so the exit status and signals are nst-exp's own).
        let argv = (["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", folder.path, program.path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let start = Date()
        let code = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        guard code == 0 else { throw Failure(description: "cannot start \(program.path): \(String(cString: strerror(code)))") }
        var raw: Int32 = 0
        var timedOut = false
        while true {
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid { break }
            if result == -1, errno != EINTR { break }
            if Date().timeIntervalSince(start) > timeLimit, !timedOut {
                timedOut = true
                kill(pid, SIGKILL)
            }
            usleep(5_000)
        }
        let signal: Int32? = raw & 0x7f == 0 ? nil : raw & 0x7f
        let status = signal.map { 128 + $0 } ?? (raw >> 8) & 0xff
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Outcome(status: status, signal: signal, timedOut: timedOut, output: output,
                       seconds: Date().timeIntervalSince(start))
    }
}

/// The state of every file under a folder, to prove a case damaged nothing: contents of small files, size,
/// inode and modification time of large ones, the kind of special files.
struct FolderSnapshot: Equatable {
    struct Entry: Equatable {
        var kind: FileIO.Kind
        var isLink: Bool
        var linkTarget: String?
        var size: Int
        var inode: UInt64
        var modified: Int
        var contents: Data?
    }

    var entries: [String: Entry]

    init(_ folder: URL) {
        entries = [:]
        let fm = FileManager.default
        guard let names = fm.subpaths(atPath: folder.path) else { return }
        for name in names where !name.hasPrefix(".case-output-") {
            let path = folder.appendingPathComponent(name).path
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let isLink = info.st_mode & S_IFMT == S_IFLNK
            let kind = FileIO.kind(path)
            var contents: Data? = nil
            if !isLink, kind == .regular, info.st_size < 4 << 20 { contents = try? Data(contentsOf: URL(fileURLWithPath: path)) }
            entries[name] = Entry(kind: kind, isLink: isLink, linkTarget: isLink ? try? fm.destinationOfSymbolicLink(atPath: path) : nil,
                                  size: isLink ? 0 : Int(info.st_size), inode: UInt64(info.st_ino),
                                  modified: isLink ? 0 : Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec),
                                  contents: contents)
        }
    }

    /// Paths whose entry differs (changed, removed or replaced), except those in `allowed`.
    func damage(comparedTo after: FolderSnapshot, allowed: Set<String>) -> [String] {
        entries.keys.sorted().filter { name in
            guard !allowed.contains(name) else { return false }
            guard let now = after.entries[name] else { return true }
            let before = entries[name]!
            if before.kind == .directory { return now.kind != .directory }
            return now != before
        }
    }

    /// Leftover temporary files of an atomic write or a write probe.
    var leftovers: [String] {
        entries.keys.filter { $0.hasSuffix(".partial") || $0.contains(".nst-write-check-") }.sorted()
    }
}

/// The state of the system's special files a case could break (as root, replacing /dev/null breaks the machine).
struct SpecialFiles: Equatable {
    static let paths = ["/dev/null", "/dev/full", "/dev/zero"]
    var kinds: [FileIO.Kind]

    init() { kinds = Self.paths.map(FileIO.kind) }
}
