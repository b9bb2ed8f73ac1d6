import Network
import Testing

/// The responder's IPv4 address (10.0.0.2); it answers from ``Hosts/peer``.
private let responderIP: UInt32 = 0x0A00_0002
/// The guest's IPv4 address (10.0.0.1); it sends from ``Hosts/nic``.
private let guestIP: UInt32 = 0x0A00_0001

/// A responder on a wire whose port side records what arrives.
private func setUp() -> (Wire, IPv4Responder, FrameRecorder) {
    let wire = Wire()
    let port = FrameRecorder(capacity: 256)
    wire.connectPort(port)
    let responder = IPv4Responder(macAddress: Hosts.peer, ipv4Address: IPv4Address(responderIP))
    responder.attach(to: wire)
    return (wire, responder, port)
}

private func bytes(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
private func bytes(_ value: UInt32) -> [UInt8] { bytes(UInt16(value >> 16)) + bytes(UInt16(value & 0xFFFF)) }

/// The big-endian 16-bit value at `offset` of `frame`.
private func word(_ frame: [UInt8], _ offset: Int) -> UInt16 { UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1]) }

/// Recomputes the IPv4 header checksum of `frame` for a header at `l3`.
private func refreshIPChecksum(_ frame: inout [UInt8], l3: Int = 14) {
    let headerLength = Int(frame[l3] & 0x0F) * 4
    frame[l3 + 10] = 0
    frame[l3 + 11] = 0
    let checksum = bytes(naiveChecksum(Array(frame[l3..<min(l3 + headerLength, frame.count)])))
    frame[l3 + 10] = checksum[0]
    frame[l3 + 11] = checksum[1]
}

/// An ICMP echo request from the guest with correct checksums (TOS 0x10, identification 0xABCD).
private func echoRequest(
    to destination: MACAddress = Hosts.peer, vlan: UInt16? = nil, destinationIP: UInt32 = responderIP,
    options: [UInt8] = [], fragment: UInt16 = 0x4000, type: UInt8 = 8,
    payload: [UInt8] = FrameBuilder.pattern(
        length: 56, seed: 1)
) -> [UInt8] {
    var icmp: [UInt8] = [type, 0, 0, 0] + bytes(UInt16(0x1234)) + bytes(UInt16(7)) + payload
    let icmpChecksum = bytes(naiveChecksum(icmp))
    icmp[2] = icmpChecksum[0]
    icmp[3] = icmpChecksum[1]
    let headerLength = 20 + options.count
    var ip: [UInt8] = [0x40 | UInt8(headerLength / 4), 0x10] + bytes(UInt16(headerLength + icmp.count))
    ip += [0xAB, 0xCD] + bytes(fragment) + [64, 1, 0, 0] + bytes(guestIP) + bytes(destinationIP) + options
    var frame = FrameBuilder.raw(
        source: Hosts.nic, destination: destination, vlan: vlan, etherType: EtherType.ipv4, payload: ip + icmp)
    refreshIPChecksum(&frame, l3: vlan == nil ? 14 : 18)
    return frame
}

/// The guest's ARP request for `targetIP`.
private func arpRequest(for targetIP: UInt32 = responderIP, to destination: MACAddress = .broadcast, vlan: UInt16? = nil)
    -> [UInt8]
{
    FrameBuilder.arp(
        operation: 1, source: Hosts.nic, destination: destination, vlan: vlan, senderIP: guestIP, targetIP: targetIP,
        frameLength: 60)
}

private func deliver(_ frames: [UInt8]..., on wire: Wire) {
    for frame in frames { frame.withUnsafeBytes { wire.transmitFromPort($0) } }
}

/// Checks an echo reply (IP header at `l3`) against `request` (IP header at `l3`, options `optionLength`).
private func expectEchoReply(_ reply: [UInt8], to request: [UInt8], l3: Int = 14, optionLength: Int = 0) {
    let requestICMP = l3 + 20 + optionLength
    let icmpLength = Int(word(request, l3 + 2)) - 20 - optionLength
    #expect(reply.count == max(60, l3 + 20 + icmpLength))
    #expect(Array(reply[0..<6]) == Hosts.nic.octets && Array(reply[6..<12]) == Hosts.peer.octets)
    #expect(Array(reply[(l3 - 2)..<l3]) == [0x08, 0x00])
    #expect(reply[l3] == 0x45 && reply[l3 + 1] == 0x10 && Int(word(reply, l3 + 2)) == 20 + icmpLength)
    #expect(word(reply, l3 + 4) == 0xABCD && word(reply, l3 + 6) == 0 && reply[l3 + 8] == 64 && reply[l3 + 9] == 1)
    #expect(Array(reply[(l3 + 12)..<(l3 + 20)]) == bytes(responderIP) + bytes(guestIP))
    #expect(naiveChecksum(Array(reply[l3..<(l3 + 20)])) == 0)
    let icmp = Array(reply[(l3 + 20)..<(l3 + 20 + icmpLength)])
    #expect(icmp[0] == 0 && icmp[1] == 0 && naiveChecksum(icmp) == 0)
    #expect(Array(icmp[4...]) == Array(request[(requestICMP + 4)..<(requestICMP + icmpLength)]))
    #expect(reply[(l3 + 20 + icmpLength)...].allSatisfy { $0 == 0 })
}

@Test func arpRequestForItsAddressIsAnsweredToTheRequester() throws {
    let (wire, responder, port) = setUp()
    deliver(arpRequest(), on: wire)
    #expect(responder.arpRequestsAnswered == 1 && port.count == 1)
    let reply = try #require(port.frames.first)
    let expected = FrameBuilder.arp(
        operation: 2, source: Hosts.peer, destination: Hosts.nic, senderIP: responderIP, targetMAC: Hosts.nic,
        targetIP: guestIP, frameLength: 60)
    #expect(reply == expected)
    #expect(Array(reply[0..<6]) == Hosts.nic.octets && Array(reply[6..<12]) == Hosts.peer.octets)
    #expect(word(reply, 12) == 0x0806 && word(reply, 20) == 2)
    #expect(Array(reply[22..<32]) == Hosts.peer.octets + bytes(responderIP))
    #expect(Array(reply[32..<42]) == Hosts.nic.octets + bytes(guestIP))
}

@Test func unicastAndTaggedArpRequestsAreAnsweredTaggedRequestsWithTheSameTag() throws {
    let (wire, responder, port) = setUp()
    deliver(arpRequest(to: Hosts.peer), arpRequest(vlan: 0x6005), on: wire)
    #expect(responder.arpRequestsAnswered == 2 && port.count == 2)
    let tagged = try #require(port.frames.last)
    #expect(tagged.count == 60 && Array(tagged[12..<18]) == [0x81, 0x00, 0x60, 0x05, 0x08, 0x06])
    #expect(word(tagged, 24) == 2 && Array(tagged[26..<46]) == Array(port.frames[0][22..<42]))
}

@Test func arpThatIsNotARequestForItsAddressIsIgnored() {
    let (wire, responder, port) = setUp()
    var wrongHardwareType = arpRequest()
    wrongHardwareType[15] = 6
    let reply = FrameBuilder.arp(
        operation: 2, source: Hosts.nic, destination: Hosts.peer, senderIP: guestIP, targetIP: responderIP)
    deliver(arpRequest(for: 0x0A00_0003), arpRequest(to: Hosts.other), wrongHardwareType, reply, on: wire)
    #expect(responder.framesIgnored == 4 && responder.arpRequestsAnswered == 0 && port.count == 0)
}

@Test func echoRequestIsAnsweredWithSwappedAddressesAndValidChecksums() throws {
    let (wire, responder, port) = setUp()
    let request = echoRequest()
    deliver(request, on: wire)
    #expect(responder.echoRequestsAnswered == 1 && responder.framesIgnored == 0 && responder.malformedFrames == 0)
    let reply = try #require(port.frames.first)
    #expect(port.count == 1 && reply.count == request.count)
    expectEchoReply(reply, to: request)
    #expect(Array(reply[38..<42]) == [0x12, 0x34, 0x00, 0x07])  // identifier and sequence number
}

@Test(arguments: [[1, 1, 1, 0], [0x94, 0x04, 0x00, 0x00] + [UInt8](repeating: 1, count: 36)] as [[UInt8]])
func echoRequestWithIPv4OptionsIsAnsweredWithAPlainHeader(options: [UInt8]) throws {
    let (wire, responder, port) = setUp()
    let request = echoRequest(options: options)
    deliver(request, on: wire)
    #expect(responder.echoRequestsAnswered == 1)
    let reply = try #require(port.frames.first)
    expectEchoReply(reply, to: request, optionLength: options.count)
}

@Test func shortAndTaggedEchoRequestsArePaddedAndKeepTheirTag() throws {
    let (wire, responder, port) = setUp()
    let short = echoRequest(payload: [])
    let tagged = echoRequest(vlan: 0x0123, payload: [9, 8, 7])
    deliver(short, tagged, on: wire)
    #expect(responder.echoRequestsAnswered == 2 && port.count == 2)
    expectEchoReply(port.frames[0], to: short)
    expectEchoReply(port.frames[1], to: tagged, l3: 18)
    #expect(Array(port.frames[1][12..<16]) == [0x81, 0x00, 0x01, 0x23])
}

@Test func trailingEthernetPaddingIsNotEchoed() throws {
    let (wire, _, port) = setUp()
    let request = echoRequest(payload: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
    deliver(request + [0xEE, 0xEE, 0xEE, 0xEE], on: wire)
    let reply = try #require(port.frames.first)
    #expect(reply.count == request.count)
    expectEchoReply(reply, to: request)
}

@Test func ipv4ThatIsNotAnEchoRequestForItIsIgnored() {
    let (wire, responder, port) = setUp()
    let udp = FrameBuilder.udp(
        source: Hosts.nic, destination: Hosts.peer, sourceIP: guestIP, destinationIP: responderIP, sourcePort: 1,
        destinationPort: 7)
    let ipv6 = FrameBuilder.udp6(
        source: Hosts.nic, destination: Hosts.peer, sourceIP: .unspecified, destinationIP: .unspecified, sourcePort: 1,
        destinationPort: 7)
    var doubleTagged = echoRequest(vlan: 6)
    doubleTagged.insert(contentsOf: [0x81, 0x00, 0x00, 0x05], at: 12)
    deliver(
        echoRequest(destinationIP: 0x0A00_0003), echoRequest(to: Hosts.other), echoRequest(to: .broadcast),
        echoRequest(fragment: 0x2000), echoRequest(fragment: 0x0001), echoRequest(type: 0), doubleTagged,
        udp, ipv6, on: wire)
    #expect(responder.framesIgnored == 9 && responder.malformedFrames == 0 && port.count == 0)
}

@Test func badLengthsAndChecksumsAreCountedAsMalformed() {
    let (wire, responder, port) = setUp()
    var variants: [[UInt8]] = []
    for (offset, value) in [(14, 0x44), (14, 0x65), (14, 0x4F), (16, 0x01), (17, 19), (17, 27), (17, 99)] as [(Int, UInt8)] {
        var frame = echoRequest(payload: [1, 2, 3, 4])  // IPv4 total length 32
        frame[offset] = value
        refreshIPChecksum(&frame)
        variants.append(frame)
    }
    var badIPChecksum = echoRequest()
    badIPChecksum[24] ^= 1
    var badICMPChecksum = echoRequest()
    badICMPChecksum[36] ^= 1
    for frame in variants + [badIPChecksum, badICMPChecksum] { deliver(frame, on: wire) }
    #expect(responder.malformedFrames == 9 && responder.framesIgnored == 0 && port.count == 0)
}

@Test func everyTruncationAndGarbageUpTo64BytesIsCountedAndNeverAnsweredWrongly() {
    let (wire, responder, port) = setUp()
    let valid = [
        arpRequest(), arpRequest(vlan: 5), echoRequest(payload: []), echoRequest(vlan: 5, options: [1, 1, 1, 0], payload: []),
    ]
    var delivered: UInt64 = 0
    for length in 0...64 {
        for frame in valid where length <= frame.count {
            deliver(Array(frame[..<length]), on: wire)
            delivered += 1
        }
        for seed in 0..<8 {
            var garbage = FrameBuilder.pattern(length: length, seed: UInt64(length * 8 + seed))
            let prefix =
                Hosts.peer.octets + Hosts.nic.octets + [[0x08, 0x00], [0x08, 0x06], [0x81, 0x00], [0xFF, 0xFF]][seed % 4]
            for index in 0..<min(length, seed < 4 ? prefix.count : 0) { garbage[index] = prefix[index] }
            if length > 14, seed == 0 { garbage[14] = 0x45 }
            deliver(garbage, on: wire)
            delivered += 1
        }
    }
    let answered = responder.arpRequestsAnswered + responder.echoRequestsAnswered
    #expect(answered + responder.framesIgnored + responder.malformedFrames == delivered)
    #expect(UInt64(port.count) == answered)
    // Complete ARP requests: 42...60 bytes untagged (19 lengths), 46...60 tagged (15); echo requests only whole.
    #expect(responder.arpRequestsAnswered == 34)
    #expect(responder.echoRequestsAnswered == 2)
    #expect(responder.malformedFrames > 0)
}

@Test func anUnattachedResponderIgnoresEverything() {
    let responder = IPv4Responder(macAddress: Hosts.peer, ipv4Address: IPv4Address(responderIP))
    for frame in [arpRequest(), echoRequest()] { frame.withUnsafeBytes { responder.receive($0) } }
    #expect(responder.framesIgnored == 2 && responder.arpRequestsAnswered == 0 && responder.echoRequestsAnswered == 0)
    #expect(responder.macAddress == Hosts.peer && responder.ipv4Address == IPv4Address(responderIP))
}

/// A port that answers every echo reply with the next request, from inside `receive`, and keeps
/// the reply it was handed only after the nested exchange, to see whether it was overwritten.
private final class PingPongPort: FrameSink {
    weak var wire: Wire?
    let rounds: Int
    var sent = 0
    var repliesAfterNesting: [[UInt8]] = []

    init(rounds: Int) { self.rounds = rounds }

    func request(_ round: Int) -> [UInt8] { echoRequest(payload: FrameBuilder.pattern(length: 20 + round, seed: UInt64(round))) }

    func start() {
        sent = 1
        request(0).withUnsafeBytes { wire?.transmitFromPort($0) }
    }

    func receive(_ frame: UnsafeRawBufferPointer) {
        if sent < rounds {
            let next = request(sent)
            sent += 1
            next.withUnsafeBytes { wire?.transmitFromPort($0) }
        }
        repliesAfterNesting.append(Array(frame))
    }
}

@Test func nestedEchoRequestsNeverOverwriteAReplyInFlight() {
    let wire = Wire()
    let port = PingPongPort(rounds: 5)
    port.wire = wire
    wire.connectPort(port)
    let responder = IPv4Responder(macAddress: Hosts.peer, ipv4Address: IPv4Address(responderIP))
    responder.attach(to: wire)
    port.start()
    #expect(responder.echoRequestsAnswered == 5)
    // The innermost reply completes first, so the replies arrive in reverse round order.
    for (round, reply) in port.repliesAfterNesting.reversed().enumerated() {
        expectEchoReply(reply, to: port.request(round))
    }
}
