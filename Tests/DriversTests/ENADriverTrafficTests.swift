import ENA
import Network
import PCIe
import Testing

@testable import Drivers

@Suite("ENA driver traffic")
struct ENADriverTrafficTests {
    @Test("host placement: 200 frames of 60 bytes out and back through the loopback, byte-exact", arguments: [60, 1514])
    func hostPlacement(length: Int) throws {
        let b = try ENADriverBench()
        #expect(b.roundTrip(200, length: length))
        #expect(b.device.counters.txPackets == 200)
        #expect(b.device.counters.rxPackets == 200)
        #expect(b.recorder.count == 200)
        let counters = b.driver.queueCounters(queue: 0)
        #expect(counters.txPackets == 200)
        #expect(counters.rxPackets == 200)
        #expect(counters.rxBytes == UInt64(200 * length))
        #expect(b.driver.transmitInFlight(queue: 0) == 0)
        var expected = ENADriverCounters()
        expected.linkChanges = 1
        #expect(b.driver.counters == expected)
        #expect(b.guestErrors.isEmpty)
    }

    @Test("rings of 64 entries: frames through every ring's wraps and phase flips, one receive call across a wrap")
    func ringLaps() throws {
        let b = try ENADriverBench(driver: .init(ringSize: 64))
        #expect(b.roundTrip(300))
        #expect(b.device.counters.rxPackets == 300)
        let counters = b.driver.queueCounters(queue: 0)
        #expect(counters.txPackets == 300 && counters.rxPackets == 300)
        #expect(b.driver.transmitInFlight(queue: 0) == 0)
        #expect(b.guestErrors.isEmpty)
        // Chunks of 24 wrap the Rx completion ring inside a batch: one receive call takes the
        // completions on both sides of the wrap (the phase expected flips with the lap).
        let wrapping = try ENADriverBench(driver: .init(ringSize: 64))
        let pool = try #require(wrapping.driver.pool)
        var batch = [PacketBuffer](
            repeating: PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0), count: 32)
        for chunk in 0..<6 {
            #expect(wrapping.send((0..<24).map { wrapping.frame(chunk * 24 + $0) }) == 24)
            let n = batch.withUnsafeMutableBufferPointer { wrapping.driver.receiveBatch(queue: 0, into: $0) }
            #expect(n == 24, "chunk \(chunk)")
            for b in batch[0..<n] { pool.free(b) }
            wrapping.driver.reclaimTransmitted(queue: 0)
        }
    }

    @Test("LLQ placement: small frames header-only, large frames split between entry and buffer", arguments: [60, 96, 97, 1514])
    func lowLatencyPlacement(length: Int) throws {
        let b = try ENADriverBench(driver: .init(placement: .lowLatency))
        #expect(b.driver.lowLatency != nil)
        #expect(b.roundTrip(300, length: length))
        #expect(b.device.counters.txPackets == 300)
        #expect(b.device.counters.llqPartialEntries == 0)
        #expect(b.device.counters.txMalformedPackets == 0)
        #expect(b.guestErrors.isEmpty)
    }

    @Test(
        "LLQ: batches longer than one write-combined burst, and across the ring's end, arrive whole; entries hold nothing past their header"
    )
    func lowLatencyBatches() throws {
        let b = try ENADriverBench(driver: .init(ringSize: 64, placement: .lowLatency))
        let layout = try #require(b.driver.lowLatency)
        var sent = 0
        for round in 0..<6 {
            // 40 frames: more entries than one burst; the 64-entry ring wraps inside rounds 1, 3
            // and 4. Header-only frames and frames split between entry and buffer, mixed, so a
            // scratch entry often holds a shorter header than the one composed there before.
            let frames = (0..<40).map { b.frame(sent + $0, length: [60, 200, 75, 1514, 97][($0 + round) % 5]) }
            #expect(b.send(frames) == 40, "round \(round)")
            #expect(b.receive(40) == frames, "round \(round)")
            b.driver.reclaimTransmitted(queue: 0)
            sent += 40
        }
        #expect(b.device.counters.txPackets == 240 && b.device.counters.rxPackets == 240)
        #expect(b.device.counters.llqPartialEntries == 0 && b.device.counters.staleDescriptors == 0)
        #expect(b.guestErrors.isEmpty)
        // What the LLQ BAR holds for each of the queue's 64 entries: the descriptor, the header,
        // and zeros after it (never a longer header composed earlier in the same place).
        for slot in 0..<64 {
            let base = slot * layout.entrySize
            let bytes = (0..<layout.entrySize).map {
                UInt8(truncatingIfNeeded: b.device.barRead(ENA.llqBAR, offset: UInt64(base + $0), width: .byte))
            }
            let d = bytes.withUnsafeBytes { p in p.baseAddress.map { ENATxDescriptor(loadingFrom: $0) } }
            let end = layout.headerOffset + (d?.headerLength ?? 0)
            #expect(bytes[end...].allSatisfy { $0 == 0 }, "entry \(slot)")
        }
    }

    @Test("a frame longer than one buffer arrives in several buffers, the last one marked")
    func multiBuffer() throws {
        let b = try ENADriverBench(driver: .init(bufferSize: 1024, mtu: 3000))
        let frame = b.frame(1, length: 2500)
        #expect(b.send([frame]) == 1)
        #expect(b.receive(1) == [frame])
        #expect(b.driver.queueCounters(queue: 0).rxPackets == 1)
    }

    @Test("RSS: flows from the far end spread over four Rx queues by the indirection table")
    func rss() throws {
        let b = try ENADriverBench(driver: .init(queuePairs: 4), loop: false)
        let peer = PeerHost(address: MACAddress(0x0200_0000_0001))
        peer.attach(to: b.wire)
        for port in 0..<64 {
            peer.send(
                FrameBuilder.udp(
                    source: peer.address, destination: b.device.configuration.macAddress, sourceIP: 0x0a00_0001,
                    destinationIP: 0x0a00_0002, sourcePort: UInt16(2000 + port), destinationPort: 4791, payload: [1, 2, 3]))
        }
        let perQueue = (0..<4).map { b.receive(64, queue: $0).count }
        #expect(perQueue.reduce(0, +) == 64)
        #expect(perQueue.allSatisfy { $0 > 0 }, "\(perQueue)")
        try b.driver.setIndirectionTable([Int](repeating: 3, count: 128))
        peer.send(
            FrameBuilder.udp(
                source: peer.address, destination: b.device.configuration.macAddress, sourceIP: 0x0a00_0001,
                destinationIP: 0x0a00_0002, sourcePort: 7, destinationPort: 9, payload: [1]))
        #expect(b.receive(1, queue: 3).count == 1)
        #expect(throws: ENADriverError.self) { try b.driver.setIndirectionTable([0, 1, 2]) }
    }

    @Test("interrupt mode: admin completions and received frames are waited for on MSI-X vectors")
    func interrupts() throws {
        let b = try ENADriverBench(driver: .init(interrupts: true), loop: false)
        let peer = PeerHost(address: MACAddress(0x0200_0000_0001))
        peer.attach(to: b.wire)
        #expect(!b.driver.waitForReceive(queue: 0, timeout: .milliseconds(5)))
        let msix = try #require(b.bus.function(at: b.address)?.msix)
        let before = msix.delivered[1]
        b.clock.schedule(after: .milliseconds(2)) { peer.send(b.frame(1)) }
        let start = b.clock.now
        #expect(b.driver.waitForReceive(queue: 0, timeout: .seconds(1)))
        #expect(b.clock.now.nanoseconds - start.nanoseconds == 2_000_000)
        #expect(msix.delivered[1] == before + 1)
        #expect(b.receive(1).count == 1)
        _ = try b.driver.basicStatistics()
    }

    @Test("buffers of another pool, empty frames and a full ring stop a batch without posting")
    func transmitLimits() throws {
        let b = try ENADriverBench(driver: .init(ringSize: 64), loop: false)
        let foreign = PacketBuffer(index: 0, poolID: 1, deviceAddress: 0, hostAddress: 0, length: 60)
        #expect([foreign].withUnsafeBufferPointer { b.driver.transmitBatch(queue: 0, $0) } == 0)
        let pool = try #require(b.driver.pool)
        var empty = try #require(pool.allocate())
        empty.length = 0
        #expect([empty].withUnsafeBufferPointer { b.driver.transmitBatch(queue: 0, $0) } == 0)
        pool.free(empty)
        // Indices outside the pool (one unsigned compare checks both bounds): never posted.
        for index in [-1, Int32.min, Int32(pool.count), Int32.max] {
            let outside = PacketBuffer(index: index, poolID: pool.id, deviceAddress: pool.id, hostAddress: 0, length: 60)
            #expect([outside].withUnsafeBufferPointer { b.driver.transmitBatch(queue: 0, $0) } == 0, "index \(index)")
        }
        #expect(b.device.counters.txPackets == 0)
        #expect(b.send((0..<100).map { b.frame($0) }) == 64)
        #expect(b.device.counters.txPackets == 64)
        #expect(b.send((0..<10).map { b.frame($0) }) == 10)
        #expect(b.driver.transmitBatch(queue: 5, UnsafeBufferPointer(start: nil, count: 0)) == 0)
    }
}
