import Network
import Testing

/// A peer on a wire whose port side records what arrives.
private func setUp(echo: Bool) -> (Wire, PeerHost, FrameRecorder) {
    let wire = Wire()
    let port = FrameRecorder(capacity: 64)
    wire.connectPort(port)
    let peer = PeerHost(address: Hosts.peer, echo: echo)
    peer.attach(to: wire)
    return (wire, peer, port)
}

private func frame(to destination: MACAddress, payload: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
    FrameBuilder.udp(
        source: Hosts.nic, destination: destination, sourceIP: 0x0A00_0001, destinationIP: 0x0A00_0002,
        sourcePort: 7, destinationPort: 7, payload: payload)
}

@Test func echoingPeerRepliesWithAddressesSwappedAndTheRestUnchanged() throws {
    let (wire, peer, port) = setUp(echo: true)
    let request = frame(to: Hosts.peer, payload: FrameBuilder.pattern(length: 100, seed: 3))
    request.withUnsafeBytes { wire.transmitFromPort($0) }
    #expect(peer.framesReceived == 1 && peer.bytesReceived == UInt64(request.count) && peer.framesEchoed == 1)
    let reply = try #require(port.frames.first)
    #expect(port.count == 1)
    #expect(Array(reply[0..<6]) == Hosts.nic.octets)
    #expect(Array(reply[6..<12]) == Hosts.peer.octets)
    #expect(Array(reply[12...]) == Array(request[12...]))
    #expect(wire.framesFromPort == 1 && wire.framesToPort == 1)
}

@Test func framesForOtherHostsAreIgnoredAndNotEchoed() {
    let (wire, peer, port) = setUp(echo: true)
    frame(to: Hosts.other).withUnsafeBytes { wire.transmitFromPort($0) }
    [UInt8](repeating: 0xFF, count: 13).withUnsafeBytes { wire.transmitFromPort($0) }
    #expect(peer.framesReceived == 0 && peer.framesIgnored == 2 && peer.framesEchoed == 0)
    #expect(port.count == 0)
}

@Test func broadcastIsAcceptedAndAnsweredFromThePeersOwnAddress() throws {
    let (wire, peer, port) = setUp(echo: true)
    frame(to: .broadcast).withUnsafeBytes { wire.transmitFromPort($0) }
    #expect(peer.framesReceived == 1)
    let reply = try #require(port.frames.first)
    #expect(Array(reply[0..<6]) == Hosts.nic.octets && Array(reply[6..<12]) == Hosts.peer.octets)
}

@Test func silentPeerOnlyCounts() {
    let (wire, peer, port) = setUp(echo: false)
    for _ in 0..<5 { frame(to: Hosts.peer).withUnsafeBytes { wire.transmitFromPort($0) } }
    #expect(peer.framesReceived == 5 && peer.framesEchoed == 0 && port.count == 0)
    peer.echo = true
    frame(to: Hosts.peer).withUnsafeBytes { wire.transmitFromPort($0) }
    #expect(port.count == 1)
}

@Test func sendReachesThePortOnlyWhenAttached() {
    let detached = PeerHost(address: Hosts.peer)
    detached.send([1, 2, 3])
    #expect(detached.framesSent == 0)
    let (wire, peer, port) = setUp(echo: false)
    peer.send(frame(to: Hosts.nic))
    #expect(peer.framesSent == 1 && port.count == 1 && wire.framesToPort == 1)
}

/// A port that answers every reply with the next request, from inside `receive`, and checks
/// afterwards that the reply it was handed was not overwritten meanwhile.
private final class PingPongPort: FrameSink {
    weak var wire: Wire?
    let rounds: Int
    var sent = 0
    var repliesAfterNesting: [[UInt8]] = []

    init(rounds: Int) { self.rounds = rounds }

    func request(_ round: Int) -> [UInt8] {
        frame(to: Hosts.peer, payload: FrameBuilder.pattern(length: 20 + round, seed: UInt64(round)))
    }

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

@Test func nestedEchoesNeverOverwriteAReplyInFlight() {
    let wire = Wire()
    let port = PingPongPort(rounds: 6)
    port.wire = wire
    wire.connectPort(port)
    let peer = PeerHost(address: Hosts.peer, echo: true)
    peer.attach(to: wire)
    port.start()
    #expect(peer.framesEchoed == 6)
    // The innermost reply completes first, so the replies arrive in reverse round order.
    let rounds = port.repliesAfterNesting.reversed().map { Array($0[12...]) }
    #expect(rounds == (0..<6).map { Array(port.request($0)[12...]) })
}
