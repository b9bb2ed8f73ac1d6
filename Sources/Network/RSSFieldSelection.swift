/// The hash functions enabled by the 82599 MRQC register's Field bits (31:16), kept at their
/// MRQC bit positions (values as in ixgbe's `IXGBE_MRQC_RSS_FIELD_*`).
///
/// The *Ex variants (bits 18, 19, 24) are carried but ignored by ``ToeplitzHasher/rssHash(of:fields:)``:
/// the model does not walk IPv6 extension headers, so they never select a function.
public struct RSSFieldSelection: OptionSet, Hashable, Sendable {
    /// The MRQC bits (only the Field bits 24:16 are meaningful).
    public let rawValue: UInt32

    /// A selection from MRQC-positioned bits.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// The Field bits of an MRQC register value (other bits, such as MRQE 3:0, are dropped).
    public init(mrqc: UInt32) {
        self.init(rawValue: mrqc & Self.mask)
    }

    /// Every Field bit defined here (24:16).
    public static let mask: UInt32 = 0x01FF_0000

    /// Bit 16: TcpIPv4 — addresses and TCP ports of IPv4 TCP segments.
    public static let tcpIPv4 = RSSFieldSelection(rawValue: 1 << 16)
    /// Bit 17: IPv4 — IPv4 addresses.
    public static let ipv4 = RSSFieldSelection(rawValue: 1 << 17)
    /// Bit 18: TcpIPv6Ex (ignored by this model).
    public static let tcpIPv6Ex = RSSFieldSelection(rawValue: 1 << 18)
    /// Bit 19: IPv6Ex (ignored by this model).
    public static let ipv6Ex = RSSFieldSelection(rawValue: 1 << 19)
    /// Bit 20: IPv6 — IPv6 addresses.
    public static let ipv6 = RSSFieldSelection(rawValue: 1 << 20)
    /// Bit 21: TcpIPv6 — addresses and TCP ports of IPv6 TCP segments.
    public static let tcpIPv6 = RSSFieldSelection(rawValue: 1 << 21)
    /// Bit 22: UdpIPv4 — addresses and UDP ports of IPv4 datagrams.
    public static let udpIPv4 = RSSFieldSelection(rawValue: 1 << 22)
    /// Bit 23: UdpIPv6 — addresses and UDP ports of IPv6 datagrams.
    public static let udpIPv6 = RSSFieldSelection(rawValue: 1 << 23)
    /// Bit 24: UdpIPv6Ex (ignored by this model).
    public static let udpIPv6Ex = RSSFieldSelection(rawValue: 1 << 24)

    /// The four Microsoft-defined functions Linux ixgbe enables by default
    /// (TcpIPv4, IPv4, IPv6, TcpIPv6).
    public static let standard: RSSFieldSelection = [.tcpIPv4, .ipv4, .ipv6, .tcpIPv6]
}
