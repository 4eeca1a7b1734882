import Foundation
import Testing
@testable import NSTNetwork
import NSTTestSupport

/// A safetensors image from a literal JSON header and raw data bytes.
private func safetensors(header: String, data: [UInt8]) -> Data {
    let json = Array(header.utf8)
    var out = Data((0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * UInt64($0))) })
    out.append(contentsOf: json)
    out.append(contentsOf: data)
    return out
}

private let eightBytes = [UInt8](repeating: 0, count: 8)

@Suite struct SafeTensorsTests {
    @Test func roundTripsTensorsAndMetadata() throws {
        let a: [Float] = [1, -2.5, .pi, 1e-30, -0.0, 65504]
        let b: [Float] = [42]
        let data = try SafeTensorsFile.encode(tensors: [("a", [2, 3], a), ("b", [1], b)], metadata: ["k": "v", "mean_bgr": "1,2"])
        let header = Int(data[0]) | Int(data[1]) << 8
        #expect((8 + header) % 8 == 0, "data section is 8-byte aligned")
        let file = try SafeTensorsFile(data: data, path: "mem")
        #expect(file.metadata == ["k": "v", "mean_bgr": "1,2"])
        #expect(file.entries.map(\.name) == ["a", "b"])
        #expect(file.entry("a")?.shape == [2, 3])
        #expect(try file.floats("a").map(\.bitPattern) == a.map(\.bitPattern))
        #expect(try file.floats("b") == b)
    }

    @Test func acceptsAHandWrittenFile() throws {
        // Two F32 scalars 1.0 and 2.0 written by hand, including a header padded with spaces.
        let file = try SafeTensorsFile(data: safetensors(
            header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"a":"b"}}    "#,
            data: [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]), path: "mem")
        #expect(try file.floats("x") == [1, 2])
        #expect(file.metadata == ["a": "b"])
    }

    @Test(arguments: [
        (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#, "header JSON is invalid"),
        (#"["x"]"#, "does not start with '{'"),
        (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}"#, "span 16"),
        (#"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, "ends at data byte 16, data section is 8 bytes"),
        (#"{"x":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}"#, "unknown dtype F33"),
        (#"{"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, "negative dimension"),
        (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, "0 ≤ begin ≤ end"),
        (#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, "starts at data byte 4, expected 0"),
        (#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "cover 4 of 8 data bytes"),
        (#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, "gap or overlap"),
        (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}"#, "unknown field extra"),
        (#"{"x":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#, "header JSON is invalid"),
        (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"a":1}}"#, "header JSON is invalid"),
    ])
    func rejectsCorruptHeaders(header: String, expected: String) {
        let message = describe { try SafeTensorsFile(data: safetensors(header: header, data: eightBytes), path: "bad.safetensors") }
        #expect(message.contains("bad.safetensors is not a valid safetensors file"), "\(message)")
        #expect(message.contains(expected), "\(message)")
    }

    @Test func rejectsTruncatedFiles() throws {
        let good = try SafeTensorsFile.encode(tensors: [("a", [4], [1, 2, 3, 4])], metadata: [:])
        for length in [0, 5, 8, 20, good.count - 1] {
            #expect(throws: WeightsError.self) { try SafeTensorsFile(data: good.prefix(length), path: "t") }
        }
        var huge = good
        huge.replaceSubrange(0..<8, with: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])
        #expect(describe { try SafeTensorsFile(data: huge, path: "t") }.contains("header length"))
    }

    @Test func floatsRequiresF32() throws {
        let file = try SafeTensorsFile(data: safetensors(
            header: #"{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#, data: eightBytes), path: "f64")
        #expect(describe { try file.floats("x") }.contains("is F64, expected F32"))
        #expect(describe { try file.floats("nope") }.contains("no tensor nope"))
    }

    @Test func vggLoadNamesTheMissingLayer() throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("partial.safetensors")
        try SafeTensorsFile.encode(tensors: [("conv1_1.weight", [64, 3, 3, 3], [Float](repeating: 0, count: 1728)),
                                             ("conv1_1.bias", [64], [Float](repeating: 0, count: 64))],
                                   metadata: [:]).write(to: url)
        #expect(describe { try VGGWeights.load(from: url) }.contains("layer conv1_2 has no tensor conv1_2.weight"))
        let missing = directory.appendingPathComponent("absent.safetensors")
        #expect(describe { try VGGWeights.load(from: missing) }.contains("nst-exp weights install"))
    }

    @Test func defaultURLFollowsTheEnvironment() {
        #expect(VGGWeights.defaultURL(environment: ["NST_WEIGHTS": "/w/v.safetensors", "NST_CACHE_DIR": "/c"]).path == "/w/v.safetensors")
        #expect(VGGWeights.defaultURL(environment: ["NST_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"]).path == "/c/vgg19.safetensors")
        #expect(VGGWeights.defaultURL(environment: ["NST_WEIGHTS": "", "XDG_CACHE_HOME": "/x", "HOME": "/h"]).path == "/x/nst/vgg19.safetensors")
        #expect(VGGWeights.defaultURL(environment: ["HOME": "/h"]).path == "/h/.cache/nst/vgg19.safetensors")
    }
}
