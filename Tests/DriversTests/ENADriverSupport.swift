import ENA
import Network
import PCIe
import Testing

@testable import Drivers

typealias ENATestDriver = ENADriver<BusDeviceAccess>

/// One ENA at 00:05.0, enumerated by firmware and (optionally) started by the reference driver.
/// Its wire ends in a loopback plug (what it transmits comes back to its receive queues) and a
/// recorder, unless told otherwise.
final class ENADriverBench {
    let bus = PCIBus()
    let address = BDF(bus: 0, device: 5, function: 0)
    let wire = Wire()
    let recorder = FrameRecorder(capacity: 4096)
    let loopback = WireLoopback()
    let access: BusDeviceAccess
    let device: ENADevice
    let driver: ENATestDriver

    init(
        _ configuration: ENAConfiguration = ENAConfiguration(allowances: .unlimited),
        driver settings: ENATestDriver.Configuration = ENATestDriver.Configuration(), loop: Bool = true, start: Bool = true
    ) throws {
        let function = try ENA.makeFunction(at: address, services: bus.services, configuration: configuration, wire: wire)
        try bus.attach(function)
        Firmware(bus: bus).enumerateAndAssign()
        device = try #require(function.model as? ENADevice)
        wire.addFarEnd(recorder)
        if loop { loopback.attach(to: wire) }
        access = bus.access(address)
        driver = try ENATestDriver(access: access, configuration: settings)
        if start { try driver.start() }
    }

    var clock: VirtualClock { bus.services.clock }
    /// Guest errors recorded so far, as text.
    var guestErrors: [String] { bus.services.guestErrors.entries.map(\.description) }

    /// A UDP frame of `length` bytes from the instance (destination `to`, source port `port`).
    func frame(_ n: Int, length: Int = 60, port: UInt16 = 1000, to destination: MACAddress = MACAddress(0x0200_0000_0001))
        -> [UInt8]
    {
        FrameBuilder.udp(
            source: device.configuration.macAddress, destination: destination, sourceIP: 0x0a00_0002,
            destinationIP: 0x0a00_0001, sourcePort: port, destinationPort: 4791,
            payload: FrameBuilder.pattern(length: length - 42, seed: UInt64(n)))
    }

    /// Copies `frames` into pool buffers and transmits them on pair `queue`; returns how many
    /// were queued (the others go back to the pool).
    @discardableResult
    func send(_ frames: [[UInt8]], queue: Int = 0) -> Int {
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
        return queued
    }

    /// Receives on pair `queue` until `expected` frames arrived or nothing more comes; frames are
    /// reassembled from their buffers (last-buffer bit) and the buffers go back to the pool.
    func receive(_ expected: Int, queue: Int = 0) -> [[UInt8]] {
        guard let pool = driver.pool else { return [] }
        var frames: [[UInt8]] = []
        var batch = [PacketBuffer](
            repeating: PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0), count: 32)
        var current: [UInt8] = []
        var idle = 0
        while frames.count < expected, idle < 3 {
            let n = batch.withUnsafeMutableBufferPointer { driver.receiveBatch(queue: queue, into: $0) }
            idle = n == 0 ? idle + 1 : 0
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

    /// Sends `count` frames through the loopback and checks they come back byte-exact.
    func roundTrip(_ count: Int, length: Int = 60, queue: Int = 0) -> Bool {
        let sent = (0..<count).map { frame($0, length: length) }
        var got: [[UInt8]] = []
        var offset = 0
        while offset < count {
            let chunk = Array(sent[offset..<min(offset + 32, count)])
            let queued = send(chunk, queue: queue)
            guard queued == chunk.count else { return false }
            got += receive(queued, queue: queue)
            offset += queued
        }
        driver.reclaimTransmitted(queue: queue)
        return got == sent
    }

    /// The admin commands the driver posted, in order, as (opcode, feature id) for the first
    /// `count` entries of its admin queue.
    func adminLog(_ count: Int) -> [(opcode: UInt8, feature: UInt8)] {
        guard let admin = driver.admin, let base = admin.submission.host.baseAddress else { return [] }
        return (0..<min(count, admin.depth)).map { i in
            let e = ENAAdminEntry(loadingFrom: base + i * ENAAdminEntry.size)
            return (e.opcode, e.load(UInt8.self, at: 17))
        }
    }

    /// Runs the driver's timer service once a second for `seconds` seconds of virtual time;
    /// returns the resets it did.
    func runTimer(seconds: Int) throws -> [ENAResetReason] {
        var resets: [ENAResetReason] = []
        for _ in 0..<seconds {
            clock.advance(by: .seconds(1))
            if let reason = try driver.serviceTimer() { resets.append(reason) }
        }
        return resets
    }
}
