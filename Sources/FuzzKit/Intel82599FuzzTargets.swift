import Conformance
import Drivers
import Intel82599
import Network
import PCIe
import RegisterModel

/// The rig both 82599 targets build: a PF with a cable whose far end records frames, brought
/// up by the PF reference driver.
final class Intel82599FuzzRig {
    typealias PFR = Intel82599PFRegisters
    typealias VFR = Intel82599VFRegisters

    let bus = PCIBus()
    let wire = Wire()
    let farEnd = FrameRecorder(capacity: 64)
    let pf: PCIFunction
    private(set) var pfDriver: IxgbePFDriver<BusDeviceAccess>
    static let permanentAddress = MACAddress(0x00a0_c900_0001)
    static let bdf = BDF(bus: 0, device: 3, function: 0)
    /// How often the PF driver services the mailbox and the VF drivers poll, in virtual time.
    /// Like the other targets' drivers, every 1 ms: the PF's service timer costs wall time per
    /// virtual second, and inputs may advance up to 10 s (at ixgbe's 100 us, two thirds of the
    /// VF targets' time went to servicing an idle mailbox).
    static let mailboxServiceInterval = VirtualDuration.milliseconds(1)

    init() throws {
        pf = try Intel82599.makePhysicalFunction(
            at: Self.bdf, services: bus.services, totalVFs: 64, wire: wire, permanentAddress: Self.permanentAddress)
        try bus.attach(pf)
        wire.addFarEnd(farEnd)
        _ = Firmware(bus: bus).enumerateAndAssign()
        pfDriver = try Self.bringUp(bus)
    }

    /// A fresh PF driver: reset, link up.
    static func bringUp(_ bus: PCIBus) throws -> IxgbePFDriver<BusDeviceAccess> {
        let d = try IxgbePFDriver(access: bus.access(bdf))
        try d.reset()
        _ = d.waitForLink()
        return d
    }

    /// Re-enumerates (after a bus reset) and brings the PF up again.
    func reinitializePF() throws {
        _ = Firmware(bus: bus).enumerateAndAssign()
        pfDriver.stopMailboxService()
        pfDriver = try Self.bringUp(bus)
    }

    /// The PF's registers as the datasheet wants them after CTRL.RST: mismatches, if any.
    func resetMismatch() -> String? {
        let access = bus.access(Self.bdf)
        let found = Self.resetChecklist.mismatches { access.read32(BARIndex(clamping: 0), UInt64($0)) }
        return found.isEmpty ? nil : found.prefix(4).joined(separator: "; ")
    }

    /// What every PF register must read after CTRL.RST, worked out once per process (matching
    /// each register's name per check was a fifth of the reset check).
    static let resetChecklist = Intel82599ResetExpectations.Checklist(permanentAddress: permanentAddress)

    /// Register offsets of `block` in `bar` (the first instances of arrays).
    static func surfaceRegisters(_ block: RegisterBlock, bar: UInt8) -> [(bar: UInt8, offset: UInt32)] {
        block.registers.flatMap { reg in
            (0..<min(reg.count, 2)).map { (bar: bar, offset: UInt32(reg.offset(ofInstance: $0))) }
        }
    }

    /// Host pointer of descriptor `index` of the ring whose registers start at `base` in BAR0 of
    /// `access` (RDBAL/TDBAL layout: base low, base high, length), or nil when the ring is not
    /// in guest memory.
    static func ringEntry(_ harness: FuzzHarness, _ access: BusDeviceAccess, ringRegisters base: Int, index: Int)
        -> UnsafeMutableRawPointer?
    {
        let bar = BARIndex(clamping: 0)
        let low = UInt64(access.read32(bar, UInt64(base)))
        let high = UInt64(access.read32(bar, UInt64(base + 4)))
        let length = Int(access.read32(bar, UInt64(base + 8)))
        let entries = length / 16
        guard entries > 0 else { return nil }
        return harness.guestPointer((high << 32 | low) &+ UInt64((index % entries) * 16), length: 16)
    }

    /// Sends one frame from `driver`'s queue 0 and reports whether the ring took it.
    static func sendFrame(
        pool: PacketBufferPool?, transmit: (UnsafeBufferPointer<PacketBuffer>) -> Int, from: MACAddress, to: MACAddress
    ) -> Bool {
        guard let pool, var b = pool.allocate() else { return false }
        let frame = FrameBuilder.udp(
            source: from, destination: to, sourceIP: 0x0a00_0001, destinationIP: 0x0a00_0002, sourcePort: 1,
            destinationPort: 2, frameLength: 60)
        b.length = frame.count
        b.bytes.copyBytes(from: frame)
        let sent = [b].withUnsafeBufferPointer { transmit($0) }
        if sent == 0 { pool.free(b) }
        return sent == 1
    }
}

/// The 82599 PF: its register file, RX/TX queues 0 and 1 (rings and doorbells), CTRL.RST,
/// FLR and SR-IOV enable, with the PF driver's queues set up.
public final class Intel82599PFFuzzTarget: FuzzTarget {
    public static let name = "82599-pf"
    public static let summary = "82599 PF register file, RX/TX rings and tails of queues 0-1, CTRL.RST, FLR, VF enable"
    public var harness: FuzzHarness? { bench }
    let bench: FuzzHarness
    public let surface: FuzzSurface
    let rig: Intel82599FuzzRig
    private typealias PFR = Intel82599PFRegisters

    public init() throws {
        rig = try Intel82599FuzzRig()
        try rig.pfDriver.initialize(rxQueues: 2, txQueues: 2, ringSize: 32, bufferCount: 160)
        bench = try FuzzHarness(bus: rig.bus, function: rig.pf)
        surface = FuzzSurface(
            registers: Intel82599FuzzRig.surfaceRegisters(PFR.block, bar: 0), doorbellCount: 6, entryCount: 8,
            entrySize: 16, virtualFunctions: false)
    }

    private static let doorbells = [
        PFR.RDT.offset(0), PFR.TDT.offset(0), PFR.RDT.offset(1), PFR.TDT.offset(1), PFR.EICS.offset,
        PFR.EIMS.offset,
    ]

    public func apply(_ op: FuzzOperation) {
        let access = bench.access
        switch op {
        case .doorbell(let slot, let value):
            access.write32(BARIndex(clamping: 0), UInt64(Self.doorbells[Int(slot) % Self.doorbells.count]), value)
        case .writeEntry(let slot, let mask, let bytes):
            // Even slots: TX queue 0 descriptors; odd: RX queue 0 (the device reads both).
            let base = slot & 1 == 0 ? PFR.TDBAL.offset(0) : PFR.RDBAL.offset(0)
            if let entry = Intel82599FuzzRig.ringEntry(bench, access, ringRegisters: base, index: Int(slot >> 1)) {
                bench.writeEntry(entry, bytes: Array(bytes.prefix(16)), pointerMask: mask)
            }
        case .reset(.device):
            access.write32(BARIndex(clamping: 0), UInt64(PFR.CTRL.offset), UInt32(PFR.CTRL.resetField.mask))
        case .setVirtualFunctions(let count):
            _ = try? access.enableVirtualFunctions(Int(count))
        case .reinitialize:
            try? rig.reinitializePF()
            bench.access.refreshBARs()
            try? rig.pfDriver.initialize(rxQueues: 2, txQueues: 2, ringSize: 32, bufferCount: 160)
        default:
            break
        }
    }

    public func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? {
        guard case .reset(.device) = op, bench.registersReachable else { return nil }
        rig.bus.services.clock.advance(by: .milliseconds(20))
        return rig.resetMismatch().map { ("CTRL.RST returns every register to its reset value", $0) }
    }

    public func finalCheck() -> (invariant: String, detail: String)? {
        rig.bus.reset()
        do {
            try rig.reinitializePF()
            bench.access.refreshBARs()
            try rig.pfDriver.initialize(rxQueues: 1, txQueues: 1, ringSize: 32, bufferCount: 128)
        } catch {
            return ("the reference driver re-initialises the device", "\(error)")
        }
        let before = rig.farEnd.count
        let d = rig.pfDriver
        let sent = Intel82599FuzzRig.sendFrame(
            pool: d.pool, transmit: { d.transmitBatch(queue: 0, $0) }, from: Intel82599FuzzRig.permanentAddress,
            to: MACAddress(0x0200_0000_00ff))
        guard sent, rig.farEnd.count == before + 1 else {
            return ("the reference driver moves traffic after re-initialisation", "frame did not reach the wire")
        }
        return nil
    }
}
