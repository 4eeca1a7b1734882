// A restricted reader for the pickles inside PyTorch's legacy (pre-1.6, non-zip) checkpoint format.
//
// Python's pickle is a stack machine whose REDUCE opcode calls arbitrary functions, so loading a
// pickle normally means running code chosen by the file's author. This reader never executes
// anything: it accepts only the protocol-2 opcodes a torch state dict uses and only four globals,
// and "applies" them by building plain values (a tensor reference, an empty ordered dict).
// Opcode semantics follow CPython's Lib/pickle.py and the annotated list in Lib/pickletools.py.

/// A storage referenced by a persistent id: `('storage', torch.<Kind>Storage, key, location, numel, view)`.
public struct TorchStorageRef: Equatable, Sendable {
    /// Element type of a legacy torch storage.
    public enum Kind: String, Sendable {
        case byte = "ByteStorage"
        case float = "FloatStorage"

        /// Bytes per element.
        public var elementSize: Int { self == .byte ? 1 : 4 }
    }

    public let kind: Kind
    /// The key naming the storage in the list that follows the state dict.
    public let key: String
    public let location: String
    /// Number of elements the storage holds.
    public let count: Int
}

/// A tensor rebuilt by `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`.
public struct TorchTensorRef: Equatable, Sendable {
    public let storage: TorchStorageRef
    /// Offset into the storage, in elements.
    public let offset: Int
    public let shape: [Int]
    public let strides: [Int]
    public let requiresGrad: Bool

    /// Number of elements (product of the shape).
    public var count: Int { shape.reduce(1, *) }

    /// True when the strides are those of a row-major (C-order) array of `shape`.
    public var isContiguous: Bool {
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() {
            if size != 1 && stride != expected { return false }
            expected *= size
        }
        return true
    }
}

/// A value produced by the restricted pickle machine.
public indirect enum PickleValue: Equatable, Sendable {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too wide for `Int`: little-endian two's-complement bytes as written by LONG1.
    case bigInt([UInt8])
    case string(String)
    case tuple([PickleValue])
    case list([PickleValue])
    /// A dict (or `collections.OrderedDict`) in insertion order.
    case dict([PickleDictEntry])
    /// A reference to an allowed global that was never called.
    case global(module: String, name: String)
    case storage(TorchStorageRef)
    case tensor(TorchTensorRef)

    /// The string payload, if this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The integer payload, if this is an int.
    public var intValue: Int? {
        if case .int(let i) = self { return i }
        return nil
    }
}

/// One key/value pair of a pickled dict.
public struct PickleDictEntry: Equatable, Sendable {
    public let key: PickleValue
    public let value: PickleValue
}

/// Why a pickle was rejected; every case carries the absolute byte offset of the offending opcode.
public enum PickleError: Error, Equatable, CustomStringConvertible {
    case truncated(offset: Int, needed: Int, available: Int)
    case unsupportedOpcode(opcode: UInt8, offset: Int)
    case forbiddenGlobal(module: String, name: String, offset: Int)
    case unsupportedProtocol(version: Int, offset: Int)
    case stackUnderflow(opcode: String, offset: Int)
    case missingMark(opcode: String, offset: Int)
    case unknownMemoKey(key: Int, offset: Int)
    case typeMismatch(opcode: String, expected: String, found: String, offset: Int)
    case invalidText(opcode: String, offset: Int)
    case invalidPersistentID(reason: String, offset: Int)
    case invalidReduce(global: String, reason: String, offset: Int)
    case nestingTooDeep(limit: Int, offset: Int)
    case badStop(stackDepth: Int, offset: Int)

    public var description: String {
        let hint = "the file is not a PyTorch legacy state dict of plain tensors; re-download it with `nst-exp weights install`"
        switch self {
        case let .truncated(offset, needed, available):
            return "pickle truncated at byte \(offset): need \(needed) byte(s), only \(available) left (\(hint))"
        case let .unsupportedOpcode(opcode, offset):
            let printable = (0x20..<0x7f).contains(opcode) ? " '\(Character(Unicode.Scalar(opcode)))'" : ""
            return "pickle opcode 0x\(String(opcode, radix: 16))\(printable) at byte \(offset) is not in the allowed subset (\(hint))"
        case let .forbiddenGlobal(module, name, offset):
            return "pickle GLOBAL '\(module) \(name)' at byte \(offset) is not allowed; only torch storages, _rebuild_tensor_v2 and OrderedDict are (\(hint))"
        case let .unsupportedProtocol(version, offset):
            return "pickle protocol \(version) at byte \(offset) is not supported; expected protocol 2 (\(hint))"
        case let .stackUnderflow(opcode, offset):
            return "pickle \(opcode) at byte \(offset) pops from an empty stack (\(hint))"
        case let .missingMark(opcode, offset):
            return "pickle \(opcode) at byte \(offset) has no matching MARK (\(hint))"
        case let .unknownMemoKey(key, offset):
            return "pickle BINGET at byte \(offset) reads memo slot \(key), which was never stored (\(hint))"
        case let .typeMismatch(opcode, expected, found, offset):
            return "pickle \(opcode) at byte \(offset) expected \(expected), found \(found) (\(hint))"
        case let .invalidText(opcode, offset):
            return "pickle \(opcode) at byte \(offset) holds text that is not valid UTF-8 (\(hint))"
        case let .invalidPersistentID(reason, offset):
            return "pickle BINPERSID at byte \(offset): \(reason) (\(hint))"
        case let .invalidReduce(global, reason, offset):
            return "pickle REDUCE of \(global) at byte \(offset): \(reason) (\(hint))"
        case let .nestingTooDeep(limit, offset):
            return "pickle nests containers deeper than \(limit) levels at byte \(offset) (\(hint))"
        case let .badStop(stackDepth, offset):
            return "pickle STOP at byte \(offset) leaves \(stackDepth) values on the stack instead of 1 (\(hint))"
        }
    }
}

/// Reads consecutive protocol-2 pickles from a byte buffer with a whitelist of opcodes and globals.
public struct PickleReader {
    /// The globals that may appear; anything else is rejected before it is even pushed.
    public static let allowedGlobals: Set<String> = [
        "torch._utils _rebuild_tensor_v2",
        "torch ByteStorage",
        "torch FloatStorage",
        "collections OrderedDict",
    ]
    /// Deepest container nesting accepted (a VGG state dict needs 4).
    public static let maxDepth = 32

    private let bytes: [UInt8]
    /// Absolute position of the next byte to read.
    public private(set) var offset: Int

    /// A reader over `bytes` starting at `offset`.
    public init(bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// Decodes one pickle (up to and including its STOP) and leaves `offset` just past it.
    public mutating func readPickle() throws -> PickleValue {
        var machine = Machine()
        while true {
            let opcodeOffset = offset
            let opcode = try readByte()
            if try step(opcode, at: opcodeOffset, machine: &machine) {
                guard machine.stack.count == 1, let top = machine.stack.first else {
                    throw PickleError.badStop(stackDepth: machine.stack.count, offset: opcodeOffset)
                }
                return try machine.resolve(top, depth: 0, offset: opcodeOffset)
            }
        }
    }

    // MARK: - Opcodes

    /// Executes one opcode; returns true at STOP.
    private mutating func step(_ opcode: UInt8, at: Int, machine m: inout Machine) throws -> Bool {
        switch opcode {
        case 0x80: // PROTO
            let version = Int(try readByte())
            guard version == 2 else { throw PickleError.unsupportedProtocol(version: version, offset: at) }
        case 0x2e: // STOP '.'
            return true
        case 0x28: // MARK '('
            m.marks.append(m.stack.count)
        case 0x63: // GLOBAL 'c': "module\nname\n"
            let module = try readLine(opcode: "GLOBAL", at: at)
            let name = try readLine(opcode: "GLOBAL", at: at)
            guard Self.allowedGlobals.contains("\(module) \(name)") else {
                throw PickleError.forbiddenGlobal(module: module, name: name, offset: at)
            }
            m.stack.append(.global(module: module, name: name))
        case 0x4a: // BININT 'J': signed 32-bit little endian
            m.stack.append(.int(Int(Int32(bitPattern: try readUInt(4)))))
        case 0x4b: // BININT1 'K'
            m.stack.append(.int(Int(try readByte())))
        case 0x4d: // BININT2 'M'
            m.stack.append(.int(Int(try readUInt(2))))
        case 0x8a: // LONG1: length byte, then little-endian two's complement
            let length = Int(try readByte())
            m.stack.append(Self.long(try readBytes(length)))
        case 0x88: m.stack.append(.bool(true))   // NEWTRUE
        case 0x89: m.stack.append(.bool(false))  // NEWFALSE
        case 0x4e: m.stack.append(.none)         // NONE 'N'
        case 0x58: // BINUNICODE 'X': 32-bit length, UTF-8
            let length = Int(try readUInt(4))
            let raw = try readBytes(length)
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw PickleError.invalidText(opcode: "BINUNICODE", offset: at)
            }
            m.stack.append(.string(text))
        case 0x29: m.stack.append(.tuple([], depth: 1))                  // EMPTY_TUPLE ')'
        case 0x5d: m.stack.append(.list(m.newList()))                   // EMPTY_LIST ']'
        case 0x7d: m.stack.append(.dict(m.newDict()))                   // EMPTY_DICT '}'
        case 0x74: // TUPLE 't'
            let items = try m.popToMark("TUPLE", at: at)
            m.stack.append(try Self.tuple(items, at: at))
        case 0x85: // TUPLE1
            let item = try m.pop("TUPLE1", at: at)
            m.stack.append(try Self.tuple([item], at: at))
        case 0x65: // APPENDS 'e'
            let items = try m.popToMark("APPENDS", at: at)
            guard case .list(let id) = try m.peek("APPENDS", at: at) else {
                throw PickleError.typeMismatch(opcode: "APPENDS", expected: "a list", found: try m.peek("APPENDS", at: at).kind, offset: at)
            }
            m.lists[id].append(contentsOf: items)
        case 0x75: // SETITEMS 'u'
            let items = try m.popToMark("SETITEMS", at: at)
            guard items.count % 2 == 0 else {
                throw PickleError.typeMismatch(opcode: "SETITEMS", expected: "key/value pairs", found: "\(items.count) items", offset: at)
            }
            guard case .dict(let id) = try m.peek("SETITEMS", at: at) else {
                throw PickleError.typeMismatch(opcode: "SETITEMS", expected: "a dict", found: try m.peek("SETITEMS", at: at).kind, offset: at)
            }
            for pair in stride(from: 0, to: items.count, by: 2) {
                m.dicts[id].append((items[pair], items[pair + 1]))
            }
        case 0x71: // BINPUT 'q'
            m.memo[Int(try readByte())] = try m.peek("BINPUT", at: at)
        case 0x72: // LONG_BINPUT 'r'
            m.memo[Int(try readUInt(4))] = try m.peek("LONG_BINPUT", at: at)
        case 0x68: // BINGET 'h'
            let key = Int(try readByte())
            guard let value = m.memo[key] else { throw PickleError.unknownMemoKey(key: key, offset: at) }
            m.stack.append(value)
        case 0x51: // BINPERSID 'Q': torch's persistent_load turns the id tuple into a storage
            let pid = try m.pop("BINPERSID", at: at)
            m.stack.append(.storage(try Self.storage(from: pid, at: at)))
        case 0x52: // REDUCE 'R': callable(*args), here only for whitelisted constructors
            let args = try m.pop("REDUCE", at: at)
            let callable = try m.pop("REDUCE", at: at)
            m.stack.append(try reduce(callable, args, at: at, machine: &m))
        default:
            throw PickleError.unsupportedOpcode(opcode: opcode, offset: at)
        }
        return false
    }

    /// Builds the value an allowed constructor would have returned, without running anything.
    private func reduce(_ callable: Node, _ args: Node, at: Int, machine m: inout Machine) throws -> Node {
        guard case let .global(module, name) = callable else {
            throw PickleError.typeMismatch(opcode: "REDUCE", expected: "a global", found: callable.kind, offset: at)
        }
        let global = "\(module).\(name)"
        guard case let .tuple(items, _) = args else {
            throw PickleError.invalidReduce(global: global, reason: "arguments are \(args.kind), not a tuple", offset: at)
        }
        switch (module, name) {
        case ("collections", "OrderedDict"):
            guard items.isEmpty else {
                throw PickleError.invalidReduce(global: global, reason: "expected no arguments, got \(items.count)", offset: at)
            }
            return .dict(m.newDict())
        case ("torch._utils", "_rebuild_tensor_v2"):
            return .tensor(try rebuildTensor(items, machine: m, at: at))
        default:
            throw PickleError.invalidReduce(global: global, reason: "this global is a type, not a constructor", offset: at)
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)`.
    private func rebuildTensor(_ args: [Node], machine m: Machine, at: Int) throws -> TorchTensorRef {
        let global = "torch._utils._rebuild_tensor_v2"
        func fail(_ reason: String) -> PickleError { .invalidReduce(global: global, reason: reason, offset: at) }
        guard args.count == 6 else { throw fail("expected 6 arguments, got \(args.count)") }
        guard case .storage(let storage) = args[0] else { throw fail("argument 1 is \(args[0].kind), not a storage") }
        guard case .int(let offset) = args[1], offset >= 0 else { throw fail("storage offset is not a non-negative int") }
        let shape = try Self.intTuple(args[2]).orFail(fail("size is not a tuple of non-negative ints"))
        let strides = try Self.intTuple(args[3]).orFail(fail("stride is not a tuple of non-negative ints"))
        guard shape.count == strides.count else { throw fail("size has \(shape.count) dims, stride \(strides.count)") }
        guard case .bool(let requiresGrad) = args[4] else { throw fail("requires_grad is \(args[4].kind), not a bool") }
        guard case .dict(let hooks) = args[5], m.dicts[hooks].isEmpty else { throw fail("backward hooks must be an empty OrderedDict") }
        return TorchTensorRef(storage: storage, offset: offset, shape: shape, strides: strides, requiresGrad: requiresGrad)
    }

    private static func intTuple(_ node: Node) -> [Int]? {
        guard case .tuple(let items, _) = node else { return nil }
        var values: [Int] = []
        for item in items {
            guard case .int(let v) = item, v >= 0 else { return nil }
            values.append(v)
        }
        return values
    }

    /// Interprets `('storage', torch.XStorage, key, location, numel[, view_metadata])`.
    private static func storage(from pid: Node, at: Int) throws -> TorchStorageRef {
        func fail(_ reason: String) -> PickleError { .invalidPersistentID(reason: reason, offset: at) }
        guard case .tuple(let items, _) = pid, items.count == 5 || items.count == 6 else {
            throw fail("expected a 5- or 6-tuple, found \(pid.kind)")
        }
        guard case .string("storage") = items[0] else { throw fail("first element is not 'storage'") }
        guard case .global("torch", let typeName) = items[1], let kind = TorchStorageRef.Kind(rawValue: typeName) else {
            throw fail("second element is \(items[1].kind), not torch.ByteStorage/FloatStorage")
        }
        guard case .string(let key) = items[2] else { throw fail("storage key is \(items[2].kind), not a string") }
        guard case .string(let location) = items[3] else { throw fail("location is \(items[3].kind), not a string") }
        guard case .int(let count) = items[4], count >= 0 else { throw fail("element count is not a non-negative int") }
        if items.count == 6, items[5] != .none { throw fail("storage views are not supported") }
        return TorchStorageRef(kind: kind, key: key, location: location, count: count)
    }

    private static func tuple(_ items: [Node], at: Int) throws -> Node {
        let depth = 1 + items.map(\.depth).reduce(0, max)
        guard depth <= maxDepth else { throw PickleError.nestingTooDeep(limit: maxDepth, offset: at) }
        return .tuple(items, depth: depth)
    }

    /// LONG1 payload: little-endian two's complement; kept as bytes when it does not fit an Int.
    private static func long(_ raw: [UInt8]) -> Node {
        guard !raw.isEmpty else { return .int(0) }
        guard raw.count <= 8 else { return .bigInt(raw) }
        let negative = raw[raw.count - 1] & 0x80 != 0
        var value: UInt64 = negative ? ~0 : 0
        for (i, byte) in raw.enumerated() {
            value &= ~(UInt64(0xff) << (8 * UInt64(i)))
            value |= UInt64(byte) << (8 * UInt64(i))
        }
        return .int(Int(Int64(bitPattern: value)))
    }

    // MARK: - Bounded reads

    private mutating func readByte() throws -> UInt8 {
        guard offset < bytes.count else { throw PickleError.truncated(offset: offset, needed: 1, available: 0) }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func readBytes(_ n: Int) throws -> [UInt8] {
        guard n <= bytes.count - offset else {
            throw PickleError.truncated(offset: offset, needed: n, available: bytes.count - offset)
        }
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    private mutating func readUInt(_ n: Int) throws -> UInt32 {
        let raw = try readBytes(n)
        return raw.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }

    /// A newline-terminated ASCII line (GLOBAL's operands), at most 256 bytes.
    private mutating func readLine(opcode: String, at: Int) throws -> String {
        let start = offset
        let limit = min(bytes.count, start + 256)
        guard let end = bytes[start..<limit].firstIndex(of: 0x0a) else {
            if limit == bytes.count { throw PickleError.truncated(offset: start, needed: limit - start + 1, available: limit - start) }
            throw PickleError.invalidText(opcode: opcode, offset: at)
        }
        offset = end + 1
        guard let line = String(validating: bytes[start..<end], as: UTF8.self) else {
            throw PickleError.invalidText(opcode: opcode, offset: at)
        }
        return line
    }
}

// MARK: - Machine state

/// Values on the machine's stack. Lists and dicts live in a heap addressed by index so that memo
/// entries share them the way Python objects are shared (SETITEMS after BINPUT is visible via BINGET).
private indirect enum Node: Equatable {
    case none, bool(Bool), int(Int), bigInt([UInt8]), string(String)
    case tuple([Node], depth: Int)
    case list(Int), dict(Int)
    case global(module: String, name: String)
    case storage(TorchStorageRef), tensor(TorchTensorRef)

    var depth: Int {
        if case .tuple(_, let depth) = self { return depth }
        return 0
    }

    /// A short name for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "a bool"
        case .int, .bigInt: return "an int"
        case .string: return "a string"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dict: return "a dict"
        case let .global(module, name): return "global \(module).\(name)"
        case .storage: return "a storage"
        case .tensor: return "a tensor"
        }
    }
}

private struct Machine {
    var stack: [Node] = []
    var marks: [Int] = []
    var memo: [Int: Node] = [:]
    var lists: [[Node]] = []
    var dicts: [[(Node, Node)]] = []

    mutating func newList() -> Int { lists.append([]); return lists.count - 1 }
    mutating func newDict() -> Int { dicts.append([]); return dicts.count - 1 }

    mutating func pop(_ opcode: String, at: Int) throws -> Node {
        guard stack.count > (marks.last ?? 0), let value = stack.popLast() else {
            throw PickleError.stackUnderflow(opcode: opcode, offset: at)
        }
        return value
    }

    func peek(_ opcode: String, at: Int) throws -> Node {
        guard stack.count > (marks.last ?? 0), let value = stack.last else {
            throw PickleError.stackUnderflow(opcode: opcode, offset: at)
        }
        return value
    }

    mutating func popToMark(_ opcode: String, at: Int) throws -> [Node] {
        guard let mark = marks.popLast() else { throw PickleError.missingMark(opcode: opcode, offset: at) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    /// Converts a node into a self-contained value; the depth bound also stops self-containing lists.
    func resolve(_ node: Node, depth: Int, offset: Int) throws -> PickleValue {
        guard depth <= PickleReader.maxDepth else { throw PickleError.nestingTooDeep(limit: PickleReader.maxDepth, offset: offset) }
        switch node {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .bigInt(let raw): return .bigInt(raw)
        case .string(let s): return .string(s)
        case let .global(module, name): return .global(module: module, name: name)
        case .storage(let s): return .storage(s)
        case .tensor(let t): return .tensor(t)
        case .tuple(let items, _):
            return .tuple(try items.map { try resolve($0, depth: depth + 1, offset: offset) })
        case .list(let id):
            return .list(try lists[id].map { try resolve($0, depth: depth + 1, offset: offset) })
        case .dict(let id):
            return .dict(try dicts[id].map {
                PickleDictEntry(key: try resolve($0.0, depth: depth + 1, offset: offset),
                                value: try resolve($0.1, depth: depth + 1, offset: offset))
            })
        }
    }
}
