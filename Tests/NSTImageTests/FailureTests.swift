import CJPEG
import Foundation
import Testing
@testable import NSTImage
import NSTTestSupport

@Suite("Bad input gives a typed error naming the file")
struct FailureTests {
    /// Loads `url` expecting an ImageError whose description names the file; returns it for closer checks.
    private func loadError(_ url: URL) -> ImageError? {
        do {
            let image = try ImageIO.load(url)
            Issue.record("\(url.lastPathComponent) decoded to \(image.width)×\(image.height) instead of failing")
            return nil
        } catch let error as ImageError {
            #expect(error.description.contains(url.path), "\(error) does not name \(url.path)")
            return error
        } catch {
            Issue.record("untyped error \(error)")
            return nil
        }
    }

    private func write(_ bytes: some Sequence<UInt8>, named name: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    @Test("missing file")
    func missing() {
        let url = URL(fileURLWithPath: "/nonexistent-folder/no-such-image.png")
        #expect(loadError(url) == .fileNotFound(path: url.path))
    }

    @Test("empty file")
    func empty() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try write([], named: "empty.jpg", in: folder)
        #expect(loadError(url) == .emptyFile(path: url.path))
    }

    @Test("truncated PNG and JPEG (real files cut short) are corrupt", .needsSharedImages, arguments: [
        ("masked/pair01_content.png", 0.5), ("masked/pair01_content.png", 0.002),
        ("gatys/tubingen.jpg", 0.5), ("gatys/frida_kahlo.jpg", 0.5), ("gatys/tubingen.jpg", 0.0005),
    ])
    func truncated(file: String, keep: Double) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bytes = try Data(contentsOf: sharedImageURL(file))
        let url = try write(bytes.prefix(Int(Double(bytes.count) * keep)), named: "cut-" + file.replacingOccurrences(of: "/", with: "-"), in: folder)
        guard case .corrupt(_, let format, let detail) = loadError(url) else {
            Issue.record("expected .corrupt")
            return
        }
        #expect(format == (file.hasSuffix(".png") ? "PNG" : "JPEG"))
        #expect(!detail.isEmpty)
    }

    @Test("random garbage is an unknown format; garbage after a valid signature is corrupt")
    func garbage() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var rng = SplitMix64(seed: 99)
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let plain = try write([0x42, 0x4D] + noise, named: "noise.png", in: folder)
        guard case .unknownFormat(_, let leading) = loadError(plain) else {
            Issue.record("expected .unknownFormat")
            return
        }
        #expect(leading.hasPrefix("42 4D"))
        let fakePNG = try write(PNGCodec.signature + noise, named: "fake.png", in: folder)
        #expect({ if case .corrupt = loadError(fakePNG) { true } else { false } }())
        let fakeJPEG = try write([0xFF, 0xD8, 0xFF, 0xE0] + noise, named: "fake.jpg", in: folder)
        #expect({ if case .corrupt = loadError(fakeJPEG) { true } else { false } }())
    }

    @Test("a PNG whose IHDR declares 20000×20000 is refused before allocating", arguments: [false, true])
    func absurdSize(withData: Bool) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var bytes: [UInt8] = PNGCodec.signature
        bytes += PNGBytes.chunk("IHDR", PNGBytes.bigEndian32(20000) + PNGBytes.bigEndian32(20000) + [8, 2, 0, 0, 0])
        if withData { bytes += PNGBytes.chunk("IDAT", PNGBytes.zlibStored([0, 1, 2, 3])) + PNGBytes.chunk("IEND", []) }
        let url = try write(bytes, named: "huge.png", in: folder)
        #expect(loadError(url) == .tooLarge(path: url.path, width: 20000, height: 20000, limit: ImageIO.maxPixelCount))
    }

    @Test("a JPEG whose frame header declares 20000×20000 is refused before allocating")
    func absurdJPEG() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var bytes = [UInt8](try ImageIO.encode(Image(width: 16, height: 16, channels: 3), as: .jpeg))
        // SOF0 = FF C0, then length (2), precision (1), height (2), width (2).
        guard let sof = zip(bytes.indices, bytes.dropFirst()).first(where: { bytes[$0.0] == 0xFF && $0.1 == 0xC0 })?.0 else {
            Issue.record("encoder wrote no SOF0")
            return
        }
        bytes.replaceSubrange((sof + 5)..<(sof + 9), with: PNGBytes.bigEndian16(20000) + PNGBytes.bigEndian16(20000))
        let url = try write(bytes, named: "huge.jpg", in: folder)
        #expect(loadError(url) == .tooLarge(path: url.path, width: 20000, height: 20000, limit: ImageIO.maxPixelCount))
    }

    @Test("a CMYK JPEG is refused as unsupported")
    func cmykJPEG() throws {
        let cmyk = [UInt8](repeating: 90, count: 8 * 8 * 4)
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        #expect(nst_jpeg_encode(cmyk, 8, 8, 4, 90, &output, &size, &message, message.count) == 1)
        guard let output else { Issue.record("no CMYK bytes"); return }
        let data = Data(bytes: output, count: Int(size))
        free(output)
        #expect(throws: ImageError.self) { try ImageIO.decode(data, name: "cmyk.jpg") }
        do {
            _ = try ImageIO.decode(data, name: "cmyk.jpg")
        } catch let error as ImageError {
            guard case .unsupported(let path, let detail) = error else { Issue.record("got \(error)"); return }
            #expect(path == "cmyk.jpg")
            #expect(detail.contains("CMYK"))
        }
    }

    @Test("a PNG with a damaged IHDR checksum is corrupt")
    func badCRC() throws {
        var bytes = [UInt8](PNGBytes.file(width: 2, height: 2, bitDepth: 8, colorType: 0, rows: [[1, 2], [3, 4]]))
        bytes[29] ^= 0xFF  // last CRC byte of IHDR (8 signature + 8 length/type + 13 data)
        #expect(throws: ImageError.self) { try ImageIO.decode(Data(bytes), name: "crc.png") }
        do {
            _ = try ImageIO.decode(Data(bytes), name: "crc.png")
        } catch let error as ImageError {
            guard case .corrupt(let path, "PNG", _) = error else { Issue.record("got \(error)"); return }
            #expect(path == "crc.png")
        }
    }

    @Test("saving: unknown extension, bad quality and a missing folder are typed errors; nothing is written")
    func saveErrors() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = Image(width: 2, height: 2, channels: 3)
        let bmp = folder.appendingPathComponent("out.bmp")
        #expect(throws: ImageError.unsupportedExtension(path: bmp.path, pathExtension: "bmp")) {
            try ImageIO.save(image, to: bmp)
        }
        let jpg = folder.appendingPathComponent("out.jpg")
        #expect(throws: ImageError.invalidQuality(path: jpg.path, quality: 0)) { try ImageIO.save(image, to: jpg, quality: 0) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        let nowhere = folder.appendingPathComponent("missing-folder/out.png")
        do {
            try ImageIO.save(image, to: nowhere)
            Issue.record("saving into a missing folder succeeded")
        } catch let error as ImageError {
            guard case .writeFailed(let path, _) = error else { Issue.record("got \(error)"); return }
            #expect(path == nowhere.path)
        }
    }
}
