import PCIe

/// Errors of the 82599 PF and VF drivers.
public enum IxgbeDriverError: Error, Equatable, CustomStringConvertible {
    /// The function is not an 82599 PF (or VF) by its vendor and device id.
    case notFound(vendorID: UInt16, deviceID: UInt16)
    /// A reset did not complete in time; names the bit waited for.
    case resetTimeout(String)
    /// DMA memory could not be allocated.
    case allocation(DMAAllocationError)
    /// A parameter is out of range; says which and why.
    case invalidConfiguration(String)
    /// A queue's enable bit did not stick (the device refused the ring).
    case queueEnableFailed(queue: Int, transmit: Bool)
    /// The SR-IOV capability refused the VF programming.
    case sriov(SRIOVEnableError)
    /// SR-IOV is already enabled, or the PF's queues were set up before it (its pool moves).
    case sriovOrderViolation(String)
    /// No reply (or no PFACK) from the PF within the mailbox timeout.
    case mailboxTimeout(IxgbeMailboxMessageID)
    /// The other side held the mailbox lock for the whole timeout.
    case mailboxBusy
    /// The PF refused the request.
    case nacked(IxgbeMailboxMessageID)
    /// The PF refused the request because the VF has not completed a reset handshake (no CTS):
    /// the VF must call `start()` again.
    case notClearToSend(IxgbeMailboxMessageID)
    /// The PF answered RESET with NACK: it has no MAC address for this VF.
    case noMACAddress
    /// The PF accepted none of the API versions the driver speaks.
    case apiNegotiationFailed
    /// The negotiated API version does not have the request.
    case unsupportedByAPI(IxgbeMailboxMessageID, IxgbeMailboxAPI)
    /// The reply did not answer the request.
    case unexpectedReply(IxgbeMailboxMessage)
    /// The driver has not been started.
    case notStarted
    /// No such queue.
    case queueOutOfRange(Int)

    public var description: String {
        switch self {
        case .notFound(let v, let d): "not an Intel 82599 function (\(String(v, radix: 16)):\(String(d, radix: 16)))"
        case .resetTimeout(let what): "reset did not complete: \(what) never came"
        case .allocation(let e): "DMA allocation failed: \(e)"
        case .invalidConfiguration(let why): "invalid configuration: \(why)"
        case .queueEnableFailed(let q, let tx): "\(tx ? "TX" : "RX") queue \(q) did not enable"
        case .sriov(let e): "SR-IOV: \(e)"
        case .sriovOrderViolation(let why): "SR-IOV: \(why)"
        case .mailboxTimeout(let id): "mailbox: no answer to \(id)"
        case .mailboxBusy: "mailbox: lock held by the other side"
        case .nacked(let id): "mailbox: PF refused \(id)"
        case .notClearToSend(let id): "mailbox: \(id) refused, VF not clear to send (reset it)"
        case .noMACAddress: "mailbox: PF has no MAC address for this VF"
        case .apiNegotiationFailed: "mailbox: no common API version"
        case .unsupportedByAPI(let id, let api): "mailbox: \(id) needs a newer API than \(api)"
        case .unexpectedReply(let m): "mailbox: unexpected reply \(m)"
        case .notStarted: "driver not started"
        case .queueOutOfRange(let q): "no queue \(q)"
        }
    }
}
