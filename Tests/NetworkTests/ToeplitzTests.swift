import Network
import TestSupport
import Testing

/// The fixture's addresses as RSS input bytes in wire order.
private func inputBytes(_ vector: RSSVector, withPorts: Bool) throws -> [UInt8] {
    var bytes: [UInt8]
    if vector.family == "ipv4" {
        let source = try #require(IPv4Address(vector.source)).value
        let destination = try #require(IPv4Address(vector.destination)).value
        bytes = [source, destination].flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (24 - 8 * $0)) } }
    } else {
        bytes = try #require(IPv6Address(vector.source)).octets + (try #require(IPv6Address(vector.destination)).octets)
    }
    if withPorts {
        for port in [vector.sourcePort, vector.destinationPort] { bytes += [UInt8(port >> 8), UInt8(port & 0xFF)] }
    }
    return bytes
}

/// A TCP or UDP frame carrying the vector's addresses and ports.
private func frame(_ vector: RSSVector, udp: Bool) throws -> [UInt8] {
    let built: [UInt8]?
    switch (vector.family, udp) {
    case ("ipv4", false):
        built = FrameBuilder.tcp(
            source: Hosts.peer, destination: Hosts.nic, sourceIP: vector.source, destinationIP: vector.destination,
            sourcePort: vector.sourcePort, destinationPort: vector.destinationPort, payload: [0xAB])
    case ("ipv4", true):
        built = FrameBuilder.udp(
            source: Hosts.peer, destination: Hosts.nic, vlan: 42, sourceIP: vector.source,
            destinationIP: vector.destination, sourcePort: vector.sourcePort, destinationPort: vector.destinationPort)
    case (_, false):
        built = FrameBuilder.tcp6(
            source: Hosts.peer, destination: Hosts.nic, vlan: 42, sourceIP: vector.source,
            destinationIP: vector.destination, sourcePort: vector.sourcePort, destinationPort: vector.destinationPort)
    case (_, true):
        built = FrameBuilder.udp6(
            source: Hosts.peer, destination: Hosts.nic, sourceIP: vector.source, destinationIP: vector.destination,
            sourcePort: vector.sourcePort, destinationPort: vector.destinationPort, frameLength: 128)
    }
    return try #require(built, "\(vector)")
}

@Test func fixtureHoldsTheMicrosoftKeyAndAllEightVectors() throws {
    let fixture = try RSSFixture.load()
    #expect(fixture.key == ToeplitzKey.microsoftVerification.bytes)
    #expect(fixture.vectors.filter { $0.family == "ipv4" }.count == 5)
    #expect(fixture.vectors.filter { $0.family == "ipv6" }.count == 3)
}

@Test func rawHasherReproducesEveryMicrosoftVector() throws {
    let fixture = try RSSFixture.load()
    let hasher = ToeplitzHasher(key: try #require(ToeplitzKey(bytes: fixture.key)))
    #expect(!fixture.vectors.isEmpty)
    for vector in fixture.vectors {
        let withPorts = try inputBytes(vector, withPorts: true)
        let addressesOnly = try inputBytes(vector, withPorts: false)
        #expect(withPorts.withUnsafeBytes { hasher.hash($0) } == vector.hashWithPorts, "\(vector)")
        #expect(addressesOnly.withUnsafeBytes { hasher.hash($0) } == vector.hashAddressesOnly, "\(vector)")
        #expect(withPorts.withUnsafeBytes { hasher.key.referenceHash($0) } == vector.hashWithPorts, "\(vector)")
        #expect(
            addressesOnly.withUnsafeBytes { hasher.key.referenceHash($0) } == vector.hashAddressesOnly, "\(vector)")
    }
}

@Test func builtFramesHashToEveryMicrosoftVectorThroughTheParser() throws {
    let fixture = try RSSFixture.load()
    let hasher = ToeplitzHasher(key: .microsoftVerification)
    let all: RSSFieldSelection = [.tcpIPv4, .ipv4, .tcpIPv6, .ipv6, .udpIPv4, .udpIPv6]
    for vector in fixture.vectors {
        let isIPv4 = vector.family == "ipv4"
        let tcp = try #require(parse(try frame(vector, udp: false)))
        let tcpResult = hasher.rssHash(of: tcp, fields: all)
        #expect(tcpResult.hash == vector.hashWithPorts, "\(vector)")
        #expect(tcpResult.type == (isIPv4 ? .tcpIPv4 : .tcpIPv6), "\(vector)")
        let addressOnly = hasher.rssHash(of: tcp, fields: [.ipv4, .ipv6])
        #expect(addressOnly.hash == vector.hashAddressesOnly, "\(vector)")
        #expect(addressOnly.type == (isIPv4 ? .ipv4 : .ipv6), "\(vector)")

        let udp = try #require(parse(try frame(vector, udp: true)))
        let udpResult = hasher.rssHash(of: udp, fields: all)
        #expect(udpResult.hash == vector.hashWithPorts, "\(vector)")
        #expect(udpResult.type == (isIPv4 ? .udpIPv4 : .udpIPv6), "\(vector)")
    }
}

@Test func tableHashEqualsTheBitwiseDefinitionForRandomKeysAndInputs() throws {
    var random = SplitMix64(seed: 0x7031_1172)
    for _ in 0..<20 {
        let key = try #require(ToeplitzKey(bytes: (0..<40).map { _ in UInt8(truncatingIfNeeded: random.next()) }))
        let hasher = ToeplitzHasher(key: key)
        for length in 0...40 {
            let input = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let table = input.withUnsafeBytes { hasher.hash($0) }
            #expect(table == input.withUnsafeBytes { key.referenceHash($0) }, "length \(length)")
            if length > ToeplitzHasher.maximumInputLength {
                #expect(table == Array(input[..<36]).withUnsafeBytes { hasher.hash($0) }, "bytes past 36 ignored")
            }
        }
    }
}

@Test func keyConstructionChecksLengthAndRoundTripsThroughRSSRK() throws {
    #expect(ToeplitzKey(bytes: [UInt8](repeating: 1, count: 39)) == nil)
    #expect(ToeplitzKey(bytes: [UInt8](repeating: 1, count: 41)) == nil)
    let key = ToeplitzKey.microsoftVerification
    #expect(key.rssrk.count == 10)
    #expect(key.rssrk[0] == 0xDA56_5A6D, "RSSRK(0) bits 7:0 hold key byte 0")
    #expect(ToeplitzKey(rssrk: key.rssrk) == key)
    #expect(ToeplitzKey(rssrk: [0x0403_0201]).bytes == [1, 2, 3, 4] + [UInt8](repeating: 0, count: 36))
}
