import PCIe

extension LspciFormatter {
    /// lspci's BAR lines. Like lspci with sysfs, the address, size and type come from the
    /// `resource` windows; the BAR register only tells whether the device itself holds an address
    /// (a window the OS reports but the register does not hold, such as a VF BAR, is `[virtual]`).
    ///
    /// `ioFlagsKnown` is false for a hex dump: libpci then has no resource flags, and lspci takes
    /// the BAR type from the register itself (so a 64-bit BAR's upper half gets its own line).
    func barLines(
        _ windows: [ResourceWindow], _ view: ConfigView, count: Int, ioFlagsKnown: Bool = true, into out: inout LspciText
    ) {
        let command = view.word(Header.command)
        for index in 0..<count {
            let window = windows[index]
            let resourceFlags = SysfsResource.flags(index: index, window: window, config: view)
            let position = window.start | (resourceFlags & 0xf)
            let length = window.end > window.start ? window.end - window.start + 1 : 0
            let enhanced = resourceFlags & SysfsResource.enhancedAllocationFlag != 0
            let register = view.dword(Header.bar0 + 4 * index)
            let flags: UInt32 =
                ioFlagsKnown ? SysfsResource.barType(resourceFlags) : (register == 0xffff_ffff ? 0 : register)
            if position == 0 && flags == 0 && length == 0 { continue }
            if options.verbosity > 1 { out += "\tRegion \(index): " } else { out += "\t" }
            // Without resource flags (a dump) lspci neither reads the hardware address nor
            // detects virtual BARs.
            let hardwareLower = ioFlagsKnown ? view.dword(Header.bar0 + 4 * index) : 0
            var hardwareUpper: UInt32 = 0
            var broken = false
            var isVirtual = false
            if ioFlagsKnown && hardwareLower & 1 == flags & 1 {
                if resourceFlags & 0x1f00 == SysfsResource.memFlag && hardwareLower & 0x6 == 0x4 {
                    if index >= count - 1 {
                        broken = true
                    } else {
                        // lspci reads the upper half one byte (not one register) further on.
                        hardwareUpper = view.dword(Header.bar0 + 4 * index + 1)
                    }
                }
                isVirtual = position != 0 && hardwareLower == 0 && hardwareUpper == 0 && !enhanced
            }
            if flags & 1 != 0 {
                let address = position & ~UInt64(3)
                out += "I/O ports at "
                if address != 0 || command & 1 != 0 {
                    out.append(hex: address, digits: 4)
                } else {
                    out += hardwareLower != 0 ? "<ignored>" : "<unassigned>"
                }
                if isVirtual {
                    out += " [virtual]"
                } else if command & 1 == 0 {
                    out += " [disabled]"
                }
            } else {
                let address = position & ~UInt64(0xf)
                out += "Memory at "
                if broken {
                    out += "<broken-64-bit-slot>"
                } else if address != 0 {
                    out.append(hex: address, digits: 8)
                } else {
                    out += hardwareLower != 0 || hardwareUpper != 0 ? "<ignored>" : "<unassigned>"
                }
                out += " ("
                out += Self.barWidths[Int(flags >> 1 & 3)]
                out += flags & 0x8 != 0 ? ", prefetchable)" : ", non-prefetchable)"
                if isVirtual {
                    out += " [virtual]"
                } else if command & 2 == 0 {
                    out += " [disabled]"
                }
            }
            if enhanced { out += " [enhanced]" }
            Self.sizeText(length, into: &out)
            out.append(byte: UInt8(ascii: "\n"))
        }
    }

    /// lspci's `Expansion ROM at` line.
    func romLine(_ window: ResourceWindow, _ view: ConfigView, register: Int, into out: inout LspciText) {
        let romMask = ~UInt64(0x7ff)
        let resourceFlags = SysfsResource.flags(index: 6, window: window, config: view)
        let rom = window.start | (resourceFlags & 0xf)
        let length = window.end > window.start ? window.end - window.start + 1 : 0
        let enhanced = resourceFlags & SysfsResource.enhancedAllocationFlag != 0
        var flags = UInt64(view.dword(register))
        let command = view.word(Header.command)
        if rom == 0 && flags == 0 && length == 0 { return }
        out += "\tExpansion ROM at "
        var isVirtual = false
        if rom & romMask != 0 && flags & romMask == 0 && !enhanced {
            flags = rom
            isVirtual = true
        }
        if rom & romMask != 0 {
            out.append(hex: rom & romMask, digits: 8)
        } else {
            out += flags & romMask != 0 ? "<ignored>" : "<unassigned>"
        }
        if isVirtual { out += " [virtual]" }
        if flags & 1 == 0 {
            out += " [disabled]"
        } else if !isVirtual && command & 2 == 0 {
            out += " [disabled by cmd]"
        }
        if enhanced { out += " [enhanced]" }
        Self.sizeText(length, into: &out)
        out.append(byte: UInt8(ascii: "\n"))
    }

    /// A memory BAR's width, by its type bits 2:1.
    static let barWidths: [StaticString] = ["32-bit", "low-1M", "64-bit", "type 3"]

    /// Appends ` [size=128K]`, or nothing for 0; a size that is not a whole unit stays in the
    /// smaller one.
    static func sizeText(_ bytes: UInt64, into out: inout LspciText) {
        guard bytes != 0 else { return }
        let suffixes: [StaticString] = ["", "K", "M", "G", "T"]
        var value = bytes
        var unit = 0
        while unit < suffixes.count - 1 && value % 1024 == 0 {
            value /= 1024
            unit += 1
        }
        out += " [size=\(UInt32(truncatingIfNeeded: value))"
        out.append(suffixes[unit])
        out.append(byte: UInt8(ascii: "]"))
    }
}
