import Foundation
import Testing
import NSTImage
import NSTNetwork
@testable import NSTExperiments
import NSTTestSupport

/// Paths and helpers shared by the sweep tests.
enum Fixtures {
    /// Writes `json` as `<folder>/<name>` and parses it as a sweep.
    static func sweep(_ json: String, in folder: URL, name: String = "sweep.json") throws -> Sweep {
        let url = folder.appendingPathComponent(name)
        try Data(json.utf8).write(to: url)
        return try Sweep.load(from: url)
    }

    /// Writes `image` as `<folder>/<name>` (PNG or JPEG by the extension); its path.
    static func save(_ image: Image, _ name: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        try ImageIO.save(image, to: url)
        return url.path
    }

    /// Reads and decodes a JSON file.
    static func json<T: Decodable>(_ type: T.Type, at url: URL) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}
