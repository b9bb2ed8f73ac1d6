/// Controller register offsets and fields the driver programs (NVMe Base §3.1).
@usableFromInline
enum NVMeRegister {
    @usableFromInline static let cap: UInt64 = 0x00
    @usableFromInline static let vs: UInt64 = 0x08
    @usableFromInline static let intms: UInt64 = 0x0C
    @usableFromInline static let intmc: UInt64 = 0x10
    @usableFromInline static let cc: UInt64 = 0x14
    @usableFromInline static let csts: UInt64 = 0x1C
    @usableFromInline static let nssr: UInt64 = 0x20
    @usableFromInline static let aqa: UInt64 = 0x24
    @usableFromInline static let asq: UInt64 = 0x28
    @usableFromInline static let acq: UInt64 = 0x30
    @usableFromInline static let doorbellBase: UInt64 = 0x1000

    /// NSSR value that starts an NVM Subsystem Reset ("NVMe").
    static let nssrMagic: UInt32 = 0x4E56_4D65

    // CC fields.
    static let ccEnable: UInt32 = 1
    static func ccMPS(_ v: Int) -> UInt32 { UInt32(v & 0xF) << 7 }
    static let ccShutdownNormal: UInt32 = 1 << 14
    static let ccShutdownMask: UInt32 = 3 << 14
    static func ccIOSQES(_ v: Int) -> UInt32 { UInt32(v & 0xF) << 16 }
    static func ccIOCQES(_ v: Int) -> UInt32 { UInt32(v & 0xF) << 20 }

    // CSTS fields.
    static let cstsReady: UInt32 = 1
    static let cstsFatal: UInt32 = 1 << 1
    static let cstsShutdownMask: UInt32 = 3 << 2
    static let cstsShutdownComplete: UInt32 = 2 << 2
    static let cstsSubsystemReset: UInt32 = 1 << 4

    /// Offset of SQ `queue`'s tail doorbell for doorbell stride `stride` (CAP.DSTRD).
    @usableFromInline static func submissionTailDoorbell(_ queue: Int, stride: Int) -> UInt64 {
        doorbellBase + UInt64(2 * queue) * (4 << UInt64(stride))
    }
    /// Offset of CQ `queue`'s head doorbell.
    @usableFromInline static func completionHeadDoorbell(_ queue: Int, stride: Int) -> UInt64 {
        doorbellBase + UInt64(2 * queue + 1) * (4 << UInt64(stride))
    }
}

/// The Controller Capabilities register (CAP, NVMe Base §3.1.1) decoded.
public struct NVMeControllerCapabilities: Sendable, Equatable {
    /// The raw 64-bit value.
    public var raw: UInt64

    /// Wraps a CAP value.
    public init(_ raw: UInt64) { self.raw = raw }

    /// Maximum entries per I/O queue (MQES + 1).
    public var maximumQueueEntries: Int { Int(raw & 0xFFFF) + 1 }
    /// Contiguous Queues Required.
    public var contiguousQueuesRequired: Bool { raw & (1 << 16) != 0 }
    /// Worst-case time for CSTS.RDY to change, in 500 ms units (TO).
    public var timeoutUnits: Int { Int((raw >> 24) & 0xFF) }
    /// Doorbell stride exponent (DSTRD): doorbells are 4 << DSTRD bytes apart.
    public var doorbellStride: Int { Int((raw >> 32) & 0xF) }
    /// NVM Subsystem Reset Supported (NSSRS).
    public var subsystemResetSupported: Bool { raw & (1 << 36) != 0 }
    /// Command Sets Supported (CSS); bit 0 is the NVM command set.
    public var commandSets: Int { Int((raw >> 37) & 0xFF) }
    /// Memory Page Size Minimum exponent (page = 4 KiB << MPSMIN).
    public var minimumPageSizeShift: Int { Int((raw >> 48) & 0xF) }
    /// Memory Page Size Maximum exponent.
    public var maximumPageSizeShift: Int { Int((raw >> 52) & 0xF) }
    /// Smallest memory page size in bytes.
    public var minimumPageSize: Int { 4096 << minimumPageSizeShift }
}

/// The Version register (VS).
public struct NVMeVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
    /// The raw value (major 31:16, minor 15:8, tertiary 7:0).
    public var raw: UInt32
    /// Wraps a VS value.
    public init(_ raw: UInt32) { self.raw = raw }
    /// Major version.
    public var major: Int { Int(raw >> 16) }
    /// Minor version.
    public var minor: Int { Int((raw >> 8) & 0xFF) }
    /// Tertiary version.
    public var tertiary: Int { Int(raw & 0xFF) }
    public var description: String { "\(major).\(minor).\(tertiary)" }
    public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
}
