import Foundation
import NSTImage
import NSTNetwork
import NSTTestSupport

/// Inputs the suite makes itself (no ../shared, no downloads): small images, label maps, a sweep, and a full-size
/// VGG-19 safetensors file of seeded random weights (real layout, so the loader's checks all apply).
enum Fixtures {
    /// One folder per suite run holding the weights (80 MB, written once) that every case reads.
    static let shared: Result<URL, Error> = Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nst-robustness-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let weights = folder.appendingPathComponent("weights.safetensors")
        try VGGWeights.random(seed: 7).safetensorsData(path: weights.path).write(to: weights)
        return folder
    }

    static func weightsPath() throws -> String { try shared.get().appendingPathComponent("weights.safetensors").path }

    /// A smooth RGB test picture.
    static func picture(width: Int, height: Int, phase: Float = 0) -> Image {
        var image = Image(width: width, height: height, channels: 3)
        for y in 0..<height {
            for x in 0..<width {
                image[0, y, x] = Float(x) / Float(width)
                image[1, y, x] = Float(y) / Float(height)
                image[2, y, x] = 0.5 + 0.5 * sin(phase + Float(x + y) / 5)
            }
        }
        return image
    }

    /// Left half red, right half blue.
    static func labelMap(width: Int, height: Int) -> Image {
        var image = Image(width: width, height: height, channels: 3)
        for y in 0..<height {
            for x in 0..<width {
                if x < width / 2 { image[0, y, x] = 1 } else { image[2, y, x] = 1 }
            }
        }
        return image
    }

    static func png(_ image: Image) throws -> Data { try ImageIO.encode(image, as: .png) }
    static func jpeg(_ image: Image) throws -> Data { try ImageIO.encode(image, as: .jpeg) }

    /// A PNG whose IHDR declares `width`×`height` (valid CRC) followed by nothing else.
    static func pngHeader(width: UInt32, height: UInt32) -> Data {
        var ihdr = Data("IHDR".utf8)
        for value in [width, height] { withUnsafeBytes(of: value.bigEndian) { ihdr.append(contentsOf: $0) } }
        ihdr.append(contentsOf: [8, 2, 0, 0, 0])  // 8-bit RGB, deflate, no filter, no interlace
        var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        withUnsafeBytes(of: UInt32(13).bigEndian) { data.append(contentsOf: $0) }
        data.append(ihdr)
        withUnsafeBytes(of: crc32(ihdr).bigEndian) { data.append(contentsOf: $0) }
        return data
    }

    /// CRC-32 (ISO 3309), as PNG chunks use it.
    static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// The shared weights with element `index` of `tensor` replaced by `value`.
    static func weights(setting tensor: String, index: Int, to value: Float) throws -> Data {
        var data = try Data(contentsOf: URL(fileURLWithPath: try weightsPath()))
        let file = try SafeTensorsFile(data: data, path: "fixture")
        guard let entry = file.entry(tensor) else { throw Harness.Failure(description: "no tensor \(tensor)") }
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let offset = 8 + headerLength + entry.dataRange.lowerBound + 4 * index
        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.replaceSubrange(offset..<(offset + 4), with: $0) }
        return data
    }

    /// A safetensors file: 8-byte little-endian header length, then `header`, then `payload`.
    static func safetensors(header: String, declaredLength: UInt64? = nil, payload: Data = Data()) -> Data {
        var data = Data()
        let bytes = Data(header.utf8)
        withUnsafeBytes(of: (declaredLength ?? UInt64(bytes.count)).littleEndian) { data.append(contentsOf: $0) }
        return data + bytes + payload
    }
}

/// A fresh folder per case with the standard inputs: content.png (48×32), style.png and style2.jpg (32×32),
/// content_mask.png / style_mask.png (left red, right blue), sweep.json (one tiny run) and out/ (empty).
struct Workspace {
    let folder: URL

    init() throws {
        folder = try temporaryFolder("nst-hostile")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("out"), withIntermediateDirectories: true)
        try write("content.png", Fixtures.png(Fixtures.picture(width: 48, height: 32)))
        try write("style.png", Fixtures.png(Fixtures.picture(width: 32, height: 32, phase: 2)))
        try write("style2.jpg", Fixtures.jpeg(Fixtures.picture(width: 32, height: 32, phase: 4)))
        try write("content_mask.png", Fixtures.png(Fixtures.labelMap(width: 48, height: 32)))
        try write("style_mask.png", Fixtures.png(Fixtures.labelMap(width: 32, height: 32)))
        let sweep = """
            {"name": "tiny", "base": {"content": "content.png", "style": "style.png", "size": 32, "iterations": 1,
              "weights": "\(try Fixtures.weightsPath())", "print_every": 0}, "grid": {"style_weight": [1000]}}
            """
        try write("sweep.json", Data(sweep.utf8))
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func write(_ name: String, _ data: Data) throws {
        try data.write(to: folder.appendingPathComponent(name))
    }

    func text(_ name: String, _ text: String) throws { try write(name, Data(text.utf8)) }

    func read(_ name: String) throws -> Data { try Data(contentsOf: folder.appendingPathComponent(name)) }

    func link(_ name: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path(name), withDestinationPath: target)
    }

    func hardLink(_ name: String, to existing: String) throws {
        try FileManager.default.linkItem(atPath: path(existing), toPath: path(name))
    }

    func fifo(_ name: String) throws {
        guard mkfifo(path(name), 0o644) == 0 else { throw Harness.Failure(description: "mkfifo \(name) failed") }
    }

    func folder(_ name: String) throws {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(name), withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}
