import Network
import PCIe

/// Mailbox counters the PF driver keeps per VF.
public struct IxgbeVFMailboxCounters: Sendable, Equatable {
    /// Requests read from the VF's mailbox.
    public var requests: UInt64 = 0
    /// Replies with ACK.
    public var acked: UInt64 = 0
    /// Replies with NACK (including malformed and throttled requests).
    public var nacked: UInt64 = 0
    /// Requests with an unknown id, stray flags or a bad MSGINFO/length.
    public var malformed: UInt64 = 0
    /// Requests refused because the VF exceeded its request budget.
    public var throttled: UInt64 = 0
    /// VF resets (VFLR events: FLR or VFCTRL.RST) the PF handled.
    public var resets: UInt64 = 0
    /// Times the VF held the mailbox lock when the PF wanted it.
    public var lockContention: UInt64 = 0
}

/// What the PF driver knows about one VF (a snapshot; see ``IxgbePFDriver/vfState(_:)``).
public struct IxgbeVFMailboxState: Sendable, Equatable {
    /// The VF completed RESET and may send other requests (CTS).
    public internal(set) var clearToSend = false
    /// The negotiated API version.
    public internal(set) var api = IxgbeMailboxAPI.version10
    /// The VF's current unicast address (assigned, or set by a trusted VF).
    public internal(set) var macAddress: MACAddress?
    /// VLANs the VF joined with SET_VLAN.
    public internal(set) var vlans: Set<UInt16> = []
    /// MTA hashes from the last SET_MULTICAST.
    public internal(set) var multicastHashes: [UInt16] = []
    /// Current UPDATE_XCAST_MODE mode.
    public internal(set) var xcastMode = IxgbeXcastMode.multi
    /// Largest frame from SET_LPE.
    public internal(set) var maxFrameSize: UInt32 = 1518
    /// Extra MAC filters from SET_MACVLAN (receive-address index, address).
    public internal(set) var extraAddresses: [Int: MACAddress] = [:]
    /// Counters.
    public internal(set) var counters = IxgbeVFMailboxCounters()

    // Bookkeeping of the PF driver.
    var windowStart = VirtualInstant(nanoseconds: 0)
    var requestsInWindow = 0
    var pendingRequest = false
    var pendingReply: IxgbeMailboxMessage?
}
