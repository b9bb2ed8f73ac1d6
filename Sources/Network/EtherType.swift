/// EtherType values (the 16-bit field after the MAC addresses, or after an 802.1Q tag).
public enum EtherType {
    /// Internet Protocol version 4.
    public static let ipv4: UInt16 = 0x0800
    /// Address Resolution Protocol.
    public static let arp: UInt16 = 0x0806
    /// IEEE 802.1Q VLAN tag (the tag control information and the inner EtherType follow).
    public static let vlan: UInt16 = 0x8100
    /// Internet Protocol version 6.
    public static let ipv6: UInt16 = 0x86DD
}

/// IP protocol numbers (IPv4 Protocol, IPv6 Next Header) the frame parser and RSS know.
public enum IPProtocolNumber {
    /// Transmission Control Protocol.
    public static let tcp: UInt8 = 6
    /// User Datagram Protocol.
    public static let udp: UInt8 = 17
}
