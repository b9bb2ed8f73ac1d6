import Network
import Testing

@Test func checksumMatchesTheRFC1071ExampleAndHandlesOddSplits() {
    let bytes: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
    var whole = InternetChecksum()
    whole.add(bytes)
    #expect(whole.value == ~UInt16(0xDDF2))
    for split in 0...bytes.count {
        var parts = InternetChecksum()
        parts.add(Array(bytes[..<split]))
        parts.add(Array(bytes[split...]))
        #expect(parts.value == whole.value, "split at \(split)")
    }
    var odd = InternetChecksum()
    odd.add([0x12, 0x34, 0x56])
    #expect(odd.value == naiveChecksum([0x12, 0x34, 0x56]))
}

@Test func udpFrameHasCorrectHeadersLengthsAndChecksums() throws {
    let payload: [UInt8] = [1, 2, 3, 4, 5]
    let frame = try #require(
        FrameBuilder.udp(
            source: Hosts.peer, destination: Hosts.nic, sourceIP: "10.0.0.2", destinationIP: "10.0.0.1",
            sourcePort: 5000, destinationPort: 53, payload: payload))
    #expect(frame.count == 14 + 20 + 8 + 5)
    #expect(Array(frame[0..<6]) == Hosts.nic.octets)
    #expect(Array(frame[6..<12]) == Hosts.peer.octets)
    #expect(frame[12] == 0x08 && frame[13] == 0x00)
    let ip = Array(frame[14..<34])
    #expect(ip[0] == 0x45)
    #expect(Int(ip[2]) << 8 | Int(ip[3]) == 20 + 8 + 5)
    #expect(ip[9] == 17)
    #expect(naiveChecksum(ip) == 0, "IPv4 header checksum")
    #expect(Int(frame[38]) << 8 | Int(frame[39]) == 8 + 5, "UDP length")
    #expect(Array(frame[42...]) == payload)
    #expect(transportChecksumVerifies(frame) == true)
}

@Test func tcpAndIPv6FramesCarryVerifyingTransportChecksums() throws {
    let payload = FrameBuilder.pattern(length: 33, seed: 7)
    let frames: [[UInt8]] = [
        FrameBuilder.tcp(
            source: Hosts.peer, destination: Hosts.nic, sourceIP: 0x0A00_0002, destinationIP: 0x0A00_0001,
            sourcePort: 40000, destinationPort: 80, payload: payload),
        try #require(
            FrameBuilder.tcp6(
                source: Hosts.peer, destination: Hosts.nic, vlan: 0x2005, sourceIP: "2001:db8::2",
                destinationIP: "2001:db8::1", sourcePort: 40000, destinationPort: 443, payload: payload)),
        try #require(
            FrameBuilder.udp6(
                source: Hosts.peer, destination: Hosts.nic, sourceIP: "fe80::1", destinationIP: "ff02::1",
                sourcePort: 546, destinationPort: 547, payload: payload)),
    ]
    for frame in frames {
        #expect(transportChecksumVerifies(frame) == true)
    }
}

@Test func frameLengthPadsThePayloadToTheExactSizeWithoutFCS() throws {
    #expect(FrameBuilder.frameLength(onWire: 64) == 60)
    #expect(FrameBuilder.frameLength(onWire: 1518) == 1514)
    let small = FrameBuilder.udp(
        source: Hosts.peer, destination: Hosts.nic, sourceIP: 1, destinationIP: 2, sourcePort: 1, destinationPort: 2,
        frameLength: FrameBuilder.minimumFrameLength)
    #expect(small.count == 60)
    #expect(Int(small[16]) << 8 | Int(small[17]) == 60 - 14, "IP total length covers the padding")
    #expect(transportChecksumVerifies(small) == true)
    let large = FrameBuilder.tcp(
        source: Hosts.peer, destination: Hosts.nic, vlan: 7, sourceIP: 1, destinationIP: 2, sourcePort: 1,
        destinationPort: 2, payload: [9, 9], frameLength: 1514)
    #expect(large.count == 1514)
    #expect(large[14 + 4 + 20 + 20] == 9 && large[14 + 4 + 20 + 20 + 2] == 0)
    let tooShort = FrameBuilder.tcp6(
        source: Hosts.peer, destination: Hosts.nic, sourceIP: .unspecified, destinationIP: .unspecified, sourcePort: 1,
        destinationPort: 2, frameLength: 60)
    #expect(tooShort.count == 14 + 40 + 20, "never truncated")
    let raw = FrameBuilder.raw(
        source: Hosts.peer, destination: .broadcast, etherType: EtherType.arp, payload: [1, 2, 3], frameLength: 60)
    #expect(raw.count == 60)
    #expect(Array(raw[14..<18]) == [1, 2, 3, 0])
}

@Test func vlanTagIsInsertedAfterTheSourceAddress() {
    let frame = FrameBuilder.raw(
        source: Hosts.peer, destination: Hosts.nic, vlan: 0xA00C, etherType: EtherType.arp, payload: [])
    #expect(Array(frame[12..<18]) == [0x81, 0x00, 0xA0, 0x0C, 0x08, 0x06])
}

@Test func payloadPatternIsDeterministicPerSeed() {
    #expect(FrameBuilder.pattern(length: 100, seed: 1) == FrameBuilder.pattern(length: 100, seed: 1))
    #expect(FrameBuilder.pattern(length: 100, seed: 1) != FrameBuilder.pattern(length: 100, seed: 2))
    #expect(FrameBuilder.pattern(length: 13, seed: 1) == Array(FrameBuilder.pattern(length: 100, seed: 1)[..<13]))
    #expect(FrameBuilder.pattern(length: 0, seed: 1).isEmpty)
    #expect(FrameBuilder.pattern(length: -5, seed: 1).isEmpty)
}

@Test func stringAddressBuildersRejectBadAddresses() {
    #expect(
        FrameBuilder.udp(
            source: Hosts.peer, destination: Hosts.nic, sourceIP: "10.0.0.256", destinationIP: "10.0.0.1",
            sourcePort: 1, destinationPort: 2) == nil)
    #expect(
        FrameBuilder.tcp6(
            source: Hosts.peer, destination: Hosts.nic, sourceIP: "::1", destinationIP: "1::2::3", sourcePort: 1,
            destinationPort: 2) == nil)
}
