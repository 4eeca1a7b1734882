import Foundation

/// A file that cannot be read or written, with the reason in words (never a bare Foundation error code).
public struct FileIOError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
    public var errorDescription: String? { description }
}

/// File and pipe I/O shared by every layer: atomic writes that leave devices and FIFOs alone, whole-file reads
/// that refuse directories and special files in words, reads from child processes that survive EINTR, and the
/// identity of a path for refusing collisions between inputs and outputs.
public enum FileIO {
    /// What a path is after following symbolic links.
    public enum Kind: Equatable, Sendable, CustomStringConvertible {
        case missing, regular, directory, characterDevice, blockDevice, fifo, socket, other

        public var description: String {
            switch self {
            case .missing: return "missing"
            case .regular: return "a regular file"
            case .directory: return "a directory"
            case .characterDevice: return "a character device"
            case .blockDevice: return "a block device"
            case .fifo: return "a FIFO (named pipe)"
            case .socket: return "a socket"
            case .other: return "not a regular file"
            }
        }
    }

    /// The kind of `path`, following symbolic links (a dangling link is `.missing`).
    public static func kind(_ path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFCHR: return .characterDevice
        case S_IFBLK: return .blockDevice
        case S_IFIFO: return .fifo
        case S_IFSOCK: return .socket
        default: return .other
        }
    }

    /// strerror(code) in words.
    static func words(_ code: Int32) -> String { String(cString: strerror(code)) }

    // MARK: - Reading

    /// The whole of a regular file (or a link to one). Directories, devices, FIFOs and sockets are refused before
    /// anything is opened (reading a FIFO or /dev/zero would block or never end); files larger than `limit` bytes
    /// are refused; reads retry EINTR.
    public static func read(_ path: String, limit: Int = Int.max) throws -> Data {
        switch kind(path) {
        case .missing: throw FileIOError(path: path, reason: "no such file")
        case .regular: break
        case let other: throw FileIOError(path: path, reason: "it is \(other), not a regular file")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileIOError(path: path, reason: "cannot open it (\(words(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        if fstat(descriptor, &info) == 0, Int(info.st_size) > limit {
            throw FileIOError(path: path, reason: "it is \(info.st_size) bytes, over the limit of \(limit)")
        }
        guard let data = readToEnd(descriptor: descriptor, limit: limit) else {
            throw FileIOError(path: path, reason: "read failed (\(words(errno)))")
        }
        return data
    }

    /// Everything readable from `descriptor` until end of file, retrying reads interrupted by a signal (EINTR);
    /// nil on a read error (errno set) or more than `limit` bytes.
    public static func readToEnd(descriptor: Int32, limit: Int = Int.max) -> Data? {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return data }
            guard data.count + count <= limit else { errno = EFBIG; return nil }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    /// Everything a child process writes to `pipe` until it closes it (what `readDataToEndOfFile()` does, but a
    /// signal arriving during the read is retried instead of trapping inside Foundation); empty on a read error.
    public static func readToEnd(_ pipe: Pipe) -> Data {
        readToEnd(descriptor: pipe.fileHandleForReading.fileDescriptor) ?? Data()
    }

    // MARK: - Writing

    /// Writes `data` to `path`.
    ///
    /// A regular file (or a new one) is replaced atomically: the bytes go to a hidden temporary file beside it,
    /// are flushed to disk, and rename(2) puts it in place, so readers see the old file or the complete new one
    /// and a crash leaves no partial file. A symbolic link is followed: the file it points to is replaced, the
    /// link stays. Anything else that already exists (a character device such as /dev/null, a FIFO, a socket) is
    /// opened and written directly, never replaced; a FIFO without a reader is an error rather than a hang. So are
    /// the process's own descriptors (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N), appended to even when
    /// they are redirected to a regular file. Every failure, including ENOSPC on /dev/full, throws.
    public static func write(_ data: Data, to path: String) throws {
        if isDescriptorAlias(path) { return try writeDirectly(data, to: path) }
        switch kind(path) {
        case .missing, .regular:
            guard let target = target(path) else {
                throw FileIOError(path: path, reason: "folder \(folderPart(path)) does not exist; create it first")
            }
            try replaceAtomically(data, at: target)
        case .directory:
            throw FileIOError(path: path, reason: "it is a directory; give a file name inside it")
        case .characterDevice, .blockDevice, .fifo, .socket, .other:
            try writeDirectly(data, to: path)
        }
    }

    /// /dev/stdout, /dev/stderr, /dev/stdin, /dev/fd/N or /proc/<pid>/fd/N: another name of an open descriptor.
    static func isDescriptorAlias(_ path: String) -> Bool {
        let standard = URL(fileURLWithPath: path).standardized.path
        if ["/dev/stdout", "/dev/stderr", "/dev/stdin"].contains(standard) || standard.hasPrefix("/dev/fd/") { return true }
        let parts = standard.split(separator: "/")
        return parts.count == 4 && parts[0] == "proc" && parts[2] == "fd"
    }

    /// The descriptor number of /dev/stdout, /dev/stderr, /dev/fd/N or /proc/self/fd/N (this process's), if open.
    static func ownDescriptor(_ path: String) -> Int32? {
        let standard = URL(fileURLWithPath: path).standardized.path
        let number: Int32?
        switch standard {
        case "/dev/stdout": number = 1
        case "/dev/stderr": number = 2
        default:
            let parts = standard.split(separator: "/").map(String.init)
            if parts.count == 3, parts[0] == "dev", parts[1] == "fd" {
                number = Int32(parts[2])
            } else if parts.count == 4, parts[0] == "proc", parts[1] == "self" || parts[1] == "\(getpid())", parts[2] == "fd" {
                number = Int32(parts[3])
            } else {
                number = nil
            }
        }
        guard let number, fcntl(number, F_GETFD) >= 0 else { return nil }
        return number
    }

    /// The path with symbolic links resolved when it exists (realpath), else unchanged.
    public static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }

    /// The file that writing `path` creates or replaces, as open(2) resolves it: an existing file with its links
    /// followed (realpath), else the folder part resolved as written plus the name. nil when that folder does not
    /// resolve: `missing/../x.png` names no file (open(2) fails with ENOENT), although dropping `missing/..` as text
    /// would name ./x.png, an input perhaps.
    public static func target(_ path: String) -> String? {
        target(path, links: 0)
    }

    private static func target(_ path: String, links: Int) -> String? {
        if kind(path) != .missing { return resolved(path) }
        // A dangling symbolic link: open(2) with O_CREAT creates the file it points to, and the link stays a link.
        var info = stat()
        if links < 8, lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(path, &buffer, Int(PATH_MAX))
            guard count > 0 else { return nil }
            let destination = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return target(destination.hasPrefix("/") ? destination : folderPart(path) + "/" + destination, links: links + 1)
        }
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        guard !name.isEmpty, name != ".", name != "..", let real = realpath(folderPart(path), nil) else { return nil }
        defer { free(real) }
        let folder = String(cString: real)
        return (folder == "/" ? "" : folder) + "/" + name
    }

    /// The folder part of `path` as written ("." for a bare name, "/" for a file at the root); no `..` is dropped.
    static func folderPart(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func replaceAtomically(_ data: Data, at path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial").path
        func failure(_ step: String, _ code: Int32 = errno) -> FileIOError {
            FileIOError(path: path, reason: "\(step) (\(words(code)))")
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let code = errno
            let folder = url.deletingLastPathComponent().path
            if code == ENOENT || code == ENOTDIR {
                throw FileIOError(path: path, reason: "folder \(folder) does not exist or does not accept new files (\(words(code)))")
            }
            throw failure("cannot create a temporary file in \(folder)", code)
        }
        var failed: FileIOError? = writeAll(data, to: descriptor).map { failure("write failed", $0) }
        if failed == nil, fsync(descriptor) != 0, errno != EINVAL { failed = failure("fsync failed") }
        if close(descriptor) != 0, failed == nil { failed = failure("close failed") }
        if failed == nil, rename(temporary, path) != 0 { failed = failure("cannot move the new file into place") }
        if let failed {
            unlink(temporary)
            throw failed
        }
    }

    static func writeDirectly(_ data: Data, to path: String) throws {
        if let own = ownDescriptor(path) {
            // Our own stdout/stderr: write through the descriptor itself, after what stdio has buffered, so the
            // bytes land in order (and share the offset) even when it is redirected to a regular file.
            fflush(nil)
            if let code = writeAll(data, to: own) { throw FileIOError(path: path, reason: "write failed (\(words(code)))") }
            return
        }
        // O_NONBLOCK makes opening a FIFO without a reader fail (ENXIO) instead of waiting forever; O_APPEND keeps
        // what a redirected stdout already holds.
        let descriptor = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            let reason = code == ENXIO ? "it is a FIFO (named pipe) with no reader" : "cannot open it for writing (\(words(code)))"
            throw FileIOError(path: path, reason: reason)
        }
        let flags = fcntl(descriptor, F_GETFL)
        if flags >= 0 { _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
        let code = writeAll(data, to: descriptor)
        let closed = close(descriptor)
        if let code { throw FileIOError(path: path, reason: "write failed (\(words(code)))") }
        if closed != 0, errno != EINTR { throw FileIOError(path: path, reason: "close failed (\(words(errno)))") }
    }

    /// write(2) until every byte is out, retrying EINTR; the errno of a failure, nil on success.
    static func writeAll(_ data: Data, to descriptor: Int32) -> Int32? {
        data.withUnsafeBytes { raw -> Int32? in
            guard let base = raw.baseAddress else { return nil }
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(descriptor, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if written == 0 { return EIO }
                offset += written
            }
            return nil
        }
    }

    /// Checks before any work that `path` can later be written: not a directory, its folder exists and accepts a
    /// new file (probed by creating and removing one, which also catches read-only mounts and /proc), and an
    /// existing regular file is writable. Special files are checked by opening them for writing.
    public static func checkWritable(_ path: String) throws {
        if isDescriptorAlias(path) {
            let descriptor = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC)
            guard descriptor >= 0 else { throw FileIOError(path: path, reason: "cannot open it for writing (\(words(errno)))") }
            close(descriptor)
            return
        }
        switch kind(path) {
        case .directory:
            throw FileIOError(path: path, reason: "it is a directory; give a file name inside it")
        case .characterDevice, .blockDevice, .socket, .other:
            let descriptor = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            guard descriptor >= 0 else { throw FileIOError(path: path, reason: "cannot open it for writing (\(words(errno)))") }
            close(descriptor)
        case .fifo:
            return  // opened when written: a reader may attach later
        case .missing, .regular:
            let written = folderPart(path)
            switch kind(written) {
            case .directory: break
            case .missing: throw FileIOError(path: path, reason: "folder \(written) does not exist; create it first")
            case let other: throw FileIOError(path: path, reason: "\(written) is \(other), not a folder")
            }
            guard let target = target(path) else {
                throw FileIOError(path: path, reason: "it names no file that can be created; give a file name in an existing folder")
            }
            // Foundation's URL drops `dir/..` as text; open(2) goes into dir (a symbolic link, perhaps) and up from
            // where it leads. When the two differ, a writer given a URL would replace another file than the one named.
            if path.split(separator: "/").contains("..") {
                let textual = URL(fileURLWithPath: path).standardized.path
                let other = self.target(textual) ?? textual
                guard other == target else {
                    throw FileIOError(path: path, reason: "`..` after a symbolic link: the system resolves it to \(target), "
                        + "not \(other); give the path without `..`")
                }
            }
            let folder = URL(fileURLWithPath: target).deletingLastPathComponent().path
            let probe = folder + "/.nst-write-check-\(getpid())-\(UUID().uuidString)"
            let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw FileIOError(path: path, reason: "folder \(folder) does not accept new files (\(words(errno)))")
            }
            close(descriptor)
            unlink(probe)
            if kind(target) == .regular, access(target, W_OK) != 0 {
                throw FileIOError(path: path, reason: "the existing file is not writable (\(words(errno)))")
            }
        }
    }

    /// Checks, creating nothing that stays, that `makeFolder(path)` and new files in it would succeed: an existing
    /// folder accepts a new file (probed), else the nearest existing ancestor is a folder that accepts a new folder
    /// (probed with mkdir and rmdir, which catches read-only mounts and /proc). For a dry run that must not create it.
    public static func checkFolderCreatable(_ path: String) throws {
        var ancestor = URL(fileURLWithPath: path)
        while kind(ancestor.path) == .missing, ancestor.path != "/" {
            let name = ancestor.lastPathComponent
            if name.utf8.count > 255 {
                throw FileIOError(path: path, reason: "the folder name \(name.prefix(40))… is \(name.utf8.count) bytes long; file systems allow 255")
            }
            ancestor.deleteLastPathComponent()
        }
        let found = kind(ancestor.path), isPath = ancestor.path == URL(fileURLWithPath: path).path
        guard found == .directory else {
            throw FileIOError(path: path, reason: isPath ? "it is \(found), not a folder" : "\(ancestor.path) is \(found), not a folder")
        }
        let probe = ancestor.path + "/.nst-folder-check-\(getpid())-\(UUID().uuidString)"
        guard mkdir(probe, 0o700) == 0 else {
            throw FileIOError(path: path, reason: "\(isPath ? "the folder" : ancestor.path) does not accept new files (\(words(errno)))")
        }
        rmdir(probe)
    }

    /// Creates the folder `path` and its parents; a file in the way (an existing file given as a folder) and
    /// any other failure are named in words.
    public static func makeFolder(_ path: String) throws {
        var ancestor = URL(fileURLWithPath: path)
        while kind(ancestor.path) == .missing, ancestor.path != "/" { ancestor.deleteLastPathComponent() }
        let found = kind(ancestor.path)
        guard found == .directory || found == .missing else {
            let what = ancestor.path == URL(fileURLWithPath: path).path ? "it is \(found)" : "\(ancestor.path) is \(found)"
            throw FileIOError(path: path, reason: "cannot create this folder: \(what), not a folder")
        }
        guard found == .missing || ancestor.path != URL(fileURLWithPath: path).path else { return }
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw FileIOError(path: path, reason: "cannot create this folder (\(words(errno)))")
        }
    }

    // MARK: - Identity

    /// What two paths share when they name the same file: device and inode for an existing file (so hard links
    /// and symbolic links match), else the resolved folder plus the name.
    public enum Identity: Hashable, Sendable {
        case inode(device: UInt64, inode: UInt64)
        case path(String)
    }

    /// The identity of `path` (see `Identity`).
    public static func identity(_ path: String) -> Identity {
        var info = stat()
        if stat(path, &info) == 0 { return .inode(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) }
        // Not there yet: the file writing it would create (see `target`; nil: nothing can be written there).
        return .path(target(path) ?? path)
    }

    /// One file named twice where that would lose data.
    public struct Collision: Equatable, Sendable {
        /// The role of each path, e.g. "output" and "content".
        public let first: String, second: String
        public let firstPath: String, secondPath: String
    }

    /// The first pair of `outputs` × (`inputs` + other outputs) naming the same file. Character devices (such as
    /// /dev/null) may be named as several outputs; inputs may share files with each other.
    public static func firstCollision(inputs: [(role: String, path: String)],
                                      outputs: [(role: String, path: String)]) -> Collision? {
        let inputIDs = inputs.map { ($0, identity($0.path)) }
        var seen: [(role: String, path: String, id: Identity)] = []
        for output in outputs {
            let id = identity(output.path)
            if let input = inputIDs.first(where: { $0.1 == id }) {
                return Collision(first: output.role, second: input.0.role, firstPath: output.path, secondPath: input.0.path)
            }
            if kind(output.path) != .characterDevice, let other = seen.first(where: { $0.id == id }) {
                return Collision(first: other.role, second: output.role, firstPath: other.path, secondPath: output.path)
            }
            seen.append((output.role, output.path, id))
        }
        return nil
    }
}
