import Drivers
import ENA
import Network
import PCIe

extension VirtualHost {
    /// ENA smoke. With an 82599 on the same segment: the ENA and the 82599's VF 0 exchange frames
    /// both ways over the wire, byte-exact; otherwise the ENA sends to the peer on its wire, which
    /// echoes. Then a back-to-back burst above the packets-per-second allowance: the frames over
    /// the burst are held by the Nitro shaper and sent later in virtual time, and the driver reads
    /// `pps_allowance_exceeded` back through GET_STATS ENI.
    func smokeENA(_ ena: BoundENA, frames: Int = 32) -> [SmokeResult] {
        let nic = ena.port.partner.flatMap { partner in nics.first { $0.bdf == partner } }
        var results: [SmokeResult] = []
        if let nic, let vf = nic.vfs.first {
            clock.advance(by: .seconds(1))
            results.append(enaToVF(ena, vf, frames: frames))
            results.append(vfToENA(ena, vf, frames: frames))
        } else {
            clock.advance(by: .seconds(1))
            results.append(enaToPeer(ena, frames: frames))
        }
        clock.advance(by: .seconds(1))
        results.append(enaAllowance(ena, partner: nic?.vfs.first))
        return results
    }

    var clock: VirtualClock { bus.services.clock }

    /// Sends `frames` through the ENA driver (in batches, completions reclaimed); how many were queued.
    func transmit(_ frames: [[UInt8]], on driver: ENADriver<BusDeviceAccess>) -> Int {
        guard let pool = driver.pool else { return 0 }
        var queued = 0
        var offset = 0
        while offset < frames.count {
            var buffers: [PacketBuffer] = []
            for f in frames[offset..<min(offset + 32, frames.count)] {
                guard var b = pool.allocate() else { break }
                b.length = f.count
                b.bytes.copyBytes(from: f)
                buffers.append(b)
            }
            let n = buffers.withUnsafeBufferPointer { driver.transmitBatch(queue: 0, $0) }
            for b in buffers.dropFirst(n) { pool.free(b) }
            driver.reclaimTransmitted(queue: 0)
            guard n > 0 else { break }
            queued += n
            offset += n
        }
        return queued
    }

    /// Frames the ENA driver received on every queue (reassembled, buffers returned).
    func receive(on driver: ENADriver<BusDeviceAccess>) -> [[UInt8]] {
        guard let pool = driver.pool else { return [] }
        var frames: [[UInt8]] = []
        var batch = [PacketBuffer](
            repeating: PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0), count: 32)
        for q in 0..<driver.queuePairCount {
            var current: [UInt8] = []
            while true {
                let n = batch.withUnsafeMutableBufferPointer { driver.receiveBatch(queue: q, into: $0) }
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
        }
        return frames
    }

    private func enaToVF(_ ena: BoundENA, _ vf: (bdf: BDF, driver: IxgbeVFDriver<BusDeviceAccess>), frames: Int) -> SmokeResult {
        let subject = "ena->82599 VF0"
        func fail(_ why: String) -> SmokeResult { SmokeResult(function: ena.bdf, subject: subject, passed: false, detail: why) }
        guard let src = ena.driver.macAddress, let dst = vf.driver.macAddress else { return fail("no MAC address") }
        let sent = (0..<frames).map { Self.smokeFrame($0, from: src, to: dst, length: 60 + ($0 * 89) % 1400) }
        guard transmit(sent, on: ena.driver) == frames else { return fail("transmit ring refused frames") }
        let got = receive(frames, on: vf.driver)
        guard got == sent else { return fail("VF0 received \(got.count) of \(frames) frames, or different bytes") }
        let bytes = sent.reduce(0) { $0 + $1.count }
        return SmokeResult(
            function: ena.bdf, subject: subject, passed: true,
            detail: "\(frames) frames, \(bytes) bytes over the shared wire to \(vf.bdf), byte-exact")
    }

    private func vfToENA(_ ena: BoundENA, _ vf: (bdf: BDF, driver: IxgbeVFDriver<BusDeviceAccess>), frames: Int) -> SmokeResult {
        let subject = "82599 VF0->ena"
        func fail(_ why: String) -> SmokeResult { SmokeResult(function: ena.bdf, subject: subject, passed: false, detail: why) }
        guard let src = vf.driver.macAddress, let dst = ena.driver.macAddress else { return fail("no MAC address") }
        let sent = (0..<frames).map { Self.smokeFrame($0, from: src, to: dst, length: 64 + ($0 * 53) % 1400) }
        guard transmit(sent, on: vf.driver) == frames else { return fail("VF0 transmit ring refused frames") }
        let got = receive(on: ena.driver)
        guard got.sorted(by: Self.frameOrder) == sent.sorted(by: Self.frameOrder) else {
            return fail("the ENA received \(got.count) of \(frames) frames, or different bytes")
        }
        let queues = (0..<ena.driver.queuePairCount).filter { ena.driver.queueCounters(queue: $0).rxPackets > 0 }.count
        return SmokeResult(
            function: ena.bdf, subject: subject, passed: true,
            detail: "\(frames) frames from \(vf.bdf) received byte-exact, RSS spread them over \(queues) queues")
    }

    /// An address no host on an ENA's own wire has (frames to it leave the port and are gone).
    static let nobody = MACAddress(0x0200_0000_e0e0)

    static func frameOrder(_ a: [UInt8], _ b: [UInt8]) -> Bool { a.lexicographicallyPrecedes(b) }

    /// Sends to the echoing peer in chunks of half the pps burst (frame and echo both count),
    /// letting the allowance refill between chunks.
    private func enaToPeer(_ ena: BoundENA, frames: Int) -> SmokeResult {
        let subject = "ena->peer"
        func fail(_ why: String) -> SmokeResult { SmokeResult(function: ena.bdf, subject: subject, passed: false, detail: why) }
        guard let src = ena.driver.macAddress else { return fail("no MAC address") }
        let peer = ena.port.peer.address
        let allowances = ena.device.configuration.allowances
        let chunk = allowances.packetsPerSecond > 0 ? max(1, min(frames, Int(allowances.packetBurst) / 2)) : frames
        let sent = (0..<frames).map { Self.smokeFrame($0, from: src, to: peer, length: 64 + $0 * 31) }
        var echoes = 0
        var offset = 0
        while offset < frames {
            let part = Array(sent[offset..<min(offset + chunk, frames)])
            guard transmit(part, on: ena.driver) == part.count else { return fail("transmit ring refused frames") }
            echoes += receive(on: ena.driver).count
            offset += part.count
            clock.advance(by: .seconds(1))
        }
        guard echoes == frames else { return fail("\(echoes) echoes of \(frames) frames") }
        return SmokeResult(
            function: ena.bdf, subject: subject, passed: true, detail: "\(frames) frames to \(peer), \(frames) echoes back")
    }

    /// The pps burst plus as many frames as the shaper queues, at one instant, to VF 0 (or past
    /// the peer, to an address nobody has).
    private func enaAllowance(_ ena: BoundENA, partner vf: (bdf: BDF, driver: IxgbeVFDriver<BusDeviceAccess>)?) -> SmokeResult {
        let subject = "ena allowance"
        func fail(_ why: String) -> SmokeResult { SmokeResult(function: ena.bdf, subject: subject, passed: false, detail: why) }
        let allowances = ena.device.configuration.allowances
        guard allowances.packetsPerSecond > 0, allowances.packetBurst <= 128, let src = ena.driver.macAddress,
            let before = try? ena.driver.eniStatistics()
        else { return fail("no pps allowance with a burst of at most 128 to exceed") }
        let expected = min(Int(allowances.packetBurst), allowances.queueCapacity)
        let count = Int(allowances.packetBurst) + expected
        let dst = vf?.driver.macAddress ?? Self.nobody
        let ignoredBefore = ena.port.peer.framesIgnored
        let sent = (0..<count).map { Self.smokeFrame($0, from: src, to: dst, length: 60) }
        guard transmit(sent, on: ena.driver) == count else { return fail("transmit ring refused frames") }
        let drain = UInt64(expected) * 1_000_000_000 / allowances.packetsPerSecond
        clock.advance(by: VirtualDuration(nanoseconds: max(drain + 1_000_000, 100_000_000)))
        guard let after = try? ena.driver.eniStatistics() else { return fail("GET_STATS ENI failed") }
        let exceeded = after.ppsAllowanceExceeded &- before.ppsAllowanceExceeded
        let delivered = vf.map { receive(count, on: $0.driver).count } ?? Int(ena.port.peer.framesIgnored &- ignoredBefore)
        guard exceeded == UInt64(expected), ena.device.allowanceCounters.ppsAllowanceExceeded == after.ppsAllowanceExceeded
        else {
            return fail("pps_allowance_exceeded \(exceeded) via GET_STATS ENI, expected \(expected)")
        }
        guard delivered == count else { return fail("\(delivered) of \(count) shaped frames arrived") }
        return SmokeResult(
            function: ena.bdf, subject: subject, passed: true,
            detail: "\(count) frames back to back against \(allowances.packetsPerSecond) pps (burst \(allowances.packetBurst)): "
                + "\(expected) held and sent later, pps_allowance_exceeded=\(after.ppsAllowanceExceeded) via GET_STATS ENI, "
                + "all \(count) delivered")
    }
}
