extension ToeplitzHasher {
    /// The RSS hash and RSS type the 82599 reports for a parsed frame.
    ///
    /// Function choice, in the datasheet's priority order (skipping functions not in `fields`):
    /// - IPv4: TcpIPv4 for TCP, UdpIPv4 for UDP, otherwise IPv4 (addresses only).
    /// - IPv6: TcpIPv6 for TCP, UdpIPv6 for UDP, otherwise IPv6 (addresses only).
    /// - Anything else, or no enabled function applies: `(0, .none)`.
    ///
    /// The port variants need the ports: IPv4 fragments and truncated L4 headers fall back to the
    /// address-only function. Input bytes follow Microsoft's definition: source address,
    /// destination address, source port, destination port, each in wire order. The *Ex fields
    /// are ignored (see ``RSSFieldSelection``). No allocation: the input is never materialised;
    /// each field's bytes are looked up in place.
    public func rssHash(of headers: FrameHeaders, fields: RSSFieldSelection) -> (hash: UInt32, type: RSSHashType) {
        switch headers.ipVersion {
        case 4:
            let addresses = contribution(headers.ipv4Source, at: 0) ^ contribution(headers.ipv4Destination, at: 4)
            if let sourcePort = headers.sourcePort, let destinationPort = headers.destinationPort {
                let ports = contribution(sourcePort, at: 8) ^ contribution(destinationPort, at: 10)
                if headers.l4Protocol == IPProtocolNumber.tcp && fields.contains(.tcpIPv4) {
                    return (addresses ^ ports, .tcpIPv4)
                }
                if headers.l4Protocol == IPProtocolNumber.udp && fields.contains(.udpIPv4) {
                    return (addresses ^ ports, .udpIPv4)
                }
            }
            return fields.contains(.ipv4) ? (addresses, .ipv4) : (0, .none)
        case 6:
            let addresses =
                contribution(headers.ipv6Source.high, at: 0) ^ contribution(headers.ipv6Source.low, at: 8)
                ^ contribution(headers.ipv6Destination.high, at: 16) ^ contribution(headers.ipv6Destination.low, at: 24)
            if let sourcePort = headers.sourcePort, let destinationPort = headers.destinationPort {
                let ports = contribution(sourcePort, at: 32) ^ contribution(destinationPort, at: 34)
                if headers.l4Protocol == IPProtocolNumber.tcp && fields.contains(.tcpIPv6) {
                    return (addresses ^ ports, .tcpIPv6)
                }
                if headers.l4Protocol == IPProtocolNumber.udp && fields.contains(.udpIPv6) {
                    return (addresses ^ ports, .udpIPv6)
                }
            }
            return fields.contains(.ipv6) ? (addresses, .ipv6) : (0, .none)
        default:
            return (0, .none)
        }
    }
}
