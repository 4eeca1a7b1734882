import Foundation
import NSTImage
import NSTNetwork
import NSTTestSupport

/// Runs the built `nst-exp` as a user would and records everything a hostile case is judged on.
enum Harness {
    /// Longest a case may take before it counts as a hang.
    static let timeLimit: TimeInterval = 60

    struct Failure: Error, CustomStringConvertible {
        let description: String
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

    /// Runs `nst-exp arguments` in `folder` (`ChildProcess`: clean signal mask, stdin from /dev/null, stdout and
    /// stderr to one file), one thread unless the case sets NST_THREADS; kills it after `timeLimit`.
    static func run(_ arguments: [String], in folder: URL, environment: [String: String] = [:]) throws -> Outcome {
        let program = try nstExecutable()
        var env = environment
        env["NST_THREADS"] = env["NST_THREADS"] ?? ProcessInfo.processInfo.environment["NST_THREADS"] ?? "1"
        let start = Date()
        let child: ChildProcess
        do { child = try ChildProcess(program, arguments, environment: env, in: folder) } catch {
            throw Failure(description: "\(error)")
        }
        let (status, timedOut) = child.wait(limit: timeLimit)
        return Outcome(status: status, signal: child.signal, timedOut: timedOut, output: child.output,
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
        for name in names {
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
