/// Drops and guest errors the model counts in addition to the datasheet's statistics registers
/// (which are clear-on-read and belong to the driver). Monotonic since the model was created.
public struct Intel82599Counters: Sendable, Equatable {
    /// Frames dropped because no receive descriptor was free (also counted in MPC/QPRDC).
    public var rxNoDescriptor: UInt64 = 0
    /// Frames dropped because the target queue or pool was not enabled for receive.
    public var rxQueueDisabled: UInt64 = 0
    /// Frames longer than the receive buffers of the target queue can take in the free descriptors.
    public var rxOversize: UInt64 = 0
    /// Receive buffers the pool's IOMMU domain does not map (descriptor written back with RXE).
    public var rxBufferFaults: UInt64 = 0
    /// Transmit descriptors with a zero or oversized length, or an unsupported type.
    public var txMalformedDescriptors: UInt64 = 0
    /// Transmit buffers the pool's IOMMU domain does not map.
    public var txBufferFaults: UInt64 = 0
    /// Rings whose descriptors could not be read; the queue was disabled.
    public var ringFaults: UInt64 = 0
    /// Tail writes past the end of the ring (ignored).
    public var badTailWrites: UInt64 = 0
    /// Queue enables refused because the ring length was zero or not a multiple of 128 bytes.
    public var badRingLengths: UInt64 = 0
    /// Frames dropped by MAC anti-spoofing.
    public var spoofedMAC: UInt64 = 0
    /// Frames dropped by VLAN anti-spoofing.
    public var spoofedVLAN: UInt64 = 0
    /// Frames switched between pools inside the NIC.
    public var switchedLocally: UInt64 = 0
    /// Frames sent out of the port.
    public var sentToWire: UInt64 = 0
    /// Frames received from the wire.
    public var receivedFromWire: UInt64 = 0
    /// Frames that matched no pool and were dropped.
    public var unmatched: UInt64 = 0
    /// Mailbox requests a VF made while its previous one was still unread (flooding).
    public var mailboxOverruns: UInt64 = 0
    /// Mailbox memory writes by a side that did not hold the lock (dropped).
    public var mailboxLockViolations: UInt64 = 0
}
