import PCIe

/// Builds config spaces byte by byte for tests: header fields, a classic capability chain and an
/// extended chain, linked in the order they are added.
struct ConfigBuilder {
    var bytes: [UInt8]
    private var lastClassicNext: Int?
    private var lastExtendedHeader: Int?

    init(size: Int = 4096, vendor: UInt16, device: UInt16, classCode: UInt32, revision: UInt8 = 0) {
        bytes = [UInt8](repeating: 0, count: size)
        set16(0x00, vendor)
        set16(0x02, device)
        set8(0x08, revision)
        set8(0x09, UInt8(truncatingIfNeeded: classCode))
        set8(0x0a, UInt8(truncatingIfNeeded: classCode >> 8))
        set8(0x0b, UInt8(truncatingIfNeeded: classCode >> 16))
    }

    mutating func set8(_ offset: Int, _ value: UInt8) { bytes[offset] = value }

    mutating func set16(_ offset: Int, _ value: UInt16) {
        set8(offset, UInt8(truncatingIfNeeded: value))
        set8(offset + 1, UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func set32(_ offset: Int, _ value: UInt32) {
        set16(offset, UInt16(truncatingIfNeeded: value))
        set16(offset + 2, UInt16(truncatingIfNeeded: value >> 16))
    }

    /// Command register, with status' capability-list bit set.
    mutating func enable(command: UInt16, irq: UInt8 = 0) {
        set16(0x04, command)
        set16(0x06, 0x0010)
        set8(0x3c, irq)
        set8(0x3d, irq == 0 ? 0 : 1)
    }

    /// Appends a classic capability at `offset`: id, next (patched later), then `word` and `body`.
    mutating func addCapability(_ id: UInt8, at offset: Int, word: UInt16 = 0, body: [UInt8] = []) {
        if let previous = lastClassicNext { set8(previous, UInt8(offset)) } else { set8(0x34, UInt8(offset)) }
        set8(offset, id)
        set8(offset + 1, 0)
        set16(offset + 2, word)
        for (index, byte) in body.enumerated() { set8(offset + 4 + index, byte) }
        lastClassicNext = offset + 1
    }

    /// Appends an extended capability at `offset` (>= 0x100), linking the previous one to it.
    mutating func addExtended(_ id: UInt16, version: UInt8, at offset: Int, body: [UInt8] = []) {
        if let previous = lastExtendedHeader {
            let header =
                UInt32(bytes[previous]) | UInt32(bytes[previous + 1]) << 8
                | UInt32(bytes[previous + 2]) << 16 | UInt32(bytes[previous + 3]) << 24
            set32(previous, header & 0x000f_ffff | UInt32(offset) << 20)
        }
        set32(offset, UInt32(id) | UInt32(version & 0xf) << 16)
        for (index, byte) in body.enumerated() { set8(offset + 4 + index, byte) }
        lastExtendedHeader = offset
    }
}

/// Linux resource flags for a 64-bit memory BAR.
let mem64: UInt64 = 0x14_0200
/// Linux resource flags for a 32-bit memory BAR.
let mem32: UInt64 = 0x4_0200
/// Linux prefetchable bit.
let prefetch: UInt64 = 0x2000

func window(_ start: UInt64, size: UInt64, flags: UInt64) -> ResourceWindow {
    ResourceWindow(start: start, end: start + size - 1, flags: flags)
}

/// The fixtures: an 82599 PF with every capability of the brief, one of its VFs, ENA and NVMe.
enum Fixtures {
    static func intel82599PF() -> FunctionSnapshot {
        var c = ConfigBuilder(vendor: 0x8086, device: 0x10fb, classCode: 0x02_0000, revision: 0x01)
        c.enable(command: 0x0406, irq: 11)
        c.set16(0x2c, 0x8086)
        c.set16(0x2e, 0x000c)
        c.set32(0x10, 0xfe00_0004)
        c.addCapability(0x01, at: 0x40, word: 0x0003)
        c.addCapability(0x05, at: 0x50, word: 0x0180)
        c.addCapability(0x11, at: 0x70, word: 0x803f, body: [0, 0, 0, 0, 0, 0x20, 0, 0])
        c.addCapability(0x10, at: 0xa0, word: 0x0002)
        c.addExtended(0x0001, version: 2, at: 0x100)
        c.addExtended(0x0003, version: 1, at: 0x140, body: [0xcc, 0xbb, 0xaa, 0xff, 0xff, 0x21, 0x1b, 0x00])
        c.addExtended(0x000e, version: 1, at: 0x150)
        var sriov = [UInt8](repeating: 0, count: 0x3c)
        sriov[0x0e - 4] = 64  // TotalVFs
        sriov[0x1a - 4] = 0xed  // VF Device ID 10ed
        sriov[0x1b - 4] = 0x10
        c.addExtended(0x0010, version: 1, at: 0x160, body: sriov)
        var resources = [ResourceWindow](repeating: .none, count: 7)
        resources[0] = window(0xfe00_0000, size: 128 << 10, flags: mem64)
        return FunctionSnapshot(bdf: BDF(bus: 0, device: 3, function: 0), config: c.bytes, resources: resources)
    }

    static func intel82599VF() -> FunctionSnapshot {
        var c = ConfigBuilder(vendor: 0xffff, device: 0xffff, classCode: 0x02_0000, revision: 0x01)
        c.enable(command: 0x0004)
        c.set16(0x2c, 0x8086)
        c.set16(0x2e, 0x000c)
        c.addCapability(0x11, at: 0x70, word: 0x0002, body: [3, 0, 0, 0, 3, 0x20, 0, 0])
        c.addCapability(0x10, at: 0xa0, word: 0x0002)
        c.addExtended(0x0001, version: 2, at: 0x100)
        c.addExtended(0x000e, version: 1, at: 0x150)
        var resources = [ResourceWindow](repeating: .none, count: 7)
        resources[0] = window(0xfd00_0000, size: 16 << 10, flags: mem64 | prefetch)
        resources[3] = window(0xfd10_0000, size: 16 << 10, flags: mem64 | prefetch)
        return FunctionSnapshot(
            bdf: BDF(bus: 0, device: 0x10, function: 0), config: c.bytes, resources: resources,
            isVirtualFunction: true, physicalFunction: BDF(bus: 0, device: 3, function: 0), vendorID: 0x8086,
            deviceID: 0x10ed)
    }

    static func ena() -> FunctionSnapshot {
        var c = ConfigBuilder(vendor: 0x1d0f, device: 0xec20, classCode: 0x02_0000)
        c.enable(command: 0x0406, irq: 10)
        c.set16(0x2c, 0x1d0f)
        c.set16(0x2e, 0xec20)
        c.set32(0x10, 0xfebf_0000)
        c.set32(0x18, 0xfe80_0008)
        c.addCapability(0x10, at: 0x70, word: 0x0002)
        c.addCapability(0x11, at: 0xb0, word: 0x8008)
        var resources = [ResourceWindow](repeating: .none, count: 7)
        resources[0] = window(0xfebf_0000, size: 16 << 10, flags: mem32)
        resources[2] = window(0xfe80_0000, size: 1 << 20, flags: mem32 | prefetch)
        return FunctionSnapshot(bdf: BDF(bus: 0, device: 5, function: 0), config: c.bytes, resources: resources)
    }

    static func nvme(device: UInt16 = 0x8061, at slot: UInt8 = 4) -> FunctionSnapshot {
        var c = ConfigBuilder(vendor: 0x1d0f, device: device, classCode: 0x01_0802)
        c.enable(command: 0x0406, irq: 11)
        c.set16(0x2c, 0x1d0f)
        c.set16(0x2e, device)
        c.set32(0x10, 0xfebf_4000)
        c.addCapability(0x01, at: 0x40, word: 0x0003)
        c.addCapability(0x10, at: 0x70, word: 0x0002)
        c.addCapability(0x11, at: 0xb0, word: 0x8001)
        var resources = [ResourceWindow](repeating: .none, count: 7)
        resources[0] = window(0xfebf_4000, size: 16 << 10, flags: mem32)
        return FunctionSnapshot(bdf: BDF(bus: 0, device: slot, function: 0), config: c.bytes, resources: resources)
    }

    /// Ids pci.ids does not know, a 256-byte conventional function with a ROM and an I/O BAR.
    static func unknown() -> FunctionSnapshot {
        var c = ConfigBuilder(size: 256, vendor: 0x1d0f, device: 0x7777, classCode: 0xff_0000, revision: 0x10)
        c.enable(command: 0x0001)
        c.set32(0x10, 0x0000_c001)
        c.set32(0x30, 0xfeb0_0000)
        var resources = [ResourceWindow](repeating: .none, count: 7)
        resources[0] = window(0xc000, size: 32, flags: 0x4_0101)
        resources[6] = window(0xfeb0_0000, size: 256 << 10, flags: 0x4_6200)
        return FunctionSnapshot(bdf: BDF(bus: 0, device: 6, function: 0), config: c.bytes, resources: resources)
    }

    static var all: [FunctionSnapshot] { [intel82599PF(), intel82599VF(), ena(), nvme(), unknown()] }
}
