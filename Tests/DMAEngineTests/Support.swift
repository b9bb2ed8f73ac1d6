import DMAEngine
import PCIe
import RegisterModel
import TestSupport
import Testing

typealias R = DMAEngineRegisters
typealias D = DMAEngineDescriptor

/// A bus with DMA engine PFs at 00:01.0, 00:02.0, ..., enumerated by firmware.
struct EngineBench {
    let bus = PCIBus()
    let functions: [PCIFunction]
    let report: EnumerationReport

    init(count: Int = 1, totalVFs: UInt16 = 0) throws {
        var fs: [PCIFunction] = []
        for i in 0..<count {
            let f = try DMAEngine.makePhysicalFunction(
                at: BDF(bus: 0, device: UInt8(i + 1), function: 0), services: bus.services, totalVFs: totalVFs)
            try bus.attach(f)
            fs.append(f)
        }
        functions = fs
        report = Firmware(bus: bus).enumerateAndAssign()
    }

    var services: PlatformServices { bus.services }
}

/// A minimal driver over ``DeviceAccess``: one ring, bus mastering on.
final class EngineDriver {
    let access: BusDeviceAccess
    let ring: DMABuffer
    let entries: Int
    var tail = 0

    static let bar = BARIndex(clamping: 0)
    static let msixBAR = BARIndex(clamping: 3)

    init(_ access: BusDeviceAccess, entries: Int = 8, interrupts: Bool = false) throws {
        self.access = access
        self.entries = entries
        let cmd = access.configRead(4, width: .word)
        access.configWrite(4, width: .word, value: cmd | 0x6)
        ring = try access.allocateDMA(entries * D.size)
        write(R.RingBaseLow.offset, UInt32(truncatingIfNeeded: ring.deviceAddress.value))
        write(R.RingBaseHigh.offset, UInt32(truncatingIfNeeded: ring.deviceAddress.value >> 32))
        write(R.RingSize.offset, UInt32(entries))
        write(R.Control.offset, interrupts ? 0x5 : 0x1)
    }

    func read(_ offset: Int) -> UInt32 { access.read32(Self.bar, UInt64(offset)) }
    func write(_ offset: Int, _ value: UInt32) { access.write32(Self.bar, UInt64(offset), value) }

    /// Enables MSI-X and unmasks vector 0.
    func enableMSIX() {
        let control = access.configRead(0x72, width: .word)
        access.configWrite(0x72, width: .word, value: control | 0x8000)
        access.write64(Self.msixBAR, 0, 0xfee0_0000)
        access.write32(Self.msixBAR, 8, 0x31)
        access.write32(Self.msixBAR, 12, 0)
    }

    /// Writes descriptor `index` into the ring (raw fields, so tests can post garbage).
    func post(at index: Int, source: UInt64, destination: UInt64, length: UInt32, flags: UInt32 = 0) {
        let at = index * D.size
        ring.host.storeBytes(of: source.littleEndian, toByteOffset: at + D.sourceOffset, as: UInt64.self)
        ring.host.storeBytes(of: destination.littleEndian, toByteOffset: at + D.destinationOffset, as: UInt64.self)
        ring.host.storeBytes(of: length.littleEndian, toByteOffset: at + D.lengthOffset, as: UInt32.self)
        ring.host.storeBytes(of: flags.littleEndian, toByteOffset: at + D.flagsOffset, as: UInt32.self)
        ring.host.storeBytes(of: UInt32(0), toByteOffset: at + D.statusOffset, as: UInt32.self)
    }

    /// Posts one copy at the tail and rings the doorbell. Returns the descriptor index.
    @discardableResult
    func copy(from source: IOVA, to destination: IOVA, length: UInt32, flags: UInt32 = 0) -> Int {
        let index = tail
        post(at: index, source: source.value, destination: destination.value, length: length, flags: flags)
        tail = (tail + 1) % entries
        write(R.RingTail.offset, UInt32(tail))
        return index
    }

    func status(_ index: Int) -> UInt32 {
        UInt32(littleEndian: ring.host.load(fromByteOffset: index * D.size + D.statusOffset, as: UInt32.self))
    }

    /// Soft reset, then the ring is programmed again from scratch.
    func reset(interrupts: Bool = false) {
        write(R.Control.offset, 0x2)
        tail = 0
        write(R.RingBaseLow.offset, UInt32(truncatingIfNeeded: ring.deviceAddress.value))
        write(R.RingBaseHigh.offset, UInt32(truncatingIfNeeded: ring.deviceAddress.value >> 32))
        write(R.RingSize.offset, UInt32(entries))
        write(R.Control.offset, interrupts ? 0x5 : 0x1)
    }
}

extension DMABuffer {
    func fill(_ seed: UInt8) {
        for i in 0..<count { host[i] = seed &+ UInt8(truncatingIfNeeded: i) &* 7 }
    }
    func bytes(_ range: Range<Int>) -> [UInt8] { Array(host[range]) }
}
