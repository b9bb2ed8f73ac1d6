/// One 64-byte entry of the admin submission queue, the admin completion queue or the
/// asynchronous event queue (`ena_admin_aq_entry`, `ena_admin_acq_entry`, `ena_admin_aenq_entry`).
///
/// A value type over eight little-endian quadwords, read and written by byte offset. Offsets
/// outside the entry read as zero and writes to them are ignored, so a wrong offset can never trap.
///
/// ``load(_:at:)`` and ``store(_:at:)`` are `@inlinable`: the driver decodes every admin
/// completion field by field from another module, where a call of the unspecialised generic
/// (metadata and witness lookups per field) was 8% of an `ena` fuzz input.
public struct ENAAdminEntry: Sendable, Equatable {
    /// Bytes in an entry.
    public static let size = 64

    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    /// An all-zero entry.
    public init() {}

    /// Copies an entry from `pointer` (64 readable bytes).
    public init(loadingFrom pointer: UnsafeRawPointer) {
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: Self.size)) }
    }

    /// Copies the first `count` bytes (at most 64) of the entry to `pointer`.
    public func store(to pointer: UnsafeMutableRawPointer, count: Int = ENAAdminEntry.size) {
        let n = max(0, min(count, Self.size))
        withUnsafeBytes(of: words) { bytes in
            if let source = bytes.baseAddress { pointer.copyMemory(from: source, byteCount: n) }
        }
    }

    /// The little-endian integer at byte `offset`; 0 when it does not fit in the entry.
    @inlinable public func load<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        guard offset >= 0, offset <= Self.size - MemoryLayout<T>.size else { return 0 }
        return withUnsafeBytes(of: words) { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    /// Stores `value` little-endian at byte `offset`; ignored when it does not fit.
    @inlinable public mutating func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        guard offset >= 0, offset <= Self.size - MemoryLayout<T>.size else { return }
        withUnsafeMutableBytes(of: &words) { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    }

    /// Reads a 48-bit `ena_common_mem_addr` (u32 low, u16 high) at `offset`.
    public func address(at offset: Int) -> UInt64 {
        UInt64(load(UInt32.self, at: offset)) | UInt64(load(UInt16.self, at: offset + 4)) << 32
    }

    /// Writes a 48-bit `ena_common_mem_addr` at `offset` (bits above 47 are dropped).
    public mutating func setAddress(_ address: UInt64, at offset: Int) {
        store(UInt32(truncatingIfNeeded: address), at: offset)
        store(UInt16(truncatingIfNeeded: address >> 32), at: offset + 4)
        store(UInt16(0), at: offset + 6)
    }

    public static func == (lhs: ENAAdminEntry, rhs: ENAAdminEntry) -> Bool {
        withUnsafeBytes(of: lhs.words) { l in withUnsafeBytes(of: rhs.words) { r in l.elementsEqual(r) } }
    }
}

extension ENAAdminEntry {
    // MARK: Submission entry (ena_admin_aq_common_desc)

    /// Command identifier (bits 11:0 of the first word).
    public var commandID: UInt16 {
        get { load(UInt16.self, at: 0) & 0x0FFF }
        set { store(newValue & 0x0FFF, at: 0) }
    }

    /// Opcode (``ENAAdminOpcode`` raw value).
    public var opcode: UInt8 {
        get { load(UInt8.self, at: 2) }
        set { store(newValue, at: 2) }
    }

    /// Flags byte: bit 0 phase, bit 1 control buffer valid, bit 2 control buffer indirect.
    public var submissionFlags: UInt8 {
        get { load(UInt8.self, at: 3) }
        set { store(newValue, at: 3) }
    }

    /// Control buffer length (`control_buffer.length`, valid with flag bit 1 or 2).
    public var controlBufferLength: UInt32 { load(UInt32.self, at: 4) }
    /// Control buffer address (`control_buffer.address`).
    public var controlBufferAddress: UInt64 { address(at: 8) }

    /// Sets the control buffer and its flag.
    public mutating func setControlBuffer(address: UInt64, length: UInt32) {
        store(length, at: 4)
        setAddress(address, at: 8)
        submissionFlags |= ENAAdminEntry.controlDataFlag
    }

    /// Phase bit of a submission entry.
    public static let phaseFlag: UInt8 = 1
    /// The control buffer fields are valid.
    public static let controlDataFlag: UInt8 = 2
    /// `ctrl_data_indirect`. `ena_admin_defs.h` describes it as a page list, but the Linux
    /// driver sets this bit (and not bit 1) for every flat control buffer it passes (GET_FEATURE
    /// and SET_FEATURE of RSS, GET_STATS customer metrics), so the device reads either bit as
    /// "the control buffer fields are valid" and the buffer as the data itself.
    public static let controlDataIndirectFlag: UInt8 = 4

    /// True when the command carries a control buffer (flag bit 1 or bit 2).
    public var hasControlBuffer: Bool {
        submissionFlags & (ENAAdminEntry.controlDataFlag | ENAAdminEntry.controlDataIndirectFlag) != 0
    }

    // MARK: Completion entry (ena_admin_acq_common_desc)

    /// Status of a completion (``ENAAdminStatus`` raw value).
    public var status: UInt8 {
        get { load(UInt8.self, at: 2) }
        set { store(newValue, at: 2) }
    }

    /// Completion flags: bit 0 phase.
    public var completionFlags: UInt8 {
        get { load(UInt8.self, at: 3) }
        set { store(newValue, at: 3) }
    }

    /// Extended status of a completion.
    public var extendedStatus: UInt16 {
        get { load(UInt16.self, at: 4) }
        set { store(newValue, at: 4) }
    }

    /// The admin submission queue entry the device consumed last (masked index).
    public var submissionQueueHead: UInt16 {
        get { load(UInt16.self, at: 6) }
        set { store(newValue, at: 6) }
    }
}
