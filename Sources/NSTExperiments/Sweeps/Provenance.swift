import CBLAS
import Crypto
import Foundation
import NSTImage
import NSTNetwork
import NSTTensor

/// The toolkit's identity.
public enum Toolkit {
    /// Semantic version of nst.
    public static let version = "0.1.0"
    /// The package root this binary was built from (sources are located at compile time).
    static let sourceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}

/// `manifest.json`: what produced a sweep's results, so they can be traced and reproduced.
public struct Provenance: Codable, Sendable {
    /// A file and its SHA-256.
    public struct HashedFile: Codable, Sendable {
        public var path: String
        public var sha256: String
    }

    public var toolkitVersion = Toolkit.version
    public var gitCommit: String?
    public var gitDirty: Bool?
    public var swiftVersion: String
    public var blas: String
    public var threads: Int
    public var cpu: String
    /// CPU features, BLAS version and kernel set, conv kernel (`blas` and `cpu` above summarize it).
    public var system: RunEnvironment
    public var commandLine: String
    /// ISO-8601.
    public var started: String
    public var ended: String?
    /// "k/n" when this invocation ran one shard.
    public var shard: String?
    public var weights: HashedFile
    /// Absolute input path → SHA-256 (null if the file could not be read; the run that needs it then fails and
    /// records why, while the other runs go on).
    public var inputs: [String: String?]

    enum CodingKeys: String, CodingKey {
        case toolkitVersion = "toolkit_version", gitCommit = "git_commit", gitDirty = "git_dirty"
        case swiftVersion = "swift_version", blas, threads, cpu, system, commandLine = "command_line", started, ended, shard
        case weights, inputs
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(toolkitVersion, forKey: .toolkitVersion)
        try c.encode(gitCommit, forKey: .gitCommit)
        try c.encode(gitDirty, forKey: .gitDirty)
        try c.encode(swiftVersion, forKey: .swiftVersion)
        try c.encode(blas, forKey: .blas)
        try c.encode(threads, forKey: .threads)
        try c.encode(cpu, forKey: .cpu)
        try c.encode(system, forKey: .system)
        try c.encode(commandLine, forKey: .commandLine)
        try c.encode(started, forKey: .started)
        try c.encode(ended, forKey: .ended)
        try c.encode(shard, forKey: .shard)
        try c.encode(weights, forKey: .weights)
        try c.encode(inputs, forKey: .inputs)
    }

    /// Collects the figures of this machine and build, hashing the weights and every input file; `convKernels` are
    /// the conv kernels of the runs (`system.conv_kernel`).
    public static func collect(weights: String, inputs: [String], commandLine: [String], shard: String?,
                               convKernels: [ConvKernel] = [.standard]) throws -> Provenance {
        let git = gitState()
        var hashes: [String: String?] = [:]
        for path in inputs { hashes[path] = .some(try? sha256(ofFile: path)) }
        return Provenance(gitCommit: git?.commit, gitDirty: git?.dirty, swiftVersion: swiftVersion,
                          blas: blasDescription(), threads: Parallel.workers, cpu: cpuModel(),
                          system: .current(convKernels: convKernels),
                          commandLine: commandLine.map(shellQuoted).joined(separator: " "),
                          started: SweepFiles.timestamp(), ended: nil, shard: shard,
                          weights: HashedFile(path: weights, sha256: try sha256(ofFile: weights)), inputs: hashes)
    }

    /// SHA-256 of a file, read in 4 MiB blocks (the weights are half a gigabyte).
    public static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SweepError.io(path: path, reason: "cannot open for hashing")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let block: Data
            do { block = try handle.read(upToCount: 4 << 20) ?? Data() } catch {
                throw SweepError.io(path: path, reason: "read failed while hashing: \(error.localizedDescription)")
            }
            if block.isEmpty { break }
            hasher.update(data: block)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// HEAD and whether tracked files differ from it, for the repository the toolkit was built from; nil outside git.
    static func gitState() -> (commit: String, dirty: Bool)? {
        let root = Toolkit.sourceRoot.path
        guard let commit = run("/usr/bin/env", ["git", "-C", root, "rev-parse", "HEAD"]), !commit.isEmpty,
              let status = run("/usr/bin/env", ["git", "-C", root, "status", "--porcelain", "--untracked-files=no"]) else { return nil }
        return (commit, !status.isEmpty)
    }

    /// Runs a program and returns its trimmed standard output, or nil if it fails.
    static func run(_ executable: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = FileIO.readToEnd(out)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static var swiftVersion: String {
        #if compiler(>=6.4)
        return "6.4 or later"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    static func blasDescription() -> String {
        BLASKernels.configuration + ", core " + BLASKernels.coreName + " (1 thread per worker)"
    }

    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        let model = text.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        return "\(model) (\(ProcessInfo.processInfo.activeProcessorCount) cores)"
    }

    static func shellQuoted(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
