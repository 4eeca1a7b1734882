import Testing
@testable import NSTNetwork

/// Builds protocol-2 pickles opcode by opcode (byte values from CPython's Lib/pickle.py).
private enum P {
    static let proto: [UInt8] = [0x80, 2]
    static let stop: [UInt8] = [0x2e]
    static let mark: [UInt8] = [0x28]
    static let tuple: [UInt8] = [0x74]
    static let tuple1: [UInt8] = [0x85]
    static let emptyTuple: [UInt8] = [0x29]
    static let emptyList: [UInt8] = [0x5d]
    static let emptyDict: [UInt8] = [0x7d]
    static let appends: [UInt8] = [0x65]
    static let setitems: [UInt8] = [0x75]
    static let reduce: [UInt8] = [0x52]
    static let persid: [UInt8] = [0x51]
    static let none: [UInt8] = [0x4e]
    static let newTrue: [UInt8] = [0x88]
    static let newFalse: [UInt8] = [0x89]

    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    static func str(_ s: String) -> [UInt8] { [0x58] + le(UInt32(s.utf8.count), 4) + Array(s.utf8) }
    static func int1(_ v: UInt8) -> [UInt8] { [0x4b, v] }
    static func int2(_ v: UInt16) -> [UInt8] { [0x4d] + le(UInt32(v), 2) }
    static func int4(_ v: Int32) -> [UInt8] { [0x4a] + le(UInt32(bitPattern: v), 4) }
    static func long1(_ bytes: [UInt8]) -> [UInt8] { [0x8a, UInt8(bytes.count)] + bytes }
    static func put(_ k: UInt8) -> [UInt8] { [0x71, k] }
    static func longPut(_ k: UInt32) -> [UInt8] { [0x72] + le(k, 4) }
    static func get(_ k: UInt8) -> [UInt8] { [0x68, k] }

    static func le(_ v: UInt32, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }

    /// `{name: _rebuild_tensor_v2(storage(FloatStorage, key, 'cpu', 6), 0, (2, 3), (3, 1), False, OrderedDict())}`
    static func stateDict(name: String = "w", key: String = "k0", count: UInt8 = 6) -> [UInt8] {
        let pid = mark + str("storage") + global("torch", "FloatStorage") + str(key) + str("cpu") + int1(count) + none + tuple
        let args = mark + pid + persid + int1(0) + mark + int1(2) + int1(3) + tuple + mark + int1(3) + int1(1) + tuple
            + newFalse + global("collections", "OrderedDict") + emptyTuple + reduce + tuple
        return proto + emptyDict + put(0) + mark + str(name) + global("torch._utils", "_rebuild_tensor_v2") + put(1)
            + args + reduce + longPut(2) + setitems + stop
    }
}

private func read(_ bytes: [UInt8]) throws -> PickleValue {
    var reader = PickleReader(bytes: bytes)
    return try reader.readPickle()
}

@Suite struct PickleReaderTests {
    @Test func readsATorchStyleStateDict() throws {
        let value = try read(P.stateDict())
        let storage = TorchStorageRef(kind: .float, key: "k0", location: "cpu", count: 6)
        let tensor = TorchTensorRef(storage: storage, offset: 0, shape: [2, 3], strides: [3, 1], requiresGrad: false)
        #expect(value == .dict([PickleDictEntry(key: .string("w"), value: .tensor(tensor))]))
        #expect(tensor.isContiguous)
    }

    @Test func readsScalarsAndConsecutivePickles() throws {
        let magic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]
        let first = P.proto + P.long1(magic) + P.stop
        let second = P.proto + P.mark + P.int4(-5) + P.int2(1001) + P.long1([0xff]) + P.newTrue + P.none + P.tuple + P.stop
        var reader = PickleReader(bytes: first + second)
        #expect(try reader.readPickle() == .bigInt(magic))
        #expect(reader.offset == first.count)
        #expect(try reader.readPickle() == .tuple([.int(-5), .int(1001), .int(-1), .bool(true), .none]))
        #expect(reader.offset == first.count + second.count)
    }

    @Test func memoSharesMutableContainersLikePython() throws {
        // MARK, [] → memo 0, BINGET 0, APPENDS 1 onto the second reference, TUPLE: both elements are the same list.
        let bytes = P.proto + P.mark + P.emptyList + P.put(0) + P.get(0) + P.mark + P.int1(1) + P.appends + P.tuple + P.stop
        #expect(try read(bytes) == .tuple([.list([.int(1)]), .list([.int(1)])]))
    }

    @Test func rejectsForbiddenGlobalWithOffset() {
        let bytes = P.proto + P.global("os", "system") + P.str("echo hi") + P.tuple1 + P.reduce + P.stop
        #expect(throws: PickleError.forbiddenGlobal(module: "os", name: "system", offset: 2)) { try read(bytes) }
        #expect(describe { try read(bytes) }.contains("'os system' at byte 2"))
    }

    @Test func rejectsUnknownOpcodeWithOffset() {
        // 'S' (STRING, protocol 0) is outside the allowed subset.
        let bytes = P.proto + P.emptyDict + [0x53] + Array("'x'\n".utf8) + P.stop
        #expect(throws: PickleError.unsupportedOpcode(opcode: 0x53, offset: 3)) { try read(bytes) }
        #expect(describe { try read(bytes) }.contains("0x53 'S' at byte 3"))
    }

    @Test func rejectsOtherProtocols() {
        #expect(throws: PickleError.unsupportedProtocol(version: 4, offset: 0)) { try read([0x80, 4] + P.none + P.stop) }
    }

    @Test func everyTruncationIsAnErrorNotACrash() {
        let full = P.stateDict()
        for length in 0..<full.count {
            #expect(throws: PickleError.self) { try read(Array(full.prefix(length))) }
        }
        #expect(throws: PickleError.truncated(offset: 3, needed: 4, available: 2)) { try read(P.proto + [0x58, 1, 0]) }
    }

    @Test func reduceOnlyBuildsAllowedValues() {
        let storageCall = P.proto + P.global("torch", "FloatStorage") + P.emptyTuple + P.reduce + P.stop
        #expect(throws: PickleError.invalidReduce(global: "torch.FloatStorage", reason: "this global is a type, not a constructor", offset: 23)) {
            try read(storageCall)
        }
        let orderedDictWithArgs = P.proto + P.global("collections", "OrderedDict") + P.int1(1) + P.tuple1 + P.reduce + P.stop
        #expect(throws: PickleError.self) { try read(orderedDictWithArgs) }
        let badPersistentID = P.proto + P.str("storage") + P.tuple1 + P.persid + P.stop
        #expect(throws: PickleError.self) { try read(badPersistentID) }
    }

    @Test func rejectsMalformedStacks() {
        // REDUCE may not pop below the MARK that precedes it.
        #expect(throws: PickleError.stackUnderflow(opcode: "REDUCE", offset: 5)) { try read(P.proto + P.int1(1) + P.mark + P.reduce + P.stop) }
        #expect(throws: PickleError.missingMark(opcode: "TUPLE", offset: 2)) { try read(P.proto + P.tuple + P.stop) }
        #expect(throws: PickleError.unknownMemoKey(key: 7, offset: 2)) { try read(P.proto + P.get(7) + P.stop) }
        #expect(throws: PickleError.badStop(stackDepth: 2, offset: 4)) { try read(P.proto + P.none + P.none + P.stop) }
        #expect(throws: PickleError.typeMismatch(opcode: "SETITEMS", expected: "a dict", found: "a list", offset: 4)) {
            try read(P.proto + P.emptyList + P.mark + P.setitems + P.stop)
        }
    }

    @Test func rejectsSelfContainingList() {
        // [] → memo 0; APPENDS the list to itself: resolving it must stop at the depth limit.
        let bytes = P.proto + P.emptyList + P.put(0) + P.mark + P.get(0) + P.appends + P.stop
        #expect(throws: PickleError.nestingTooDeep(limit: PickleReader.maxDepth, offset: 9)) { try read(bytes) }
    }
}

/// The description of the error thrown by `body`, or "" if it did not throw.
func describe(_ body: () throws -> Any) -> String {
    do { _ = try body(); return "" } catch { return "\(error)" }
}
