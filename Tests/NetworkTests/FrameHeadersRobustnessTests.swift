import Network
import TestSupport
import Testing

/// Checks what must hold for any parse result of an `length`-byte frame.
private func checkInvariants(_ headers: FrameHeaders, length: Int, _ context: String) {
    #expect(headers.l3Offset == 14 || headers.l3Offset == 18, "\(context)")
    if headers.vlanTag != nil { #expect(headers.l3Offset == 18 && length >= 18, "\(context)") }
    switch headers.ipVersion {
    case 0:
        #expect(headers.ipv4Source == 0 && headers.ipv4Destination == 0, "\(context)")
        #expect(headers.ipv6Source == .unspecified && headers.ipv6Destination == .unspecified, "\(context)")
        #expect(headers.l3HeaderLength == 0 && headers.l4Offset == 0 && headers.l4Protocol == 0, "\(context)")
        #expect(!headers.isFragment, "\(context)")
    case 4:
        #expect(length - headers.l3Offset >= 20, "\(context)")
        #expect((20...60).contains(headers.l3HeaderLength) && headers.l3HeaderLength % 4 == 0, "\(context)")
        #expect(headers.l4Offset == headers.l3Offset + headers.l3HeaderLength, "\(context)")
        #expect(headers.ipv6Source == .unspecified && headers.ipv6Destination == .unspecified, "\(context)")
    case 6:
        #expect(length - headers.l3Offset >= 40, "\(context)")
        #expect(headers.l3HeaderLength == 40 && headers.l4Offset == headers.l3Offset + 40, "\(context)")
        #expect(headers.ipv4Source == 0 && headers.ipv4Destination == 0 && !headers.isFragment, "\(context)")
    default:
        Issue.record("ipVersion \(headers.ipVersion): \(context)")
    }
    #expect((headers.sourcePort == nil) == (headers.destinationPort == nil), "\(context)")
    if headers.hasPorts {
        #expect(headers.isTCP || headers.isUDP, "\(context)")
        #expect(!headers.isFragment && headers.l4Offset + 4 <= length, "\(context)")
    }
}

/// Checks that a prefix of a frame parses to a subset of the whole frame's fields: truncation may
/// drop fields but never changes one, and a field whose bytes are all present is never dropped.
private func checkPrefix(_ prefix: FrameHeaders, of full: FrameHeaders, length: Int, _ context: String) {
    #expect(prefix.destination == full.destination && prefix.source == full.source, "\(context)")
    if prefix.vlanTag != nil || length >= full.l3Offset {
        #expect(prefix.vlanTag == full.vlanTag && prefix.etherType == full.etherType, "\(context)")
    }
    if prefix.ipVersion != 0 {
        #expect(prefix.ipVersion == full.ipVersion && prefix.l4Protocol == full.l4Protocol, "\(context)")
        #expect(prefix.ipv4Source == full.ipv4Source && prefix.ipv4Destination == full.ipv4Destination, "\(context)")
        #expect(prefix.ipv6Source == full.ipv6Source && prefix.ipv6Destination == full.ipv6Destination, "\(context)")
        #expect(prefix.l4Offset == full.l4Offset && prefix.isFragment == full.isFragment, "\(context)")
    }
    if full.ipVersion != 0 && length - full.l3Offset >= (full.ipVersion == 4 ? 20 : 40) {
        #expect(prefix.ipVersion == full.ipVersion, "\(context)")
    }
    if prefix.hasPorts || (full.hasPorts && length >= full.l4Offset + 4) {
        #expect(prefix.sourcePort == full.sourcePort && prefix.destinationPort == full.destinationPort, "\(context)")
    }
}

/// Parses every prefix (0...count) of `frame` and checks each result.
private func checkEveryPrefix(_ frame: [UInt8], _ name: String) {
    let full = parse(frame)
    for length in 0...frame.count {
        let context = "\(name), first \(length) of \(frame.count) bytes"
        let prefix = parse(Array(frame[..<length]))
        #expect((prefix == nil) == (length < 14), "\(context)")
        #expect(prefix == parse(Array(frame[..<length])), "deterministic: \(context)")
        guard let prefix, let full else { continue }
        checkInvariants(prefix, length: length, context)
        checkPrefix(prefix, of: full, length: length, context)
    }
}

@Test func randomBytesAtEveryLengthUpToSixtyNeverTrapAndStayConsistent() {
    var random = SplitMix64(seed: 0xF4A3_E000)
    let etherTypes: [[UInt8]] = [[0x08, 0x00], [0x86, 0xDD], [0x81, 0x00, 0, 0, 0x08, 0x00], [0x81, 0x00, 0, 0, 0x86, 0xDD]]
    for iteration in 0..<400 {
        var frame = (0..<60).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        // Three quarters of the frames are steered towards the IP paths so they are exercised.
        if iteration % 4 != 0 {
            let header = etherTypes[Int(random.next() % 4)]
            frame.replaceSubrange(12..<(12 + header.count), with: header)
            let l3 = 12 + header.count
            let isIPv6 = header.last == 0xDD
            let headerLength = UInt8(truncatingIfNeeded: random.next() % 16)
            frame[l3] = isIPv6 ? 0x60 | frame[l3] & 0x0F : 0x40 | headerLength
            frame[isIPv6 ? l3 + 6 : l3 + 9] = random.next() % 2 == 0 ? 6 : 17
            if !isIPv6 && random.next() % 2 == 0 { frame[l3 + 6] &= 0x40 }
            if !isIPv6 && random.next() % 2 == 0 { frame[l3 + 7] = 0 }
        }
        checkEveryPrefix(frame, "random frame \(iteration)")
    }
}

@Test func builtFramesTruncatedAtEveryLengthGiveSubsetsOfTheirFields() throws {
    let v6Source = try #require(IPv6Address("3ffe:501:8::260:97ff:fe40:efab"))
    let v6Destination = try #require(IPv6Address("ff02::1"))
    let frames: [(String, [UInt8])] = [
        (
            "udp4",
            FrameBuilder.udp(
                source: Hosts.peer, destination: Hosts.nic, sourceIP: 0x0102_0304, destinationIP: 0x0506_0708,
                sourcePort: 1000, destinationPort: 2000, payload: [1, 2, 3])
        ),
        (
            "tcp4 vlan",
            FrameBuilder.tcp(
                source: Hosts.peer, destination: Hosts.nic, vlan: 0x300A, sourceIP: 0x0102_0304,
                destinationIP: 0x0506_0708, sourcePort: 1000, destinationPort: 2000)
        ),
        (
            "tcp6",
            FrameBuilder.tcp6(
                source: Hosts.peer, destination: Hosts.nic, sourceIP: v6Source, destinationIP: v6Destination,
                sourcePort: 14230, destinationPort: 4739)
        ),
        (
            "udp6 vlan",
            FrameBuilder.udp6(
                source: Hosts.peer, destination: Hosts.nic, vlan: 1, sourceIP: v6Source, destinationIP: v6Destination,
                sourcePort: 14230, destinationPort: 4739, payload: [9])
        ),
        ("arp", FrameBuilder.raw(source: Hosts.peer, destination: .broadcast, etherType: EtherType.arp, payload: [1, 2])),
    ]
    for (name, frame) in frames {
        #expect(try #require(parse(frame)).ipVersion != 0 || name == "arp")
        checkEveryPrefix(frame, name)
    }
}
