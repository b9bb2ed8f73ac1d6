import NVMe
import RegisterModel

/// Controller register offsets and field masks the driver uses, all taken from the generated
/// ``NVMeRegisters`` table (NVMe Base §3.1).
@usableFromInline
enum NVMeRegister {
    typealias R = NVMeRegisters
    static let cap = UInt64(R.CAP.offset)
    static let vs = UInt64(R.VS.offset)
    static let cc = UInt64(R.CC.offset)
    static let csts = UInt64(R.CSTS.offset)
    static let nssr = UInt64(R.NSSR.offset)
    static let aqa = UInt64(R.AQA.offset)
    static let asq = UInt64(R.ASQ.offset)
    static let acq = UInt64(R.ACQ.offset)
    static let doorbellBase = UInt64(R.SQ0TDBL.offset)

    /// NSSR value that starts an NVM Subsystem Reset ("NVMe").
    static let nssrMagic: UInt32 = 0x4E56_4D65

    static let ccEnable = UInt32(truncatingIfNeeded: R.CC.en.mask)
    static let ccShutdownMask = UInt32(truncatingIfNeeded: R.CC.shn.mask)
    static let ccShutdownNormal = R.CC.shn.insert(UInt32(R.CC.SHNValue.normal), into: 0)
    static let cstsReady = UInt32(truncatingIfNeeded: R.CSTS.rdy.mask)
    static let cstsFatal = UInt32(truncatingIfNeeded: R.CSTS.cfs.mask)
    static let cstsShutdownMask = UInt32(truncatingIfNeeded: R.CSTS.shst.mask)
    static let cstsShutdownComplete = R.CSTS.shst.insert(UInt32(R.CSTS.SHSTValue.complete), into: 0)
    static let cstsSubsystemReset = UInt32(truncatingIfNeeded: R.CSTS.nssro.mask)

    /// CC for page size 4 KiB << `pageShift`, 64-byte SQ and 16-byte CQ entries, NVM command set.
    static func controllerConfiguration(pageShift: Int) -> UInt32 {
        var cc: UInt32 = 0
        cc = R.CC.mps.insert(UInt32(pageShift), into: cc)
        cc = R.CC.iosqes.insert(6, into: cc)
        cc = R.CC.iocqes.insert(4, into: cc)
        return cc
    }

    /// AQA for admin queues of `entries` entries each.
    static func adminQueueAttributes(entries: Int) -> UInt32 {
        R.AQA.acqs.insert(UInt32(entries - 1), into: R.AQA.asqs.insert(UInt32(entries - 1), into: 0))
    }

    /// Offset of SQ `queue`'s tail doorbell for doorbell stride `stride` (CAP.DSTRD).
    static func submissionTailDoorbell(_ queue: Int, stride: Int) -> UInt64 {
        doorbellBase + UInt64(2 * queue) * (4 << UInt64(stride))
    }
    /// Offset of CQ `queue`'s head doorbell.
    static func completionHeadDoorbell(_ queue: Int, stride: Int) -> UInt64 {
        doorbellBase + UInt64(2 * queue + 1) * (4 << UInt64(stride))
    }
}

/// The Controller Capabilities register (CAP, NVMe Base §3.1.1) decoded.
public struct NVMeControllerCapabilities: Sendable, Equatable {
    /// The raw 64-bit value.
    public var raw: UInt64

    /// Wraps a CAP value.
    public init(_ raw: UInt64) { self.raw = raw }

    private typealias C = NVMeRegisters.CAP

    /// Maximum entries per I/O queue (MQES + 1).
    public var maximumQueueEntries: Int { Int(C.mqes.extract(from: raw)) + 1 }
    /// Contiguous Queues Required (CQR).
    public var contiguousQueuesRequired: Bool { C.cqr.isSet(in: raw) }
    /// Worst-case time for CSTS.RDY to change, in 500 ms units (TO).
    public var timeoutUnits: Int { Int(C.to.extract(from: raw)) }
    /// Doorbell stride exponent (DSTRD): doorbells are 4 << DSTRD bytes apart.
    public var doorbellStride: Int { Int(C.dstrd.extract(from: raw)) }
    /// NVM Subsystem Reset Supported (NSSRS).
    public var subsystemResetSupported: Bool { C.nssrs.isSet(in: raw) }
    /// Command Sets Supported (CSS); bit 0 is the NVM command set.
    public var commandSets: Int { Int(C.css.extract(from: raw)) }
    /// Memory Page Size Minimum exponent (page = 4 KiB << MPSMIN).
    public var minimumPageSizeShift: Int { Int(C.mpsmin.extract(from: raw)) }
    /// Memory Page Size Maximum exponent.
    public var maximumPageSizeShift: Int { Int(C.mpsmax.extract(from: raw)) }
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
