/// One resource (BAR or ROM window) of a function, as sysfs `resource` lists it.
public struct ResourceWindow: Sendable, Equatable {
    /// First bus address, or 0 when unassigned.
    public let start: UInt64
    /// Last bus address (inclusive), or 0 when unassigned.
    public let end: UInt64
    /// Linux `IORESOURCE_*` flags: 0x200 memory, 0x100 I/O, 0x2000 prefetch, 0x100000 64-bit.
    public let flags: UInt64

    /// Creates a window.
    public init(start: UInt64, end: UInt64, flags: UInt64) {
        self.start = start
        self.end = end
        self.flags = flags
    }

    /// An absent resource (all zero).
    public static let none = ResourceWindow(start: 0, end: 0, flags: 0)
    /// Size in bytes, 0 when absent.
    public var size: UInt64 { flags == 0 && end == 0 ? 0 : end &- start &+ 1 }
}

/// What an inspector needs of one function: its address, its config bytes, its windows.
///
/// A snapshot is a value: taking one reads config space without side effects (no read-clear).
public struct FunctionSnapshot: Sendable, Equatable {
    /// Where the function sits.
    public let bdf: BDF
    /// The full 4096-byte configuration space (256 bytes for conventional PCI).
    public let config: [UInt8]
    /// Seven windows: BAR0...BAR5 and the expansion ROM. A 64-bit BAR's upper half is `.none`.
    public let resources: [ResourceWindow]
    /// Whether this is an SR-IOV virtual function.
    public let isVirtualFunction: Bool
    /// The physical function of a VF.
    public let physicalFunction: BDF?
    /// Vendor id as the OS reports it. For a VF the config register reads 0xffff (SR-IOV 1.1
    /// §3.4.1.1), so this comes from the PF instead; sysfs `vendor` shows this value.
    public let vendorID: UInt16
    /// Device id as the OS reports it (for a VF, the PF's SR-IOV VF Device ID).
    public let deviceID: UInt16

    /// Creates a snapshot.
    public init(
        bdf: BDF, config: [UInt8], resources: [ResourceWindow], isVirtualFunction: Bool = false,
        physicalFunction: BDF? = nil, vendorID: UInt16? = nil, deviceID: UInt16? = nil
    ) {
        self.bdf = bdf
        self.config = config
        self.resources = resources
        self.isVirtualFunction = isVirtualFunction
        self.physicalFunction = physicalFunction
        func word(_ at: Int) -> UInt16 {
            config.count > at + 1 ? UInt16(config[at]) | UInt16(config[at + 1]) << 8 : 0xffff
        }
        self.vendorID = vendorID ?? word(0)
        self.deviceID = deviceID ?? word(2)
    }
}
