import Drivers
import ENA
import Network
import PCIe
import RegisterModel

/// The ENA as a hostile guest drives it: admin queue entries (every opcode, feature and size),
/// the admin, event-queue and I/O doorbells, LLQ writes into BAR2 (partial entries included),
/// readless register reads, DEV_CTL resets, with traffic allowances in force. The reference
/// driver brought the device up with LLQ placement first.
public final class ENAFuzzTarget: FuzzTarget {
    public static let name = "ena"
    public static let summary = "ENA: admin queue entries, doorbells, LLQ writes to BAR2, readless reads, DEV_CTL resets"
    public var harness: FuzzHarness? { bench }
    let bench: FuzzHarness
    public let surface: FuzzSurface
    let bus = PCIBus()
    let wire = Wire()
    let farEnd = FrameRecorder(capacity: 64)
    private typealias R = ENARegisters
    static let bdf = BDF(bus: 0, device: 6, function: 0)
    static let address = MACAddress(0x0200_0000_0e00)

    public init() throws {
        let configuration = ENAConfiguration(macAddress: Self.address, queuePairs: 2, allowances: .default)
        let f = try ENA.makeFunction(at: Self.bdf, services: bus.services, configuration: configuration, wire: wire)
        try bus.attach(f)
        wire.addFarEnd(farEnd)
        _ = Firmware(bus: bus).enumerateAndAssign()
        bench = try FuzzHarness(bus: bus, function: f)
        surface = FuzzSurface(
            registers: R.block.registers.map { (bar: 0, offset: UInt32($0.offset)) }, doorbellCount: Self.doorbells.count,
            entryCount: 32, entrySize: 64, virtualFunctions: false)
        _ = try? Self.startDriver(bench.access, placement: .lowLatency)
    }

    @discardableResult
    private static func startDriver(_ access: BusDeviceAccess, placement: ENADriver<BusDeviceAccess>.Placement) throws
        -> ENADriver<BusDeviceAccess>
    {
        access.enableBusMaster()
        let d = try ENADriver(
            access: access,
            configuration: .init(ringSize: 64, placement: placement, bufferCount: 512, pollInterval: .milliseconds(1)))
        try d.start()
        return d
    }

    private static let doorbells = [
        R.AQ_DB.offset, R.AENQ_HEAD_DB.offset, R.SQ_DB.offset(0), R.SQ_DB.offset(1), R.SQ_DB.offset(2), R.SQ_DB.offset(3),
        R.CQ_INTR.offset(0), R.MMIO_REG_READ.offset, R.RSS_IND_ENTRY_UPDATE.offset,
    ]

    public func apply(_ op: FuzzOperation) {
        let access = bench.access
        switch op {
        case .doorbell(let slot, let value):
            access.write32(ENA.registerBAR, UInt64(Self.doorbells[Int(slot) % Self.doorbells.count]), value)
        case .writeEntry(let slot, let mask, let bytes):
            if slot & 1 == 0 {
                adminEntry(slot: Int(slot >> 1), mask: mask, bytes: bytes)
            } else {
                // LLQ: descriptors and inline headers copied into BAR2 as write-combined bursts,
                // as the driver copies them, one burst per run of words the mask leaves set
                // (so entries may be partial: the masked words are never written).
                let offset = UInt64(slot >> 1) * 128
                let words = bytes.count / 8
                var start = 0
                while start < words {
                    guard mask & (1 << UInt8(start)) == 0 else {
                        start += 1
                        continue
                    }
                    var end = start + 1
                    while end < words, mask & (1 << UInt8(end)) == 0 { end += 1 }
                    bytes.withUnsafeBytes { raw in
                        access.barWriteCombined(
                            ENA.llqBAR, offset: offset + UInt64(start * 8),
                            bytes: UnsafeRawBufferPointer(rebasing: raw[(start * 8)..<(end * 8)]))
                    }
                    start = end
                }
            }
        case .reset(.device):
            access.write32(ENA.registerBAR, UInt64(R.DEV_CTL.offset), UInt32(R.DEV_CTL.devReset.mask))
        case .reinitialize:
            bench.reenumerate()
            _ = try? Self.startDriver(access, placement: .host)
        default:
            break
        }
    }

    /// An admin submission entry where the device's AQ registers say the queue is.
    private func adminEntry(slot: Int, mask: UInt8, bytes: [UInt8]) {
        let access = bench.access
        let low = UInt64(access.read32(ENA.registerBAR, UInt64(R.AQ_BASE_LO.offset)))
        let high = UInt64(access.read32(ENA.registerBAR, UInt64(R.AQ_BASE_HI.offset)))
        let depth = Int(access.read32(ENA.registerBAR, UInt64(R.AQ_CAPS.offset)) & 0xFFFF)
        guard depth > 0, let entry = bench.guestPointer((high << 32 | low) &+ UInt64(slot % depth * 64), length: 64)
        else { return }
        bench.writeEntry(entry, bytes: bytes, pointerMask: mask)
    }

    public func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? { nil }

    public func finalCheck() -> (invariant: String, detail: String)? {
        bench.reenumerate()
        bench.functionLevelReset()
        let d: ENADriver<BusDeviceAccess>
        do {
            d = try Self.startDriver(bench.access, placement: .host)
        } catch {
            return ("the reference driver re-initialises the ENA", "\(error)")
        }
        let before = farEnd.count
        let sent = Intel82599FuzzRig.sendFrame(
            pool: d.pool, transmit: { d.transmitBatch(queue: 0, $0) }, from: Self.address, to: MACAddress(0x0200_0000_0eff))
        guard sent, farEnd.count > before else {
            return ("the ENA moves traffic after re-initialisation", "frame did not reach the wire")
        }
        return nil
    }
}
