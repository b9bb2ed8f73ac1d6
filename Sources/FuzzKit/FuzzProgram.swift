import PCIe

/// A fuzz input as a list of operations, and the byte encoding every fuzzer shares: libFuzzer
/// targets, `devbench fuzz` and the regression inputs in Fixtures/fuzz all decode bytes with
/// ``init(decoding:)``, so a reproducer written by one replays in the others.
///
/// Encoding: an optional header (`DBFZ`, a length byte and the target name), then operations,
/// each an opcode byte (kind = byte mod ``FuzzOperation/kindCount``) followed by the kind's
/// fixed-size little-endian fields. Any byte string decodes; missing bytes read as zero.
public struct FuzzProgram: Equatable, Sendable {
    /// The operations, in order.
    public var operations: [FuzzOperation]
    /// The target named in the header, if the input has one.
    public var targetName: String?

    /// Most operations one input may hold (bounds the work per input).
    public static let maximumOperations = 512

    static let magic: [UInt8] = Array("DBFZ".utf8)

    public init(_ operations: [FuzzOperation], targetName: String? = nil) {
        self.operations = operations
        self.targetName = targetName
    }

    /// Decodes `bytes`.
    public init(decoding bytes: UnsafeRawBufferPointer) {
        var start = 0
        targetName = nil
        if bytes.count >= 5, bytes[0] == Self.magic[0], bytes[1] == Self.magic[1], bytes[2] == Self.magic[2],
            bytes[3] == Self.magic[3]
        {
            let length = Int(bytes[4])
            let end = min(5 + length, bytes.count)
            targetName = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[5..<end]), as: UTF8.self)
            start = end
        }
        var reader = FuzzReader(bytes, from: start)
        var ops: [FuzzOperation] = []
        while !reader.isAtEnd, ops.count < Self.maximumOperations {
            ops.append(Self.decodeOne(&reader))
        }
        operations = ops
    }

    /// Decodes `bytes`.
    public init(decoding bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { FuzzProgram(decoding: $0) }
    }

    /// The bytes that decode to this program (with a header when ``targetName`` is set).
    public var encoded: [UInt8] {
        var w = FuzzWriter()
        if let name = targetName {
            let utf8 = Array(name.utf8.prefix(255))
            w.append(Self.magic)
            w.u8(UInt8(utf8.count))
            w.append(utf8)
        }
        for op in operations { Self.encodeOne(op, into: &w) }
        return w.bytes
    }

    private static func decodeOne(_ r: inout FuzzReader) -> FuzzOperation {
        switch Int(r.u8()) % FuzzOperation.kindCount {
        case 0: return .configRead(offset: r.u16() & 0xFFF, width: configWidth(r.u8()))
        case 1: return .configWrite(offset: r.u16() & 0xFFF, width: configWidth(r.u8()), value: r.u32())
        case 2: return .mmioRead(bar: r.u8() % 6, offset: r.u32(), width: AccessWidth(fuzz: r.u8()))
        case 3: return .mmioWrite(bar: r.u8() % 6, offset: r.u32(), width: AccessWidth(fuzz: r.u8()), value: r.u64())
        case 4: return .doorbell(slot: r.u8(), value: r.u32())
        case 5: return .fillMemory(offset: r.u32(), length: r.u16(), pattern: r.u8(), seed: r.u64())
        case 6:
            let slot = r.u8()
            let mask = r.u8()
            let size = FuzzOperation.entrySizes[Int(r.u8()) % FuzzOperation.entrySizes.count]
            return .writeEntry(slot: slot, pointerMask: mask, bytes: r.bytes(size))
        case 7: return .reset(FuzzOperation.ResetKind(rawValue: r.u8() % 3) ?? .functionLevel)
        case 8: return .setVirtualFunctions(count: r.u8() % 65)
        case 9: return .advanceTime(microseconds: r.u32() % 5_000_001)
        case 10:
            let vf = r.u8()
            let count = Int(r.u8() % 16) + 1
            return .mailbox(vf: vf, words: (0..<count).map { _ in r.u32() })
        default: return .reinitialize
        }
    }

    private static func configWidth(_ b: UInt8) -> AccessWidth { AccessWidth(fuzz: b % 3) }

    private static func encodeOne(_ op: FuzzOperation, into w: inout FuzzWriter) {
        switch op {
        case .configRead(let offset, let width):
            w.u8(0)
            w.u16(offset)
            w.u8(width.fuzzCode)
        case .configWrite(let offset, let width, let value):
            w.u8(1)
            w.u16(offset)
            w.u8(width.fuzzCode)
            w.u32(value)
        case .mmioRead(let bar, let offset, let width):
            w.u8(2)
            w.u8(bar)
            w.u32(offset)
            w.u8(width.fuzzCode)
        case .mmioWrite(let bar, let offset, let width, let value):
            w.u8(3)
            w.u8(bar)
            w.u32(offset)
            w.u8(width.fuzzCode)
            w.u64(value)
        case .doorbell(let slot, let value):
            w.u8(4)
            w.u8(slot)
            w.u32(value)
        case .fillMemory(let offset, let length, let pattern, let seed):
            w.u8(5)
            w.u32(offset)
            w.u16(length)
            w.u8(pattern)
            w.u64(seed)
        case .writeEntry(let slot, let mask, let bytes):
            w.u8(6)
            w.u8(slot)
            w.u8(mask)
            w.u8(UInt8(FuzzOperation.entrySizes.firstIndex(of: bytes.count) ?? 0))
            w.append(bytes)
        case .reset(let kind):
            w.u8(7)
            w.u8(kind.rawValue)
        case .setVirtualFunctions(let count):
            w.u8(8)
            w.u8(count)
        case .advanceTime(let microseconds):
            w.u8(9)
            w.u32(microseconds)
        case .mailbox(let vf, let words):
            w.u8(10)
            w.u8(vf)
            w.u8(UInt8(max(words.count, 1) - 1))
            for word in words { w.u32(word) }
        case .reinitialize:
            w.u8(11)
        }
    }
}
