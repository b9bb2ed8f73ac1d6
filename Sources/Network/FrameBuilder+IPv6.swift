extension FrameBuilder {
    /// A UDP/IPv6 frame (hop limit 64, no extension headers); `vlan` and `frameLength` as for IPv4.
    public static func udp6(
        source: MACAddress, destination: MACAddress, vlan: UInt16? = nil, sourceIP: IPv6Address,
        destinationIP: IPv6Address, sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8] = [],
        frameLength: Int? = nil
    ) -> [UInt8] {
        ipv6Frame(
            .udp, source: source, destination: destination, vlan: vlan, sourceIP: sourceIP,
            destinationIP: destinationIP, sourcePort: sourcePort, destinationPort: destinationPort, payload: payload,
            frameLength: frameLength)
    }

    /// A TCP/IPv6 frame (hop limit 64, no extension headers); `vlan` and `frameLength` as for IPv4.
    public static func tcp6(
        source: MACAddress, destination: MACAddress, vlan: UInt16? = nil, sourceIP: IPv6Address,
        destinationIP: IPv6Address, sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8] = [],
        frameLength: Int? = nil
    ) -> [UInt8] {
        ipv6Frame(
            .tcp, source: source, destination: destination, vlan: vlan, sourceIP: sourceIP,
            destinationIP: destinationIP, sourcePort: sourcePort, destinationPort: destinationPort, payload: payload,
            frameLength: frameLength)
    }

    /// A UDP/IPv6 frame with textual addresses ("3ffe:2501:200:3::1"); nil when one does not parse.
    public static func udp6(
        source: MACAddress, destination: MACAddress, vlan: UInt16? = nil, sourceIP: String, destinationIP: String,
        sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8] = [], frameLength: Int? = nil
    ) -> [UInt8]? {
        guard let from = IPv6Address(sourceIP), let to = IPv6Address(destinationIP) else { return nil }
        return udp6(
            source: source, destination: destination, vlan: vlan, sourceIP: from, destinationIP: to,
            sourcePort: sourcePort, destinationPort: destinationPort, payload: payload, frameLength: frameLength)
    }

    /// A TCP/IPv6 frame with textual addresses; nil when one does not parse.
    public static func tcp6(
        source: MACAddress, destination: MACAddress, vlan: UInt16? = nil, sourceIP: String, destinationIP: String,
        sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8] = [], frameLength: Int? = nil
    ) -> [UInt8]? {
        guard let from = IPv6Address(sourceIP), let to = IPv6Address(destinationIP) else { return nil }
        return tcp6(
            source: source, destination: destination, vlan: vlan, sourceIP: from, destinationIP: to,
            sourcePort: sourcePort, destinationPort: destinationPort, payload: payload, frameLength: frameLength)
    }

    /// Ethernet + IPv6 fixed header + TCP/UDP with a correct checksum.
    static func ipv6Frame(
        _ transport: Transport, source: MACAddress, destination: MACAddress, vlan: UInt16?, sourceIP: IPv6Address,
        destinationIP: IPv6Address, sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8], frameLength: Int?
    ) -> [UInt8] {
        let ethernet = ethernetHeader(source: source, destination: destination, vlan: vlan, etherType: EtherType.ipv6)
        let body = padded(payload, overhead: ethernet.count + 40 + transport.headerLength, frameLength: frameLength)
        var segment = self.segment(
            transport, sourcePort: sourcePort, destinationPort: destinationPort, payload: body)
        var pseudoHeader = InternetChecksum()
        for half in [sourceIP.high, sourceIP.low, destinationIP.high, destinationIP.low] {
            pseudoHeader.add(doubleWord: UInt32(truncatingIfNeeded: half >> 32))
            pseudoHeader.add(doubleWord: UInt32(truncatingIfNeeded: half))
        }
        pseudoHeader.add(doubleWord: UInt32(truncatingIfNeeded: segment.count))
        pseudoHeader.add(word: UInt16(transport.protocolNumber))
        finishChecksum(&segment, transport, pseudoHeader: pseudoHeader)

        var ip: [UInt8] = [0x60, 0x00, 0x00, 0x00]  // version 6, traffic class 0, flow label 0
        ip.appendBigEndian(UInt16(truncatingIfNeeded: segment.count))
        ip += [transport.protocolNumber, 64]
        ip += sourceIP.octets
        ip += destinationIP.octets
        return ethernet + ip + segment
    }
}
