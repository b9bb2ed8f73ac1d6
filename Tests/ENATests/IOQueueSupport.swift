import ENA
import Network
import PCIe
import Testing

/// An IO submission queue and its completion queue as a driver sees them.
final class IOQueuePair {
    let bench: ENABench
    let index: Int
    let depth: Int
    let transmit: Bool
    let lowLatency: Bool
    let sq: DMABuffer?
    let cq: DMABuffer
    let cqEntrySize: Int
    let doorbell: Int
    let unmaskRegister: Int
    let llqOffset: Int
    private(set) var tail: UInt16 = 0
    private(set) var cqHead: UInt16 = 0

    /// CREATE_CQ then CREATE_SQ, as the Linux driver does for one queue.
    init(
        _ bench: ENABench, transmit: Bool, depth: Int = 64, vector: Int = 1, lowLatency: Bool = false,
        onDemand: Bool = false
    ) throws {
        self.bench = bench
        self.depth = depth
        self.transmit = transmit
        self.lowLatency = lowLatency
        cqEntrySize = transmit ? 8 : 16
        let cqMemory = try bench.access.allocateDMA(depth * cqEntrySize)
        cq = cqMemory
        let created = try bench.admin(.createCQ) {
            $0.store(UInt8(0x20), at: 4)
            $0.store(UInt8(transmit ? 2 : 4), at: 5)
            $0.store(UInt16(depth), at: 6)
            $0.store(UInt32(vector), at: 8)
            $0.setAddress(cqMemory.deviceAddress.value, at: 12)
        }
        #expect(created.status == 0)
        let cqIndex = created.load(UInt16.self, at: 8)
        unmaskRegister = Int(created.load(UInt32.self, at: 20))
        let ring = lowLatency ? nil : try bench.access.allocateDMA(depth * 16)
        sq = ring
        let sqCreated = try bench.admin(.createSQ) {
            $0.store(UInt8(transmit ? 1 : 2) << 5, at: 4)
            $0.store(UInt8(lowLatency ? 3 : 1) | (onDemand ? 0x10 : 0), at: 6)
            $0.store(cqIndex, at: 8)
            $0.store(UInt16(depth), at: 10)
            $0.setAddress(ring?.deviceAddress.value ?? 0, at: 12)
        }
        #expect(sqCreated.status == 0)
        index = Int(sqCreated.load(UInt16.self, at: 8))
        doorbell = Int(sqCreated.load(UInt32.self, at: 12))
        llqOffset = Int(sqCreated.load(UInt32.self, at: 16))
        #expect(index == Int(cqIndex))
    }

    /// The phase of the next entry the driver writes.
    var phase: Bool { (Int(tail) / depth) & 1 == 0 }

    func post(_ d: ENATxDescriptor) {
        if let base = sq?.host.baseAddress { d.store(to: base + (Int(tail) & (depth - 1)) * 16) }
        tail &+= 1
    }

    func post(_ d: ENARxDescriptor) {
        if let base = sq?.host.baseAddress { d.store(to: base + (Int(tail) & (depth - 1)) * 16) }
        tail &+= 1
    }

    /// Writes one LLQ entry (qword writes) at the tail and advances it.
    /// Writes an LLQ entry with qword writes (the first `qwords` only, when given) or, with
    /// `burst`, those bytes of it as one write-combined burst; then moves the tail.
    func postEntry(_ bytes: [UInt8], qwords: Int? = nil, burst: Range<Int>? = nil) {
        let base = llqOffset + (Int(tail) & (depth - 1)) * bytes.count
        if let burst {
            bytes[burst].withUnsafeBytes {
                bench.access.barWriteCombined(ENA.llqBAR, offset: UInt64(base + burst.lowerBound), bytes: $0)
            }
            tail &+= 1
            return
        }
        for q in 0..<(qwords ?? bytes.count / 8) {
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[8 * q + i]) << UInt64(8 * i) }
            bench.access.write64(ENA.llqBAR, UInt64(base + 8 * q), v)
        }
        tail &+= 1
    }

    func ring(_ value: UInt16? = nil) { bench.write32(doorbell, UInt32(value ?? tail)) }
    func unmask(delay: UInt32 = 0) { bench.write32(unmaskRegister, 1 << 30 | delay | delay << 15) }

    private func nextCompletion() -> UnsafeMutableRawPointer? {
        cq.host.baseAddress.map { $0 + (Int(cqHead) & (depth - 1)) * cqEntrySize }
    }

    func txCompletions() -> [ENATxCompletion] {
        var out: [ENATxCompletion] = []
        while let p = nextCompletion() {
            let c = ENATxCompletion(loadingFrom: p)
            guard c.phase == ((Int(cqHead) / depth) & 1 == 0) else { break }
            out.append(c)
            cqHead &+= 1
        }
        return out
    }

    func rxCompletions() -> [ENARxCompletion] {
        var out: [ENARxCompletion] = []
        while let p = nextCompletion() {
            let c = ENARxCompletion(loadingFrom: p)
            guard c.phase == ((Int(cqHead) / depth) & 1 == 0) else { break }
            out.append(c)
            cqHead &+= 1
        }
        return out
    }

    /// Copies `frame` into a fresh buffer and posts one first+last descriptor for it.
    @discardableResult
    func postFrame(_ frame: [UInt8], requestID: UInt16, l3: Bool = false, l4: Bool = false) throws -> DMABuffer {
        let buffer = try bench.access.allocateDMA(max(frame.count, 1))
        buffer.host.copyBytes(from: frame)
        post(
            ENATxDescriptor(
                length: UInt16(frame.count), address: buffer.deviceAddress.value, requestID: requestID, phase: phase,
                first: true, last: true, l3Protocol: 8, l4Protocol: 13, l3Checksum: l3, l4Checksum: l4))
        return buffer
    }

    /// Posts `count` receive buffers of `size` bytes with request ids from `firstID`.
    @discardableResult
    func postBuffers(_ count: Int, size: Int = 2048, firstID: UInt16 = 0) throws -> [DMABuffer] {
        var out: [DMABuffer] = []
        for i in 0..<count {
            let b = try bench.access.allocateDMA(size)
            post(
                ENARxDescriptor(
                    length: UInt16(truncatingIfNeeded: size), address: b.deviceAddress.value, requestID: firstID + UInt16(i),
                    phase: phase))
            out.append(b)
        }
        ring()
        return out
    }
}

/// A UDP/IPv4 frame from the peer to the instance (or back), `payload` bytes of payload.
func udpFrame(payload: Int = 18, sourcePort: UInt16 = 1000, destinationPort: UInt16 = 2000) -> [UInt8] {
    FrameBuilder.udp(
        source: MACAddress(0x0200_0000_0001), destination: MACAddress(0x0212_3456_789a),
        sourceIP: 0x0a00_0001, destinationIP: 0x0a00_0002, sourcePort: sourcePort,
        destinationPort: destinationPort, payload: FrameBuilder.pattern(length: payload, seed: 7))
}
