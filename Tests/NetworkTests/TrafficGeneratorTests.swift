import Network
import Testing

private func templates() throws -> [[UInt8]] {
    [
        FrameBuilder.tcp(
            source: Hosts.peer, destination: Hosts.nic, sourceIP: 0x0A00_0002, destinationIP: 0x0A00_0001,
            sourcePort: 1000, destinationPort: 80, frameLength: 60),
        FrameBuilder.udp(
            source: Hosts.peer, destination: Hosts.nic, vlan: 3, sourceIP: 0x0A00_0003, destinationIP: 0x0A00_0001,
            sourcePort: 2000, destinationPort: 53, payload: [1, 2, 3, 4, 5]),
        try #require(
            FrameBuilder.tcp6(
                source: Hosts.peer, destination: Hosts.nic, sourceIP: "2001:db8::2", destinationIP: "2001:db8::1",
                sourcePort: 3000, destinationPort: 443, payload: [7])),
        FrameBuilder.raw(source: Hosts.peer, destination: .broadcast, etherType: EtherType.arp, payload: [0], frameLength: 60),
    ]
}

private func stream(seed: UInt64, count: Int, randomize: Bool = false, from frames: [[UInt8]]) -> (
    [[UInt8]], TrafficGenerator
) {
    let wire = Wire()
    let port = FrameRecorder(capacity: count)
    wire.connectPort(port)
    let generator = TrafficGenerator(templates: frames, seed: seed, randomizeSourcePort: randomize)
    generator.inject(count: count, into: wire)
    #expect(wire.framesToPort == UInt64(count))
    return (port.frames, generator)
}

@Test func sameSeedGivesTheSameStreamOfTemplateFrames() throws {
    let frames = try templates()
    let (first, generator) = stream(seed: 42, count: 200, from: frames)
    let (again, _) = stream(seed: 42, count: 200, from: frames)
    let (other, _) = stream(seed: 43, count: 200, from: frames)
    #expect(first.count == 200 && first == again && first != other)
    #expect(first.allSatisfy { frames.contains($0) })
    #expect(Set(first.compactMap { frames.firstIndex(of: $0) }) == Set(0..<frames.count))
    #expect(generator.framesGenerated == 200)
    #expect(generator.bytesGenerated == first.reduce(0) { $0 + UInt64($1.count) })
}

@Test func randomizedSourcePortsKeepChecksumsValidAndSpreadOverRSSQueues() throws {
    let frames = try templates()
    let (generated, _) = stream(seed: 7, count: 600, randomize: true, from: frames)
    let hasher = ToeplitzHasher(key: .microsoftVerification)
    var buckets = Set<UInt32>()
    var ports = Set<UInt16>()
    for frame in generated {
        let headers = try #require(parse(frame))
        guard headers.hasPorts, let port = headers.sourcePort else {
            #expect(frames.contains(frame), "frames without ports are sent unchanged")
            continue
        }
        #expect(port >= 1024)
        ports.insert(port)
        #expect(transportChecksumVerifies(frame) == true)
        let template = try #require(frames.first { $0.count == frame.count && $0[14...20] == frame[14...20] })
        let l4 = headers.l4Offset
        let checksum = l4 + (headers.isTCP ? 16 : 6)
        for index in frame.indices where ![l4, l4 + 1, checksum, checksum + 1].contains(index) {
            #expect(frame[index] == template[index], "only the port and checksum change")
        }
        buckets.insert(hasher.rssHash(of: headers, fields: [.tcpIPv4, .udpIPv4, .tcpIPv6]).hash & 0x7F)
    }
    #expect(ports.count > 300)
    #expect(buckets.count > 100, "source ports spread the flows over the 128 redirection entries")
}

@Test func udpWithoutChecksumKeepsItZero() throws {
    var udp = FrameBuilder.udp(
        source: Hosts.peer, destination: Hosts.nic, sourceIP: 1, destinationIP: 2, sourcePort: 5, destinationPort: 6)
    udp[40] = 0
    udp[41] = 0
    let (generated, _) = stream(seed: 1, count: 20, randomize: true, from: [udp])
    #expect(generated.count == 20)
    #expect(generated.allSatisfy { $0[40] == 0 && $0[41] == 0 })
    #expect(Set(generated.map { UInt16($0[34]) << 8 | UInt16($0[35]) }).count > 10)
}

@Test func nothingIsInjectedWithoutTemplatesOrCount() throws {
    let wire = Wire()
    TrafficGenerator(templates: [], seed: 1).inject(count: 10, into: wire)
    TrafficGenerator(templates: try templates(), seed: 1).inject(count: 0, into: wire)
    TrafficGenerator(templates: try templates(), seed: 1).inject(count: -3, into: wire)
    #expect(wire.framesToPort == 0)
}
