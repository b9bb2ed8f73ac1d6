import Network
import Testing

@Test func parsesUDPOverIPv4() throws {
    let frame = try #require(
        FrameBuilder.udp(
            source: Hosts.peer, destination: Hosts.nic, sourceIP: "66.9.149.187", destinationIP: "161.142.100.80",
            sourcePort: 2794, destinationPort: 1766, payload: [1, 2, 3]))
    let headers = try #require(parse(frame))
    #expect(headers.destination == Hosts.nic)
    #expect(headers.source == Hosts.peer)
    #expect(headers.vlanTag == nil && headers.vlanID == nil && headers.vlanPriority == nil)
    #expect(headers.etherType == EtherType.ipv4)
    #expect(headers.l3Offset == 14)
    #expect(headers.ipVersion == 4)
    #expect(headers.ipv4Source == 0x4209_95BB)
    #expect(headers.ipv4Destination == 0xA18E_6450)
    #expect(headers.l3HeaderLength == 20)
    #expect(headers.l4Offset == 34)
    #expect(headers.l4Protocol == IPProtocolNumber.udp && headers.isUDP && !headers.isTCP)
    #expect(!headers.isFragment)
    #expect(headers.sourcePort == 2794 && headers.destinationPort == 1766)
}

@Test func parsesTCPOverIPv4InsideAVLANTag() throws {
    let frame = FrameBuilder.tcp(
        source: Hosts.peer, destination: Hosts.nic, vlan: 0xA00C, sourceIP: 0x0A00_0002, destinationIP: 0x0A00_0001,
        sourcePort: 40000, destinationPort: 80)
    let headers = try #require(parse(frame))
    #expect(headers.vlanTag == 0xA00C)
    #expect(headers.vlanID == 12)
    #expect(headers.vlanPriority == 5)
    #expect(headers.etherType == EtherType.ipv4)
    #expect(headers.l3Offset == 18 && headers.l4Offset == 38)
    #expect(headers.isTCP)
    #expect(headers.ipv4Source == 0x0A00_0002 && headers.ipv4Destination == 0x0A00_0001)
    #expect(headers.sourcePort == 40000 && headers.destinationPort == 80)
}

@Test func parsesTCPAndUDPOverIPv6() throws {
    let source = try #require(IPv6Address("3ffe:2501:200:1fff::7"))
    let destination = try #require(IPv6Address("3ffe:2501:200:3::1"))
    let tcp = FrameBuilder.tcp6(
        source: Hosts.peer, destination: Hosts.nic, sourceIP: source, destinationIP: destination, sourcePort: 2794,
        destinationPort: 1766)
    let udp = FrameBuilder.udp6(
        source: Hosts.peer, destination: Hosts.nic, vlan: 100, sourceIP: source, destinationIP: destination,
        sourcePort: 2794, destinationPort: 1766)
    for (frame, l3, isTCP) in [(tcp, 14, true), (udp, 18, false)] {
        let headers = try #require(parse(frame))
        #expect(headers.etherType == EtherType.ipv6)
        #expect(headers.ipVersion == 6)
        #expect(headers.l3Offset == l3 && headers.l3HeaderLength == 40 && headers.l4Offset == l3 + 40)
        #expect(headers.ipv6Source == source && headers.ipv6Destination == destination)
        #expect(headers.ipv4Source == 0 && headers.ipv4Destination == 0)
        #expect(headers.isTCP == isTCP && headers.isUDP == !isTCP)
        #expect(headers.sourcePort == 2794 && headers.destinationPort == 1766)
    }
}

@Test func ipv4OptionsAreSkippedToFindThePorts() throws {
    var frame = FrameBuilder.udp(
        source: Hosts.peer, destination: Hosts.nic, sourceIP: 1, destinationIP: 2, sourcePort: 1111, destinationPort: 2222)
    frame.insert(contentsOf: [0x01, 0x01, 0x01, 0x00], at: 34)  // NOP, NOP, NOP, End of options
    frame[14] = 0x46
    let headers = try #require(parse(frame))
    #expect(headers.l3HeaderLength == 24 && headers.l4Offset == 38)
    #expect(headers.sourcePort == 1111 && headers.destinationPort == 2222)
}

@Test func ipv4FragmentsReportNoPortsButDontFragmentDoes() throws {
    let frame = FrameBuilder.tcp(
        source: Hosts.peer, destination: Hosts.nic, sourceIP: 1, destinationIP: 2, sourcePort: 1, destinationPort: 2)
    #expect(frame[20] == 0x40, "built with DF")
    #expect(try #require(parse(frame)).sourcePort == 1)
    for (flagsHigh, flagsLow) in [(UInt8(0x20), UInt8(0x00)), (0x00, 0x01), (0x1F, 0xFF), (0x60, 0x00)] {
        var fragment = frame
        fragment[20] = flagsHigh
        fragment[21] = flagsLow
        let headers = try #require(parse(fragment))
        #expect(headers.isFragment)
        #expect(headers.ipVersion == 4 && headers.l4Protocol == IPProtocolNumber.tcp)
        #expect(headers.sourcePort == nil && headers.destinationPort == nil && !headers.hasPorts)
    }
}

@Test func ipv6ExtensionHeadersAreNotWalked() throws {
    var frame = FrameBuilder.udp6(
        source: Hosts.peer, destination: Hosts.nic, sourceIP: .unspecified, destinationIP: .unspecified, sourcePort: 1,
        destinationPort: 2)
    frame[20] = 0  // Next Header: hop-by-hop options
    let headers = try #require(parse(frame))
    #expect(headers.ipVersion == 6 && headers.l4Protocol == 0)
    #expect(headers.sourcePort == nil)
}

@Test func nonIPAndMismatchedVersionFramesStopAtLayerTwo() throws {
    let arp = FrameBuilder.raw(
        source: Hosts.peer, destination: .broadcast, etherType: EtherType.arp, payload: [UInt8](repeating: 0, count: 28))
    let headers = try #require(parse(arp))
    #expect(headers.destination == .broadcast && headers.etherType == EtherType.arp)
    #expect(headers.ipVersion == 0 && headers.l4Protocol == 0 && headers.sourcePort == nil)

    var wrongVersion = FrameBuilder.udp(
        source: Hosts.peer, destination: Hosts.nic, sourceIP: 1, destinationIP: 2, sourcePort: 1, destinationPort: 2)
    wrongVersion[14] = 0x65
    #expect(try #require(parse(wrongVersion)).ipVersion == 0)
    wrongVersion[14] = 0x44  // IHL 4 is below the minimum
    #expect(try #require(parse(wrongVersion)).ipVersion == 0)
}

@Test func framesShorterThanAnEthernetHeaderDoNotParse() {
    #expect(parse([]) == nil)
    #expect(parse([UInt8](repeating: 0xFF, count: 13)) == nil)
    #expect(parse([UInt8](repeating: 0xFF, count: 14)) != nil)
}

@Test func aTagCutOffLeavesTheVLANEtherTypeAndNoLayerThree() throws {
    let frame = FrameBuilder.raw(
        source: Hosts.peer, destination: Hosts.nic, vlan: 5, etherType: EtherType.ipv4, payload: [])
    let cut = try #require(parse(Array(frame[..<16])))
    #expect(cut.etherType == EtherType.vlan && cut.vlanTag == nil && cut.ipVersion == 0)
    #expect(cut.l3Offset == 18)
}
