/// Why the device dropped a transmitted packet.
enum TxProblem {
    /// A descriptor the device cannot use (zero length, no first bit, TSO, unreadable buffer, ...).
    case malformed(StaticString)
    /// The request id is not below the queue depth.
    case badRequestID
    /// A new packet started before this one's last descriptor.
    case missingLast
    /// More descriptors than `max_per_packet_tx_descs`.
    case tooManyDescriptors
    /// Longer than the MTU allows.
    case oversize
}

/// A Tx packet as the device assembles it from its descriptors.
struct TxPacket {
    /// Descriptors taken so far, meta included.
    var descriptors = 0
    var requestID: UInt16 = 0
    var hasRequestID = false
    var completionRequested = false
    /// Bytes of the frame: gathered into the frame scratch buffer, or at ``frameInPlace``.
    var length = 0
    /// A packet of one buffer that needs no checksum inserted: the buffer itself (guest memory,
    /// checked readable for `length` bytes), sent without a gather copy.
    var frameInPlace: UnsafeRawPointer?
    var l3Checksum = false
    var l4Checksum = false
    var problem: TxProblem?
    /// The last descriptor was seen.
    var complete = false
}

/// What adding one descriptor did.
enum TxStep {
    /// Taken; the packet goes on (or is complete, see ``TxPacket/complete``).
    case taken
    /// Not taken: it starts a new packet, so the current one lacks its last descriptor.
    case startsNewPacket
}
