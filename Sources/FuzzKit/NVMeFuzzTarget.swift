import Drivers
@_spi(KeyInjection) import NVMe
import PCIe
import RegisterModel

/// An encrypting (instance-storage) NVMe controller brought up by the reference driver: its
/// registers, admin and I/O submission queue entries (PRP and SGL pointers into the arena),
/// doorbells of existing and missing queues, CC.EN and FLR resets.
public final class NVMeFuzzTarget: FuzzTarget {
    public static let name = "nvme"
    public static let summary = "NVMe instance store (XTS): registers, admin and I/O commands with PRP/SGL, doorbells, resets"
    public var harness: FuzzHarness? { bench }
    let bench: FuzzHarness
    public let surface: FuzzSurface
    let bus = PCIBus()
    let controller: NVMeController
    private var driver: NVMeDriver<BusDeviceAccess>?
    private typealias NR = NVMeRegisters
    /// The key installed through the test seam, so the store can be searched for it.
    static let key: [UInt8] = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    /// The key's two halves, which the store scan looks for.
    static let keyHalves = (Array(key.prefix(32)), Array(key.suffix(32)))
    static let bdf = BDF(bus: 0, device: 4, function: 0)
    static let blocks: UInt64 = 512

    public convenience init() throws { try self.init(encrypted: true) }

    /// `encrypted: false` exists for the test that shows the store scan finds plaintext.
    init(encrypted: Bool) throws {
        let configuration = NVMeControllerConfiguration(
            kind: encrypted
                ? .instanceStore(serial: "AWSFUZZ0000000000001")
                : .ebs(volumeID: "vol-0f02200000000001", blockDeviceName: "/dev/sdf"), capacityBytes: Self.blocks * 512,
            blockSize: 512,
            encrypted: encrypted, ioQueuePairs: 2, maximumTransferPages: 5)
        let f = try NVMe.makeController(at: Self.bdf, services: bus.services, configuration: configuration)
        try bus.attach(f)
        _ = Firmware(bus: bus).enumerateAndAssign()
        guard let c = f.model as? NVMeController else { throw FuzzSetupError(detail: "no NVMe model") }
        controller = c
        if encrypted { try controller.installTestKey(Self.key) }
        bench = try FuzzHarness(bus: bus, function: f)
        surface = FuzzSurface(
            registers: NR.block.registers.map { (bar: 0, offset: UInt32($0.offset)) }, doorbellCount: Self.doorbells.count,
            entryCount: 16, entrySize: 64, virtualFunctions: false)
        driver = try? Self.startDriver(bench.access)
    }

    private static func startDriver(_ access: BusDeviceAccess) throws -> NVMeDriver<BusDeviceAccess> {
        access.enableBusMaster()
        let d = try NVMeDriver(
            access: access,
            configuration: .init(
                ioQueueCount: 2, ioQueueDepth: 16, adminQueueDepth: 16, asyncEventRequests: 2,
                pollInterval: .milliseconds(1)))
        try d.start()
        return d
    }

    /// SQ tail and CQ head doorbells of the admin queue, both I/O queues and a queue that does
    /// not exist (CAP.DSTRD is 0: 8 bytes per queue from 0x1000).
    private static let doorbells: [UInt64] = [0x1000, 0x1004, 0x1008, 0x100C, 0x1010, 0x1014, 0x1048, 0x1FFC]

    public func apply(_ op: FuzzOperation) {
        let access = bench.access
        let bar = BARIndex(clamping: 0)
        switch op {
        case .doorbell(let slot, let value):
            access.write32(bar, Self.doorbells[Int(slot) % Self.doorbells.count], value)
        case .writeEntry(let slot, let mask, let bytes):
            if let entry = entryPointer(slot: Int(slot)) { bench.writeEntry(entry, bytes: bytes, pointerMask: mask) }
        case .reset(.device):
            let cc = access.read32(bar, UInt64(NR.CC.offset))
            access.write32(bar, UInt64(NR.CC.offset), cc & ~1)
        case .reinitialize:
            bench.reenumerate()
            driver = try? Self.startDriver(access)
        default:
            break
        }
    }

    /// Even slots: admin SQ entries (ASQ, AQA.ASQS); odd: I/O SQ 1 as the driver built it.
    private func entryPointer(slot: Int) -> UnsafeMutableRawPointer? {
        if slot & 1 == 0 {
            let access = bench.access
            let asq = access.read64(BARIndex(clamping: 0), UInt64(NR.ASQ.offset))
            let size = Int(access.read32(BARIndex(clamping: 0), UInt64(NR.AQA.offset)) & 0xFFF) + 1
            return bench.guestPointer(asq &+ UInt64((slot >> 1) % size * 64), length: 64)
        }
        guard let ring = driver?.submissionQueueRing(queue: 0), ring.entries > 0 else { return nil }
        return bench.guestPointer(ring.address.value &+ UInt64((slot >> 1) % ring.entries * 64), length: 64)
    }

    public func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? {
        guard case .reset(.functionLevel) = op, bench.registersReachable else { return nil }
        let access = bench.access
        for reg in NR.block.registers where reg.writeOnlyMask & reg.widthMask != reg.widthMask {
            let at = UInt64(reg.offset)
            let value =
                reg.width == 8 ? access.read64(BARIndex(clamping: 0), at) : UInt64(access.read32(BARIndex(clamping: 0), at))
            if value != reg.reset {
                return ("FLR returns every register to its reset value", "\(reg.name) reads \(value), reset \(reg.reset)")
            }
        }
        return nil
    }

    public func finalCheck() -> (invariant: String, detail: String)? {
        if let leak = storeLeak() { return leak }
        bench.reenumerate()
        bench.functionLevelReset()
        let d: NVMeDriver<BusDeviceAccess>
        do {
            d = try Self.startDriver(bench.access)
        } catch {
            return ("the reference driver re-initialises the controller", "\(error)")
        }
        do {
            let buffer = try bench.access.allocateDMA(512)
            for i in 0..<512 { buffer.host[i] = UInt8(truncatingIfNeeded: i &* 7) }
            try d.write(lba: 3, blocks: 1, from: buffer)
            let back = try bench.access.allocateDMA(512)
            try d.read(lba: 3, blocks: 1, into: back)
            guard Array(back.host) == Array(buffer.host) else {
                return ("data reads back after re-initialisation", "block 3 differs")
            }
        } catch {
            return ("I/O works after re-initialisation", "\(error)")
        }
        return nil
    }

    /// The store never holds the marker plaintext nor the key: the first block that does.
    func storeLeak() -> (invariant: String, detail: String)? {
        // Every block that may hold a non-zero byte, read in place (copying each block out was a
        // fifth of the target's time), all three needles in one pass (searching each with memchr
        // was a fifth again). The other blocks are on pages of the store never populated, which
        // read as zeroes and so hold no needle (each has a non-zero byte); reading them was a
        // page fault each, a quarter of the target's time.
        for blocks in controller.storedBlocksThatMayHoldData() {
            for lba in blocks {
                let found = controller.withStoredBytes(ofBlock: lba) { Self.secretScanner.presence(in: $0) }
                if found & 1 != 0 {
                    return ("no plaintext in an encrypting controller's store", "block \(lba) holds the marker in clear")
                }
                if found != 0 { return ("no key bytes in the store", "block \(lba) holds half of the key") }
            }
        }
        return nil
    }

    /// The plaintext marker (bit 0) and the two halves of the key.
    static let secretScanner = RunScanner([FuzzHarness.plaintextMarker, keyHalves.0, keyHalves.1])

    /// Writes the first block of the arena to `lba` through the reference driver (tests).
    func writeArenaToBlock(_ lba: UInt64) throws {
        try driver?.write(lba: lba, blocks: 1, from: bench.arena)
    }
}
