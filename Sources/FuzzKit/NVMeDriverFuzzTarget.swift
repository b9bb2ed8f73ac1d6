import Drivers
import NVMe
import PCIe
import RegisterModel

/// The other direction: a hostile NVMe device fuzzes the reference driver. The controller
/// model runs normally, but the operations also write completion entries the device never
/// sent (unknown command ids, flipped phase tags, impossible SQ heads and statuses) into the
/// admin and I/O completion queues while the driver submits, waits and reaps. The driver must
/// count and ignore what makes no sense, time out cleanly, and recover with a reset.
public final class NVMeDriverFuzzTarget: FuzzTarget {
    public static let name = "nvme-driver"
    public static let summary = "hostile device: forged completions in the admin and I/O CQs under the NVMe reference driver"
    public var harness: FuzzHarness? { bench }
    let bench: FuzzHarness
    public let surface: FuzzSurface
    let bus = PCIBus()
    private var driver: NVMeDriver<BusDeviceAccess>?
    private let data: DMABuffer
    static let bdf = BDF(bus: 0, device: 4, function: 0)

    public init() throws {
        let configuration = NVMeControllerConfiguration(
            kind: .ebs(volumeID: "vol-0f0220000000000d", blockDeviceName: "/dev/sdf"), capacityBytes: 256 * 512,
            blockSize: 512, ioQueuePairs: 1, maximumTransferPages: 5)
        let f = try NVMe.makeController(at: Self.bdf, services: bus.services, configuration: configuration)
        try bus.attach(f)
        _ = Firmware(bus: bus).enumerateAndAssign()
        bench = try FuzzHarness(bus: bus, function: f)
        data = try bench.access.allocateDMA(4096)
        surface = FuzzSurface(registers: [], doorbellCount: 6, entryCount: 32, entrySize: 16, virtualFunctions: false)
        driver = try Self.startDriver(bench.access)
    }

    private static func startDriver(_ access: BusDeviceAccess) throws -> NVMeDriver<BusDeviceAccess> {
        access.enableBusMaster()
        let d = try NVMeDriver(
            access: access,
            configuration: .init(
                ioQueueCount: 1, ioQueueDepth: 8, adminQueueDepth: 8, asyncEventRequests: 1,
                commandTimeout: .milliseconds(2), eraseTimeout: .milliseconds(20), pollInterval: .milliseconds(1)))
        try d.start()
        return d
    }

    public func apply(_ op: FuzzOperation) {
        switch op {
        case .writeEntry(let slot, let mask, let bytes):
            forgeCompletion(slot: Int(slot), phase: mask & 3, bytes: Array(bytes.prefix(16)))
        case .doorbell(let slot, let value):
            driverAction(Int(slot) % 6, value)
        case .reset(.device):
            try? driver?.reset()
        case .reinitialize:
            bench.reenumerate()
            driver = try? Self.startDriver(bench.access)
        default:
            // Register writes and config changes go to the device as usual (the generic ops);
            // the driver must cope with what that does to it.
            break
        }
    }

    /// Writes a completion entry the device did not send: even slots in the admin CQ (ACQ),
    /// odd in I/O CQ 1. `phase` 1 or 2 forces the phase tag to 1 or 0.
    private func forgeCompletion(slot: Int, phase: UInt8, bytes: [UInt8]) {
        let access = bench.access
        let address: UInt64
        let entries: Int
        if slot & 1 == 0 {
            address = access.read64(BARIndex(clamping: 0), UInt64(NVMeRegisters.ACQ.offset))
            entries = Int(access.read32(BARIndex(clamping: 0), UInt64(NVMeRegisters.AQA.offset)) >> 16 & 0xFFF) + 1
        } else {
            guard let ring = driver?.completionQueueRing(queue: 0) else { return }
            address = ring.address.value
            entries = ring.entries
        }
        guard let entry = bench.guestPointer(address &+ UInt64((slot >> 1) % entries * 16), length: 16) else { return }
        var forged = bytes
        if phase == 1 { forged[14] |= 1 }
        if phase == 2 { forged[14] &= ~1 }
        bench.writeEntry(entry, bytes: forged, pointerMask: 0)
    }

    /// What the driver does next: submit without waiting, reap, blocking read and write, an
    /// admin command, poll for async events.
    private func driverAction(_ action: Int, _ value: UInt32) {
        guard let d = driver else { return }
        let lba = UInt64(value % 256)
        switch action {
        case 0:
            if let id = try? d.submitRead(queue: 0, lba: lba, blocks: 1, into: data) { _ = id }
            d.ringDoorbell(queue: 0)
        case 1:
            var out = [NVMeCompletion](repeating: NVMeCompletion(), count: 8)
            _ = out.withUnsafeMutableBufferPointer { d.reap(queue: 0, into: $0) }
        case 2: try? d.read(lba: lba, blocks: 1, into: data)
        case 3: try? d.write(lba: lba, blocks: 1, from: data)
        case 4: _ = try? d.getFeature(.numberOfQueues)
        default: _ = try? d.pollAsyncEvents()
        }
    }

    public func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? { nil }

    public func finalCheck() -> (invariant: String, detail: String)? {
        bench.reenumerate()
        bench.functionLevelReset()
        do {
            let d = try Self.startDriver(bench.access)
            for i in 0..<512 { data.host[i] = UInt8(truncatingIfNeeded: i &* 13) }
            try d.write(lba: 9, blocks: 1, from: data, offset: 0)
            try d.read(lba: 9, blocks: 1, into: data, offset: 2048)
            guard Array(data.host[0..<512]) == Array(data.host[2048..<2560]) else {
                return ("the driver recovers from a hostile device", "block 9 reads back different")
            }
        } catch {
            return ("the driver recovers from a hostile device", "\(error)")
        }
        return nil
    }
}
