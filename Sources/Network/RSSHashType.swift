/// The RSS Type the 82599 writes into bits 3:0 of an advanced receive descriptor's write-back
/// (datasheet 7.1.2.8; ixgbe `IXGBE_RXDADV_RSSTYPE_*`): which hash function produced the RSS hash.
public enum RSSHashType: UInt8, Sendable, CaseIterable {
    /// No hash computed (RSS off, non-IP, or no enabled function matches the packet).
    case none = 0x0
    /// TCP over IPv4: addresses and ports.
    case tcpIPv4 = 0x1
    /// IPv4 addresses only.
    case ipv4 = 0x2
    /// TCP over IPv6: addresses and ports.
    case tcpIPv6 = 0x3
    /// IPv6 with extension headers, addresses only (not produced by this model).
    case ipv6Ex = 0x4
    /// IPv6 addresses only.
    case ipv6 = 0x5
    /// TCP over IPv6 with extension headers (not produced by this model).
    case tcpIPv6Ex = 0x6
    /// UDP over IPv4: addresses and ports.
    case udpIPv4 = 0x7
    /// UDP over IPv6: addresses and ports.
    case udpIPv6 = 0x8
    /// UDP over IPv6 with extension headers (not produced by this model).
    case udpIPv6Ex = 0x9

    /// True when the hash covers the ports as well as the addresses (a layer 4 hash).
    public var includesPorts: Bool {
        switch self {
        case .tcpIPv4, .tcpIPv6, .tcpIPv6Ex, .udpIPv4, .udpIPv6, .udpIPv6Ex: return true
        case .none, .ipv4, .ipv6Ex, .ipv6: return false
        }
    }
}
