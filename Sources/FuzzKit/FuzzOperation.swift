import PCIe

/// One step a fuzz input asks for, decoded from bytes by ``FuzzProgram``. The same operations
/// drive every target; a target gives the device-specific ones (doorbells, ring entries,
/// mailbox) their meaning and ignores those that do not apply to it.
public enum FuzzOperation: Equatable, Sendable {
    /// Which reset a ``reset(_:)`` operation performs.
    public enum ResetKind: UInt8, Sendable, CaseIterable {
        /// PCIe Function Level Reset of the function under test.
        case functionLevel = 0
        /// The device's own reset (82599 CTRL.RST, NVMe CC.EN 1 to 0, ...).
        case device = 1
        /// A reset of the whole bus; the next ``reinitialize`` re-enumerates.
        case bus = 2
    }

    case configRead(offset: UInt16, width: AccessWidth)
    case configWrite(offset: UInt16, width: AccessWidth, value: UInt32)
    case mmioRead(bar: UInt8, offset: UInt32, width: AccessWidth)
    case mmioWrite(bar: UInt8, offset: UInt32, width: AccessWidth, value: UInt64)
    /// A write of `value` to the target's doorbell number `slot` (tails, heads, kicks).
    case doorbell(slot: UInt8, value: UInt32)
    /// Fills `length` bytes of the DMA arena at `offset` with `pattern` (see ``FillPattern``).
    case fillMemory(offset: UInt32, length: UInt16, pattern: UInt8, seed: UInt64)
    /// Writes `bytes` (16, 32 or 64 of them) over ring entry `slot` of the target (a descriptor,
    /// a command); each 8-byte word whose bit is set in `pointerMask` becomes an address inside
    /// the DMA arena (the word modulo the arena size), so inputs reach past address checks.
    case writeEntry(slot: UInt8, pointerMask: UInt8, bytes: [UInt8])
    case reset(ResetKind)
    /// Enables `count` VFs (0 disables them) through the SR-IOV capability.
    case setVirtualFunctions(count: UInt8)
    case advanceTime(microseconds: UInt32)
    /// A message of `words` from VF `vf` through its mailbox.
    case mailbox(vf: UInt8, words: [UInt32])
    /// Re-runs the reference driver's bring-up (deep state again after resets and garbage).
    case reinitialize

    /// Number of operation kinds (the opcode byte is taken modulo this).
    static let kindCount = 12

    /// Entry sizes a ``writeEntry`` can have.
    static let entrySizes = [16, 32, 64]
}

extension AccessWidth {
    /// The width a fuzz byte selects (low two bits).
    init(fuzz b: UInt8) {
        switch b & 3 {
        case 0: self = .byte
        case 1: self = .word
        case 2: self = .dword
        default: self = .qword
        }
    }

    /// The byte that decodes to this width.
    var fuzzCode: UInt8 {
        switch self {
        case .byte: 0
        case .word: 1
        case .dword: 2
        case .qword: 3
        }
    }
}
