import PCIe

/// Bounds-checked little-endian reads of a config space snapshot that may hold garbage.
///
/// Reads outside the snapshot return zero; `has(_:_:)` tells a decoder whether a register is
/// really there (lspci's `config_fetch`).
struct ConfigView {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Whether `length` bytes at `offset` are present.
    func has(_ offset: Int, _ length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= bytes.count - length
    }

    func byte(_ offset: Int) -> UInt8 { has(offset, 1) ? bytes[offset] : 0 }

    func word(_ offset: Int) -> UInt16 { UInt16(byte(offset)) | UInt16(byte(offset + 1)) << 8 }

    func dword(_ offset: Int) -> UInt32 { UInt32(word(offset)) | UInt32(word(offset + 2)) << 16 }
}

extension ConfigView {
    /// Subsystem ids as Linux reports them in sysfs (and lspci 3.9 prints them): header fields
    /// for type 0 and CardBus, the Bridge Subsystem ID capability for type 1, else zero.
    var subsystemIDs: (vendor: UInt16, device: UInt16) {
        switch byte(Header.headerType) & 0x7f {
        case 0: return (word(Header.subsystemVendor), word(Header.subsystemDevice))
        case 2: return (word(Header.cardbusSubsystemVendor), word(Header.cardbusSubsystemDevice))
        case 1:
            guard word(Header.status) & 0x10 != 0 else { return (0, 0) }
            var visited = VisitedOffsets()
            var offset = Int(byte(Header.capabilityPointer) & ~3)
            while offset != 0, has(offset, 8), visited.insert(offset) {
                if byte(offset) == 0x0d { return (word(offset + 4), word(offset + 6)) }
                offset = Int(byte(offset + 1) & ~3)
            }
            return (0, 0)
        default: return (0, 0)
        }
    }
}

/// Standard header registers (PCI Local Bus 3.0 §6.1).
enum Header {
    static let command = 0x04
    static let status = 0x06
    static let revision = 0x08
    static let progIf = 0x09
    static let subclass = 0x0a
    static let cacheLine = 0x0c
    static let latency = 0x0d
    static let headerType = 0x0e
    static let bist = 0x0f
    static let bar0 = 0x10
    static let subsystemVendor = 0x2c
    static let subsystemDevice = 0x2e
    static let rom = 0x30
    static let capabilityPointer = 0x34
    static let bridgeRom = 0x38
    static let interruptLine = 0x3c
    static let cardbusSubsystemVendor = 0x40
    static let cardbusSubsystemDevice = 0x42
}

/// Text helpers matching printf formats lspci uses.
enum Fmt {
    /// `%0<digits>x`.
    static func hex(_ value: some BinaryInteger, _ digits: Int) -> String {
        guard value >= 0, value.bitWidth <= 64 || value <= UInt64.max else {
            let s = String(value, radix: 16)
            return s.count >= digits ? s : String(repeating: "0", count: digits - s.count) + s
        }
        let value = UInt64(value)
        let count = LspciText.hexCount(value, digits: digits)
        return String(unsafeUninitializedCapacity: count) {
            LspciText.writeHex(value, into: UnsafeMutableBufferPointer(rebasing: $0[0..<count]))
        }
    }

    /// `%0<digits>u`.
    static func decimal(_ value: some BinaryInteger, _ digits: Int) -> String {
        let s = String(value)
        return s.count >= digits ? s : String(repeating: "0", count: digits - s.count) + s
    }

    /// C's `%#02x`: `0x` and hex digits, but plain `00` for zero.
    static func alternateHex(_ value: some BinaryInteger) -> String {
        value == 0 ? "00" : "0x" + String(value, radix: 16)
    }

    /// lspci's `FLAG()`: `+` when any of `mask` is set.
    static func flag(_ value: some BinaryInteger, _ mask: some BinaryInteger) -> String {
        (UInt64(truncatingIfNeeded: value) & UInt64(truncatingIfNeeded: mask)) != 0 ? "+" : "-"
    }
}

extension FunctionSnapshot {
    /// The 24-bit class code (base, subclass, prog-if) as sysfs `class` shows it.
    public var classCode24: UInt32 {
        let view = ConfigView(config)
        return UInt32(view.byte(0x0b)) << 16 | UInt32(view.byte(Header.subclass)) << 8
            | UInt32(view.byte(Header.progIf))
    }

    /// The IRQ an OS would report; the emulator has no IRQ routing, so the Interrupt Line register.
    var reportedIRQ: UInt8 { ConfigView(config).byte(Header.interruptLine) }
}

/// How a resource window is written to sysfs `resource` and read back by libpci.
enum SysfsResource {
    /// Linux `IORESOURCE_*` bits used here.
    static let ioFlag: UInt64 = 0x100
    static let memFlag: UInt64 = 0x200
    static let prefetchFlag: UInt64 = 0x2000
    static let mem64Flag: UInt64 = 0x10_0000
    /// `IORESOURCE_PCI_EA_BEI`: the window comes from an Enhanced Allocation entry.
    static let enhancedAllocationFlag: UInt64 = 0x20

    /// The flags column: the window's flags, plus (like Linux) the BAR's low type bits when the
    /// snapshot's flags lack them, so `[virtual]` VF BARs still show their type.
    static func flags(index: Int, window: ResourceWindow, config: ConfigView) -> UInt64 {
        guard window.flags != 0, window.flags & 0xf == 0 else { return window.flags }
        if index == 6 {
            let romRegister = config.dword(Header.rom)
            return window.flags | UInt64(romRegister & 1)
        }
        if window.flags & ioFlag != 0 { return window.flags | 0x1 }
        var low: UInt64 = 0
        if window.flags & mem64Flag != 0 { low |= 0x4 }
        if window.flags & prefetchFlag != 0 { low |= 0x8 }
        return window.flags | low
    }

    /// The BAR type bits (I/O; 64-bit; prefetchable) that Linux resource flags stand for.
    static func barType(_ flags: UInt64) -> UInt32 {
        if flags & ioFlag != 0 { return 0x1 }
        guard flags & memFlag != 0 else { return 0 }
        return (flags & mem64Flag != 0 ? 0x4 : 0) | (flags & prefetchFlag != 0 ? 0x8 : 0)
    }

    /// The seven windows of a snapshot, padded with `.none`.
    static func windows(of snapshot: FunctionSnapshot) -> [ResourceWindow] {
        (0..<7).map { $0 < snapshot.resources.count ? snapshot.resources[$0] : .none }
    }
}
