import Crypto
import Foundation
import NSTImage

/// One 3×3 convolution: weights in OIHW order (PyTorch's cross-correlation convention) and biases.
public struct ConvWeights: Sendable, Equatable {
    public let outChannels: Int
    public let inChannels: Int
    /// weight[((o*I + i)*3 + ky)*3 + kx]
    public let weight: [Float]
    public let bias: [Float]

    /// Wraps weights; counts must be O·I·9 and O.
    public init(outChannels: Int, inChannels: Int, weight: [Float], bias: [Float]) {
        precondition(weight.count == outChannels * inChannels * 9 && bias.count == outChannels,
                     "ConvWeights: \(weight.count) weights and \(bias.count) biases for \(outChannels)×\(inChannels)×3×3")
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.weight = weight
        self.bias = bias
    }
}

/// The sixteen convolution layers of VGG-19 (Simonyan & Zisserman 2014, arXiv:1409.1556, configuration E),
/// as trained for ImageNet and published with Keras; the network expects BGR input on a 0–255 scale
/// with the ImageNet mean pixel subtracted (see `meanBGR`).
public struct VGGWeights: Sendable {
    /// Name and channel counts of one conv layer.
    public struct LayerSpec: Sendable, Equatable {
        public let name: String
        /// The Keras layer name, `block<B>_conv<N>`.
        public let kerasName: String
        public let inChannels: Int
        public let outChannels: Int
    }

    /// All conv layers in network order; a 2×2 max pool follows the last conv of each block.
    public static let layers: [LayerSpec] = {
        let blocks: [(convs: Int, out: Int)] = [(2, 64), (2, 128), (4, 256), (4, 512), (4, 512)]
        var specs: [LayerSpec] = []
        var inChannels = 3
        for (b, block) in blocks.enumerated() {
            for n in 1...block.convs {
                specs.append(LayerSpec(name: "conv\(b + 1)_\(n)", kerasName: "block\(b + 1)_conv\(n)",
                                       inChannels: inChannels, outChannels: block.out))
                inChannels = block.out
            }
        }
        return specs
    }()

    /// ["conv1_1", "conv1_2", "conv2_1", …, "conv5_4"] in network order.
    public static let convNames: [String] = layers.map(\.name)
    /// Mean pixel subtracted from 0–255 BGR input (Keras `imagenet_utils.preprocess_input`, mode "caffe").
    public static let meanBGR: [Float] = [103.939, 116.779, 123.68]

    public var convs: [String: ConvWeights]
    public var metadata: [String: String]

    /// Wraps layers; `validate()` checks them against the architecture.
    public init(convs: [String: ConvWeights], metadata: [String: String] = [:]) {
        self.convs = convs
        self.metadata = metadata
    }

    /// Checks that all sixteen layers are present with VGG-19's channel counts and nothing else is.
    public func validate(path: String) throws {
        for spec in Self.layers {
            guard let conv = convs[spec.name] else { throw WeightsError.layerMismatch(path: path, layer: spec.name, reason: "is missing") }
            guard conv.inChannels == spec.inChannels, conv.outChannels == spec.outChannels else {
                throw WeightsError.layerMismatch(path: path, layer: spec.name,
                                                 reason: "is \(conv.outChannels)×\(conv.inChannels)×3×3, expected \(spec.outChannels)×\(spec.inChannels)×3×3")
            }
        }
        if let extra = convs.keys.sorted().first(where: { !Self.convNames.contains($0) }) {
            throw WeightsError.layerMismatch(path: path, layer: extra, reason: "is not a VGG-19 conv layer")
        }
    }

    // MARK: - Locations

    /// `$NST_WEIGHTS` (a file), else `$NST_CACHE_DIR/vgg19.safetensors`, else `${XDG_CACHE_HOME:-~/.cache}/nst/vgg19.safetensors`.
    /// A location, not a run setting: a run's `weights` key names its file, and a sweep's `manifest.json` its SHA-256.
    public static var defaultURL: URL { defaultURL(environment: ProcessInfo.processInfo.environment) }

    /// `defaultURL` resolved against an explicit environment.
    public static func defaultURL(environment: [String: String]) -> URL {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        if let file = value("NST_WEIGHTS") { return URL(fileURLWithPath: file) }
        return cacheDirectory(environment: environment).appendingPathComponent("vgg19.safetensors")
    }

    /// `$NST_CACHE_DIR`, else `${XDG_CACHE_HOME:-~/.cache}/nst`.
    public static func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        if let dir = value("NST_CACHE_DIR") { return URL(fileURLWithPath: dir, isDirectory: true) }
        let base = value("XDG_CACHE_HOME").map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? URL(fileURLWithPath: value("HOME") ?? NSHomeDirectory(), isDirectory: true).appendingPathComponent(".cache")
        return base.appendingPathComponent("nst", isDirectory: true)
    }

    // MARK: - safetensors

    /// safetensors tensor names for a layer: `<layer>.weight` (F32 O×I×3×3) and `<layer>.bias` (F32 O).
    static func tensorNames(_ layer: String) -> (weight: String, bias: String) { ("\(layer).weight", "\(layer).bias") }

    /// Loads and validates weights from a safetensors file.
    public static func load(from url: URL) throws -> VGGWeights {
        let file = try SafeTensorsFile(contentsOf: url)
        var convs: [String: ConvWeights] = [:]
        for spec in layers {
            let names = tensorNames(spec.name)
            for (name, shape) in [(names.weight, [spec.outChannels, spec.inChannels, 3, 3]), (names.bias, [spec.outChannels])] {
                guard let entry = file.entry(name) else {
                    throw WeightsError.layerMismatch(path: url.path, layer: spec.name, reason: "has no tensor \(name)")
                }
                guard entry.dtype == "F32", entry.shape == shape else {
                    throw WeightsError.layerMismatch(path: url.path, layer: spec.name,
                                                     reason: "tensor \(name) is \(entry.dtype) \(entry.shape), expected F32 \(shape)")
                }
            }
            let weight = try file.floats(names.weight), bias = try file.floats(names.bias)
            try requireFinite(weight, tensor: names.weight, path: url.path)
            try requireFinite(bias, tensor: names.bias, path: url.path)
            convs[spec.name] = ConvWeights(outChannels: spec.outChannels, inChannels: spec.inChannels, weight: weight, bias: bias)
        }
        let expected = Set(layers.flatMap { [tensorNames($0.name).weight, tensorNames($0.name).bias] })
        if let extra = file.entries.first(where: { !expected.contains($0.name) }) {
            throw WeightsError.layerMismatch(path: url.path, layer: extra.name, reason: "is not a VGG-19 conv tensor")
        }
        return VGGWeights(convs: convs, metadata: file.metadata)
    }

    /// A NaN or infinite weight would make every loss NaN and look like a diverged run: refused at load.
    static func requireFinite(_ values: [Float], tensor: String, path: String) throws {
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw WeightsError.nonFinite(path: path, tensor: tensor, index: index, value: values[index])
        }
    }

    /// Loads the weights installed at `defaultURL`; if absent the error says how to install them.
    public static func loadInstalled() throws -> VGGWeights {
        try load(from: defaultURL)
    }

    /// The safetensors byte image of these weights (layers in network order).
    public func safetensorsData(path: String) throws -> Data {
        try validate(path: path)
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for spec in Self.layers {
            guard let conv = convs[spec.name] else { continue }  // validate() guarantees presence
            let names = Self.tensorNames(spec.name)
            tensors.append((names.weight, [spec.outChannels, spec.inChannels, 3, 3], conv.weight))
            tensors.append((names.bias, [spec.outChannels], conv.bias))
        }
        return try SafeTensorsFile.encode(tensors: tensors, metadata: metadata)
    }

    /// Writes a safetensors file atomically (`writeAtomically`).
    public func save(to url: URL) throws {
        try writeAtomically(try safetensorsData(path: url.path), to: url)
    }
}

/// Creates `url`'s folder if needed and writes `data` through `FileIO.write` (atomic for regular files, so readers
/// never see a partial file; devices and FIFOs are written directly).
func writeAtomically(_ data: Data, to url: URL) throws {
    do {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    } catch {
        throw WeightsError.unwritable(path: url.path, reason: "cannot create folder \(url.deletingLastPathComponent().path)")
    }
    do {
        try FileIO.write(data, to: url.path)
    } catch let error as FileIOError {
        throw WeightsError.unwritable(path: url.path, reason: error.reason)
    }
}

/// Lower-case hex SHA-256 of `data`.
func sha256Hex<D: DataProtocol>(_ data: D) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}
