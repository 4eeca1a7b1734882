import Foundation
import NSTImage

/// One tensor's entry in a safetensors header.
public struct SafeTensorsEntry: Equatable, Sendable {
    public let name: String
    /// safetensors dtype tag, e.g. "F32".
    public let dtype: String
    public let shape: [Int]
    /// Byte range within the data section (after the header).
    public let dataRange: Range<Int>
}

/// A parsed safetensors file (https://github.com/huggingface/safetensors, "Format" section):
/// 8-byte little-endian header length N, N bytes of JSON `{name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}`,
/// then the data section, which the tensors must tile exactly (no gaps, no overlaps).
public struct SafeTensorsFile {
    /// Bytes per element of every dtype the format defines.
    public static let elementSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
        "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
    ]
    /// Refuse headers larger than this (the reference implementation uses the same 100 MB cap).
    public static let maxHeaderLength = 100_000_000

    public let path: String
    public let metadata: [String: String]
    /// Entries in data order.
    public let entries: [SafeTensorsEntry]
    private let data: Data
    private let dataStart: Int

    /// Reads and validates the file at `url` (the file is read once; tensors are copied out on demand).
    public init(contentsOf url: URL) throws {
        switch FileIO.kind(url.path) {
        case .missing: throw WeightsError.notInstalled(path: url.path)
        case .regular: break
        case let other: throw WeightsError.unreadable(path: url.path, reason: "it is \(other), not a safetensors file")
        }
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw WeightsError.unreadable(path: url.path, reason: "cannot read it (\(String(cString: strerror(errno))))")
        }
        try self.init(data: data, path: url.path)
    }

    /// Validates `data` as a safetensors file; `path` is only used in error messages.
    public init(data: Data, path: String) throws {
        func fail(_ reason: String) -> WeightsError { .malformedSafeTensors(path: path, reason: reason) }
        guard data.count >= 8 else { throw fail("file is \(data.count) bytes, shorter than the 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(Self.maxHeaderLength), Int(headerLength) <= data.count - 8 else {
            throw fail("header length \(headerLength) exceeds the \(data.count - 8) bytes after it")
        }
        let headerBytes = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + 8 + Int(headerLength)))
        guard headerBytes.first == UInt8(ascii: "{") else { throw fail("header does not start with '{'") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: headerBytes) } catch {
            throw fail("header JSON is invalid: \((error as? DecodingError)?.text ?? "\(error)")")
        }

        let dataStart = 8 + Int(headerLength)
        let dataLength = data.count - dataStart
        var entries: [SafeTensorsEntry] = []
        for (name, info) in header.tensors {
            guard let size = Self.elementSizes[info.dtype] else { throw fail("tensor \(name) has unknown dtype \(info.dtype)") }
            guard info.dataOffsets.count == 2, info.dataOffsets[0] >= 0, info.dataOffsets[0] <= info.dataOffsets[1] else {
                throw fail("tensor \(name) has data_offsets \(info.dataOffsets), expected [begin, end] with 0 ≤ begin ≤ end")
            }
            guard info.shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor \(name) has a negative dimension in \(info.shape)") }
            var byteCount = size
            for dim in info.shape {
                let (product, overflow) = byteCount.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw fail("tensor \(name) shape \(info.shape) overflows") }
                byteCount = product
            }
            let range = info.dataOffsets[0]..<info.dataOffsets[1]
            guard range.count == byteCount else {
                throw fail("tensor \(name) (\(info.dtype) \(info.shape)) needs \(byteCount) bytes, data_offsets span \(range.count)")
            }
            guard range.upperBound <= dataLength else {
                throw fail("tensor \(name) ends at data byte \(range.upperBound), data section is \(dataLength) bytes")
            }
            entries.append(SafeTensorsEntry(name: name, dtype: info.dtype, shape: info.shape, dataRange: range))
        }
        entries.sort { ($0.dataRange.lowerBound, $0.dataRange.upperBound) < ($1.dataRange.lowerBound, $1.dataRange.upperBound) }
        var expectedStart = 0
        for entry in entries {
            guard entry.dataRange.lowerBound == expectedStart else {
                throw fail("tensor \(entry.name) starts at data byte \(entry.dataRange.lowerBound), expected \(expectedStart) (gap or overlap)")
            }
            expectedStart = entry.dataRange.upperBound
        }
        guard expectedStart == dataLength else {
            throw fail("tensors cover \(expectedStart) of \(dataLength) data bytes")
        }
        self.path = path
        self.metadata = header.metadata
        self.entries = entries
        self.data = data
        self.dataStart = dataStart
    }

    /// The entry named `name`, if any.
    public func entry(_ name: String) -> SafeTensorsEntry? {
        entries.first { $0.name == name }
    }

    /// The elements of an F32 tensor, bulk-copied out of the file.
    public func floats(_ name: String) throws -> [Float] {
        guard let entry = entry(name) else { throw WeightsError.malformedSafeTensors(path: path, reason: "no tensor \(name)") }
        guard entry.dtype == "F32" else {
            throw WeightsError.malformedSafeTensors(path: path, reason: "tensor \(name) is \(entry.dtype), expected F32")
        }
        let lower = dataStart + entry.dataRange.lowerBound
        return data.withUnsafeBytes { raw in
            Array(floatsFromLittleEndian: UnsafeRawBufferPointer(rebasing: raw[lower..<(lower + entry.dataRange.count)]))
        }
    }

    /// Serialises F32 tensors (in the given order) and string metadata into a safetensors byte image.
    public static func encode(tensors: [(name: String, shape: [Int], values: [Float])], metadata: [String: String]) throws -> Data {
        var infos: [String: TensorInfo] = [:]
        var offset = 0
        for tensor in tensors {
            let expected = tensor.shape.reduce(1, *)
            guard expected == tensor.values.count else {
                throw WeightsError.malformedSafeTensors(path: tensor.name, reason: "\(tensor.values.count) values for shape \(tensor.shape)")
            }
            infos[tensor.name] = TensorInfo(dtype: "F32", shape: tensor.shape, dataOffsets: [offset, offset + 4 * expected])
            offset += 4 * expected
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var header = try encoder.encode(Header(tensors: infos, metadata: metadata))
        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        header.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8))
        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(header)
        for tensor in tensors {
            #if _endian(big)
            let values = tensor.values.map { Float(bitPattern: $0.bitPattern.littleEndian) }
            #else
            let values = tensor.values
            #endif
            values.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        return out
    }
}

// MARK: - Header JSON

private struct TensorInfo: Codable {
    let dtype: String
    let shape: [Int]
    let dataOffsets: [Int]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dtype, shape
        case dataOffsets = "data_offsets"
    }

    init(dtype: String, shape: [Int], dataOffsets: [Int]) {
        self.dtype = dtype
        self.shape = shape
        self.dataOffsets = dataOffsets
    }

    init(from decoder: Decoder) throws {
        if let (extra, _) = try decoder.unknownKeys(valid: CodingKeys.allCases.map(\.rawValue)).first {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown field \(extra)"))
        }
        let typed = try decoder.container(keyedBy: CodingKeys.self)
        dtype = try typed.decode(String.self, forKey: .dtype)
        shape = try typed.decode([Int].self, forKey: .shape)
        dataOffsets = try typed.decode([Int].self, forKey: .dataOffsets)
    }
}

private struct Header: Codable {
    static let metadataKey = "__metadata__"
    var tensors: [String: TensorInfo]
    var metadata: [String: String]

    init(tensors: [String: TensorInfo], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for key in container.allKeys {
            if key.stringValue == Self.metadataKey {
                metadata = try container.decode([String: String].self, forKey: key)
            } else {
                tensors[key.stringValue] = try container.decode(TensorInfo.self, forKey: key)
            }
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        for (name, info) in tensors { try container.encode(info, forKey: AnyCodingKey(name)) }
        if !metadata.isEmpty { try container.encode(metadata, forKey: AnyCodingKey(Self.metadataKey)) }
    }
}
