import Foundation
import Testing
@testable import NSTTransfer
import NSTTestSupport

@Suite("Photorealistic preset")
struct PhotorealisticPresetTests {
    @Test("\"photorealistic\": true turns the photorealism term on from the content; explicit keys override the preset")
    func preset() throws {
        let preset = try RunConfiguration.decode(from: Data(#"{"photorealistic": true}"#.utf8))
        #expect(preset == RunConfiguration.photorealisticPreset)
        #expect(preset.value(of: PhotorealismTerm.weight) > 0 && preset.initialization == .content)
        let overridden = try RunConfiguration.decode(from: Data(#"{"photorealism_weight": 5, "init": "noise", "photorealistic": true}"#.utf8))
        #expect(overridden.value(of: PhotorealismTerm.weight) == 5 && overridden.initialization == .noise && overridden.photorealistic)
        // Encodes the flag and round-trips; the plain defaults never mention it.
        let text = String(decoding: try JSONEncoder().encode(overridden), as: UTF8.self)
        #expect(text.contains("\"photorealistic\":true"))
        #expect(try RunConfiguration.decode(from: Data(text.utf8)) == overridden)
        #expect(!String(decoding: try JSONEncoder().encode(RunConfiguration()), as: UTF8.self).contains("photorealistic"))
    }

    @Test("loading a file with the preset requested keeps the file's own keys")
    func loadWithPreset() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("run.json")
        try Data(#"{"style_weight": 10, "photorealism_weight": 7}"#.utf8).write(to: file)
        let plain = try RunConfiguration.load(from: file)
        #expect(!plain.photorealistic && plain.value(of: PhotorealismTerm.weight) == 7)
        let preset = try RunConfiguration.load(from: file, photorealistic: true)
        #expect(preset.photorealistic && preset.styleWeight == 10 && preset.value(of: PhotorealismTerm.weight) == 7)
        try Data(#"{"style_weight": 10}"#.utf8).write(to: file)
        #expect(try RunConfiguration.load(from: file, photorealistic: true).value(of: PhotorealismTerm.weight)
                == RunConfiguration.photorealisticPreset.value(of: PhotorealismTerm.weight))
    }

    @Test("--set overrides any key, term keys included, and names an unknown key")
    func setOverrides() throws {
        let c = try RunConfiguration().setting(["photorealism_weight=1e9", "style_weight=10", "init=noise"])
        #expect(c.value(of: PhotorealismTerm.weight) == 1e9 && c.styleWeight == 10 && c.initialization == .noise)
        #expect { try RunConfiguration().setting(["style_wieght=1"]) } throws: { "\($0)".contains("style_weight") }
        #expect { try RunConfiguration().setting(["novalue"]) } throws: { "\($0)".contains("key=value") }
    }
}
