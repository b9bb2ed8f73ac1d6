import PCIe

/// SplitMix64: a small, fast generator whose sequence depends only on its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What a target tells the generator so that generated programs hit its registers and rings
/// rather than empty space.
public struct FuzzSurface: Sendable {
    /// Register offsets worth writing, by BAR (from the DeviceSpecs tables).
    public var registers: [(bar: UInt8, offset: UInt32)]
    /// Doorbells the target maps ``FuzzOperation/doorbell(slot:value:)`` onto.
    public var doorbellCount: Int
    /// Ring entries the target maps ``FuzzOperation/writeEntry(slot:pointerMask:bytes:)`` onto.
    public var entryCount: Int
    /// Size of one ring entry in bytes (16, 32 or 64).
    public var entrySize: Int
    /// The target has VFs and mailboxes.
    public var virtualFunctions: Bool

    public init(
        registers: [(bar: UInt8, offset: UInt32)], doorbellCount: Int, entryCount: Int, entrySize: Int,
        virtualFunctions: Bool
    ) {
        self.registers = registers
        self.doorbellCount = doorbellCount
        self.entryCount = entryCount
        self.entrySize = entrySize
        self.virtualFunctions = virtualFunctions
    }
}

/// Generates fuzz programs from a seed (`devbench fuzz` without libFuzzer): mostly ring entries
/// with valid-looking addresses, doorbells and register writes of boundary values, with
/// resets, time, VF changes and mailbox messages mixed in. Same seed, same programs.
public struct FuzzGenerator {
    private var random: SplitMix64
    private let surface: FuzzSurface

    public init(seed: UInt64, surface: FuzzSurface) {
        random = SplitMix64(seed: seed)
        self.surface = surface
    }

    /// A program of up to `maximumLength` operations.
    public mutating func program(maximumLength: Int = 48) -> FuzzProgram {
        let n = 1 + Int(random.next() % UInt64(max(maximumLength, 1)))
        return FuzzProgram((0..<n).map { _ in operation() })
    }

    private mutating func pick(_ n: Int) -> Int { n <= 1 ? 0 : Int(random.next() % UInt64(n)) }
    private mutating func chance(_ percent: Int) -> Bool { pick(100) < percent }

    /// Boundary values first, random ones otherwise.
    private mutating func value() -> UInt64 {
        let interesting: [UInt64] = [
            0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0xFFF, 0x1000, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
            0x1_0000_0000, .max, 16, 32, 64, 128, 512, 1024, 4096,
        ]
        return chance(60) ? interesting[pick(interesting.count)] : random.next() >> UInt64(pick(64))
    }

    private mutating func operation() -> FuzzOperation {
        switch pick(100) {
        case 0..<28:
            var bytes = (0..<surface.entrySize).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if chance(50) {
                // Small lengths and flags in the second word, as descriptors have them.
                let small = UInt64(pick(2048))
                for i in 0..<8 where 8 + i < bytes.count { bytes[8 + i] = UInt8(truncatingIfNeeded: small >> UInt64(8 * i)) }
            }
            return .writeEntry(
                slot: UInt8(truncatingIfNeeded: pick(max(surface.entryCount, 1))),
                pointerMask: UInt8(truncatingIfNeeded: chance(80) ? 0x01 | (random.next() & 0xFE) : random.next()),
                bytes: bytes)
        case 28..<48:
            return .doorbell(
                slot: UInt8(truncatingIfNeeded: pick(max(surface.doorbellCount, 1))),
                value: UInt32(truncatingIfNeeded: chance(70) ? UInt64(pick(64)) : value()))
        case 48..<68:
            guard !surface.registers.isEmpty else {
                return .configWrite(offset: UInt16(pick(4096)), width: .byte, value: UInt32(pick(256)))
            }
            let r = surface.registers[pick(surface.registers.count)]
            return .mmioWrite(bar: r.bar, offset: r.offset, width: .dword, value: value())
        case 68..<76:
            guard !surface.registers.isEmpty else { return .advanceTime(microseconds: 1) }
            let r = surface.registers[pick(surface.registers.count)]
            return .mmioRead(bar: r.bar, offset: r.offset, width: chance(80) ? .dword : AccessWidth(fuzz: UInt8(pick(4))))
        case 76..<82:
            return .fillMemory(
                offset: UInt32(truncatingIfNeeded: random.next()), length: UInt16(pick(4096)), pattern: UInt8(pick(256)),
                seed: random.next())
        case 82..<86:
            return .configWrite(
                offset: UInt16(pick(chance(70) ? 0x100 : 0x1000)), width: AccessWidth(fuzz: UInt8(pick(3))),
                value: UInt32(truncatingIfNeeded: value()))
        case 86..<88: return .configRead(offset: UInt16(pick(0x1000)), width: .dword)
        case 88..<91: return .advanceTime(microseconds: UInt32(pick(chance(80) ? 2000 : 3_000_000)))
        case 91..<93: return .reset(FuzzOperation.ResetKind(rawValue: UInt8(pick(3))) ?? .device)
        case 93..<96:
            guard surface.virtualFunctions else { return .advanceTime(microseconds: 100) }
            let words = (0..<(1 + pick(16))).map { i in i == 0 ? UInt32(pick(16)) : UInt32(truncatingIfNeeded: value()) }
            return .mailbox(vf: UInt8(pick(4)), words: words)
        case 96..<98:
            guard surface.virtualFunctions else { return .reinitialize }
            return .setVirtualFunctions(count: UInt8(pick(5)))
        default:
            return .reinitialize
        }
    }
}
