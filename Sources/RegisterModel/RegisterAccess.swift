/// How a guest access treats one bit of a register.
///
/// The kinds are the ones the PCI, PCIe and device datasheets use. A register file derives its
/// write masks from these, so the semantics live in one place.
public enum RegisterAccess: String, Sendable, CaseIterable {
    /// Read-write.
    case rw
    /// Read-only: writes are ignored.
    case ro
    /// Write-only: reads return zero.
    case wo
    /// Write 1 to clear: writing a one clears the bit, writing a zero leaves it.
    case w1c
    /// Clear on read: a read returns the bit and then clears it.
    case rc
    /// Hardware-initialised: set by firmware or the device at reset, read-only to the guest.
    case hwinit
    /// Reserved: reads return the reset value (normally zero), writes are ignored.
    case reserved

    /// Whether a guest write can set this bit to an arbitrary value.
    @inlinable public var isGuestWritable: Bool { self == .rw || self == .wo }
}
