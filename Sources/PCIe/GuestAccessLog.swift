/// One guest access as the bus routed it: to a function's config space or to one of its BARs.
public enum GuestAccessRecord: Equatable, Sendable {
    case configRead(BDF, offset: UInt16, width: AccessWidth)
    case configWrite(BDF, offset: UInt16, width: AccessWidth, value: UInt32)
    case mmioRead(BDF, bar: BARIndex, offset: UInt64, width: AccessWidth)
    case mmioWrite(BDF, bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64)

    /// The function the access went to.
    public var function: BDF {
        switch self {
        case .configRead(let f, _, _), .configWrite(let f, _, _, _), .mmioRead(let f, _, _, _), .mmioWrite(let f, _, _, _, _): f
        }
    }
}

/// What a bus with ``PCIBus/accessLog`` set records: every config access to a present function
/// and every MMIO access that reaches a BAR, in order (a write-combined burst as the naturally
/// aligned writes it is made of), with the vendor and device id of each function when it was
/// first accessed (functions come and go: VFs, resets). Accesses that reach no function are not
/// recorded (the bus records those as guest errors). For recording what a driver or a
/// conformance suite does, e.g. to seed fuzzing; off by default, when it costs the bus one test
/// per access.
public final class GuestAccessLog {
    /// The accesses, oldest first.
    public private(set) var records: [GuestAccessRecord] = []
    /// Vendor and device id of each function accessed, as it was at its first access.
    public private(set) var identities: [BDF: (vendor: UInt16, device: UInt16)] = [:]
    /// Most records kept; later accesses are counted in ``dropped`` only.
    public let capacity: Int
    /// Accesses not kept because the log was full.
    public private(set) var dropped = 0

    /// An empty log that keeps at most `capacity` records.
    public init(capacity: Int = 1 << 20) { self.capacity = capacity }

    /// Appends `record` made to `function` (out of line: the bus's paths only test for a log).
    @inline(never)
    func record(_ record: GuestAccessRecord, _ function: PCIFunction) {
        guard records.count < capacity else {
            dropped += 1
            return
        }
        if identities[function.bdf] == nil { identities[function.bdf] = (function.vendorID, function.deviceID) }
        records.append(record)
    }
}
