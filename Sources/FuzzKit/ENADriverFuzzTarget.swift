import Drivers
import ENA
import Network
import PCIe
import RegisterModel

/// The other direction for the ENA: a hostile device fuzzes the ENA reference driver. The model
/// runs normally (its port looped back, so frames come back as receive completions), but the
/// operations also write entries the device never sent into the admin completion queue, the
/// async event queue and the Tx and Rx completion queues (unknown request ids, impossible
/// lengths, flipped phase bits, events of unknown groups) while the driver transmits, receives,
/// reclaims, processes events, runs its watchdog and issues admin commands. The driver must
/// count and ignore what makes no sense, time out cleanly and recover with a reset.
public final class ENADriverFuzzTarget: FuzzTarget {
    public static let name = "ena-driver"
    public static let summary =
        "hostile device: forged admin, event, Tx and Rx completions under the ENA reference driver"
    public var harness: FuzzHarness? { bench }
    let bench: FuzzHarness
    public let surface: FuzzSurface
    let bus = PCIBus()
    let wire = Wire()
    let loopback = WireLoopback()
    private var driver: ENADriver<BusDeviceAccess>?
    private typealias R = ENARegisters
    static let bdf = BDF(bus: 0, device: 6, function: 0)
    static let address = MACAddress(0x0200_0000_0e01)

    public init() throws {
        let configuration = ENAConfiguration(macAddress: Self.address, queuePairs: 1, allowances: .unlimited)
        let f = try ENA.makeFunction(at: Self.bdf, services: bus.services, configuration: configuration, wire: wire)
        try bus.attach(f)
        loopback.attach(to: wire)
        _ = Firmware(bus: bus).enumerateAndAssign()
        bench = try FuzzHarness(bus: bus, function: f)
        surface = FuzzSurface(registers: [], doorbellCount: 8, entryCount: 64, entrySize: 64, virtualFunctions: false)
        driver = try Self.startDriver(bench.access)
    }

    private static func startDriver(_ access: BusDeviceAccess) throws -> ENADriver<BusDeviceAccess> {
        access.enableBusMaster()
        let d = try ENADriver(
            access: access,
            configuration: .init(queuePairs: 1, ringSize: 64, placement: .host, bufferCount: 256, pollInterval: .milliseconds(1)))
        try d.start()
        return d
    }

    public func apply(_ op: FuzzOperation) {
        switch op {
        case .writeEntry(let slot, let mask, let bytes):
            forge(slot: Int(slot), phase: mask & 3, bytes: bytes)
        case .doorbell(let slot, let value):
            driverAction(Int(slot) % 8, value)
        case .reset(.device):
            try? driver?.resetAndRecover(reason: .generic)
        case .reinitialize:
            bench.reenumerate()
            driver = try? Self.startDriver(bench.access)
        default:
            // Register writes and config changes reach the device as usual; the driver must cope.
            break
        }
    }

    /// Writes an entry the device did not send. `slot` mod 4 picks the queue (admin completion,
    /// async event, Tx completion, Rx completion), the rest the entry; `phase` 1 or 2 forces the
    /// entry's phase bit to 1 or 0.
    private func forge(slot: Int, phase: UInt8, bytes: [UInt8]) {
        let index = slot >> 2
        let base: UInt64
        let entries: Int
        let size: Int
        let phaseByte: Int
        switch slot & 3 {
        case 0:
            (base, entries) = deviceQueue(low: R.ACQ_BASE_LO.offset, high: R.ACQ_BASE_HI.offset, caps: R.ACQ_CAPS.offset)
            (size, phaseByte) = (ENAAdminEntry.size, 3)
        case 1:
            (base, entries) = deviceQueue(low: R.AENQ_BASE_LO.offset, high: R.AENQ_BASE_HI.offset, caps: R.AENQ_CAPS.offset)
            (size, phaseByte) = (ENAAdminEntry.size, 4)
        default:
            let tx = slot & 3 == 2
            guard let ring = driver?.completionQueueRing(pair: 0, tx: tx) else { return }
            (base, entries) = (ring.address.value, ring.entries)
            (size, phaseByte) = (tx ? ENATxCompletion.size : ENARxCompletion.size, 3)
        }
        guard entries > 0, let entry = bench.guestPointer(base &+ UInt64(index % entries * size), length: size)
        else { return }
        var forged = Array(bytes.prefix(size))
        forged += [UInt8](repeating: 0, count: size - forged.count)
        if phase == 1 { forged[phaseByte] |= 1 }
        if phase == 2 { forged[phaseByte] &= ~1 }
        bench.writeEntry(entry, bytes: forged, pointerMask: 0)
    }

    /// Base and depth of a queue the driver gave the device through its base and caps registers.
    private func deviceQueue(low: Int, high: Int, caps: Int) -> (base: UInt64, entries: Int) {
        let access = bench.access
        let base =
            UInt64(access.read32(ENA.registerBAR, UInt64(high))) << 32 | UInt64(access.read32(ENA.registerBAR, UInt64(low)))
        return (base, Int(access.read32(ENA.registerBAR, UInt64(caps)) & 0xFFFF))
    }

    /// What the driver does next: send a batch, receive, reclaim, process events, run the
    /// watchdog (which may reset and recover the device), an admin command, wait for a frame,
    /// let virtual time pass.
    private func driverAction(_ action: Int, _ value: UInt32) {
        guard let d = driver else { return }
        switch action {
        case 0:
            let count = Int(value % 8) + 1
            for _ in 0..<count {
                _ = Intel82599FuzzRig.sendFrame(
                    pool: d.pool, transmit: { d.transmitBatch(queue: 0, $0) }, from: Self.address, to: Self.address)
            }
        case 1:
            guard let pool = d.pool else { return }
            let blank = PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0)
            var out = [PacketBuffer](repeating: blank, count: 16)
            let n = out.withUnsafeMutableBufferPointer { d.receiveBatch(queue: 0, into: $0) }
            for b in out.prefix(n) {
                // A buffer the driver handed out must be one of its own and fit it.
                if !pool.owns(b) || b.length > pool.bufferSize { handedOutBad = true }
                pool.free(b)
            }
        case 2: _ = d.reclaimTransmitted(queue: 0)
        case 3: _ = d.processEvents()
        case 4: _ = try? d.serviceTimer()
        case 5: _ = try? d.basicStatistics()
        case 6: _ = d.waitForReceive(queue: 0, timeout: .milliseconds(UInt64(value % 4)))
        default: bus.services.clock.advance(by: .milliseconds(UInt64(value % 8)))
        }
    }

    private var handedOutBad = false

    public func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? {
        handedOutBad ? ("the driver hands out only its own buffers, within their size", "after \(op)") : nil
    }

    public func finalCheck() -> (invariant: String, detail: String)? {
        bench.reenumerate()
        bench.functionLevelReset()
        do {
            let d = try Self.startDriver(bench.access)
            guard
                Intel82599FuzzRig.sendFrame(
                    pool: d.pool, transmit: { d.transmitBatch(queue: 0, $0) }, from: Self.address, to: Self.address),
                d.waitForReceive(queue: 0, timeout: .milliseconds(10))
            else { return ("the driver recovers from a hostile device", "a looped-back frame did not come back") }
        } catch {
            return ("the driver recovers from a hostile device", "\(error)")
        }
        return nil
    }
}
