import ENA
import Network
import PCIe
import Testing

@Suite("ENA transmit path (host memory placement)")
struct TransmitTests {
    @Test("a packet reaches the wire; the completion echoes req_id with phase and SQ head; vector fires once armed")
    func sendOne() throws {
        let b = try ENABench.ready()
        let tx = try IOQueuePair(b, transmit: true, vector: 1)
        tx.unmask()
        let frame = udpFrame()
        try tx.postFrame(frame, requestID: 5)
        tx.ring()
        #expect(b.far.frames == [frame])
        let c = tx.txCompletions()
        #expect(c.count == 1)
        #expect(c.first?.requestID == 5)
        #expect(c.first?.status == 0)
        #expect(c.first?.submissionQueueHead == 1)
        #expect(b.interrupts(1) == 1)
        try tx.postFrame(frame, requestID: 6)
        tx.ring()
        #expect(b.interrupts(1) == 1)
        tx.unmask()
        #expect(b.interrupts(1) == 2)
    }

    @Test("meta descriptor, several buffers, checksum offload, ring wrap with phase flips")
    func gatherAndOffload() throws {
        let b = try ENABench.ready()
        let tx = try IOQueuePair(b, transmit: true, depth: 8)
        var frame = udpFrame(payload: 100)
        for i in 24..<26 { frame[i] = 0 }
        for i in 40..<42 { frame[i] = 0 }
        for round in 0..<5 {
            let head = try b.access.allocateDMA(42)
            head.host.copyBytes(from: frame[0..<42])
            let body = try b.access.allocateDMA(frame.count - 42)
            body.host.copyBytes(from: frame[42...])
            tx.post(.meta(phase: tx.phase, first: true))
            tx.post(
                ENATxDescriptor(
                    length: 42, address: head.deviceAddress.value, requestID: UInt16(round), phase: tx.phase,
                    first: false, last: false, l3Protocol: 8, l4Protocol: 13, l3Checksum: true, l4Checksum: true))
            tx.post(
                ENATxDescriptor(
                    length: UInt16(frame.count - 42), address: body.deviceAddress.value,
                    requestID: UInt16(round), phase: tx.phase, first: false, last: true))
            tx.ring()
        }
        #expect(b.far.count == 5)
        let sent = try #require(b.far.frames.last)
        #expect(sent == udpFrame(payload: 100))
        #expect(tx.txCompletions().map(\.requestID) == [0, 1, 2, 3, 4])
    }

    @Test("a packet without its last descriptor waits for the next doorbell")
    func partialPacketWaits() throws {
        let b = try ENABench.ready()
        let tx = try IOQueuePair(b, transmit: true)
        let frame = udpFrame()
        let buffer = try b.access.allocateDMA(frame.count)
        buffer.host.copyBytes(from: frame)
        tx.post(
            ENATxDescriptor(
                length: 20, address: buffer.deviceAddress.value, requestID: 1, phase: tx.phase,
                first: true, last: false))
        tx.ring()
        #expect(b.far.count == 0)
        tx.post(
            ENATxDescriptor(
                length: UInt16(frame.count - 20), address: buffer.deviceAddress.value + 20,
                requestID: 1, phase: tx.phase, first: false, last: true))
        tx.ring()
        #expect(b.far.frames == [frame])
    }

    @Test("zero length, bad req_id, missing last, too many descriptors: dropped, counted, completed; the queue goes on")
    func badDescriptors() throws {
        let b = try ENABench.ready()
        let tx = try IOQueuePair(b, transmit: true, depth: 64)
        let frame = udpFrame()
        let buffer = try b.access.allocateDMA(frame.count)
        buffer.host.copyBytes(from: frame)
        let address = buffer.deviceAddress.value
        tx.post(ENATxDescriptor(length: 0, address: address, requestID: 1, phase: tx.phase, first: true, last: true))
        tx.post(ENATxDescriptor(length: 60, address: address, requestID: 64, phase: tx.phase, first: true, last: true))
        tx.post(ENATxDescriptor(length: 60, address: address, requestID: 3, phase: tx.phase, first: true, last: false))
        for i in 0..<33 {
            tx.post(ENATxDescriptor(length: 1, address: address, requestID: 4, phase: tx.phase, first: i == 0, last: i == 32))
        }
        try tx.postFrame(frame, requestID: 5)
        tx.ring()
        let counters = b.device.counters
        #expect(counters.txMalformedPackets == 1)
        #expect(counters.txBadRequestIDs == 1)
        #expect(counters.txMissingLast == 1)
        #expect(counters.txTooManyDescriptors == 1)
        #expect(counters.txDrops == 4)
        #expect(b.far.frames == [frame])
        let completions = tx.txCompletions()
        #expect(completions.map(\.requestID) == [1, 64, 3, 4, 5])
        #expect(completions.map(\.status) == [1, 1, 1, 1, 0])
        #expect(b.guestErrors.filter { $0.detail.contains("dropped") }.count == 4)
    }

    @Test("doorbell beyond the depth, to a missing queue, or with a stale descriptor: ignored; the queue keeps serving")
    func badDoorbells() throws {
        let b = try ENABench.ready()
        let tx = try IOQueuePair(b, transmit: true, depth: 16)
        tx.ring(17)
        b.write32(R.SQ_DB.offset(40), 1)
        #expect(b.device.counters.ignoredDoorbells == 2)
        tx.ring(1)
        #expect(b.device.counters.staleDescriptors == 1)
        try tx.postFrame(udpFrame(), requestID: 0)
        tx.ring()
        #expect(b.far.count == 1)
    }

    @Test("completion policy 1 completes only packets that ask; a frame over the MTU is dropped")
    func onDemandAndOversize() throws {
        let b = try ENABench.ready()
        let tx = try IOQueuePair(b, transmit: true, onDemand: true)
        let frame = udpFrame(payload: 1600)
        let buffer = try b.access.allocateDMA(frame.count)
        buffer.host.copyBytes(from: frame)
        tx.post(
            ENATxDescriptor(
                length: UInt16(frame.count), address: buffer.deviceAddress.value, requestID: 2,
                phase: tx.phase, first: true, last: true, completionRequested: false))
        tx.ring()
        #expect(b.device.counters.txOversize == 1)
        #expect(tx.txCompletions().isEmpty)
        #expect(try b.setFeature(.mtu) { $0.store(UInt32(9000), at: 20) }.status == 0)
        try tx.postFrame(frame, requestID: 3)
        tx.ring()
        #expect(b.far.frames == [frame])
        #expect(tx.txCompletions().map(\.requestID) == [3])
    }
}
