import Drivers
import Intel82599
import Network
import PCIe

extension VirtualHost {
    /// 82599 smoke: VF 0 and VF 1 exchange frames through the embedded switch (each side checks
    /// every byte), and VF 2 (or the only VF) sends frames out of the port to the peer host, which
    /// echoes them back. Counts are checked against the PF's per-pool statistics.
    func smokeIntel82599(_ nic: BoundNIC, frames: Int = 32) -> [SmokeResult] {
        var results: [SmokeResult] = []
        if nic.vfs.count >= 2 {
            results.append(exchange(nic, from: 0, to: 1, frames: frames))
            results.append(exchange(nic, from: 1, to: 0, frames: frames))
        }
        if let sender = nic.vfs.indices.last, nic.vfs.count != 2 {
            results.append(toPeer(nic, from: sender, frames: frames))
        }
        return results
    }

    /// A deterministic UDP frame of `length` bytes from `source` to `destination`.
    static func smokeFrame(_ n: Int, from source: MACAddress, to destination: MACAddress, length: Int) -> [UInt8] {
        FrameBuilder.udp(
            source: source, destination: destination, sourceIP: 0x0a00_0000 | UInt32(source.value & 0xFFFF),
            destinationIP: 0x0a00_0000 | UInt32(destination.value & 0xFFFF), sourcePort: UInt16(1000 + n),
            destinationPort: 4791, payload: FrameBuilder.pattern(length: length - 42, seed: UInt64(n) ^ source.value))
    }

    /// Sends `frames` frames of varying size on VF `from` and collects what arrives on VF `to`.
    private func exchange(_ nic: BoundNIC, from: Int, to: Int, frames: Int) -> SmokeResult {
        let (sbdf, sender) = nic.vfs[from]
        let receiver = nic.vfs[to].driver
        let subject = "82599 VF\(from)->VF\(to)"
        func fail(_ why: String) -> SmokeResult { SmokeResult(function: sbdf, subject: subject, passed: false, detail: why) }
        guard let src = sender.macAddress, let dst = receiver.macAddress else { return fail("VF without an address") }
        let sent = (0..<frames).map { Self.smokeFrame($0, from: src, to: dst, length: 60 + ($0 * 97) % 1400) }
        let before = nic.pf.vfStatistics(to).receivedPackets
        guard transmit(sent, on: sender) == frames else { return fail("transmit ring refused frames") }
        let got = receive(frames, on: receiver)
        guard got == sent else {
            return fail("VF\(to) received \(got.count) frames, \(zip(got, sent).filter { $0 != $1 }.count) differ")
        }
        let counted = nic.pf.vfStatistics(to).receivedPackets &- before
        guard counted == UInt64(frames) else { return fail("PF counts \(counted) frames received by pool \(to)") }
        let bytes = sent.reduce(0) { $0 + $1.count }
        return SmokeResult(
            function: sbdf, subject: subject, passed: true,
            detail: "\(frames) frames, \(bytes) bytes through the VEB, byte-exact, PF per-pool counters agree")
    }

    /// Sends frames to the peer host out of the port; the peer echoes them back.
    private func toPeer(_ nic: BoundNIC, from: Int, frames: Int) -> SmokeResult {
        let (sbdf, sender) = nic.vfs[from]
        let subject = "82599 VF\(from)->peer"
        func fail(_ why: String) -> SmokeResult { SmokeResult(function: sbdf, subject: subject, passed: false, detail: why) }
        guard let src = sender.macAddress else { return fail("VF without an address") }
        let peer = nic.port.peer.address
        let sent = (0..<frames).map { Self.smokeFrame($0, from: src, to: peer, length: 64 + $0 * 31) }
        let peerBefore = nic.port.peer.framesReceived
        guard transmit(sent, on: sender) == frames else { return fail("transmit ring refused frames") }
        let reached = nic.port.peer.framesReceived &- peerBefore
        guard reached == UInt64(frames) else { return fail("peer received \(reached) of \(frames) frames") }
        let echoes = receive(frames, on: sender)
        guard echoes.count == frames,
            zip(echoes, sent).allSatisfy({ e, s in Array(e[12...]) == Array(s[12...]) && Array(e[0..<6]) == Array(s[6..<12]) })
        else { return fail("\(echoes.count) echoes came back, expected \(frames) with swapped addresses") }
        return SmokeResult(
            function: sbdf, subject: subject, passed: true,
            detail: "\(frames) frames out of the port to \(peer), \(echoes.count) echoes received back")
    }

    func transmit(_ frames: [[UInt8]], on driver: IxgbeVFDriver<BusDeviceAccess>) -> Int {
        guard let pool = driver.pool else { return 0 }
        var buffers: [PacketBuffer] = []
        for f in frames {
            guard var b = pool.allocate() else { break }
            b.length = f.count
            b.bytes.copyBytes(from: f)
            buffers.append(b)
        }
        let queued = buffers.withUnsafeBufferPointer { driver.transmitBatch(queue: 0, $0) }
        for b in buffers.dropFirst(queued) { pool.free(b) }
        driver.reclaimTransmitted(queue: 0)
        return queued
    }

    func receive(_ expected: Int, on driver: IxgbeVFDriver<BusDeviceAccess>) -> [[UInt8]] {
        guard let pool = driver.pool else { return [] }
        var frames: [[UInt8]] = []
        var batch = [PacketBuffer](
            repeating: PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0), count: 64)
        var current: [UInt8] = []
        var idle = 0
        while frames.count < expected, idle < 3 {
            let n = batch.withUnsafeMutableBufferPointer { driver.receiveBatch(queue: 0, into: $0) }
            idle = n == 0 ? idle + 1 : 0
            for b in batch[0..<n] {
                current += Array(b.bytes)
                if b.endOfPacket {
                    frames.append(current)
                    current = []
                }
                pool.free(b)
            }
        }
        return frames
    }
}
