@_spi(BurstPaths) import ENA
import Network
import PCIe
import TestSupport
import Testing

/// The Tx and Rx burst paths against the general one-frame-at-a-time path (the device with
/// bursts turned off through its test seam): the same driver actions through a loopback plug
/// must leave the same guest memory, counters, errors and frames on the wire, with no
/// allowance, with allowances that never shape, and with allowances that hold and drop frames.
@Suite("ENA burst paths")
struct BurstPathTests {
    /// What a driver and the far end can observe.
    struct Observed: Equatable {
        var txCompletions: [UInt8]
        var rxCompletions: [UInt8]
        var rxBuffers: [[UInt8]]
        var counters: ENACounters
        var errors: [String]
        var faults: Int
        var frames: [[UInt8]]
        var wire: [UInt64]
        var allowance: ENAAllowanceCounters
    }

    static let neverShaped = NitroAllowances(
        packetsPerSecond: 1_000_000_000, packetBurst: 1 << 30, inboundBitsPerSecond: 1 << 50,
        outboundBitsPerSecond: 1 << 50, bandwidthBurstBytes: 1 << 40, queueCapacity: 4)

    /// Bandwidth allowances in and out (separate buckets, so the order in which Tx and the
    /// looped-back Rx take from them does not matter) small enough to hold and drop frames.
    static let bandwidthShaped = NitroAllowances(
        packetsPerSecond: 0, packetBurst: 0, inboundBitsPerSecond: 2_000_000, outboundBitsPerSecond: 4_000_000,
        bandwidthBurstBytes: 1200, queueCapacity: 6)

    /// A packets-per-second allowance (one bucket for both directions) that holds and drops.
    static let packetShaped = NitroAllowances(
        packetsPerSecond: 20_000, packetBurst: 9, inboundBitsPerSecond: 0, outboundBitsPerSecond: 0,
        bandwidthBurstBytes: 0, queueCapacity: 5)

    @Test("bursts leave exactly what frames one at a time leave", arguments: [false, true])
    func burstsMatchTheGeneralPath(lowLatency: Bool) throws {
        for seed in UInt64(1)...6 {
            let bursts = try run(.unlimited, seed: seed, lowLatency: lowLatency)
            let general = try run(.unlimited, seed: seed, lowLatency: lowLatency, bursts: false)
            let neverShaped = try run(Self.neverShaped, seed: seed, lowLatency: lowLatency)
            #expect(bursts.counters.txPackets > 50 && bursts.counters.rxPackets > 20)
            #expect(neverShaped == bursts, "seed \(seed)")
            #expect(bursts.counters == general.counters, "seed \(seed)")
            #expect(bursts.errors == general.errors, "seed \(seed)")
            #expect(bursts.faults == general.faults, "seed \(seed)")
            #expect(bursts.frames == general.frames, "seed \(seed)")
            #expect(bursts.wire == general.wire, "seed \(seed)")
            #expect(bursts.txCompletions == general.txCompletions, "seed \(seed)")
            #expect(bursts.rxCompletions == general.rxCompletions, "seed \(seed)")
            #expect(bursts.rxBuffers == general.rxBuffers, "seed \(seed)")
        }
    }

    @Test("shaped bursts hold, drop and count exactly what frames one at a time do", arguments: [false, true])
    func shapedBurstsMatchTheGeneralPath(lowLatency: Bool) throws {
        for seed in UInt64(1)...4 {
            let bursts = try run(Self.bandwidthShaped, seed: seed, lowLatency: lowLatency)
            let general = try run(Self.bandwidthShaped, seed: seed, lowLatency: lowLatency, bursts: false)
            #expect(bursts.allowance.bwOutAllowanceExceeded > 0 && bursts.allowance.bwInAllowanceExceeded > 0)
            #expect(bursts.allowance.dropped > 0 && bursts.allowance.queued > 0)
            #expect(bursts == general, "seed \(seed)")
        }
    }

    @Test("a shared packets-per-second allowance shapes Tx bursts as it shapes frames one at a time")
    func packetShapedTransmitMatchesTheGeneralPath() throws {
        // No loopback: the pps bucket is shared by both directions, and on a loopback the order
        // of Tx and Rx takes would differ between the paths (both are valid shaping).
        for seed in UInt64(1)...4 {
            let bursts = try run(Self.packetShaped, seed: seed, lowLatency: false, loopback: false)
            let general = try run(Self.packetShaped, seed: seed, lowLatency: false, loopback: false, bursts: false)
            #expect(bursts.allowance.ppsAllowanceExceeded > 0 && bursts.allowance.dropped > 0)
            #expect(bursts == general, "seed \(seed)")
        }
    }

    @Test("a burst that wraps the Tx ring checks the new lap's phase: a stale descriptor after the wrap is not sent")
    func burstAcrossTheWrap() throws {
        let b = try ENABench.ready()
        let tx = try IOQueuePair(b, transmit: true, depth: 16)
        var buffers: [DMABuffer] = []
        for i in 0..<14 { buffers.append(try tx.postFrame(udpFrame(payload: 20 + i), requestID: UInt16(i))) }
        tx.ring()
        #expect(b.far.count == 14)
        // Slots 14 and 15 with this lap's phase, then slot 0 of the next lap still holding the
        // last lap's phase (the driver has not written it): one burst of three.
        for i in 14..<16 { buffers.append(try tx.postFrame(udpFrame(payload: 20 + i), requestID: UInt16(i))) }
        let stale = try b.access.allocateDMA(80)
        tx.post(
            ENATxDescriptor(
                length: 80, address: stale.deviceAddress.value, requestID: 0, phase: !tx.phase, first: true, last: true))
        tx.ring()
        #expect(b.far.count == 16)
        #expect(b.device.counters.staleDescriptors == 1)
        #expect(b.device.counters.txPackets == 16)
        withExtendedLifetime((buffers, stale)) {}
    }

    @Test("an LLQ burst that wraps the queue checks the new lap's phase: a stale entry after the wrap is not sent")
    func lowLatencyBurstAcrossTheWrap() throws {
        let b = try ENABench.ready()
        let tx = try IOQueuePair(b, transmit: true, depth: 16, lowLatency: true)
        // A simple packet: the whole frame inline after two descriptor slots, zero-length buffer.
        func entry(_ frame: [UInt8], id: UInt16, phase: Bool) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: 128)
            let d = ENATxDescriptor(
                length: 0, address: 0, requestID: id, phase: phase, first: true, last: true, headerLength: UInt8(frame.count))
            bytes.withUnsafeMutableBytes { p in if let base = p.baseAddress { d.store(to: base) } }
            bytes.replaceSubrange(32..<(32 + frame.count), with: frame)
            return bytes
        }
        for i in 0..<14 { tx.postEntry(entry(udpFrame(payload: 20 + i), id: UInt16(i), phase: tx.phase)) }
        tx.ring()
        #expect(b.far.count == 14)
        // Entries 14 and 15 with this lap's phase, then entry 0 of the next lap completely
        // written but with the last lap's phase: one burst of three.
        for i in 14..<16 { tx.postEntry(entry(udpFrame(payload: 20 + i), id: UInt16(i), phase: tx.phase)) }
        tx.postEntry(entry(udpFrame(payload: 50), id: 0, phase: !tx.phase))
        tx.ring()
        #expect(b.far.count == 16)
        #expect(b.far.frames.last == udpFrame(payload: 35))
        #expect(b.device.counters.staleDescriptors == 1)
        #expect(b.device.counters.txPackets == 16)
        #expect(b.device.counters.llqPartialEntries == 0)
    }

    @Test("a doorbell rung by a far end while a burst is on the wire sends its packets one at a time")
    func doorbellDuringBurst() throws {
        let b = try ENABench.ready()
        let tx = try IOQueuePair(b, transmit: true, depth: 64)
        var buffers: [DMABuffer] = []
        for i in 0..<4 { buffers.append(try tx.postFrame(udpFrame(payload: 20 + i), requestID: UInt16(i))) }
        let ringer = CallbackSink()
        b.wire.addFarEnd(ringer)
        ringer.onFirstFrame = {
            for i in 4..<6 {
                if let buffer = try? tx.postFrame(udpFrame(payload: 20 + i), requestID: UInt16(i)) { buffers.append(buffer) }
            }
            tx.ring()
        }
        tx.ring()
        #expect(b.far.count == 6)
        #expect(Set(b.far.frames) == Set((0..<6).map { udpFrame(payload: 20 + $0) }))
        // The nested packets complete first (while the burst is still on the wire), as when
        // the first frame was sent on its own.
        #expect(tx.txCompletions().map(\.requestID) == [4, 5, 0, 1, 2, 3])
        #expect(b.device.counters.txPackets == 6 && b.device.counters.txDrops == 0)
        #expect(b.guestErrors.isEmpty)
        withExtendedLifetime(buffers) {}
    }

    @Test("windows kept from burst to burst are dropped when a mapping or bus mastering changes", arguments: [true, false])
    func heldWindowsFollowTheMappings(unmap: Bool) throws {
        let b = try ENABench.ready()
        let loopback = WireLoopback()
        loopback.attach(to: b.wire)
        let tx = try IOQueuePair(b, transmit: true, depth: 64)
        let rx = try IOQueuePair(b, transmit: false, depth: 64)
        // Four Rx buffers in one allocation, and the second Tx frame's buffer mapped up front:
        // only the change below moves the port's translation stamp between the two bursts.
        let pool = try b.access.allocateDMA(4 * 2048)
        for i in 0..<4 {
            rx.post(
                ENARxDescriptor(
                    length: 2048, address: pool.deviceAddress.value + UInt64(i * 2048), requestID: UInt16(i), phase: rx.phase))
        }
        rx.ring()
        let frame = udpFrame(payload: 40)
        let second = try b.access.allocateDMA(frame.count)
        second.host.copyBytes(from: frame)
        let first = try tx.postFrame(frame, requestID: 0)
        tx.ring()
        #expect(b.device.counters.rxPackets == 1)
        #expect(Array(pool.host[0..<frame.count]) == frame)
        if unmap {
            // Unmapping the Rx buffers moves the domain's generation.
            try b.function.dma.domain.unmap(pool.deviceAddress)
        } else {
            // Bus mastering off: not even the Tx ring may be read.
            let command = b.access.configRead(4, width: .word)
            b.access.configWrite(4, width: .word, value: command & ~0x4)
        }
        let faults = b.bus.services.faults.total
        tx.post(
            ENATxDescriptor(
                length: UInt16(frame.count), address: second.deviceAddress.value, requestID: 1, phase: tx.phase, first: true,
                last: true))
        tx.ring()
        // Nothing reaches the buffer the old window pointed at; the refused access is a fault.
        #expect(pool.host[2048..<(2048 + frame.count)].allSatisfy { $0 == 0 })
        #expect(b.device.counters.rxPackets == 1)
        #expect(b.bus.services.faults.total > faults)
        withExtendedLifetime((first, second)) {}
    }

    /// Rounds of a random mix of packets (simple ones, checksum insertion, two descriptors,
    /// malformed ones, bad checksums, IPv6, oversize, unmapped buffers) against Rx buffers of
    /// mixed sizes (some too small, sometimes too few).
    private func run(
        _ allowances: NitroAllowances, seed: UInt64, lowLatency: Bool, loopback: Bool = true, bursts: Bool = true
    ) throws -> Observed {
        let b = try ENABench.ready(ENAConfiguration(queuePairs: 1, allowances: allowances))
        b.device.takesBursts = bursts
        let plug = WireLoopback()
        if loopback { plug.attach(to: b.wire) }
        let tx = try IOQueuePair(b, transmit: true, depth: 64, lowLatency: lowLatency)
        let rx = try IOQueuePair(b, transmit: false, depth: 64)
        var random = SplitMix64(seed: seed)
        var keep: [DMABuffer] = []
        var rxBuffers: [DMABuffer] = []
        for round in 0..<8 {
            // Odd rounds: buffers of one allocation (as a driver's pool), even: one allocation each.
            let pool = try b.access.allocateDMA(24 * 2048)
            rxBuffers.append(pool)
            for i in 0..<24 {
                let size = [2048, 2048, 2048, 2048, 128, 64][Int(random.next() % 6)]
                let address: UInt64
                if round % 2 == 1 {
                    address = pool.deviceAddress.value + UInt64(i * 2048)
                } else {
                    let buffer = try b.access.allocateDMA(size)
                    rxBuffers.append(buffer)
                    address = buffer.deviceAddress.value
                }
                rx.post(
                    ENARxDescriptor(
                        length: UInt16(size), address: address, requestID: UInt16((round * 24 + i) % 64), phase: rx.phase))
            }
            rx.ring()
            for i in 0..<(10 + round * 3) {
                let id = UInt16((round * 40 + i) % 64)
                if lowLatency {
                    try postEntry(tx, kind: Int(random.next() % 8), id: id, &random, &keep)
                } else {
                    try postHost(tx, kind: Int(random.next() % 12), id: id, &random, &keep)
                }
            }
            tx.ring()
            // Some of the frames held by allowances leave before the next round.
            b.clock.advance(by: .microseconds(300))
        }
        // The rest leave (well before the first keep-alive).
        b.clock.advance(by: .milliseconds(50))
        return Observed(
            txCompletions: Array(tx.cq.host), rxCompletions: Array(rx.cq.host), rxBuffers: rxBuffers.map { Array($0.host) },
            counters: b.device.counters, errors: b.guestErrors.map(\.detail), faults: b.bus.services.faults.total,
            frames: b.far.frames, wire: [b.wire.framesFromPort, b.wire.bytesFromPort, b.wire.framesToPort, b.wire.bytesToPort],
            allowance: b.device.allowanceCounters)
    }

    private func frame(_ random: inout SplitMix64) -> [UInt8] {
        switch random.next() % 5 {
        case 0:
            return FrameBuilder.tcp6(
                source: MACAddress(0x0200_0000_0001), destination: MACAddress(0x0212_3456_789a),
                sourceIP: IPv6Address(high: 0x2001_0db8, low: 1), destinationIP: IPv6Address(high: 0x2001_0db8, low: 2),
                sourcePort: 443, destinationPort: 51000, payload: FrameBuilder.pattern(length: 30, seed: 3))
        case 1:
            var f = udpFrame(payload: 18 + Int(random.next() % 100))
            f[14 + Int(random.next() % 28)] ^= 0x5A  // a bad header or checksum
            return f
        default:
            return udpFrame(payload: 18 + Int(random.next() % 200), sourcePort: UInt16(truncatingIfNeeded: random.next()))
        }
    }

    private func postHost(
        _ tx: IOQueuePair, kind: Int, id: UInt16, _ random: inout SplitMix64, _ keep: inout [DMABuffer]
    ) throws {
        let f = frame(&random)
        switch kind {
        case 0: keep.append(try tx.postFrame(f, requestID: id, l3: true, l4: true))
        case 1:
            // Two descriptors.
            let buffer = try tx.bench.access.allocateDMA(f.count)
            buffer.host.copyBytes(from: f)
            let a = buffer.deviceAddress.value
            tx.post(ENATxDescriptor(length: 20, address: a, requestID: id, phase: tx.phase, first: true, last: false))
            tx.post(
                ENATxDescriptor(
                    length: UInt16(f.count - 20), address: a + 20, requestID: id, phase: tx.phase, first: false, last: true))
            keep.append(buffer)
        case 2: tx.post(ENATxDescriptor(length: 0, address: 0, requestID: id, phase: tx.phase, first: true, last: true))
        case 3: keep.append(try tx.postFrame(f, requestID: 200))
        case 4: keep.append(try tx.postFrame(Array(f[0..<10]), requestID: id))
        case 5: keep.append(try tx.postFrame(f + [UInt8](repeating: 1, count: 1600), requestID: id))
        case 6:
            tx.post(
                ENATxDescriptor(length: 60, address: 0x7000_0000, requestID: id, phase: tx.phase, first: true, last: true))
        default: keep.append(try tx.postFrame(f, requestID: id))
        }
    }

    private func postEntry(
        _ tx: IOQueuePair, kind: Int, id: UInt16, _ random: inout SplitMix64, _ keep: inout [DMABuffer]
    ) throws {
        var f = frame(&random)
        var bodyLength = 0
        var body: DMABuffer?
        switch kind {
        case 0:
            // Header inline, the rest from a buffer (general path).
            let buffer = try tx.bench.access.allocateDMA(f.count)
            buffer.host.copyBytes(from: f)
            body = buffer
            keep.append(buffer)
            bodyLength = f.count - 42
            f = Array(f[0..<42])
        case 1: f = Array(f[0..<10])
        case 2: f += [UInt8](repeating: 0, count: 200)  // longer than the entry holds
        default: f = Array(f.prefix(96))
        }
        var bytes = [UInt8](repeating: 0, count: 128)
        let header = min(f.count, 255)
        let d = ENATxDescriptor(
            length: UInt16(bodyLength), address: (body?.deviceAddress.value ?? 0) + 42, requestID: kind == 3 ? 300 : id,
            phase: tx.phase, first: true, last: true, headerLength: UInt8(header))
        bytes.withUnsafeMutableBytes { p in if let base = p.baseAddress { d.store(to: base) } }
        let copied = min(f.count, 96)
        bytes.replaceSubrange(32..<(32 + copied), with: f[0..<copied])
        tx.postEntry(bytes, burst: kind == 4 ? 0..<64 : 0..<128)
    }
}

/// A far end that runs `onFirstFrame` once, from inside the first delivery.
final class CallbackSink: FrameSink {
    var onFirstFrame: (() -> Void)?
    func receive(_ frame: UnsafeRawBufferPointer) {
        guard let action = onFirstFrame else { return }
        onFirstFrame = nil
        action()
    }
}
