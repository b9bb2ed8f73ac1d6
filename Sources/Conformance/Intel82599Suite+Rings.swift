import Network
import PCIe

/// The 0x40-byte register group of one queue, in the PF's BAR0 or a VF's queue window. The
/// relative layout is the same for RX and TX, PF and VF (§8.2.3.8, §8.2.3.9, §8.3.5.4).
struct QueueWindow {
    static let baseLow = 0x00
    static let baseHigh = 0x04
    static let length = 0x08
    static let head = 0x10
    static let splitControl = 0x14
    static let tail = 0x18
    static let control = 0x28
    /// RXDCTL/TXDCTL.Enable.
    static let enable: UInt32 = 1 << 25

    let access: BusDeviceAccess
    let base: Int

    /// RX queue `q` of the PF (queues 64-127 in the 0x0D000 bank).
    static func pfRx(_ f: Intel82599Fixture, _ q: Int) -> QueueWindow {
        QueueWindow(access: f.access, base: q < 64 ? PFR.RDBAL.offset(q) : PFR.RDBAL64.offset(q - 64))
    }
    /// TX queue `q` of the PF.
    static func pfTx(_ f: Intel82599Fixture, _ q: Int) -> QueueWindow { QueueWindow(access: f.access, base: PFR.TDBAL.offset(q)) }
    /// RX queue `n` of VF `vf`.
    static func vfRx(_ f: Intel82599Fixture, vf: Int, _ n: Int) -> QueueWindow {
        QueueWindow(access: f.vfs[vf], base: VFR.VFRDBAL.offset(n))
    }
    /// TX queue `n` of VF `vf`.
    static func vfTx(_ f: Intel82599Fixture, vf: Int, _ n: Int) -> QueueWindow {
        QueueWindow(access: f.vfs[vf], base: VFR.VFTDBAL.offset(n))
    }

    func read(_ register: Int) -> UInt32 { access.read32(BARIndex(clamping: 0), UInt64(base + register)) }
    func write(_ register: Int, _ value: UInt32) { access.write32(BARIndex(clamping: 0), UInt64(base + register), value) }

    /// Programs the ring address and length.
    func program(ring: DMABuffer, length: Int) {
        write(Self.baseLow, UInt32(truncatingIfNeeded: ring.deviceAddress.value))
        write(Self.baseHigh, UInt32(truncatingIfNeeded: ring.deviceAddress.value >> 32))
        write(Self.length, UInt32(truncatingIfNeeded: length))
    }

    /// Whether the queue's Enable bit reads back set.
    var enabled: Bool { read(Self.control) & Self.enable != 0 }
}

/// One advanced RX descriptor in write-back format (§7.1.6.2), decoded with the datasheet's
/// layout (independently of the model's own constants).
struct RxWriteBack: Equatable {
    /// Dword 0: RSS type (3:0) and packet type (16:4).
    var info: UInt32
    /// Dword 1: RSS hash.
    var hash: UInt32
    /// Dword 2: extended status (19:0) and errors (31:20).
    var status: UInt32
    /// Dword 3 bits 15:0: bytes in this descriptor's buffer.
    var length: Int
    /// Dword 3 bits 31:16: stripped VLAN tag.
    var vlan: UInt16

    var dd: Bool { status & 1 != 0 }
    var eop: Bool { status & 2 != 0 }
    /// LB: the frame came from another pool through the internal switch (bit 18).
    var loopback: Bool { status & (1 << 18) != 0 }
    /// RXE (bit 29).
    var receiveError: Bool { status & (1 << 29) != 0 }
    var rssType: UInt32 { info & 0xF }
}

/// A frame software found on an RX ring: its bytes and the last descriptor's write-back.
struct ReceivedFrame {
    var bytes: [UInt8]
    var last: RxWriteBack
    var descriptors: Int
}

/// A receive ring with one buffer per descriptor, all but one given to hardware.
final class SuiteRxRing {
    let window: QueueWindow
    let descriptors: DMABuffer
    let buffers: DMABuffer
    let entries: Int
    let bufferSize: Int
    /// Next descriptor software reads.
    private(set) var next = 0

    /// Allocates the ring in the DMA space of `window`'s function and programs it; with
    /// `enable`, sets RXDCTL.Enable and gives hardware every descriptor but one.
    init(_ window: QueueWindow, entries: Int = 32, bufferKiB: Int = 2, enable: Bool = true) throws(DMAAllocationError) {
        self.window = window
        self.entries = entries
        bufferSize = bufferKiB * 1024
        descriptors = try window.access.allocateDMA(entries * 16)
        buffers = try window.access.allocateDMA(entries * bufferSize)
        for i in 0..<entries { post(i) }
        window.program(ring: descriptors, length: entries * 16)
        // BSIZEPACKET in KiB, DESCTYPE advanced one buffer, DROP_EN.
        window.write(QueueWindow.splitControl, UInt32(bufferKiB) | 1 << 25 | 1 << 28)
        if enable { start() }
    }

    /// Sets RXDCTL.Enable and writes the tail one short of the head.
    func start() {
        window.write(QueueWindow.control, window.read(QueueWindow.control) | QueueWindow.enable)
        window.write(QueueWindow.tail, UInt32((next + entries - 1) % entries))
    }

    /// Writes the read format of descriptor `i`: its own buffer, header address 0.
    func post(_ i: Int) {
        let address = buffers.deviceAddress(at: i * bufferSize).value
        descriptors.host.storeBytes(of: address.littleEndian, toByteOffset: i * 16, as: UInt64.self)
        descriptors.host.storeBytes(of: UInt64(0), toByteOffset: i * 16 + 8, as: UInt64.self)
    }

    /// Descriptor `i` as hardware left it.
    func writeBack(_ i: Int) -> RxWriteBack {
        let d = descriptors.host
        let at = i * 16
        let last = d.loadUnaligned(fromByteOffset: at + 12, as: UInt32.self).littleEndian
        return RxWriteBack(
            info: d.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian,
            hash: d.loadUnaligned(fromByteOffset: at + 4, as: UInt32.self).littleEndian,
            status: d.loadUnaligned(fromByteOffset: at + 8, as: UInt32.self).littleEndian,
            length: Int(last & 0xFFFF), vlan: UInt16(truncatingIfNeeded: last >> 16))
    }

    /// Bytes of buffer `i`.
    func bytes(_ i: Int, count: Int) -> [UInt8] {
        let start = i * bufferSize
        return Array(UnsafeRawBufferPointer(rebasing: buffers.host[start..<(start + min(count, bufferSize))]))
    }

    /// Collects the frames hardware completed since the last call (DD set, gathered up to EOP),
    /// gives their descriptors back to hardware and moves the tail.
    func harvest() -> [ReceivedFrame] {
        var frames: [ReceivedFrame] = []
        var pending: [UInt8] = []
        var used = 0
        var scanned = 0
        while scanned < entries {
            let wb = writeBack(next)
            guard wb.dd else { break }
            pending += bytes(next, count: wb.length)
            used += 1
            post(next)
            next = (next + 1) % entries
            scanned += 1
            if wb.eop {
                frames.append(ReceivedFrame(bytes: pending, last: wb, descriptors: used))
                pending = []
                used = 0
            }
        }
        if scanned > 0 { window.write(QueueWindow.tail, UInt32((next + entries - 1) % entries)) }
        return frames
    }
}

/// A transmit ring of advanced data descriptors (§7.2.3.2.4), one 2 KiB buffer per descriptor.
final class SuiteTxRing {
    static let bufferSize = 2048
    let window: QueueWindow
    let descriptors: DMABuffer
    let buffers: DMABuffer
    let entries: Int
    /// Next descriptor software writes.
    private(set) var tail = 0

    /// Allocates and programs the ring; with `enable`, sets TXDCTL.Enable.
    init(_ window: QueueWindow, entries: Int = 32, enable: Bool = true) throws(DMAAllocationError) {
        self.window = window
        self.entries = entries
        descriptors = try window.access.allocateDMA(entries * 16)
        buffers = try window.access.allocateDMA(entries * Self.bufferSize)
        window.program(ring: descriptors, length: entries * 16)
        if enable { window.write(QueueWindow.control, window.read(QueueWindow.control) | QueueWindow.enable) }
    }

    /// Writes a data descriptor for `bytes` (at most 2 KiB) in the next slot; no doorbell.
    func post(_ bytes: [UInt8], eop: Bool = true, rs: Bool = true) {
        let start = tail * Self.bufferSize
        let n = min(bytes.count, Self.bufferSize)
        UnsafeMutableRawBufferPointer(rebasing: buffers.host[start..<(start + n)]).copyBytes(from: bytes.prefix(n))
        // DTALEN, DTYP data (0x3), DCMD: DEXT, IFCS, optional EOP and RS.
        var command = UInt32(n) | 0x3 << 20 | 0x20 << 24 | 0x02 << 24
        if eop { command |= 0x01 << 24 }
        if rs { command |= 0x08 << 24 }
        let address = buffers.deviceAddress(at: start).value
        descriptors.host.storeBytes(of: address.littleEndian, toByteOffset: tail * 16, as: UInt64.self)
        descriptors.host.storeBytes(of: command.littleEndian, toByteOffset: tail * 16 + 8, as: UInt32.self)
        descriptors.host.storeBytes(of: (UInt32(n) << 14).littleEndian, toByteOffset: tail * 16 + 12, as: UInt32.self)
        tail = (tail + 1) % entries
    }

    /// Writes TDT.
    func doorbell() { window.write(QueueWindow.tail, UInt32(tail)) }

    /// Posts one single-descriptor frame and rings the doorbell.
    func send(_ frame: [UInt8]) {
        post(frame)
        doorbell()
    }

    /// Whether descriptor `i` has DD written back.
    func done(_ i: Int) -> Bool {
        descriptors.host.loadUnaligned(fromByteOffset: i * 16 + 12, as: UInt32.self).littleEndian & 1 != 0
    }

    /// TDH as hardware reports it.
    var head: Int { Int(window.read(QueueWindow.head)) }
}

/// Test frames: a private EtherType and a payload that identifies the frame.
enum SuiteFrames {
    /// A frame of `length` bytes (without FCS) from `source` to `destination`, optionally
    /// 802.1Q-tagged, whose payload is derived from `seed`.
    static func make(
        from source: MACAddress, to destination: MACAddress, vlan: UInt16? = nil, seed: UInt64, length: Int = 128
    ) -> [UInt8] {
        let header = vlan == nil ? 14 : 18
        return FrameBuilder.raw(
            source: source, destination: destination, vlan: vlan, etherType: 0x88b5,
            payload: FrameBuilder.pattern(length: length - header, seed: seed))
    }
}
