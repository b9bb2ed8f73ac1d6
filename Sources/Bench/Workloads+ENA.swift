import CSpeedOfLight
import Drivers
import ENA
import Network
import PCIe

/// An ENA on a fresh bus, bound to the reference driver as `devbench` binds it, its wire ending
/// in a loopback plug: every frame it transmits comes back to its receive queue.
final class ENALoopbackFixture {
    let bus = PCIBus()
    let wire = Wire()
    let loopback = WireLoopback()
    let driver: ENADriver<BusDeviceAccess>
    let device: ENADevice
    /// The batch being sent and the one received (allocated once: no copy-on-write check or
    /// exclusivity check per batch).
    let transmitBatch: UnsafeMutableBufferPointer<PacketBuffer>
    let receiveBatch: UnsafeMutableBufferPointer<PacketBuffer>
    @exclusivity(unchecked) var failures = 0
    let batch: Int
    /// Virtual time each batch takes (0: the clock stands still).
    let batchTime: VirtualDuration
    static let frameLength = 60

    init(allowances: NitroAllowances, placement: ENADriver<BusDeviceAccess>.Placement, batch: Int, batchTime: VirtualDuration)
        throws
    {
        self.batch = batch
        self.batchTime = batchTime
        let bdf = BDF(bus: 0, device: 6, function: 0)
        do {
            let function = try ENA.makeFunction(
                at: bdf, services: bus.services, configuration: ENAConfiguration(queuePairs: 1, allowances: allowances),
                wire: wire)
            try bus.attach(function)
            Firmware(bus: bus).enumerateAndAssign()
            guard let model = function.model as? ENADevice else { throw BenchSetupError(description: "no ENA model") }
            device = model
            loopback.attach(to: wire)
            driver = try ENADriver(
                access: bus.access(bdf), configuration: .init(queuePairs: 1, ringSize: 512, placement: placement))
            try driver.start()
        } catch let e as BenchSetupError {
            throw e
        } catch {
            throw BenchSetupError(description: "ENA: \(error)")
        }
        let blank = PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0)
        transmitBatch = .allocate(capacity: batch)
        transmitBatch.initialize(repeating: blank)
        receiveBatch = .allocate(capacity: batch)
        receiveBatch.initialize(repeating: blank)
        // Every buffer holds a UDP frame to the instance itself (ixy's pktgen pre-fills the same way).
        let mac = device.configuration.macAddress
        let template = FrameBuilder.udp(
            source: mac, destination: mac, sourceIP: 0x0a00_0001, destinationIP: 0x0a00_0002, sourcePort: 1234,
            destinationPort: 4321, frameLength: Self.frameLength)
        if let pool = driver.pool {
            for i in 0..<pool.count { pool.buffer(at: Int32(i), length: template.count).bytes.copyBytes(from: template) }
        }
    }

    deinit {
        transmitBatch.deallocate()
        receiveBatch.deallocate()
    }

    /// One batch out of the Tx queue and back into the Rx queue; returns frames received.
    func loopOneBatch() -> Int {
        guard let pool = driver.pool else { return 0 }
        if batchTime.nanoseconds > 0 { bus.services.clock.advance(by: batchTime) }
        let out = transmitBatch
        let n = pool.allocate(into: out)
        for i in 0..<n { out[i].length = Self.frameLength }
        let sent = driver.transmitBatch(queue: 0, UnsafeBufferPointer(rebasing: out[0..<n]))
        if sent < n { pool.free(UnsafeBufferPointer(rebasing: out[sent..<n])) }
        let received = driver.receiveBatch(queue: 0, into: receiveBatch)
        pool.free(UnsafeBufferPointer(rebasing: receiveBatch[0..<received]))
        if received != sent || sent != batch { failures += 1 }
        return received
    }
}

/// C-side state of the ENA loopback speed-of-light loop.
final class ENALoopbackReference {
    static let entries: UInt32 = 512
    let tx = HostBuffer(bytes: Int(entries) * 16)
    let txCompletions = HostBuffer(bytes: Int(entries) * 8)
    let rx = HostBuffer(bytes: Int(entries) * 16)
    let rxCompletions = HostBuffer(bytes: Int(entries) * 16)
    let txBuffers: HostBuffer
    let rxBuffers = HostBuffer(bytes: Int(entries) * 2048)
    var head: UInt32 = 0

    init(batch: Int, frameLength: Int) {
        txBuffers = HostBuffer(bytes: batch * frameLength)
        for i in 0..<Int(Self.entries) {
            let address = UInt64(UInt(bitPattern: rxBuffers.pointer + i * 2048))
            (rx.pointer + i * 16).storeBytes(of: UInt64(2048) | UInt64(i) << 32, as: UInt64.self)
            (rx.pointer + i * 16 + 8).storeBytes(of: address, as: UInt64.self)
        }
    }

    func run(batch: Int, frameLength: Int) -> UInt64 {
        let r = sol_ena_tx_rx(
            tx.pointer, txCompletions.pointer, rx.pointer, rxCompletions.pointer, Self.entries, head, UInt32(batch),
            txBuffers.pointer, rxBuffers.pointer, UInt32(frameLength))
        head = (head &+ UInt32(batch)) & (2 * Self.entries - 1)
        return r
    }
}

extension BenchWorkload {
    /// Frames per batch in the ENA workloads (ixy's default batch).
    public static let enaBatch = 32

    /// ENA Tx to Rx through a loopback plug: 64-byte frames (60 without FCS), batches of
    /// ``enaBatch``, one core, unlimited allowances; Tx descriptors in host memory or in the LLQ BAR.
    public static func enaTransmitReceive(placement: ENADriver<BusDeviceAccess>.Placement) -> BenchWorkload {
        let batch = enaBatch
        let frame = ENALoopbackFixture.frameLength
        let llq = placement == .lowLatency
        return BenchWorkload(
            name: llq ? "ena-64B-tx-rx-llq" : "ena-64B-tx-rx", operation: "frame",
            summary: "ENA, unlimited allowances: tx_batch of \(batch) 64-byte frames "
                + (llq ? "(one 128-byte LLQ entry each, 16 qword MMIO writes, inline header)" : "(one descriptor each)")
                + ", one doorbell; the model gathers each frame, sends it to the wire and a loopback plug brings it back "
                + "into an Rx buffer with a completion; rx_batch reaps and refills",
            speedOfLightSummary: "C: write \(batch) Tx descriptors, read each and its Rx descriptor, memcpy 60 B, "
                + "write Rx and Tx completions, read them back, re-post the Rx descriptors",
            operationsPerIteration: batch
        ) {
            let fixture = try ENALoopbackFixture(
                allowances: .unlimited, placement: placement, batch: batch, batchTime: VirtualDuration(nanoseconds: 0))
            let reference = ENALoopbackReference(batch: batch, frameLength: frame)
            return BenchInstance(
                emulated: { n in
                    var sum: UInt64 = 0
                    for _ in 0..<n { sum &+= UInt64(fixture.loopOneBatch()) }
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

    /// The cost of the Nitro allowance shaper: the ``enaTransmitReceive(placement:)`` path with
    /// the default allowances (1 M packets/s, 10 Gb/s each way) and the virtual clock moving 64 µs
    /// per batch, so the buckets refill as fast as the batches drain them and nothing is ever
    /// held; its "speed of light" is the same path and clock with unlimited allowances. The
    /// difference of the medians is the shaper's cost per frame (two admissions: out and in).
    public static var enaAllowanceShaper: BenchWorkload {
        let batch = enaBatch
        let pps = NitroAllowances.default.packetsPerSecond
        let batchTime = VirtualDuration(nanoseconds: UInt64(2 * batch) * 1_000_000_000 / pps)
        return BenchWorkload(
            name: "ena-allowance-shaper", operation: "frame",
            summary: "ENA Tx to Rx (host placement, batch \(batch), 64-byte frames) through the default Nitro allowances, "
                + "never exceeded: each frame is admitted by the pps and bandwidth buckets out and in",
            speedOfLightSummary: "the same ENA path and virtual clock with unlimited allowances (no shaper)",
            operationsPerIteration: batch
        ) {
            let shaped = try ENALoopbackFixture(allowances: .default, placement: .host, batch: batch, batchTime: batchTime)
            let unshaped = try ENALoopbackFixture(allowances: .unlimited, placement: .host, batch: batch, batchTime: batchTime)
            return BenchInstance(
                emulated: { n in
                    var sum: UInt64 = 0
                    for _ in 0..<n { sum &+= UInt64(shaped.loopOneBatch()) }
                    return sum
                },
                speedOfLight: { n in
                    var sum: UInt64 = 0
                    for _ in 0..<n { sum &+= UInt64(unshaped.loopOneBatch()) }
                    return sum
                },
                failures: { shaped.failures + unshaped.failures + Int(shaped.device.allowanceCounters.queued) },
                owner: ENAShaperPair(shaped, unshaped))
        }
    }
}

/// Keeps both fixtures of the shaper workload alive.
final class ENAShaperPair {
    let shaped: ENALoopbackFixture
    let unshaped: ENALoopbackFixture
    init(_ shaped: ENALoopbackFixture, _ unshaped: ENALoopbackFixture) {
        self.shaped = shaped
        self.unshaped = unshaped
    }
}
