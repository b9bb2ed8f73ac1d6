import Drivers
import ENA
import Network
import PCIe

/// An IO queue pair the suites create themselves with raw CREATE_CQ / CREATE_SQ entries on the
/// reference driver's admin queue, to post descriptors no driver would.
final class ENARawQueue {
    let index: Int
    let depth: Int
    let ring: DMABuffer
    let completions: DMABuffer
    let doorbell: Int
    private(set) var tail: UInt16 = 0
    private(set) var completionHead: UInt16 = 0

    /// CREATE_CQ (2-word entries) then CREATE_SQ in host memory, Tx; nil (with a failure) if refused.
    init?(_ f: ENAFixture, driver: ENAConformanceDriver, depth: Int = 16, _ r: inout CheckRecorder) {
        guard let ring = f.buffer(depth * ENATxDescriptor.size, &r),
            let completions = f.buffer(depth * ENATxCompletion.size, &r)
        else { return nil }
        let cq = ENAFixture.command(ENAAdminOpcode.createCQ.rawValue) {
            $0.store(UInt8(2), at: 5)
            $0.store(UInt16(depth), at: 6)
            $0.setAddress(completions.deviceAddress.value, at: 12)
        }
        guard let created = f.complete(cq, on: driver, "raw CREATE_CQ", &r), created.status == 0 else {
            r.expect(false, "raw CREATE_CQ refused")
            return nil
        }
        let cqIndex = created.load(UInt16.self, at: 8)
        let sq = ENAFixture.command(ENAAdminOpcode.createSQ.rawValue) {
            $0.store(ENAQueueDirection.transmit.rawValue << 5, at: 4)
            $0.store(ENAPlacementPolicy.host.rawValue, at: 6)
            $0.store(cqIndex, at: 8)
            $0.store(UInt16(depth), at: 10)
            $0.setAddress(ring.deviceAddress.value, at: 12)
        }
        guard let sqCreated = f.complete(sq, on: driver, "raw CREATE_SQ", &r), sqCreated.status == 0 else {
            r.expect(false, "raw CREATE_SQ refused")
            return nil
        }
        index = Int(sqCreated.load(UInt16.self, at: 8))
        doorbell = Int(sqCreated.load(UInt32.self, at: 12))
        self.depth = depth
        self.ring = ring
        self.completions = completions
    }

    /// The producer phase of the next descriptor.
    var phase: Bool { (Int(tail) / depth) & 1 == 0 }

    /// Writes `d` at the tail.
    func post(_ d: ENATxDescriptor) {
        if let base = ring.host.baseAddress { d.store(to: base + (Int(tail) & (depth - 1)) * ENATxDescriptor.size) }
        tail &+= 1
    }

    /// Completions the device wrote since the last call.
    func takeCompletions() -> [ENATxCompletion] {
        var out: [ENATxCompletion] = []
        while let base = completions.host.baseAddress {
            let c = ENATxCompletion(loadingFrom: base + (Int(completionHead) & (depth - 1)) * ENATxCompletion.size)
            guard c.phase == ((Int(completionHead) / depth) & 1 == 0) else { break }
            out.append(c)
            completionHead &+= 1
        }
        return out
    }
}

extension ENAFixture {
    /// A UDP frame of `length` bytes from `source` to `destination` (`n` seeds the payload and ports).
    static func frame(_ n: Int, from source: MACAddress, to destination: MACAddress, length: Int = 60) -> [UInt8] {
        FrameBuilder.udp(
            source: source, destination: destination, sourceIP: 0x0a00_0001 + UInt32(n % 7), destinationIP: 0x0a00_0002,
            sourcePort: UInt16(1000 + n), destinationPort: 4791,
            payload: FrameBuilder.pattern(length: max(length - 42, 1), seed: UInt64(n)))
    }

    /// Transmits `frames` through `driver` on pair `queue`; how many were queued.
    func transmit(_ frames: [[UInt8]], on driver: ENAConformanceDriver, queue: Int = 0) -> Int {
        guard let pool = driver.pool else { return 0 }
        var buffers: [PacketBuffer] = []
        for f in frames {
            guard var b = pool.allocate() else { break }
            b.length = f.count
            b.bytes.copyBytes(from: f)
            buffers.append(b)
        }
        let queued = buffers.withUnsafeBufferPointer { driver.transmitBatch(queue: queue, $0) }
        for b in buffers.dropFirst(queued) { pool.free(b) }
        driver.reclaimTransmitted(queue: queue)
        return queued
    }

    /// Frames received on pair `queue` of `driver` (reassembled, buffers returned to the pool).
    func receive(on driver: ENAConformanceDriver, queue: Int = 0, limit: Int = 4096) -> [[UInt8]] {
        guard let pool = driver.pool else { return [] }
        var frames: [[UInt8]] = []
        var batch = [PacketBuffer](
            repeating: PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0), count: 32)
        var current: [UInt8] = []
        while frames.count < limit {
            let n = batch.withUnsafeMutableBufferPointer { driver.receiveBatch(queue: queue, into: $0) }
            if n == 0 { break }
            for b in batch[0..<n] {
                current += Array(b.bytes)
                if b.enaLastBuffer {
                    frames.append(current)
                    current = []
                }
                pool.free(b)
            }
        }
        return frames
    }
}
