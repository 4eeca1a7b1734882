import Foundation
import Testing
@_exported import struct NSTTensor.SplitMix64

// Support shared by every test target: where the package, the example images and `../shared/images` are, scratch
// folders, the seeded generator (`SplitMix64`, the toolkit's own), and the child-process runner for `nst-exp`.

/// The package root (two levels above this file's folder).
public let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `../shared/images` beside the package root: the research images of the development machine. A user's clone has
/// no such folder; tests that read it carry `.needsSharedImages`.
public let sharedImagesFolder = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/images")

/// True when `../shared/images` sits beside the package.
public let sharedImagesPresent = FileManager.default.fileExists(atPath: sharedImagesFolder.path)

extension Trait where Self == ConditionTrait {
    /// Skips a test that reads `../shared/images` when the folder is missing, naming it in the test output.
    public static var needsSharedImages: Self {
        .enabled(if: sharedImagesPresent, "needs ../shared/images beside the repository (not part of a clone)")
    }
}

/// `../shared/images/<relative>`.
public func sharedImageURL(_ relative: String) -> URL { sharedImagesFolder.appendingPathComponent(relative) }
public func sharedImage(_ relative: String) -> String { sharedImageURL(relative).path }

/// `Examples/<relative>`: the example images the README's setup installs (`nst-exp examples install --dir Examples`).
public func exampleImageURL(_ relative: String) -> URL { packageRoot.appendingPathComponent("Examples").appendingPathComponent(relative) }
public func exampleImage(_ relative: String) -> String { exampleImageURL(relative).path }

/// `Masks/<name>`: the committed label maps for the example images.
public func maskFileURL(_ name: String) -> URL { packageRoot.appendingPathComponent("Masks").appendingPathComponent(name) }
public func maskFile(_ name: String) -> String { maskFileURL(name).path }

/// A fresh empty folder under the system temporary directory (`<label>-<UUID>`), removed by the caller via `defer`.
public func temporaryFolder(_ label: String = "nst-tests") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
