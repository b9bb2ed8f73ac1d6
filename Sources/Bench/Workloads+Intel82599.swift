import CSpeedOfLight
import Drivers
import Intel82599
import Network
import PCIe

/// An 82599 PF with `vfCount` VFs on a fresh bus, bound to the reference drivers exactly as
/// `devbench` binds them; VF i's frames go to VF i+1 through the embedded switch (with one VF,
/// to the PF's own queue).
final class VEBFixture {
    let bus = PCIBus()
    let pf: IxgbePFDriver<BusDeviceAccess>
    let vfs: [IxgbeVFDriver<BusDeviceAccess>]
    let addresses: [MACAddress]
    /// Each VF driver's buffer pool, read once (a pool never changes once a driver started), and
    /// the PF's.
    let pools: [PacketBufferPool]
    let pfPool: PacketBufferPool?
    /// Per-batch buffer lists, allocated once (as ixy's pktgen keeps its `bufs` array).
    let transmitBatch: UnsafeMutableBufferPointer<PacketBuffer>
    let receiveBatch: UnsafeMutableBufferPointer<PacketBuffer>
    @exclusivity(unchecked) var sender = 0
    @exclusivity(unchecked) var failures = 0
    let batch: Int
    static let frameLength = 60

    init(vfCount: Int, batch: Int, ringSize: Int = BenchWorkload.vebRingSize) throws {
        self.batch = batch
        let bdf = BDF(bus: 0, device: 3, function: 0)
        do {
            try bus.attach(try Intel82599.makePhysicalFunction(at: bdf, services: bus.services, totalVFs: 64))
            Firmware(bus: bus).enumerateAndAssign()
            pf = try IxgbePFDriver(access: bus.access(bdf))
            try pf.reset()
            guard pf.waitForLink() else { throw BenchSetupError(description: "82599 link did not come up") }
            let policy = IxgbeVFPolicy(vfs: (0..<vfCount).map { .init(macAddress: MACAddress(0x0200_0000_1000 | UInt64($0))) })
            let bdfs = try pf.enableSRIOV(vfCount: vfCount, policy: policy)
            if vfCount == 1 { try pf.initialize(rxQueues: 1, txQueues: 1, ringSize: ringSize) }
            pf.startMailboxService()
            var drivers: [IxgbeVFDriver<BusDeviceAccess>] = []
            for vf in bdfs {
                let d = try IxgbeVFDriver(access: bus.access(vf), configuration: .init(ringSize: ringSize))
                try d.start()
                drivers.append(d)
            }
            vfs = drivers
        } catch let e as BenchSetupError {
            throw e
        } catch {
            throw BenchSetupError(description: "82599 with \(vfCount) VFs: \(error)")
        }
        addresses = vfs.map { $0.macAddress ?? MACAddress(0) }
        pools = vfs.compactMap(\.pool)
        pfPool = pf.pool
        guard pools.count == vfs.count else { throw BenchSetupError(description: "82599 VF driver without a buffer pool") }
        let blank = PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0)
        transmitBatch = .allocate(capacity: batch)
        transmitBatch.initialize(repeating: blank)
        receiveBatch = .allocate(capacity: batch)
        receiveBatch.initialize(repeating: blank)
        // Pre-fill every buffer with a UDP frame (ixy's pktgen does the same); per packet the
        // sender only writes the two addresses.
        let template = FrameBuilder.udp(
            source: MACAddress(0), destination: MACAddress(0), sourceIP: 0x0a00_0001, destinationIP: 0x0a00_0002,
            sourcePort: 1234, destinationPort: 4321, frameLength: Self.frameLength)
        for d in vfs {
            guard let pool = d.pool else { continue }
            for i in 0..<pool.count { pool.buffer(at: Int32(i), length: template.count).bytes.copyBytes(from: template) }
        }
    }

    deinit {
        transmitBatch.deallocate()
        receiveBatch.deallocate()
    }

    /// One batch from the current sender to its neighbour; returns frames received.
    func forwardOneBatch() -> Int {
        let s = sender
        sender = sender + 1 == vfs.count ? 0 : sender + 1
        let tx = vfs[s]
        let txPool = pools[s]
        let destination = vfs.count == 1 ? pf.macAddress : addresses[s + 1 == vfs.count ? 0 : s + 1]
        let source = addresses[s]
        let out = transmitBatch
        let n = txPool.allocate(into: out)
        for i in 0..<n {
            out[i].length = Self.frameLength
            if let p = UnsafeMutableRawPointer(bitPattern: out[i].hostAddress) {
                destination.store(to: p)
                source.store(to: p + 6)
            }
        }
        let sent = tx.transmitBatch(queue: 0, UnsafeBufferPointer(rebasing: out[0..<n]))
        for i in sent..<n { txPool.free(out[i]) }
        let received: Int
        if vfs.count == 1 {
            received = pf.receiveBatch(queue: 0, into: receiveBatch)
            pfPool?.free(UnsafeBufferPointer(rebasing: receiveBatch[0..<received]))
        } else {
            let r = s + 1 == vfs.count ? 0 : s + 1
            received = vfs[r].receiveBatch(queue: 0, into: receiveBatch)
            pools[r].free(UnsafeBufferPointer(rebasing: receiveBatch[0..<received]))
        }
        if received != sent || sent != batch { failures += 1 }
        return received
    }
}

/// C-side state of the switching speed-of-light loop: one TX ring and one RX ring (with its
/// buffers) per function of the emulated run, the same size as the driver's rings, used round
/// robin exactly as ``VEBFixture`` uses its VFs (ring pair i carries sender i's frames into its
/// neighbour's RX ring). The C loop thus touches as much ring and buffer memory per round as
/// the emulated one, and the ratio isolates what the emulation adds.
final class SwitchReference {
    let rings: Int
    let entries: UInt32
    let ringBytes: Int
    let bufferBytes: Int
    let tx: HostBuffer
    let rx: HostBuffer
    let txBuffers: HostBuffer
    let rxBuffers: HostBuffer
    let table: UnsafeMutablePointer<UInt64>
    let tableSize: UInt32 = 512
    /// Next descriptor of each ring pair (TX ring i and the RX ring it feeds move together).
    let heads: UnsafeMutablePointer<UInt32>
    var sender = 0
    /// Distance between RX buffers: the driver pool's stride.
    static let bufferStride = 2048 + PacketBufferPool.colourGap

    init(rings: Int, entries: Int, batch: Int, frameLength: Int) {
        self.rings = Swift.max(1, rings)
        self.entries = UInt32(entries)
        ringBytes = entries * 16
        bufferBytes = entries * Self.bufferStride
        tx = HostBuffer(bytes: self.rings * ringBytes)
        rx = HostBuffer(bytes: self.rings * ringBytes)
        rxBuffers = HostBuffer(bytes: self.rings * bufferBytes)
        txBuffers = HostBuffer(bytes: batch * frameLength)
        heads = .allocate(capacity: self.rings)
        heads.initialize(repeating: 0, count: self.rings)
        table = .allocate(capacity: Int(tableSize))
        table.initialize(repeating: .max, count: Int(tableSize))
        let dst: [UInt8] = [0x02, 0, 0, 0, 0x10, 0x01]
        for i in 0..<batch { (txBuffers.pointer + i * frameLength).copyMemory(from: dst, byteCount: 6) }
        let mac: UInt64 = 0x0200_0000_1001
        var slot = Int(truncatingIfNeeded: (mac &* 0x9E37_79B9_7F4A_7C15) >> 55) & Int(tableSize - 1)
        while table[slot] != .max { slot = (slot + 1) & Int(tableSize - 1) }
        table[slot] = mac
    }

    deinit {
        table.deallocate()
        heads.deallocate()
    }

    /// One batch from the current sender's TX ring into its neighbour's RX ring.
    func run(batch: Int, frameLength: Int) -> UInt64 {
        let s = sender
        let receiver = s + 1 == rings ? 0 : s + 1
        sender = receiver
        let bytes = sol_switch_frames(
            tx.pointer + s * ringBytes, rx.pointer + receiver * ringBytes, entries, heads[s], UInt32(batch), txBuffers.pointer,
            rxBuffers.pointer + receiver * bufferBytes, UInt32(Self.bufferStride), UInt32(frameLength), table, tableSize)
        heads[s] = (heads[s] &+ UInt32(batch)) & (entries - 1)
        return bytes
    }
}

extension BenchWorkload {
    /// Frames per batch in the VEB workloads (ixy's default batch).
    public static let vebBatch = 32
    /// Descriptors per ring in the VEB workloads unless named otherwise: ixgbevf's and ixy's
    /// default receive ring.
    public static let vebRingSize = 512

    /// VF-to-VF through the embedded switch: 64-byte frames (60 without FCS), batches of
    /// ``vebBatch``, one core, with `vfCount` VFs enabled and every VF sending in turn.
    ///
    /// Every ring has `ringSize` descriptors (512, ixgbevf's default, unless given). The ring
    /// size sets the guest's working set: each VF keeps a full RX ring of armed buffers, so
    /// 63 VFs with 512-entry rings touch about 5 MB of guest memory per round, 1 VF about 80 KB.
    /// A name with a `-ringN` suffix marks a non-default ring size.
    public static func vebForwarding(vfCount: Int, ringSize: Int = vebRingSize) -> BenchWorkload {
        let batch = vebBatch
        let frame = VEBFixture.frameLength
        return BenchWorkload(
            name: "veb-64B-\(vfCount)vf" + (ringSize == vebRingSize ? "" : "-ring\(ringSize)"),
            operation: "frame",
            summary: "82599 with \(vfCount) VF\(vfCount == 1 ? "" : "s"): ixgbevf-style tx_batch of \(batch) 64-byte frames "
                + "(one VFTDT write), the model reads each advanced descriptor, anti-spoof and MAC lookup in the VEB, "
                + "copies into the next \(vfCount == 1 ? "PF" : "VF")'s RX buffer with write-back; rx_batch on the receiver; "
                + "\(ringSize)-entry rings",
            speedOfLightSummary: "C: write \(batch) TX descriptors, read each, look the MAC up, memcpy 60 B into an RX buffer, "
                + "write RX write-back and TX DD, read them back; \(vfCount) ring pair\(vfCount == 1 ? "" : "s") of \(ringSize) "
                + "used in turn, as the emulated run uses its functions",
            operationsPerIteration: batch
        ) {
            let fixture = try VEBFixture(vfCount: vfCount, batch: batch, ringSize: ringSize)
            let reference = SwitchReference(rings: vfCount, entries: ringSize, batch: batch, frameLength: frame)
            return BenchInstance(
                emulated: { n in
                    var sum: UInt64 = 0
                    for _ in 0..<n { sum &+= UInt64(fixture.forwardOneBatch()) }
                    return sum
                },
                speedOfLight: { n in
                    var sum: UInt64 = 0
                    for _ in 0..<n { sum &+= reference.run(batch: batch, frameLength: frame) }
                    return sum
                },
                failures: { fixture.failures }, owner: fixture)
        }
    }
}
