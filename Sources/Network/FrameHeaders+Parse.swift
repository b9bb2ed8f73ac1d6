extension FrameHeaders {
    /// Ethernet header length without a tag.
    static let ethernetHeaderLength = 14
    /// Length of one 802.1Q tag.
    static let vlanTagLength = 4

    /// Parses the headers of `frame` (destination address first, no FCS).
    ///
    /// Returns nil when the frame is shorter than the 14-byte Ethernet header. Everything else is
    /// bounds checked against `frame.count`: a truncated or malformed header yields fewer fields,
    /// never a trap. Handles one 802.1Q tag (EtherType 0x8100), IPv4 with options and IPv6's
    /// fixed header. No allocation, no dynamic dispatch.
    public static func parse(_ frame: UnsafeRawBufferPointer) -> FrameHeaders? {
        let count = frame.count
        guard count >= ethernetHeaderLength else { return nil }
        var headers = FrameHeaders(
            destination: MACAddress(frame, at: 0), source: MACAddress(frame, at: 6),
            etherType: frame.bigEndianUInt16(at: 12))
        if headers.etherType == EtherType.vlan {
            headers.l3Offset = ethernetHeaderLength + vlanTagLength
            guard count >= headers.l3Offset else { return headers }
            headers.vlanTag = frame.bigEndianUInt16(at: 14)
            headers.etherType = frame.bigEndianUInt16(at: 16)
        }
        switch headers.etherType {
        case EtherType.ipv4: headers.parseIPv4(frame)
        case EtherType.ipv6: headers.parseIPv6(frame)
        default: break
        }
        return headers
    }

    /// Fills the IPv4 fields when a complete fixed header is present.
    @inline(__always)
    private mutating func parseIPv4(_ frame: UnsafeRawBufferPointer) {
        let l3 = l3Offset
        guard frame.count - l3 >= 20 else { return }
        let versionAndLength = frame[l3]
        let headerLength = Int(versionAndLength & 0x0F) * 4
        guard versionAndLength >> 4 == 4, headerLength >= 20 else { return }
        ipVersion = 4
        l3HeaderLength = headerLength
        l4Offset = l3 + headerLength
        isFragment = frame.bigEndianUInt16(at: l3 + 6) & 0x3FFF != 0
        l4Protocol = frame[l3 + 9]
        ipv4Source = frame.bigEndianUInt32(at: l3 + 12)
        ipv4Destination = frame.bigEndianUInt32(at: l3 + 16)
        if !isFragment { parsePorts(frame) }
    }

    /// Fills the IPv6 fields when the 40-byte fixed header is present.
    @inline(__always)
    private mutating func parseIPv6(_ frame: UnsafeRawBufferPointer) {
        let l3 = l3Offset
        guard frame.count - l3 >= 40, frame[l3] >> 4 == 6 else { return }
        ipVersion = 6
        l3HeaderLength = 40
        l4Offset = l3 + 40
        l4Protocol = frame[l3 + 6]
        ipv6Source = IPv6Address(frame, at: l3 + 8)
        ipv6Destination = IPv6Address(frame, at: l3 + 24)
        parsePorts(frame)
    }

    /// Reads the ports of a TCP or UDP header when its first four bytes are present.
    @inline(__always)
    private mutating func parsePorts(_ frame: UnsafeRawBufferPointer) {
        guard l4Protocol == IPProtocolNumber.tcp || l4Protocol == IPProtocolNumber.udp,
            frame.count - l4Offset >= 4
        else { return }
        sourcePort = frame.bigEndianUInt16(at: l4Offset)
        destinationPort = frame.bigEndianUInt16(at: l4Offset + 2)
    }
}
