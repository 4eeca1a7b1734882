import Foundation

/// A PyTorch legacy (non-zip) checkpoint as written by `torch.save(..., _use_new_zipfile_serialization=False)`.
///
/// Layout (torch/serialization.py, `_legacy_save`): five protocol-2 pickles — magic number, protocol
/// version, sys info, the object (here a state dict), the list of storage keys — followed, for each key
/// in that order, by an int64 little-endian element count and the storage's raw little-endian elements.
struct TorchLegacyCheckpoint {
    /// `0x1950a86a20f9469cfc6c` as LONG1 writes it (little endian).
    static let magic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]
    static let protocolVersion = 1001

    let path: String
    let bytes: [UInt8]
    /// State-dict entries in file order.
    let tensors: [(name: String, tensor: TorchTensorRef)]
    /// Byte range of each storage's elements within `bytes`.
    let storageRanges: [String: Range<Int>]

    /// Parses and validates the container; tensor data is only located, not copied.
    init(bytes: [UInt8], path: String) throws {
        self.path = path
        self.bytes = bytes
        var reader = PickleReader(bytes: bytes)
        func next() throws -> PickleValue {
            do { return try reader.readPickle() } catch let error as PickleError { throw WeightsError.pickle(path: path, error) }
        }
        func fail(_ reason: String) -> WeightsError { .malformedTorchFile(path: path, reason: reason) }

        guard case .bigInt(let magic) = try next(), magic == Self.magic else { throw fail("bad magic number (byte 0)") }
        guard try next() == .int(Self.protocolVersion) else { throw fail("protocol version is not \(Self.protocolVersion)") }
        guard case .dict(let sysInfo) = try next() else { throw fail("sys info is not a dict") }
        guard sysInfo.contains(PickleDictEntry(key: .string("little_endian"), value: .bool(true))) else {
            throw fail("the file was written on a big-endian machine")
        }
        let stateDictOffset = reader.offset
        guard case .dict(let entries) = try next() else { throw fail("the object at byte \(stateDictOffset) is not a state dict") }
        var tensors: [(name: String, tensor: TorchTensorRef)] = []
        for entry in entries {
            guard case .string(let name) = entry.key, case .tensor(let tensor) = entry.value else {
                throw fail("state dict entry \(entry.key) is not a named tensor")
            }
            tensors.append((name, tensor))
        }
        guard case .list(let keyValues) = try next() else { throw fail("storage key list missing") }
        let keys = try keyValues.map { try $0.stringValue.orFail(fail("storage key \($0) is not a string")) }

        var storages: [String: TorchStorageRef] = [:]
        for (name, tensor) in tensors {
            if let seen = storages[tensor.storage.key], seen != tensor.storage {
                throw fail("tensor \(name) describes storage \(tensor.storage.key) differently from an earlier tensor")
            }
            storages[tensor.storage.key] = tensor.storage
        }
        var ranges: [String: Range<Int>] = [:]
        var offset = reader.offset
        for key in keys {
            guard let storage = storages[key] else { throw fail("storage \(key) is listed but no tensor uses it") }
            guard ranges[key] == nil else { throw fail("storage \(key) is listed twice") }
            guard bytes.count - offset >= 8 else { throw fail("truncated before the element count of storage \(key) at byte \(offset)") }
            let count = bytes.readInt64LE(at: offset)
            guard count == storage.count else {
                throw fail("storage \(key) at byte \(offset) holds \(count) elements, the pickle says \(storage.count)")
            }
            let (byteCount, overflow) = storage.count.multipliedReportingOverflow(by: storage.kind.elementSize)
            guard !overflow, byteCount <= bytes.count - offset - 8 else {
                throw fail("storage \(key) needs \(storage.count) × \(storage.kind.elementSize) bytes after byte \(offset + 8), file has \(bytes.count - offset - 8)")
            }
            ranges[key] = (offset + 8)..<(offset + 8 + byteCount)
            offset += 8 + byteCount
        }
        guard offset == bytes.count else { throw fail("\(bytes.count - offset) unexpected trailing bytes at byte \(offset)") }
        for (name, tensor) in tensors {
            guard ranges[tensor.storage.key] != nil else { throw fail("tensor \(name) uses storage \(tensor.storage.key), which is not in the key list") }
            guard tensor.isContiguous else { throw fail("tensor \(name) is not contiguous (strides \(tensor.strides))") }
            guard tensor.offset + tensor.count <= tensor.storage.count else {
                throw fail("tensor \(name) spans elements \(tensor.offset)..<\(tensor.offset + tensor.count) of a \(tensor.storage.count)-element storage")
            }
        }
        self.tensors = tensors
        self.storageRanges = ranges
    }

    /// The tensor named `name`, or a layer error naming what is missing.
    func tensor(_ name: String, layer: String) throws -> TorchTensorRef {
        guard let found = tensors.first(where: { $0.name == name }) else {
            throw WeightsError.layerMismatch(path: path, layer: layer, reason: "has no tensor \(name)")
        }
        return found.tensor
    }

    /// The raw bytes behind a contiguous tensor (validated at init).
    func data(of tensor: TorchTensorRef) -> ArraySlice<UInt8> {
        let storageStart = storageRanges[tensor.storage.key]?.lowerBound ?? 0
        let start = storageStart + tensor.offset * tensor.storage.kind.elementSize
        return bytes[start..<(start + tensor.count * tensor.storage.kind.elementSize)]
    }

    /// The elements of a float tensor.
    func floats(of tensor: TorchTensorRef) -> [Float] {
        data(of: tensor).withUnsafeBytes { Array(floatsFromLittleEndian: $0) }
    }
}

extension Array where Element == Float {
    /// Bulk-copies little-endian float32 bytes (byte count must be a multiple of 4).
    init(floatsFromLittleEndian raw: UnsafeRawBufferPointer) {
        let count = raw.count / 4
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0, let base = buffer.baseAddress, let source = raw.baseAddress {
                UnsafeMutableRawPointer(base).copyMemory(from: source, byteCount: count * 4)
            }
            #if _endian(big)
            for i in 0..<count { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
            #endif
            initialized = count
        }
    }
}

extension Array where Element == UInt8 {
    func readInt64LE(at offset: Int) -> Int {
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(self[offset + i]) << (8 * UInt64(i)) }
        return Int(Int64(bitPattern: value))
    }
}

extension Optional {
    func orFail(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let value = self else { throw error() }
        return value
    }
}
