import Foundation
import Testing
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

    /// Reads and decodes a JSON file.
    static func json<T: Decodable>(_ type: T.Type, at url: URL) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}
