import PCIe

/// What a capability decoder sees: the config bytes, where its capability starts, and the options.
struct CapabilityContext {
    let view: ConfigView
    /// Offset of the capability header.
    let offset: Int
    /// Classic capabilities: the 16 bits after id and next (lspci's `cap`).
    /// Extended capabilities: the whole 32-bit header.
    let header: UInt32
    let verbosity: Int
    let snapshot: FunctionSnapshot
    let formatter: LspciFormatter
    /// The BAR windows (base with flag bits, size) as the listing knows them.
    var windows: [ResourceWindow] = []
    /// The PCI Express device/port type from the Express capability, or -1 when there is none.
    var expressType: Int = -1

    /// Whether `length` bytes at `relative` (from the capability header) are present.
    func has(_ relative: Int, _ length: Int) -> Bool { view.has(offset + relative, length) }
    /// The byte at `relative` from the capability header.
    func byte(_ relative: Int) -> UInt8 { view.byte(offset + relative) }
    /// The word at `relative` from the capability header.
    func word(_ relative: Int) -> UInt16 { view.word(offset + relative) }
    /// The dword at `relative` from the capability header.
    func dword(_ relative: Int) -> UInt32 { view.dword(offset + relative) }
    /// Whether `-vv` details are printed.
    var detailed: Bool { verbosity >= 2 }
}

/// Classic (PCI 3.0 §6.7) capability decoders, one per capability id.
enum ClassicCapabilities {
    /// Appends the text after `Capabilities: [xx] ` for classic capability `id` (not 9, the
    /// vendor-specific one), newline included; `false` (nothing written) for an id lspci does not name.
    static func decode(id: UInt8, _ c: CapabilityContext, into out: inout LspciText) -> Bool {
        switch id {
        case 0x00: out += "Null\n"
        case 0x01: powerManagement(c, into: &out)
        case 0x02: out += "AGP version \(String(c.header >> 4 & 0xf, radix: 16)).\(String(c.header & 0xf, radix: 16))\n"
        case 0x03: out += c.detailed ? "Vital Product Data\n\t\tNot readable\n" : "Vital Product Data\n"
        case 0x04:
            out += "Slot ID: \(c.header & 0x1f) slots, First\(FlagMark(c.header, 0x20)), "
            out += "chassis \(hex: c.header >> 8 & 0xff, 2)\n"
        case 0x05: msi(c, into: &out)
        case 0x06: out += "CompactPCI hot-swap <?>\n"
        case 0x07: pciX(c, into: &out)
        case 0x08: hyperTransport(c, into: &out)
        case 0x0a: out += "Debug port: BAR=\(c.header >> 13 & 0x7) offset=\(hex: c.header & 0x1fff, 4)\n"
        case 0x0b: out += "CompactPCI central resource control <?>\n"
        case 0x0c: out += "Hot-plug capable\n"
        case 0x0d: subsystem(c, into: &out)
        case 0x0e: out += "AGP3 <?>\n"
        case 0x0f: out += "Secure device <?>\n"
        case 0x10: express(c, into: &out)
        case 0x11: msiX(c, into: &out)
        case 0x12: out += "SATA HBA v\(c.header >> 4 & 0xf).\(c.header & 0xf)\n"
        case 0x13: out += "PCI Advanced Features\n"
        case 0x14: enhancedAllocation(c, into: &out)
        default: return false
        }
        return true
    }

    /// HyperTransport: the title names the interface or capability type.
    static func hyperTransport(_ c: CapabilityContext, into out: inout LspciText) {
        let h = c.header
        switch h & 0xe000 {
        case 0x0000:
            out += "HyperTransport: Slave or Primary Interface\n"
            return
        case 0x2000:
            out += "HyperTransport: Host or Secondary Interface\n"
            return
        default: break
        }
        let type = h & 0xf800
        let title: String =
            switch type {
            case 0x4000: "Switch"
            case 0x8000: "Interrupt Discovery and Configuration"
            case 0x8800: "Revision ID: \(h >> 5 & 0x7).\(Fmt.decimal(h & 0x1f, 2))"
            case 0x9000: "UnitID Clumping"
            case 0x9800: "Extended Configuration Space Access"
            case 0xa000: "Address Mapping"
            case 0xa800: "MSI Mapping Enable\(Fmt.flag(h, 0x1)) Fixed\(Fmt.flag(h, 0x2))"
            case 0xb000: "DirectRoute"
            case 0xb800: "VCSet"
            case 0xc000: "Retry Mode"
            case 0xc800: "X86 (reserved)"
            default: "#\(Fmt.hex(type >> 11, 2))"
            }
        out += "HyperTransport: \(title)\n"
    }

    /// `Enhanced Allocation (EA): NumEntries=N` (bridges add their fixed bus numbers).
    static func enhancedAllocation(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Enhanced Allocation (EA): NumEntries=\(c.header & 0x3f)"
        if c.view.byte(Header.headerType) & 0x7f == 1, c.view.has(c.offset + 4, 2) {
            out += ", secondary=\(c.view.byte(c.offset + 4)), subordinate=\(c.view.byte(c.offset + 5))"
        }
        out.append(byte: UInt8(ascii: "\n"))
    }

    /// PCI-X: the title depends on the header type; other header types print nothing.
    static func pciX(_ c: CapabilityContext, into out: inout LspciText) {
        switch c.view.byte(Header.headerType) & 0x7f {
        case 0: out += "PCI-X non-bridge device\n"
        case 1: out += "PCI-X bridge device\n"
        default: break
        }
    }

    /// Bridge subsystem id capability.
    static func subsystem(_ c: CapabilityContext, into out: inout LspciText) {
        guard c.view.has(c.offset, 8) else {
            out += ""
            return
        }
        let vendor = c.view.word(c.offset + 4)
        let device = c.view.word(c.offset + 6)
        let text =
            c.formatter.names?.subsystemText(
                vendor: c.snapshot.vendorID, device: c.snapshot.deviceID, subsystemVendor: vendor,
                subsystemDevice: device, style: c.formatter.options.nameStyle)
            ?? (Fmt.hex(vendor, 4) + ":" + Fmt.hex(device, 4))
        out += "Subsystem: \(text)\n"
    }

    /// `Express (v2) Endpoint, MSI 00` (the version only from `-vv` on).
    static func expressTitle(_ c: CapabilityContext, into out: inout LspciText) {
        let h = c.header
        let type = Int(h >> 4 & 0xf)
        let slot = "(Slot\(Fmt.flag(h, 0x100)))"
        let kind: String =
            switch type {
            case 0: "Endpoint"
            case 1: "Legacy Endpoint"
            case 4: "Root Port \(slot)"
            case 5: "Upstream Port"
            case 6: "Downstream Port \(slot)"
            case 7: "PCI-Express to PCI/PCI-X Bridge"
            case 8: "PCI/PCI-X to PCI-Express Bridge \(slot)"
            case 9: "Root Complex Integrated Endpoint"
            case 10: "Root Complex Event Collector"
            default: "Unknown type \(type)"
            }
        let version = c.verbosity >= 2 ? "(v\(h & 0xf)) " : ""
        out += "Express \(version)\(kind), MSI \(hex: h >> 9 & 0x1f, 2)\n"
    }
}

extension LspciFormatter {
    /// Walks the classic chain, then (for PCIe and PCI-X functions) the extended chain.
    func capabilities(
        _ snapshot: FunctionSnapshot, _ view: ConfigView, pointer: Int, windows: [ResourceWindow], into out: inout LspciText
    ) {
        guard view.word(Header.status) & 0x10 != 0 else { return }
        var visited = VisitedOffsets()
        var hasExtendedSpace = false
        var expressType = -1
        var offset = Int(view.byte(pointer) & ~3)
        while offset != 0 {
            out += "\tCapabilities: "
            guard view.has(offset, 4) else {
                out += "<access denied>\n"
                break
            }
            let id = view.byte(offset)
            let next = Int(view.byte(offset + 1) & ~3)
            let header = UInt32(view.word(offset + 2))
            out += "[\(hex: offset, 2)] "
            guard visited.insert(offset) else {
                out += "<chain looped>\n"
                break
            }
            guard id != 0xff else {
                out += "<chain broken>\n"
                break
            }
            let context = CapabilityContext(
                view: view, offset: offset, header: header, verbosity: options.verbosity, snapshot: snapshot,
                formatter: self, windows: windows)
            if id == 0x10 { expressType = Int(header >> 4 & 0xf) }
            if id == 0x09 {
                VendorCapabilities.decode(context, into: &out)
            } else if !ClassicCapabilities.decode(id: id, context, into: &out) {
                out += "Capability ID \(Fmt.alternateHex(id)) [\(hex: header, 4)]\n"
            }
            if id == 0x10 || id == 0x07 { hasExtendedSpace = true }
            offset = next
        }
        if hasExtendedSpace {
            extendedCapabilities(snapshot, view, windows: windows, expressType: expressType, into: &out)
        }
    }
}
