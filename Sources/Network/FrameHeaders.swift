/// What the NIC needs from the start of an Ethernet frame: addresses, an optional 802.1Q tag, the
/// IPv4 or IPv6 header and the TCP/UDP ports. Produced by ``parse(_:)`` without allocating.
///
/// Fields that the frame is too short to contain (or that do not apply) keep their empty values:
/// `nil` for the optionals, 0 for the numbers, ``IPv6Address/unspecified`` for IPv6 addresses.
/// Offsets are from the first byte of the destination address; the frame carries no FCS.
public struct FrameHeaders: Hashable, Sendable {
    /// Destination MAC address (bytes 0-5).
    public internal(set) var destination: MACAddress
    /// Source MAC address (bytes 6-11).
    public internal(set) var source: MACAddress
    /// The 802.1Q tag control information (priority 15:13, DEI 12, VLAN ID 11:0), or nil when the
    /// frame is untagged or the tag is cut off.
    public internal(set) var vlanTag: UInt16?
    /// The EtherType after a single 802.1Q tag; ``EtherType/vlan`` when the tag is cut off.
    public internal(set) var etherType: UInt16
    /// Offset of the layer 3 header: 14, or 18 after an 802.1Q tag. It can exceed the frame length
    /// when the frame ends inside the tag (``ipVersion`` is then 0).
    public internal(set) var l3Offset: Int
    /// 4 or 6 when a complete IPv4 (version 4, IHL >= 5, 20 bytes present) or IPv6 (version 6,
    /// 40 bytes present) header follows; 0 otherwise.
    public internal(set) var ipVersion: UInt8
    /// IPv4 source address (network order as a value: 66.9.149.187 is 0x420995BB); 0 unless IPv4.
    public internal(set) var ipv4Source: UInt32
    /// IPv4 destination address; 0 unless IPv4.
    public internal(set) var ipv4Destination: UInt32
    /// IPv6 source address; unspecified unless IPv6.
    public internal(set) var ipv6Source: IPv6Address
    /// IPv6 destination address; unspecified unless IPv6.
    public internal(set) var ipv6Destination: IPv6Address
    /// IP header length in bytes: IHL × 4 for IPv4 (options included), 40 for IPv6, 0 otherwise.
    public internal(set) var l3HeaderLength: Int
    /// IPv4 Protocol, or the IPv6 Next Header field of the fixed header (extension headers are not
    /// walked, so a packet with extension headers reports the first extension's number and no
    /// ports); 0 when there is no IP header.
    public internal(set) var l4Protocol: UInt8
    /// True for an IPv4 fragment (More Fragments set or a non-zero fragment offset). Fragments
    /// never report ports, not even the first one. Always false for IPv6.
    public internal(set) var isFragment: Bool
    /// Offset of the IP payload (`l3Offset + l3HeaderLength`); 0 when there is no IP header.
    public internal(set) var l4Offset: Int
    /// TCP or UDP source port, present when ``l4Protocol`` is TCP or UDP, the packet is not a
    /// fragment and the frame holds the first four bytes of the L4 header.
    public internal(set) var sourcePort: UInt16?
    /// TCP or UDP destination port, present exactly when ``sourcePort`` is.
    public internal(set) var destinationPort: UInt16?

    /// The VLAN ID (tag bits 11:0), or nil when untagged.
    public var vlanID: UInt16? { vlanTag.map { $0 & 0x0FFF } }
    /// The 802.1p priority (tag bits 15:13), or nil when untagged.
    public var vlanPriority: UInt8? { vlanTag.map { UInt8(truncatingIfNeeded: $0 >> 13) } }
    /// True when ``sourcePort`` and ``destinationPort`` are known.
    public var hasPorts: Bool { sourcePort != nil }
    /// True for a TCP segment in an IPv4 or IPv6 packet (ports may still be missing).
    public var isTCP: Bool { ipVersion != 0 && l4Protocol == IPProtocolNumber.tcp }
    /// True for a UDP datagram in an IPv4 or IPv6 packet (ports may still be missing).
    public var isUDP: Bool { ipVersion != 0 && l4Protocol == IPProtocolNumber.udp }

    /// Headers with only the Ethernet addresses filled in.
    init(destination: MACAddress, source: MACAddress, etherType: UInt16) {
        self.destination = destination
        self.source = source
        self.vlanTag = nil
        self.etherType = etherType
        self.l3Offset = 14
        self.ipVersion = 0
        self.ipv4Source = 0
        self.ipv4Destination = 0
        self.ipv6Source = .unspecified
        self.ipv6Destination = .unspecified
        self.l3HeaderLength = 0
        self.l4Protocol = 0
        self.isFragment = false
        self.l4Offset = 0
        self.sourcePort = nil
        self.destinationPort = nil
    }
}
