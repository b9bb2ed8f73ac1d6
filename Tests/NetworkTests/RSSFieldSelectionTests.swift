import Network
import Testing

private let hasher = ToeplitzHasher(key: .microsoftVerification)

/// The first Microsoft IPv4 vector as a frame.
private func vectorFrame(udp: Bool, fragment: Bool = false) throws -> FrameHeaders {
    var frame: [UInt8]
    if udp {
        frame = FrameBuilder.udp(
            source: Hosts.peer, destination: Hosts.nic, sourceIP: 0x4209_95BB, destinationIP: 0xA18E_6450,
            sourcePort: 2794, destinationPort: 1766)
    } else {
        frame = FrameBuilder.tcp(
            source: Hosts.peer, destination: Hosts.nic, sourceIP: 0x4209_95BB, destinationIP: 0xA18E_6450,
            sourcePort: 2794, destinationPort: 1766)
    }
    if fragment { frame[20] |= 0x20 }  // More Fragments
    return try #require(parse(frame))
}

@Test func mrqcFieldBitsDecodeAtTheirRegisterPositions() {
    // Linux ixgbe's default: RSSEN | IPV4_TCP | IPV4 | IPV6 | IPV6_TCP.
    let fields = RSSFieldSelection(mrqc: 0x0033_0001)
    #expect(fields == .standard)
    #expect(fields.contains(.tcpIPv4) && fields.contains(.ipv4) && fields.contains(.ipv6) && fields.contains(.tcpIPv6))
    #expect(!fields.contains(.udpIPv4) && !fields.contains(.udpIPv6))
    #expect(RSSFieldSelection(mrqc: 0xFFFF_FFFF).rawValue == 0x01FF_0000)
    #expect(RSSFieldSelection.udpIPv4.rawValue == 0x0040_0000 && RSSFieldSelection.udpIPv6.rawValue == 0x0080_0000)
    #expect(RSSFieldSelection.tcpIPv6Ex.rawValue == 0x0004_0000 && RSSFieldSelection.ipv6Ex.rawValue == 0x0008_0000)
    #expect(RSSFieldSelection(mrqc: 0x0000_000B).isEmpty)
}

@Test func rssTypeCodesMatchTheDescriptorEncoding() {
    #expect(RSSHashType.allCases.map(\.rawValue) == Array(0...9))
    #expect(RSSHashType.allCases.filter(\.includesPorts) == [.tcpIPv4, .tcpIPv6, .tcpIPv6Ex, .udpIPv4, .udpIPv6, .udpIPv6Ex])
}

@Test func ipv4OnlySelectionHashesAddressesEvenForTCP() throws {
    let result = hasher.rssHash(of: try vectorFrame(udp: false), fields: .ipv4)
    #expect(result.hash == 0x323E_8FC2 && result.type == .ipv4)
}

@Test func tcpSelectionHashesPortsForTCP() throws {
    let result = hasher.rssHash(of: try vectorFrame(udp: false), fields: [.tcpIPv4, .ipv4])
    #expect(result.hash == 0x51CC_C178 && result.type == .tcpIPv4)
}

@Test func udpWithUDPHashingDisabledFallsBackToAddressesOnly() throws {
    let result = hasher.rssHash(of: try vectorFrame(udp: true), fields: [.tcpIPv4, .ipv4])
    #expect(result.hash == 0x323E_8FC2 && result.type == .ipv4)
    let enabled = hasher.rssHash(of: try vectorFrame(udp: true), fields: [.tcpIPv4, .ipv4, .udpIPv4])
    #expect(enabled.hash == 0x51CC_C178 && enabled.type == .udpIPv4)
}

@Test func noApplicableFunctionGivesNoHash() throws {
    let tcpWithOnlyUDP = hasher.rssHash(of: try vectorFrame(udp: false), fields: .udpIPv4)
    #expect(tcpWithOnlyUDP.hash == 0 && tcpWithOnlyUDP.type == .none)
    let ipv4WithOnlyIPv6 = hasher.rssHash(of: try vectorFrame(udp: false), fields: [.ipv6, .tcpIPv6])
    #expect(ipv4WithOnlyIPv6.hash == 0 && ipv4WithOnlyIPv6.type == .none)
    let exOnly = hasher.rssHash(of: try vectorFrame(udp: false), fields: [.ipv6Ex, .tcpIPv6Ex, .udpIPv6Ex])
    #expect(exOnly.type == .none)
    let arp = try #require(
        parse(FrameBuilder.raw(source: Hosts.peer, destination: .broadcast, etherType: EtherType.arp, payload: [])))
    let nonIP = hasher.rssHash(of: arp, fields: RSSFieldSelection(mrqc: 0xFFFF_FFFF))
    #expect(nonIP.hash == 0 && nonIP.type == .none)
}

@Test func fragmentsUseTheAddressOnlyFunction() throws {
    let fragment = try vectorFrame(udp: false, fragment: true)
    let result = hasher.rssHash(of: fragment, fields: [.tcpIPv4, .ipv4])
    #expect(result.hash == 0x323E_8FC2 && result.type == .ipv4)
    #expect(hasher.rssHash(of: fragment, fields: .tcpIPv4).type == .none)
}

@Test func ipv6SelectionFollowsTheSamePriority() throws {
    let source = try #require(IPv6Address("3ffe:2501:200:1fff::7"))
    let destination = try #require(IPv6Address("3ffe:2501:200:3::1"))
    let udp = try #require(
        parse(
            FrameBuilder.udp6(
                source: Hosts.peer, destination: Hosts.nic, sourceIP: source, destinationIP: destination,
                sourcePort: 2794, destinationPort: 1766)))
    let fallback = hasher.rssHash(of: udp, fields: .standard)
    #expect(fallback.hash == 0x2CC1_8CD5 && fallback.type == .ipv6)
    let withUDP = hasher.rssHash(of: udp, fields: [.ipv6, .udpIPv6])
    #expect(withUDP.hash == 0x4020_7D3D && withUDP.type == .udpIPv6)
    #expect(hasher.rssHash(of: udp, fields: [.ipv4, .tcpIPv4, .udpIPv4]).type == .none)
}
