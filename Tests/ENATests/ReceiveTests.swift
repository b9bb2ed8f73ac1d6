import ENA
import Network
import PCIe
import TestSupport
import Testing

@Suite("ENA receive path")
struct ReceiveTests {
    private func send(_ b: ENABench, _ frame: [UInt8]) { frame.withUnsafeBytes { b.wire.transmitToPort($0) } }

    @Test("a frame from the wire lands in a buffer: length, req_id, protocols, checksums, RSS hash, interrupt")
    func receiveOne() throws {
        let b = try ENABench.ready()
        let rx = try IOQueuePair(b, transmit: false, vector: 2)
        rx.unmask()
        let buffers = try rx.postBuffers(4, firstID: 10)
        let frame = udpFrame()
        send(b, frame)
        let c = rx.rxCompletions()
        #expect(c.count == 1)
        let first = try #require(c.first)
        #expect(first.isFirst && first.isLast)
        #expect(Int(first.length) == frame.count)
        #expect(first.requestID == 10)
        #expect(first.l3Protocol == 8)
        #expect(first.l4Protocol == 13)
        #expect(first.l4ChecksumChecked)
        #expect(!first.l3ChecksumError && !first.l4ChecksumError)
        let headers = try #require(frame.withUnsafeBytes { FrameHeaders.parse($0) })
        let expected = ToeplitzHasher(key: .microsoftVerification).rssHash(of: headers, fields: [.udpIPv4]).hash
        #expect(first.hash == expected)
        #expect(Array(buffers[0].host[0..<frame.count]) == frame)
        #expect(b.interrupts(2) == 1)
        #expect(b.device.counters.rxPackets == 1)
    }

    @Test("bad checksums are reported, not dropped")
    func checksumErrors() throws {
        let b = try ENABench.ready()
        let rx = try IOQueuePair(b, transmit: false)
        try rx.postBuffers(2)
        var frame = udpFrame()
        frame[24] ^= 0xFF
        send(b, frame)
        frame = udpFrame()
        frame[frame.count - 1] ^= 0xFF
        send(b, frame)
        let c = rx.rxCompletions()
        #expect(c.map(\.l3ChecksumError) == [true, false])
        #expect(c.map(\.l4ChecksumError) == [false, true])
    }

    @Test("multi-buffer packets: first/last across small buffers")
    func multiBuffer() throws {
        let b = try ENABench.ready()
        let rx = try IOQueuePair(b, transmit: false)
        let buffers = try rx.postBuffers(8, size: 256)
        let frame = udpFrame(payload: 600)
        send(b, frame)
        let c = rx.rxCompletions()
        #expect(c.count == 3)
        #expect(c.map(\.isFirst) == [true, false, false])
        #expect(c.map(\.isLast) == [false, false, true])
        #expect(c.map(\.length) == [256, 256, UInt16(frame.count - 512)])
        #expect(Array(buffers[2].host[0..<(frame.count - 512)]) == Array(frame[512...]))
    }

    @Test("no buffers: overrun; buffers too small for the per-packet limit; oversize: dropped and counted")
    func drops() throws {
        let b = try ENABench.ready()
        let rx = try IOQueuePair(b, transmit: false, depth: 64)
        send(b, udpFrame())
        #expect(b.device.counters.rxOverruns == 1)
        try rx.postBuffers(40, size: 64)
        send(b, udpFrame(payload: 1400))
        #expect(b.device.counters.rxBuffersTooSmall == 1)
        send(b, udpFrame(payload: 1600))
        #expect(b.device.counters.rxOversize == 1)
        send(b, udpFrame())
        #expect(rx.rxCompletions().count == 1)
        #expect(b.device.counters.rxDrops == 2)
    }

    @Test("RSS: the indirection table (and RSS_IND_ENTRY_UPDATE) steers flows to Rx queues")
    func steering() throws {
        let b = try ENABench.ready()
        var rx: [IOQueuePair] = []
        for q in 0..<2 {
            _ = try IOQueuePair(b, transmit: true, vector: q + 1)
            rx.append(try IOQueuePair(b, transmit: false, vector: q + 1))
            try rx[q].postBuffers(32)
        }
        let table = try b.access.allocateDMA(4 * 128)
        for i in 0..<128 { table.host.storeBytes(of: UInt16(rx[i & 1].index), toByteOffset: 4 * i, as: UInt16.self) }
        let set = try b.setFeature(.rssIndirectionTableConfig) {
            $0.store(UInt16(7), at: 24)
            $0.store(UInt32.max, at: 28)
            $0.setControlBuffer(address: table.deviceAddress.value, length: 512)
        }
        #expect(set.status == 0)
        for port in 0..<32 { send(b, udpFrame(sourcePort: UInt16(1000 + port))) }
        let counts = rx.map { $0.rxCompletions().count }
        #expect(counts[0] + counts[1] == 32)
        #expect(counts[0] > 0 && counts[1] > 0)
        for i in 0..<128 { b.write32(R.RSS_IND_ENTRY_UPDATE.offset, UInt32(rx[0].index) << 16 | UInt32(i)) }
        for port in 0..<8 { send(b, udpFrame(sourcePort: UInt16(2000 + port))) }
        #expect(rx[0].rxCompletions().count == 8)
        b.write32(R.RSS_IND_ENTRY_UPDATE.offset, 0 << 16 | 200)
        #expect(b.recorded("RSS_IND_ENTRY_UPDATE index 200"))
    }

    @Test("a burst of interleaved flows is hashed and steered frame by frame as frames one at a time are")
    func burstSteersEachFlow() throws {
        // Flows that differ in one field of the hash input each: ports, protocol, addresses.
        let a = udpFrame(sourcePort: 1000)
        let ports = udpFrame(sourcePort: 1001)
        let tcp = FrameBuilder.tcp(
            source: MACAddress(0x0200_0000_0001), destination: MACAddress(0x0212_3456_789a), sourceIP: 0x0a00_0001,
            destinationIP: 0x0a00_0002, sourcePort: 1000, destinationPort: 2000,
            payload: FrameBuilder.pattern(length: 18, seed: 7))
        let address = FrameBuilder.udp(
            source: MACAddress(0x0200_0000_0001), destination: MACAddress(0x0212_3456_789a), sourceIP: 0x0a00_0003,
            destinationIP: 0x0a00_0002, sourcePort: 1000, destinationPort: 2000,
            payload: FrameBuilder.pattern(length: 18, seed: 7))
        let frames = [a, a, ports, ports, a, tcp, a, address, address, a, tcp, tcp, ports, a]
        func steered(burst: Bool) throws -> [[ENARxCompletion]] {
            let b = try ENABench.ready()
            var rx: [IOQueuePair] = []
            for q in 0..<2 {
                _ = try IOQueuePair(b, transmit: true, vector: q + 1)
                rx.append(try IOQueuePair(b, transmit: false, vector: q + 1))
                try rx[q].postBuffers(32)
            }
            // Each hash bit pattern of the table's low bits picks one of the queues at random.
            var random = SplitMix64(seed: 5)
            let table = try b.access.allocateDMA(4 * 128)
            for i in 0..<128 {
                table.host.storeBytes(of: UInt16(rx[Int(random.next() & 1)].index), toByteOffset: 4 * i, as: UInt16.self)
            }
            let set = try b.setFeature(.rssIndirectionTableConfig) {
                $0.store(UInt16(7), at: 24)
                $0.store(UInt32.max, at: 28)
                $0.setControlBuffer(address: table.deviceAddress.value, length: 512)
            }
            #expect(set.status == 0)
            // TCP/IPv4 hashes the addresses only, UDP/IPv4 the 4-tuple: the TCP flow, which has
            // the UDP flow's addresses and ports, hashes differently.
            let fields = try b.access.allocateDMA(256)
            for (p, selected) in [0x0C, 0x3C, 0x3C, 0x3C, 0x0C, 0x0C, 0x0C].enumerated() {
                fields.host.storeBytes(of: UInt16(selected), toByteOffset: 64 + 4 * p, as: UInt16.self)
            }
            let input = try b.setFeature(.rssHashInput) { $0.setControlBuffer(address: fields.deviceAddress.value, length: 256) }
            #expect(input.status == 0)
            if burst {
                // The burst's frames side by side in one buffer, as a Tx burst sends them.
                let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: frames.count * 128, alignment: 64)
                defer { storage.deallocate() }
                var views: [UnsafeRawBufferPointer] = []
                for (i, f) in frames.enumerated() {
                    let slot = UnsafeMutableRawBufferPointer(rebasing: storage[(i * 128)..<(i * 128 + f.count)])
                    slot.copyBytes(from: f)
                    views.append(UnsafeRawBufferPointer(slot))
                }
                views.withUnsafeBufferPointer { b.wire.transmitToPort(batch: $0) }
            } else {
                for f in frames { send(b, f) }
            }
            return rx.map { $0.rxCompletions() }
        }
        let burst = try steered(burst: true)
        let single = try steered(burst: false)
        #expect(burst == single)
        #expect(burst[0].count + burst[1].count == frames.count)
        #expect(Set(burst.flatMap { $0.map(\.hash) }).count == 4)
        #expect(!burst[0].isEmpty && !burst[1].isEmpty)
    }

    @Test("Tx to the wire and back: a peer echoes into the Rx queue")
    func loopThroughPeer() throws {
        let b = try ENABench.ready()
        let tx = try IOQueuePair(b, transmit: true)
        let rx = try IOQueuePair(b, transmit: false)
        try rx.postBuffers(8)
        let peer = PeerHost(address: MACAddress(0x0200_0000_0001), echo: true)
        peer.attach(to: b.wire)
        let frame = FrameBuilder.udp(
            source: MACAddress(0x0212_3456_789a), destination: MACAddress(0x0200_0000_0001), sourceIP: 0x0a00_0002,
            destinationIP: 0x0a00_0001, sourcePort: 1, destinationPort: 2, payload: [1, 2, 3])
        try tx.postFrame(frame, requestID: 0)
        tx.ring()
        #expect(peer.framesEchoed == 1)
        #expect(rx.rxCompletions().count == 1)
    }
}
