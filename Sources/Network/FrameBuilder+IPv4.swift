extension FrameBuilder {
    /// A UDP/IPv4 frame. Addresses are numbers (66.9.149.187 is 0x420995BB); `vlan` is the whole
    /// tag control information; `frameLength` (without FCS) extends the payload with zeros so
    /// the frame has exactly that length when it would be shorter.
    public static func udp(
        source: MACAddress, destination: MACAddress, vlan: UInt16? = nil, sourceIP: UInt32, destinationIP: UInt32,
        sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8] = [], frameLength: Int? = nil
    ) -> [UInt8] {
        ipv4Frame(
            .udp, source: source, destination: destination, vlan: vlan, sourceIP: sourceIP,
            destinationIP: destinationIP, sourcePort: sourcePort, destinationPort: destinationPort, payload: payload,
            frameLength: frameLength)
    }

    /// A TCP/IPv4 frame (PSH|ACK, no options); parameters as for the numeric-address `udp`.
    public static func tcp(
        source: MACAddress, destination: MACAddress, vlan: UInt16? = nil, sourceIP: UInt32, destinationIP: UInt32,
        sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8] = [], frameLength: Int? = nil
    ) -> [UInt8] {
        ipv4Frame(
            .tcp, source: source, destination: destination, vlan: vlan, sourceIP: sourceIP,
            destinationIP: destinationIP, sourcePort: sourcePort, destinationPort: destinationPort, payload: payload,
            frameLength: frameLength)
    }

    /// A UDP/IPv4 frame with dotted-quad addresses; nil when an address does not parse.
    public static func udp(
        source: MACAddress, destination: MACAddress, vlan: UInt16? = nil, sourceIP: String, destinationIP: String,
        sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8] = [], frameLength: Int? = nil
    ) -> [UInt8]? {
        guard let from = IPv4Address(sourceIP), let to = IPv4Address(destinationIP) else { return nil }
        return udp(
            source: source, destination: destination, vlan: vlan, sourceIP: from.value, destinationIP: to.value,
            sourcePort: sourcePort, destinationPort: destinationPort, payload: payload, frameLength: frameLength)
    }

    /// A TCP/IPv4 frame with dotted-quad addresses; nil when an address does not parse.
    public static func tcp(
        source: MACAddress, destination: MACAddress, vlan: UInt16? = nil, sourceIP: String, destinationIP: String,
        sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8] = [], frameLength: Int? = nil
    ) -> [UInt8]? {
        guard let from = IPv4Address(sourceIP), let to = IPv4Address(destinationIP) else { return nil }
        return tcp(
            source: source, destination: destination, vlan: vlan, sourceIP: from.value, destinationIP: to.value,
            sourcePort: sourcePort, destinationPort: destinationPort, payload: payload, frameLength: frameLength)
    }

    /// Ethernet + IPv4 (20 bytes, DF, TTL 64, checksum) + TCP/UDP with a correct checksum.
    static func ipv4Frame(
        _ transport: Transport, source: MACAddress, destination: MACAddress, vlan: UInt16?, sourceIP: UInt32,
        destinationIP: UInt32, sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8], frameLength: Int?
    ) -> [UInt8] {
        let ethernet = ethernetHeader(source: source, destination: destination, vlan: vlan, etherType: EtherType.ipv4)
        let body = padded(payload, overhead: ethernet.count + 20 + transport.headerLength, frameLength: frameLength)
        var segment = self.segment(
            transport, sourcePort: sourcePort, destinationPort: destinationPort, payload: body)
        var pseudoHeader = InternetChecksum()
        pseudoHeader.add(doubleWord: sourceIP)
        pseudoHeader.add(doubleWord: destinationIP)
        pseudoHeader.add(word: UInt16(transport.protocolNumber))
        pseudoHeader.add(word: UInt16(truncatingIfNeeded: segment.count))
        finishChecksum(&segment, transport, pseudoHeader: pseudoHeader)

        var ip: [UInt8] = [0x45, 0x00]  // version 4, IHL 5; DSCP/ECN 0
        ip.appendBigEndian(UInt16(truncatingIfNeeded: 20 + segment.count))
        ip.appendBigEndian(UInt16(0))  // identification
        ip.appendBigEndian(UInt16(0x4000))  // DF, fragment offset 0
        ip += [64, transport.protocolNumber]
        ip.appendBigEndian(UInt16(0))  // header checksum, below
        ip.appendBigEndian(sourceIP)
        ip.appendBigEndian(destinationIP)
        var headerChecksum = InternetChecksum()
        headerChecksum.add(ip)
        ip.setBigEndian(headerChecksum.value, at: 10)
        return ethernet + ip + segment
    }
}
