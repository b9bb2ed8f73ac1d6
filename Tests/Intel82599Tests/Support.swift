import Intel82599
import Network
import PCIe
import RegisterModel
import Testing

typealias R = Intel82599PFRegisters
typealias V = Intel82599VFRegisters

/// An 82599 PF on a bus with a wire whose far end records every frame, driven at register level.
final class NICBench {
    let bus = PCIBus()
    let function: PCIFunction
    let wire = Wire()
    let farEnd = FrameRecorder(capacity: 256)
    let access: BusDeviceAccess
    let bar = Intel82599.registerBAR

    init(totalVFs: UInt16 = 0) throws {
        function = try Intel82599.makePhysicalFunction(
            at: BDF(bus: 0, device: 1, function: 0), services: bus.services, totalVFs: totalVFs, wire: wire)
        try bus.attach(function)
        _ = Firmware(bus: bus).enumerateAndAssign()
        wire.addFarEnd(farEnd)
        access = bus.access(function.bdf)
        let command = access.configRead(4, width: .word)
        access.configWrite(4, width: .word, value: command | 0x6)
    }

    var device: Intel82599Device {
        get throws { try #require(function.model as? Intel82599Device) }
    }

    func read(_ offset: Int) -> UInt32 { access.read32(bar, UInt64(offset)) }
    func write(_ offset: Int, _ value: UInt32) { access.write32(bar, UInt64(offset), value) }

    /// Lets reset completion and auto-negotiation finish.
    func settle() { bus.services.clock.advance(by: .milliseconds(10)) }

    /// Enables MSI-X and programs vector `vector` unmasked.
    func enableMSIX(vector: Int) {
        let control = access.configRead(0x72, width: .word)
        access.configWrite(0x72, width: .word, value: control | 0x8000)
        let entry = UInt64(vector * 16)
        access.write64(Intel82599.pfMSIXBAR, entry, 0xfee0_0000)
        access.write32(Intel82599.pfMSIXBAR, entry + 8, UInt32(0x40 + vector))
        access.write32(Intel82599.pfMSIXBAR, entry + 12, 0)
    }

    /// Sets up RX queue `q` of the PF with `entries` descriptors and `bufferKiB` buffers, all given
    /// to hardware, and enables receive.
    func receiveRing(queue q: Int, entries: Int, bufferKiB: UInt32 = 2) throws -> RxRing {
        let ring = try RxRing(access: access, entries: entries, bufferSize: Int(bufferKiB) * 1024)
        let base = q < 64 ? 0x01000 + 0x40 * q : 0x0D000 + 0x40 * (q - 64)
        write(base + 0x00, UInt32(truncatingIfNeeded: ring.descriptors.deviceAddress.value))
        write(base + 0x04, UInt32(truncatingIfNeeded: ring.descriptors.deviceAddress.value >> 32))
        write(base + 0x08, UInt32(entries * 16))
        write(base + 0x14, bufferKiB | 0x0200_0000 | 0x1000_0000)
        write(base + 0x28, UInt32(R.RXDCTL.enable.mask))
        write(base + 0x18, UInt32(entries - 1))
        write(R.RXCTRL.offset, 1)
        return ring
    }

    /// Sends a frame into the port from the far end of the wire.
    func inject(_ frame: [UInt8]) { frame.withUnsafeBytes { wire.transmitToPort($0) } }
}

/// A receive ring with one buffer per descriptor, pre-posted.
struct RxRing {
    let descriptors: DMABuffer
    let buffers: DMABuffer
    let entries: Int
    let bufferSize: Int

    init(access: BusDeviceAccess, entries: Int, bufferSize: Int) throws {
        self.entries = entries
        self.bufferSize = bufferSize
        descriptors = try access.allocateDMA(entries * 16)
        buffers = try access.allocateDMA(entries * bufferSize)
        for i in 0..<entries { post(i) }
    }

    /// Writes the read format of descriptor `i` (its own buffer).
    func post(_ i: Int) {
        let address = buffers.deviceAddress(at: i * bufferSize).value
        descriptors.host.storeBytes(of: address.littleEndian, toByteOffset: i * 16, as: UInt64.self)
        descriptors.host.storeBytes(of: UInt64(0), toByteOffset: i * 16 + 8, as: UInt64.self)
    }

    /// The write-back of descriptor `i`.
    func writeBack(_ i: Int) -> (info: UInt32, hash: UInt32, status: UInt32, length: Int, vlan: UInt16) {
        let d = descriptors.host
        let at = i * 16
        return (
            UInt32(littleEndian: d.loadUnaligned(fromByteOffset: at, as: UInt32.self)),
            UInt32(littleEndian: d.loadUnaligned(fromByteOffset: at + 4, as: UInt32.self)),
            UInt32(littleEndian: d.loadUnaligned(fromByteOffset: at + 8, as: UInt32.self)),
            Int(UInt16(littleEndian: d.loadUnaligned(fromByteOffset: at + 12, as: UInt16.self))),
            UInt16(littleEndian: d.loadUnaligned(fromByteOffset: at + 14, as: UInt16.self))
        )
    }

    /// Bytes of buffer `i`.
    func bytes(_ i: Int, count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(rebasing: buffers.host[(i * bufferSize)..<(i * bufferSize + count)]))
    }
}

/// A transmit ring of advanced descriptors.
struct TxRing {
    let descriptors: DMABuffer
    let buffers: DMABuffer
    let entries: Int
    static let bufferSize = 2048

    init(access: BusDeviceAccess, entries: Int) throws {
        self.entries = entries
        descriptors = try access.allocateDMA(entries * 16)
        buffers = try access.allocateDMA(entries * Self.bufferSize)
    }

    /// Copies `frame` into buffer `i` and writes a data descriptor for it.
    func post(_ i: Int, _ frame: [UInt8], eop: Bool = true, rs: Bool = true, length: Int? = nil, address: UInt64? = nil) {
        let start = i * Self.bufferSize
        UnsafeMutableRawBufferPointer(rebasing: buffers.host[start..<(start + frame.count)]).copyBytes(from: frame)
        let n = UInt32(length ?? frame.count)
        var command = n | 0x0030_0000 | 0x2000_0000 | 0x0200_0000
        if eop { command |= 0x0100_0000 }
        if rs { command |= 0x0800_0000 }
        let a = address ?? buffers.deviceAddress(at: i * Self.bufferSize).value
        descriptors.host.storeBytes(of: a.littleEndian, toByteOffset: i * 16, as: UInt64.self)
        descriptors.host.storeBytes(of: command.littleEndian, toByteOffset: i * 16 + 8, as: UInt32.self)
        descriptors.host.storeBytes(of: (n << 14).littleEndian, toByteOffset: i * 16 + 12, as: UInt32.self)
    }

    /// Whether descriptor `i` has DD written back.
    func done(_ i: Int) -> Bool {
        descriptors.host.load(fromByteOffset: i * 16 + 12, as: UInt32.self) & 1 != 0
    }
}

extension NICBench {
    /// Sets up TX queue `q` and enables transmit.
    func transmitRing(queue q: Int, entries: Int) throws -> TxRing {
        let ring = try TxRing(access: access, entries: entries)
        let base = 0x06000 + 0x40 * q
        write(base + 0x00, UInt32(truncatingIfNeeded: ring.descriptors.deviceAddress.value))
        write(base + 0x04, UInt32(truncatingIfNeeded: ring.descriptors.deviceAddress.value >> 32))
        write(base + 0x08, UInt32(entries * 16))
        write(R.DMATXCTL.offset, 1)
        write(base + 0x28, UInt32(R.TXDCTL.enable.mask))
        return ring
    }

    func txTail(_ q: Int, _ value: Int) { write(0x06018 + 0x40 * q, UInt32(value)) }
    func txHead(_ q: Int) -> Int { Int(read(0x06010 + 0x40 * q)) }
    func rxHead(_ q: Int) -> Int { Int(read(0x01010 + 0x40 * q)) }
}

let localMAC = MACAddress(0x00a0_c900_0001)
let peerMAC = MACAddress(0x0200_0000_00fe)
