import ENA
import Network
import PCIe
import Testing

@Suite("ENA low-latency queues (descriptors and inline header in BAR2)")
struct LowLatencyQueueTests {
    /// The first LLQ entry of a packet: one buffer descriptor, a free slot, then the header.
    private func entry(
        _ q: IOQueuePair, header: ArraySlice<UInt8>, body: DMABuffer?, bodyLength: Int, requestID: UInt16, last: Bool = true
    ) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 128)
        let d = ENATxDescriptor(
            length: UInt16(bodyLength), address: body?.deviceAddress.value ?? 0, requestID: requestID,
            phase: q.phase, first: true, last: last, headerLength: UInt8(header.count))
        bytes.withUnsafeMutableBytes { p in if let base = p.baseAddress { d.store(to: base) } }
        bytes.replaceSubrange(32..<(32 + header.count), with: header)
        return bytes
    }

    @Test(
        "header inline in the entry plus the rest from a host buffer; completion and wire (entries written by qwords or as bursts)",
        arguments: [false, true])
    func inlineHeader(burst: Bool) throws {
        let b = try ENABench.ready()
        let q = try IOQueuePair(b, transmit: true, depth: 16, lowLatency: true)
        #expect(q.llqOffset == 0)
        for round in 0..<20 {
            let frame = udpFrame(payload: 40 + round)
            let body = try b.access.allocateDMA(frame.count - 42)
            body.host.copyBytes(from: frame[42...])
            q.postEntry(
                entry(q, header: frame[0..<42], body: body, bodyLength: frame.count - 42, requestID: UInt16(round % 16)),
                burst: burst ? 0..<128 : nil)
            q.ring()
            #expect(b.far.frames.last == frame)
            #expect(q.txCompletions().map(\.requestID) == [UInt16(round % 16)])
        }
    }

    @Test("a header-only packet (zero-length buffer descriptor) is valid in LLQ")
    func headerOnly() throws {
        let b = try ENABench.ready()
        let q = try IOQueuePair(b, transmit: true, depth: 16, lowLatency: true)
        let frame = udpFrame()
        q.postEntry(entry(q, header: frame[...], body: nil, bodyLength: 0, requestID: 0))
        q.ring()
        #expect(b.far.frames == [frame])
    }

    @Test("descriptors continue in the next entry (8 per entry with multiple-descriptor stride)")
    func multiEntry() throws {
        let b = try ENABench.ready()
        let q = try IOQueuePair(b, transmit: true, depth: 16, lowLatency: true)
        let frame = udpFrame(payload: 64)
        let body = try b.access.allocateDMA(frame.count)
        body.host.copyBytes(from: frame[14...])
        let address = body.deviceAddress.value
        var first = entry(q, header: frame[0..<14], body: body, bodyLength: 14, requestID: 1, last: false)
        first.withUnsafeMutableBytes { p in
            if let base = p.baseAddress {
                ENATxDescriptor(
                    length: 14, address: address + 14, requestID: 1, phase: q.phase, first: false, last: false
                ).store(to: base + 16)
            }
        }
        q.postEntry(first)
        var second = [UInt8](repeating: 0, count: 128)
        second.withUnsafeMutableBytes { p in
            if let base = p.baseAddress {
                ENATxDescriptor(
                    length: UInt16(frame.count - 42), address: address + 28, requestID: 1, phase: q.phase, first: false,
                    last: true
                ).store(to: base)
            }
        }
        q.postEntry(second)
        q.ring()
        #expect(b.far.frames == [frame])
        #expect(q.txCompletions().map(\.requestID) == [1])
    }

    @Test("an entry only partly written is dropped and counted; the next entry is sent")
    func partialEntry() throws {
        let b = try ENABench.ready()
        let q = try IOQueuePair(b, transmit: true, depth: 16, lowLatency: true)
        let frame = udpFrame()
        q.postEntry(entry(q, header: frame[...], body: nil, bodyLength: 0, requestID: 0), qwords: 8)
        q.postEntry(entry(q, header: frame[...], body: nil, bodyLength: 0, requestID: 1))
        q.ring()
        #expect(b.device.counters.llqPartialEntries == 1)
        #expect(b.far.frames == [frame])
        #expect(b.recorded("only partly written"))
    }

    /// A burst marks written only the dwords it covers entirely, like a run of narrow writes.
    @Test(
        "a burst that leaves a dword of the entry short drops that packet as partial; the next is sent",
        arguments: [0..<126, 2..<128, 0..<64])
    func partialBurst(written: Range<Int>) throws {
        let b = try ENABench.ready()
        let q = try IOQueuePair(b, transmit: true, depth: 16, lowLatency: true)
        let frame = udpFrame()
        q.postEntry(entry(q, header: frame[...], body: nil, bodyLength: 0, requestID: 0), burst: written)
        q.postEntry(entry(q, header: frame[...], body: nil, bodyLength: 0, requestID: 1), burst: 0..<128)
        q.ring()
        #expect(b.device.counters.llqPartialEntries == 1)
        #expect(b.far.frames == [frame])
    }

    @Test("LLQ layout: SET_FEATURE LLQ to 256-byte entries; refused while LLQ queues exist; bad layouts refused")
    func layout() throws {
        let b = try ENABench.ready()
        func set(_ size: UInt16, _ before: UInt16) throws -> UInt8 {
            try b.setFeature(.lowLatencyQueue) {
                $0.store(UInt16(1), at: 30)
                $0.store(size, at: 34)
                $0.store(before, at: 38)
                $0.store(UInt16(2), at: 42)
            }.status
        }
        #expect(try set(3, 2) == ENAAdminStatus.illegalParameter.rawValue)
        #expect(try set(1, 8) == ENAAdminStatus.illegalParameter.rawValue)
        #expect(try set(4, 2) == 0)
        #expect(try b.getFeature(.lowLatencyQueue).load(UInt16.self, at: 22) == 4)
        _ = try IOQueuePair(b, transmit: true, depth: 16, lowLatency: true)
        #expect(try set(1, 2) == ENAAdminStatus.resourceBusy.rawValue)
    }
}
