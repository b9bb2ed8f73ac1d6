import ENA
import Network
import PCIe
import Testing

@Suite("Nitro allowances")
struct AllowanceTests {
    private func shaped(pps: UInt64 = 0, burst: UInt64 = 0, bwIn: UInt64 = 0, bwOut: UInt64 = 0, queue: Int = 4)
        -> ENAConfiguration
    {
        ENAConfiguration(
            allowances: NitroAllowances(
                packetsPerSecond: pps, packetBurst: burst, inboundBitsPerSecond: bwIn, outboundBitsPerSecond: bwOut,
                bandwidthBurstBytes: 1500, queueCapacity: queue))
    }

    @Test("pps allowance: burst passes, then queued, then dropped; queued frames leave in virtual time")
    func packetsPerSecond() throws {
        let b = try ENABench.ready(shaped(pps: 1000, burst: 2))
        let tx = try IOQueuePair(b, transmit: true, depth: 64)
        for i in 0..<10 { try tx.postFrame(udpFrame(), requestID: UInt16(i)) }
        tx.ring()
        #expect(b.far.count == 2)
        let counters = b.device.allowanceCounters
        #expect(counters.ppsAllowanceExceeded == 8)
        #expect(counters.queued == 4)
        #expect(counters.dropped == 4)
        b.clock.advance(by: .milliseconds(10))
        #expect(b.far.count == 6)
        #expect(b.device.counters.txDrops == 4)
        let eni = try b.admin(.getStats) { $0.store(UInt8(2), at: 16) }
        #expect(eni.load(UInt64.self, at: 24) == 8)
    }

    @Test("a burst from the wire is shaped frame by frame: passes, then queued, then dropped; the queued leave in time")
    func inboundBurst() throws {
        let b = try ENABench.ready(shaped(pps: 1000, burst: 2))
        let rx = try IOQueuePair(b, transmit: false)
        try rx.postBuffers(16)
        let frames = (0..<10).map { udpFrame(payload: 20 + $0) }
        let buffers = frames.map { frame in
            let p = UnsafeMutableRawBufferPointer.allocate(byteCount: frame.count, alignment: 8)
            p.copyBytes(from: frame)
            return UnsafeRawBufferPointer(p)
        }
        defer { for p in buffers { p.deallocate() } }
        buffers.withUnsafeBufferPointer { b.wire.transmitToPort(batch: $0) }
        #expect(rx.rxCompletions().map { Int($0.length) } == [frames[0].count, frames[1].count])
        let counters = b.device.allowanceCounters
        #expect(counters.ppsAllowanceExceeded == 8 && counters.queued == 4 && counters.dropped == 4)
        #expect(b.device.counters.rxDrops == 4)
        b.clock.advance(by: .milliseconds(10))
        // The four held frames arrive, in order, after the two that passed.
        #expect(rx.rxCompletions().map { Int($0.length) } == (2..<6).map { frames[$0].count })
    }

    @Test("bandwidth in and out allowances count separately; GET_STATS ENI and customer metrics report them")
    func bandwidth() throws {
        let b = try ENABench.ready(shaped(bwIn: 1_000_000, bwOut: 1_000_000, queue: 0))
        let tx = try IOQueuePair(b, transmit: true)
        let rx = try IOQueuePair(b, transmit: false)
        try rx.postBuffers(16)
        for i in 0..<4 { try tx.postFrame(udpFrame(payload: 900), requestID: UInt16(i)) }
        tx.ring()
        for _ in 0..<4 { udpFrame(payload: 900).withUnsafeBytes { b.wire.transmitToPort($0) } }
        let counters = b.device.allowanceCounters
        #expect(counters.bwOutAllowanceExceeded == 2)
        #expect(counters.bwInAllowanceExceeded == 2)
        #expect(counters.ppsAllowanceExceeded == 0)
        let eni = try b.admin(.getStats) { $0.store(UInt8(2), at: 16) }
        #expect(eni.load(UInt64.self, at: 8) == 2)
        #expect(eni.load(UInt64.self, at: 16) == 2)
        let buffer = try b.access.allocateDMA(64)
        let metrics = try b.admin(.getStats) {
            $0.store(UInt8(4), at: 16)
            $0.store(UInt64(0x3), at: 24)
            $0.setControlBuffer(address: buffer.deviceAddress.value, length: 64)
        }
        #expect(metrics.status == 0)
        #expect(buffer.host.load(as: UInt64.self) == 2)
        #expect(buffer.host.load(fromByteOffset: 8, as: UInt64.self) == 2)
        b.clock.advance(by: .seconds(1))
        udpFrame(payload: 900).withUnsafeBytes { b.wire.transmitToPort($0) }
        #expect(rx.rxCompletions().count == 3)
    }

    @Test("unlimited allowances shape nothing")
    func unlimited() throws {
        let b = try ENABench.ready()
        let tx = try IOQueuePair(b, transmit: true, depth: 256)
        for i in 0..<200 { try tx.postFrame(udpFrame(), requestID: UInt16(i)) }
        tx.ring()
        #expect(b.far.count == 200)
        #expect(b.device.allowanceCounters == ENAAllowanceCounters())
    }
}
