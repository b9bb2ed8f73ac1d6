/// One 16-byte completion queue entry (NVMe Base §4.6).
public struct CompletionEntry: Sendable, Equatable {
    /// Command specific result (DW0).
    public var dword0: UInt32
    /// DW1 (command specific, reserved for most commands).
    public var dword1: UInt32
    /// SQ Head Pointer (DW2 15:0).
    public var submissionQueueHead: UInt16
    /// SQ Identifier (DW2 31:16).
    public var submissionQueueID: UInt16
    /// Command Identifier (DW3 15:0).
    public var commandID: UInt16
    /// Phase Tag (DW3 bit 16).
    public var phase: Bool
    /// Status (DW3 31:17).
    public var status: NVMeStatus

    /// Size of an entry in bytes (IOCQES 4).
    public static let size = 16

    /// An entry from its fields.
    @inlinable public init(
        dword0: UInt32, dword1: UInt32 = 0, submissionQueueHead: UInt16, submissionQueueID: UInt16, commandID: UInt16,
        phase: Bool, status: NVMeStatus
    ) {
        self.dword0 = dword0
        self.dword1 = dword1
        self.submissionQueueHead = submissionQueueHead
        self.submissionQueueID = submissionQueueID
        self.commandID = commandID
        self.phase = phase
        self.status = status
    }

    /// Decodes 16 bytes of little-endian guest memory.
    @inlinable public init(loadingFrom p: UnsafeRawPointer) {
        let dw2 = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        let dw3 = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        self.init(
            dword0: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt32.self)),
            dword1: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
            submissionQueueHead: UInt16(truncatingIfNeeded: dw2), submissionQueueID: UInt16(truncatingIfNeeded: dw2 >> 16),
            commandID: UInt16(truncatingIfNeeded: dw3), phase: dw3 & (1 << 16) != 0,
            status: NVMeStatus(field: UInt16(truncatingIfNeeded: dw3 >> 17)))
    }

    /// DW3 as it sits in memory: CID, phase and status.
    @inlinable public var dword3: UInt32 {
        UInt32(commandID) | (phase ? 1 << 16 : 0) | UInt32(status.field) << 17
    }

    /// Writes the entry as 16 little-endian bytes, DW3 (with the phase tag) last.
    @inlinable public func store(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: dword0.littleEndian, toByteOffset: 0, as: UInt32.self)
        p.storeBytes(of: dword1.littleEndian, toByteOffset: 4, as: UInt32.self)
        let dw2 = UInt32(submissionQueueHead) | UInt32(submissionQueueID) << 16
        p.storeBytes(of: dw2.littleEndian, toByteOffset: 8, as: UInt32.self)
        p.storeBytes(of: dword3.littleEndian, toByteOffset: 12, as: UInt32.self)
    }
}
