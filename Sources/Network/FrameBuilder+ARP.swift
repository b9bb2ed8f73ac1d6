extension FrameBuilder {
    /// An Ethernet/IPv4 ARP frame (htype 1, ptype 0x0800, hlen 6, plen 4): `operation` 1 is a
    /// request, 2 a reply. The sender hardware address is `source`; addresses are numbers as for
    /// ``udp(source:destination:vlan:sourceIP:destinationIP:sourcePort:destinationPort:payload:frameLength:)``.
    /// `vlan` and `frameLength` (zero padding, e.g. 60) as for ``raw(source:destination:vlan:etherType:payload:frameLength:)``.
    public static func arp(
        operation: UInt16, source: MACAddress, destination: MACAddress = .broadcast, vlan: UInt16? = nil,
        senderIP: UInt32, targetMAC: MACAddress = MACAddress(0), targetIP: UInt32, frameLength: Int? = nil
    ) -> [UInt8] {
        var body: [UInt8] = []
        body.appendBigEndian(UInt16(1))  // hardware type: Ethernet
        body.appendBigEndian(EtherType.ipv4)  // protocol type
        body += [6, 4]  // hardware and protocol address lengths
        body.appendBigEndian(operation)
        body += source.octets
        body.appendBigEndian(senderIP)
        body += targetMAC.octets
        body.appendBigEndian(targetIP)
        return raw(
            source: source, destination: destination, vlan: vlan, etherType: EtherType.arp, payload: body,
            frameLength: frameLength)
    }
}
