/// What the device has done since it was built (device resets do not clear it): the BASIC
/// statistics, the keep-alive drop counters and every drop reason the model counts.
public struct ENACounters: Sendable, Equatable {
    /// Packets sent to the wire (after the allowances).
    public var txPackets: UInt64 = 0
    /// Bytes sent to the wire.
    public var txBytes: UInt64 = 0
    /// Packets written to receive queues.
    public var rxPackets: UInt64 = 0
    /// Bytes written to receive queues.
    public var rxBytes: UInt64 = 0
    /// Received frames dropped (no queue, link down, oversize, malformed descriptors).
    public var rxDrops: UInt64 = 0
    /// Transmitted packets dropped (malformed, link down).
    public var txDrops: UInt64 = 0
    /// Received frames dropped because the receive queue had no (or not enough) buffers posted.
    public var rxOverruns: UInt64 = 0
    /// Admin commands fetched.
    public var adminCommands: UInt64 = 0
    /// Admin commands completed with a status other than success.
    public var adminErrors: UInt64 = 0
    /// Tx packets dropped because a descriptor was malformed (zero length, no first bit, TSO, ...).
    public var txMalformedPackets: UInt64 = 0
    /// Tx packets whose request id was not below the queue depth.
    public var txBadRequestIDs: UInt64 = 0
    /// Tx packets dropped because a new packet started before the last bit.
    public var txMissingLast: UInt64 = 0
    /// Tx packets with more descriptors than the device allows.
    public var txTooManyDescriptors: UInt64 = 0
    /// Tx packets longer than the MTU allows.
    public var txOversize: UInt64 = 0
    /// Received frames that needed more buffers than allowed per packet.
    public var rxBuffersTooSmall: UInt64 = 0
    /// Received frames longer than the MTU allows.
    public var rxOversize: UInt64 = 0
    /// Doorbells ignored: beyond the queue depth, no such queue, or the device not ready.
    public var ignoredDoorbells: UInt64 = 0
    /// Descriptors whose phase bit said the driver had not written them.
    public var staleDescriptors: UInt64 = 0
    /// LLQ entries processed before the driver had written all of them.
    public var llqPartialEntries: UInt64 = 0
    /// Asynchronous events written to the AENQ.
    public var eventsPosted: UInt64 = 0
    /// Asynchronous events lost because the AENQ and its backlog were full.
    public var eventsDropped: UInt64 = 0
    /// Keep-alive events written.
    public var keepAlives: UInt64 = 0
    /// MSI-X messages requested.
    public var interrupts: UInt64 = 0
    /// Device resets through DEV_CTL.
    public var resets: UInt64 = 0
    /// Times DEV_STS.FATAL_ERROR was set.
    public var fatalErrors: UInt64 = 0
    /// Readless register reads served.
    public var readlessReads: UInt64 = 0

    /// All zero.
    public init() {}
}
