import Drivers
import Intel82599
import Network
import PCIe
import RegisterModel

/// The hostile-device direction for the ixgbevf-style driver: RX write-backs and TX status the
/// port never wrote (DD and EOP on empty descriptors, lengths past the buffer, error bits) and
/// mailbox messages the PF never sent, while VF 0's driver receives, sends, reclaims and asks
/// the PF for its link state. The driver must drop and count, time out, and recover on restart.
public final class IxgbeVFDriverFuzzTarget: FuzzTarget {
    public static let name = "ixgbevf-driver"
    public static let summary =
        "hostile device: forged RX write-backs, TX status and PF mailbox messages under the ixgbevf-style driver"
    public var harness: FuzzHarness? { bench }
    let bench: FuzzHarness
    public let surface: FuzzSurface
    let rig: Intel82599FuzzRig
    private var drivers: [IxgbeVFDriver<BusDeviceAccess>] = []
    private var bdfs: [BDF] = []
    private typealias VFR = Intel82599VFRegisters
    private typealias PFR = Intel82599PFRegisters
    static let addresses = [MACAddress(0x0200_0000_0b00), MACAddress(0x0200_0000_0b01)]

    public init() throws {
        let rig = try Intel82599FuzzRig()
        let policy = IxgbeVFPolicy(vfs: Self.addresses.map { .init(macAddress: $0) })
        let bdfs = try rig.pfDriver.enableSRIOV(vfCount: 2, policy: policy)
        rig.pfDriver.startMailboxService(interval: Intel82599FuzzRig.mailboxServiceInterval)
        guard bdfs.count == 2, let vf0 = rig.bus.function(at: bdfs[0]) else {
            throw FuzzSetupError(detail: "the VFs did not appear")
        }
        self.rig = rig
        self.bdfs = bdfs
        bench = try FuzzHarness(bus: rig.bus, function: vf0)
        surface = FuzzSurface(registers: [], doorbellCount: 5, entryCount: 64, entrySize: 16, virtualFunctions: true)
        drivers = try bdfs.map { try Self.startDriver(rig.bus, $0) }
    }

    private static func startDriver(_ bus: PCIBus, _ bdf: BDF) throws -> IxgbeVFDriver<BusDeviceAccess> {
        let d = try IxgbeVFDriver(
            access: bus.access(bdf),
            configuration: .init(
                ringSize: 32, bufferCount: 128, mailboxTimeout: .milliseconds(2),
                pollInterval: Intel82599FuzzRig.mailboxServiceInterval))
        try d.start()
        return d
    }

    public func apply(_ op: FuzzOperation) {
        switch op {
        case .writeEntry(let slot, let mask, let bytes):
            forgeDescriptor(slot: Int(slot), mask: mask, bytes: Array(bytes.prefix(16)))
        case .doorbell(let slot, let value):
            driverAction(Int(slot) % 5, value)
        case .mailbox(_, let words):
            forgeMailboxMessage(words)
        case .reset(.device):
            if let d = try? Self.startDriver(rig.bus, bdfs[0]) { drivers[0] = d }
        default:
            break
        }
    }

    /// Even slots: VF 0's RX ring (write-back format); odd: its TX ring. Mask bit 0 sets DD and
    /// EOP (the driver will take the entry), bit 1 keeps the fuzzed length, otherwise a length
    /// within the buffer.
    private func forgeDescriptor(slot: Int, mask: UInt8, bytes: [UInt8]) {
        let base = slot & 1 == 0 ? VFR.VFRDBAL.offset(0) : VFR.VFTDBAL.offset(0)
        guard let entry = Intel82599FuzzRig.ringEntry(bench, bench.access, ringRegisters: base, index: slot >> 1) else {
            return
        }
        var forged = bytes
        if mask & 1 != 0 { forged[slot & 1 == 0 ? 8 : 12] |= 0x3 }
        if mask & 2 == 0, slot & 1 == 0 { forged[13] &= 0x07 }
        bench.writeEntry(entry, bytes: forged, pointerMask: 0)
    }

    /// A message from "the PF" that the PF driver never wrote: PFMBMEM of VF 0, then STS.
    private func forgeMailboxMessage(_ words: [UInt32]) {
        let pf = rig.bus.access(Intel82599FuzzRig.bdf)
        let bar = BARIndex(clamping: 0)
        for (i, w) in words.prefix(16).enumerated() { pf.write32(bar, UInt64(PFR.PFMBMEM.offset(i)), w) }
        pf.write32(bar, UInt64(PFR.PFMAILBOX.offset(0)), UInt32(PFR.PFMAILBOX.sts.mask))
    }

    /// Receive a batch, send a frame to VF 1, reclaim, ask for the link state, VF 1 sends to VF 0.
    private func driverAction(_ action: Int, _ value: UInt32) {
        let d = drivers[0]
        switch action {
        case 0:
            var out = [PacketBuffer](
                repeating: PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0), count: 8)
            let n = out.withUnsafeMutableBufferPointer { d.receiveBatch(queue: 0, into: $0) }
            for b in out.prefix(n) {
                // Every byte handed out must lie inside the pool's buffer.
                if b.length > (d.pool?.bufferSize ?? 0) { handedOutOversized = true }
                d.pool?.free(b)
            }
        case 1:
            _ = Intel82599FuzzRig.sendFrame(
                pool: d.pool, transmit: { d.transmitBatch(queue: 0, $0) }, from: Self.addresses[0], to: Self.addresses[1])
        case 2: _ = d.reclaimTransmitted(queue: 0)
        case 3: _ = try? d.getLinkState()
        default:
            let other = drivers[1]
            _ = Intel82599FuzzRig.sendFrame(
                pool: other.pool, transmit: { other.transmitBatch(queue: 0, $0) }, from: Self.addresses[1],
                to: Self.addresses[0])
        }
        _ = value
    }

    private var handedOutOversized = false

    public func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? {
        handedOutOversized ? ("received buffers stay inside their buffer", "a frame longer than its buffer was handed out") : nil
    }

    public func finalCheck() -> (invariant: String, detail: String)? {
        do {
            if rig.bus.function(at: bdfs[0]) == nil || !bench.registersReachable {
                // A bus reset or FLR took the port away from the drivers: bring it all up again.
                rig.bus.reset()
                try rig.reinitializePF()
                let policy = IxgbeVFPolicy(vfs: Self.addresses.map { .init(macAddress: $0) })
                bdfs = try rig.pfDriver.enableSRIOV(vfCount: 2, policy: policy)
                rig.pfDriver.startMailboxService(interval: Intel82599FuzzRig.mailboxServiceInterval)
                drivers = try bdfs.map { try Self.startDriver(rig.bus, $0) }
            } else {
                drivers[0] = try Self.startDriver(rig.bus, bdfs[0])
            }
        } catch {
            return ("the driver recovers from a hostile device", "\(error)")
        }
        let other = drivers[1]
        guard
            Intel82599FuzzRig.sendFrame(
                pool: other.pool, transmit: { other.transmitBatch(queue: 0, $0) }, from: Self.addresses[1],
                to: Self.addresses[0])
        else { return nil }  // VF 1's ring may be full of forged-but-untouched state; not VF 0's fault
        var out = [PacketBuffer](
            repeating: PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0), count: 8)
        let n = out.withUnsafeMutableBufferPointer { drivers[0].receiveBatch(queue: 0, into: $0) }
        guard n >= 1 else { return ("the driver recovers from a hostile device", "VF 0 received nothing after a restart") }
        return nil
    }
}
