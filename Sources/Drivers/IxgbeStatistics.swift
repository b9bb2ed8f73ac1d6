/// Good packet and octet counts of one VF (PVFGPRC/PVFGPTC/PVFGORC/PVFGOTC on the PF side,
/// VFGPRC/VFGPTC/VFGORC/VFGOTC on the VF side).
public struct IxgbeVFStatistics: Sendable, Equatable {
    /// Good packets received.
    public var receivedPackets: UInt64 = 0
    /// Good packets transmitted.
    public var transmittedPackets: UInt64 = 0
    /// Good octets received.
    public var receivedBytes: UInt64 = 0
    /// Good octets transmitted.
    public var transmittedBytes: UInt64 = 0

    /// Counts with the given values.
    public init(
        receivedPackets: UInt64 = 0, transmittedPackets: UInt64 = 0, receivedBytes: UInt64 = 0, transmittedBytes: UInt64 = 0
    ) {
        self.receivedPackets = receivedPackets
        self.transmittedPackets = transmittedPackets
        self.receivedBytes = receivedBytes
        self.transmittedBytes = transmittedBytes
    }
}

/// Port statistics the PF driver accumulates from the clear-on-read registers.
public struct IxgbePFStatistics: Sendable, Equatable {
    /// Good packets received by the port (GPRC).
    public var receivedPackets: UInt64 = 0
    /// Good packets transmitted by the port, including switched ones (GPTC).
    public var transmittedPackets: UInt64 = 0
    /// Good octets received (GORC).
    public var receivedBytes: UInt64 = 0
    /// Good octets transmitted (GOTC).
    public var transmittedBytes: UInt64 = 0
    /// Frames dropped for lack of receive descriptors (MPC).
    public var missedPackets: UInt64 = 0
    /// Frames the switch dropped as spoofed (SSVPC).
    public var spoofedPackets: UInt64 = 0
}

/// A 32-bit (or 36-bit) hardware counter that wraps, widened to 64 bits the way ixgbevf does
/// (`UPDATE_VF_COUNTER_32bit` / `_36bit`): counts since the first reading.
struct IxgbeWrappingCounter: Sendable {
    let bits: UInt64
    private var last: UInt64
    private(set) var total: UInt64 = 0

    /// Starts at `initial`, a reading of a `bits`-wide counter.
    init(bits: UInt64, initial: UInt64) {
        self.bits = bits
        last = initial & ((1 << bits) - 1)
    }

    /// Adds what the counter advanced since the last reading (one wrap at most).
    mutating func update(_ reading: UInt64) {
        let mask: UInt64 = (1 << bits) - 1
        let now = reading & mask
        total &+= (now &- last) & mask
        last = now
    }
}
