import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Who holds a folder lock or a run claim; written as one JSON line into the file it locks, so the next runner can
/// name it.
public struct LockHolder: Codable, Equatable, Sendable, CustomStringConvertible {
    public var pid: Int32
    public var host: String
    public var started: String
    /// `--shard k/n`, if the holder runs a shard.
    public var shard: String?

    public static func current(shard: String? = nil) -> LockHolder {
        LockHolder(pid: getpid(), host: hostName(), started: SweepFiles.timestamp(), shard: shard)
    }

    public var description: String {
        "pid \(pid) on host \(host)" + (shard.map { " (shard \($0))" } ?? "") + ", started \(started)"
    }

    /// gethostname(2); "unknown" if it fails.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(cString: buffer)
    }

    /// The holder recorded in an open lock file, or nil for an empty or foreign file.
    static func read(fd: Int32) -> LockHolder? {
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = pread(fd, &bytes, bytes.count, 0)
        guard n > 0 else { return nil }
        return try? JSONDecoder().decode(LockHolder.self, from: Data(bytes[..<n]))
    }

    /// Replaces the content of an open lock file with this holder.
    func write(fd: Int32) {
        guard var data = try? JSONEncoder().encode(self) else { return }
        data.append(0x0A)
        _ = ftruncate(fd, 0)
        _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }
}

/// The lock a runner holds on a sweep's output folder for as long as it runs.
///
/// `flock(2)` on `<folder>/.lock`: a whole-sweep runner takes it exclusively, a shard (`--shard k/n`) takes it
/// shared plus `<folder>/.lock-shard-k-of-n` exclusively, so shards of one sweep run side by side while two
/// runners of the same runs (or a whole-sweep runner and any shard) exclude each other. The kernel releases the
/// lock when the process ends in any way (exit, crash, SIGKILL); on NFS, Linux maps flock to POSIX byte-range locks
/// that the server releases when the client's lease ends. A file system without locks gets a warning and relies on
/// the run claims alone.
public final class SweepLock {
    private var descriptors: [Int32] = []
    /// Set when the file system refused to lock (the run claims still keep runs apart).
    public private(set) var unsupported = false

    static let fileName = ".lock"

    static func shardFileName(_ shard: (k: Int, n: Int)) -> String { ".lock-shard-\(shard.k)-of-\(shard.n)" }

    /// Takes the lock of `folder` (created if missing). If another runner holds it, throws `SweepError.locked`
    /// naming the holders, or with `wait` polls until it is free, calling `waiting` once and giving up when `stop`
    /// returns true (then throws `SweepError.lockWaitStopped`).
    public static func acquire(folder: URL, shard: (k: Int, n: Int)?, wait: Bool,
                               waiting: (String) -> Void = { _ in }, stop: () -> Bool = { false }) throws -> SweepLock {
        try SweepFiles.makeFolder(folder)
        let lock = SweepLock()
        let holder = LockHolder.current(shard: shard.map { "\($0.k)/\($0.n)" })
        var files = [(fileName, shard == nil ? LOCK_EX : LOCK_SH)]
        if let shard { files.append((shardFileName(shard), LOCK_EX)) }
        var announced = false
        for (name, operation) in files {
            let path = folder.appendingPathComponent(name).path
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw SweepError.io(path: path, reason: String(cString: strerror(errno))) }
            lock.descriptors.append(fd)
            while flock(fd, operation | LOCK_NB) != 0 {
                let code = errno
                if code == EINTR { continue }
                guard code == EWOULDBLOCK else {
                    // ENOLCK, EOPNOTSUPP, ENOSYS: no locks on this file system.
                    lock.unsupported = true
                    break
                }
                let holders = SweepLock.holders(in: folder, blockedOn: name)
                guard wait else { throw SweepError.locked(folder: folder.path, holders: holders) }
                if !announced {
                    waiting("waiting for the runner holding \(folder.path) (\(holders.joined(separator: "; "))) to finish")
                    announced = true
                }
                if stop() { throw SweepError.lockWaitStopped(folder: folder.path) }
                usleep(200_000)
            }
            if operation == LOCK_EX && !lock.unsupported { holder.write(fd: fd) }
        }
        return lock
    }

    /// Descriptions of the runners holding the folder: the shards whose shard lock is held, else the exclusive
    /// holder recorded in `.lock`.
    static func holders(in folder: URL, blockedOn name: String) -> [String] {
        func heldHolder(_ path: String) -> LockHolder?? {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            // A shared lock is refused only while someone holds the file exclusively.
            if flock(fd, LOCK_SH | LOCK_NB) == 0 { flock(fd, LOCK_UN); return nil }
            return .some(LockHolder.read(fd: fd))
        }
        var result: [String] = []
        if name == fileName {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for shardFile in names.sorted() where shardFile.hasPrefix(".lock-shard-") {
                if let held = heldHolder(folder.appendingPathComponent(shardFile).path) {
                    result.append(held?.description ?? "a shard runner (\(shardFile))")
                }
            }
        }
        if result.isEmpty, let held = heldHolder(folder.appendingPathComponent(name).path) {
            result.append(held?.description ?? "another runner")
        }
        return result.isEmpty ? ["another runner"] : result
    }

    /// Releases the lock (also done by the kernel when the process ends).
    public func release() {
        for fd in descriptors { close(fd) }
        descriptors = []
    }

    deinit { release() }
}

/// A claim on one run: `<folder>/claims/<id>.claim`, created with O_EXCL and held with `flock` while the run
/// executes, so two processes never run the same run, even shards of different `n` on a shared file system.
///
/// A claim whose holder died (SIGKILL, crash, node failure) has no lock left on it and is taken over; the file
/// names the holder (pid, host, start) for messages. The run's result is checked again after claiming, since
/// another runner may have finished it meanwhile.
final class RunClaim {
    let path: String
    private var fd: Int32
    /// True if this claim took over a stale one (its holder died); `replaced` names that holder if it was recorded.
    let reclaimed: Bool
    let replaced: LockHolder?

    private init(path: String, fd: Int32, reclaimed: Bool = false, replaced: LockHolder? = nil) {
        self.path = path
        self.fd = fd
        self.reclaimed = reclaimed
        self.replaced = replaced
    }

    static func folder(in output: URL) -> URL { output.appendingPathComponent("claims") }

    enum Outcome {
        case claimed(RunClaim)
        /// A live process holds the claim (its holder, if recorded).
        case held(LockHolder?)
    }

    /// Claims run `id` under `output`.
    static func take(_ id: String, in output: URL, holder: LockHolder) throws -> Outcome {
        let claims = RunClaim.folder(in: output)
        try SweepFiles.makeFolder(claims)
        let path = claims.appendingPathComponent(id + ".claim").path
        for _ in 0..<100 {
            let created = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if created >= 0 {
                // Lock before anyone can judge the new file stale; a process that locked it first wins.
                if flock(created, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK {
                    close(created)
                    return .held(nil)
                }
                holder.write(fd: created)
                return .claimed(RunClaim(path: path, fd: created))
            }
            guard errno == EEXIST else { throw SweepError.io(path: path, reason: String(cString: strerror(errno))) }
            let existing = open(path, O_RDWR | O_CLOEXEC)
            guard existing >= 0 else {
                if errno == ENOENT { continue }   // released meanwhile: try to create it again
                throw SweepError.io(path: path, reason: String(cString: strerror(errno)))
            }
            if flock(existing, LOCK_EX | LOCK_NB) != 0 {
                let code = errno, recorded = LockHolder.read(fd: existing)
                close(existing)
                if code == EWOULDBLOCK { return .held(recorded) }
                // No locks on this file system: a claim of this host whose process is gone is stale; others are not.
                if let recorded, recorded.host == LockHolder.hostName(), kill(recorded.pid, 0) != 0, errno == ESRCH {
                    unlink(path)
                    continue
                }
                return .held(recorded)
            }
            // Locked: the holder is gone. Still the file at `path` (not one unlinked by a finishing holder)?
            var opened = stat(), current = stat()
            guard fstat(existing, &opened) == 0, stat(path, &current) == 0,
                  opened.st_dev == current.st_dev, opened.st_ino == current.st_ino else {
                close(existing)
                continue
            }
            let previous = LockHolder.read(fd: existing)
            holder.write(fd: existing)
            return .claimed(RunClaim(path: path, fd: existing, reclaimed: true, replaced: previous))
        }
        throw SweepError.io(path: path, reason: "the claim kept changing under this runner")
    }

    /// Removes the claim (before unlocking, so nobody takes over a finished run's claim).
    func release() {
        guard fd >= 0 else { return }
        unlink(path)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
