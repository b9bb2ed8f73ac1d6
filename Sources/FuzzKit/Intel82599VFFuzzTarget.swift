import Drivers
import Intel82599
import Network
import PCIe
import RegisterModel

/// An 82599 VF as a hostile guest drives it: VF 0's config space, register window, rings and
/// mailbox, next to VF 1 and the PF, whose memory VF 0 must never reach and whose service it
/// must never break.
public final class Intel82599VFFuzzTarget: FuzzTarget {
    public static let name = "82599-vf"
    public static let summary =
        "82599 VF 0: register window, rings and tails, mailbox messages, VFLR, VF re-enable; VF 1 is the victim"
    public var harness: FuzzHarness? { bench }
    let bench: FuzzHarness
    public let surface: FuzzSurface
    let rig: Intel82599FuzzRig
    private var vfDrivers: [IxgbeVFDriver<BusDeviceAccess>] = []
    private var vfBDFs: [BDF] = []
    /// Bytes of VF 1's private memory that must never show up in VF 0's arena.
    private let secret: [UInt8]
    private typealias VFR = Intel82599VFRegisters
    static let addresses = [MACAddress(0x0200_0000_0a00), MACAddress(0x0200_0000_0a01)]

    public init() throws {
        let rig = try Intel82599FuzzRig()
        let bdfs = try Self.startVFs(rig)
        guard let vf0 = rig.bus.function(at: bdfs[0]) else { throw FuzzSetupError(detail: "VF 0 did not appear") }
        self.rig = rig
        vfBDFs = bdfs
        bench = try FuzzHarness(bus: rig.bus, function: vf0)
        vfDrivers = try bdfs.map { try Self.startDriver(rig.bus, $0) }
        let victim = try rig.bus.access(bdfs[1]).allocateDMA(4096)
        let pfPrivate = try rig.bus.access(Intel82599FuzzRig.bdf).allocateDMA(4096)
        if let p = victim.host.baseAddress { bench.addCanary(name: "VF 1's private memory", host: p, count: 4096) }
        if let p = pfPrivate.host.baseAddress { bench.addCanary(name: "the PF's private memory", host: p, count: 4096) }
        secret = Array(victim.host.prefix(16))
        surface = FuzzSurface(
            registers: Intel82599FuzzRig.surfaceRegisters(VFR.block, bar: 0), doorbellCount: 6, entryCount: 8,
            entrySize: 16, virtualFunctions: true)
    }

    /// SR-IOV with two VFs whose addresses the PF assigns; the PF serves the mailbox.
    private static func startVFs(_ rig: Intel82599FuzzRig) throws -> [BDF] {
        let policy = IxgbeVFPolicy(vfs: addresses.map { .init(macAddress: $0) })
        let bdfs = try rig.pfDriver.enableSRIOV(vfCount: 2, policy: policy)
        rig.pfDriver.startMailboxService(interval: Intel82599FuzzRig.mailboxServiceInterval)
        guard bdfs.count == 2 else { throw FuzzSetupError(detail: "\(bdfs.count) VFs appeared, expected 2") }
        return bdfs
    }

    private static func startDriver(_ bus: PCIBus, _ bdf: BDF) throws -> IxgbeVFDriver<BusDeviceAccess> {
        let d = try IxgbeVFDriver(
            access: bus.access(bdf),
            configuration: .init(ringSize: 32, bufferCount: 128, pollInterval: Intel82599FuzzRig.mailboxServiceInterval))
        try d.start()
        return d
    }

    private static let doorbells = [
        VFR.VFRDT.offset(0), VFR.VFTDT.offset(0), VFR.VFRDT.offset(1), VFR.VFTDT.offset(1), VFR.VTEICS.offset,
        VFR.VTEIMS.offset,
    ]

    public func apply(_ op: FuzzOperation) {
        let access = bench.access
        let bar = BARIndex(clamping: 0)
        switch op {
        case .doorbell(let slot, let value):
            access.write32(bar, UInt64(Self.doorbells[Int(slot) % Self.doorbells.count]), value)
        case .writeEntry(let slot, let mask, let bytes):
            let base = slot & 1 == 0 ? VFR.VFTDBAL.offset(0) : VFR.VFRDBAL.offset(0)
            if let entry = Intel82599FuzzRig.ringEntry(bench, access, ringRegisters: base, index: Int(slot >> 1)) {
                bench.writeEntry(entry, bytes: Array(bytes.prefix(16)), pointerMask: mask)
            }
        case .mailbox(let vf, let words):
            guard let bdf = vfBDFs.indices.contains(Int(vf & 1)) ? vfBDFs[Int(vf & 1)] : nil else { return }
            let sender = rig.bus.access(bdf)
            for (i, word) in words.prefix(VFR.VFMBMEM.count).enumerated() {
                sender.write32(bar, UInt64(VFR.VFMBMEM.offset(i)), word)
            }
            sender.write32(bar, UInt64(VFR.VFMAILBOX.offset), UInt32(VFR.VFMAILBOX.req.mask))
            rig.bus.services.clock.advance(by: Intel82599FuzzRig.mailboxServiceInterval)
        case .reset(.device):
            access.write32(bar, UInt64(VFR.VFCTRL.offset), UInt32(VFR.VFCTRL.resetField.mask))
        case .setVirtualFunctions(let count):
            let pf = rig.bus.access(Intel82599FuzzRig.bdf)
            if let bdfs = try? pf.enableVirtualFunctions(Int(count % 4)), let first = bdfs.first,
                let f = rig.bus.function(at: first)
            {
                bench.retarget(f)
            }
        case .reinitialize:
            reinitialize()
        default:
            break
        }
    }

    /// The whole bring-up again: PF, SR-IOV, both VF drivers.
    @discardableResult
    private func reinitialize() -> Error? {
        do {
            try rig.reinitializePF()
            vfBDFs = try Self.startVFs(rig)
            if let f = rig.bus.function(at: vfBDFs[0]) { bench.retarget(f) }
            vfDrivers = try vfBDFs.map { try Self.startDriver(rig.bus, $0) }
            return nil
        } catch {
            return error
        }
    }

    public func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? { nil }

    public func finalCheck() -> (invariant: String, detail: String)? {
        if bench.arenaContains(secret) {
            return ("one VF never reads another VF's memory", "VF 1's private bytes appeared in VF 0's arena")
        }
        rig.bus.reset()
        if let error = reinitialize() { return ("the reference drivers re-initialise the port", "\(error)") }
        let sender = vfDrivers[0]
        guard
            Intel82599FuzzRig.sendFrame(
                pool: sender.pool, transmit: { sender.transmitBatch(queue: 0, $0) }, from: Self.addresses[0],
                to: Self.addresses[1])
        else { return ("VF traffic flows after re-initialisation", "VF 0's ring refused the frame") }
        var out = [PacketBuffer](
            repeating: PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0), count: 4)
        let got = out.withUnsafeMutableBufferPointer { vfDrivers[1].receiveBatch(queue: 0, into: $0) }
        guard got == 1 else { return ("VF traffic flows after re-initialisation", "VF 1 received \(got) frames, expected 1") }
        return nil
    }
}

/// A target could not build its device.
public struct FuzzSetupError: Error, CustomStringConvertible {
    public let detail: String
    public var description: String { detail }
}
