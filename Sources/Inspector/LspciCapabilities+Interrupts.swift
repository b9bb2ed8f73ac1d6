/// Power management, MSI and MSI-X, with their `-vv` register lines (lspci's `cap_pm`,
/// `cap_msi`, `cap_msix`).
extension ClassicCapabilities {
    private static let auxCurrent = [0, 55, 100, 160, 220, 270, 320, 375]

    /// `Power Management version N`; at `-vv` its `Flags:` and `Status:` (and `Bridge:`) lines.
    static func powerManagement(_ c: CapabilityContext, into out: inout LspciText) {
        let h = c.header
        out += "Power Management version \(h & 0x7)\n"
        guard c.detailed else { return }
        out += "\t\tFlags: PMEClk\(FlagMark(h, 0x8)) DSI\(FlagMark(h, 0x20)) D1\(FlagMark(h, 0x200)) "
        out += "D2\(FlagMark(h, 0x400)) AuxCurrent=\(auxCurrent[Int(h >> 6 & 0x7)])mA "
        out += "PME(D0\(FlagMark(h, 0x800)),D1\(FlagMark(h, 0x1000)),D2\(FlagMark(h, 0x2000)),"
        out += "D3hot\(FlagMark(h, 0x4000)),D3cold\(FlagMark(h, 0x8000)))\n"
        guard c.has(4, 4) else { return }
        let t = c.word(4)
        out += "\t\tStatus: D\(t & 0x3) NoSoftRst\(FlagMark(t, 0x8)) PME-Enable\(FlagMark(t, 0x100)) "
        out += "DSel=\(t >> 9 & 0xf) DScale=\(t >> 13 & 0x3) PME\(FlagMark(t, 0x8000))\n"
        let bridge = c.byte(6)
        if bridge != 0 {
            out += "\t\tBridge: PM\(FlagMark(bridge, 0x80)) B3\(FlagMark(~bridge, 0x40))\n"
        }
    }

    /// `MSI: Enable+ Count=1/1 Maskable+ 64bit+`; at `-vv` the address, data, mask and pending.
    static func msi(_ c: CapabilityContext, into out: inout LspciText) {
        let h = c.header
        out += "MSI: Enable\(FlagMark(h, 0x1)) Count=\(1 << (h >> 4 & 0x7))/\(1 << (h >> 1 & 0x7)) "
        out += "Maskable\(FlagMark(h, 0x100)) 64bit\(FlagMark(h, 0x80))\n"
        guard c.detailed else { return }
        let is64 = h & 0x80 != 0
        guard c.has(4, is64 ? 10 : 6) else { return }
        out += "\t\tAddress: "
        let data: UInt16
        if is64 {
            out.append(hex: c.dword(8), digits: 8)
            data = c.word(12)
        } else {
            data = c.word(8)
        }
        out += "\(hex: c.dword(4), 8)  Data: \(hex: data, 4)\n"
        if h & 0x100 != 0 {
            let maskAt = is64 ? 16 : 12
            guard c.has(maskAt, 8) else { return }
            out += "\t\tMasking: \(hex: c.dword(maskAt), 8)  Pending: \(hex: c.dword(maskAt + 4), 8)\n"
        }
    }

    /// `MSI-X: Enable+ Count=64 Masked-`; at `-vv` where the vector table and PBA live.
    static func msiX(_ c: CapabilityContext, into out: inout LspciText) {
        let h = c.header
        out += "MSI-X: Enable\(FlagMark(h, 0x8000)) Count=\((h & 0x7ff) + 1) Masked\(FlagMark(h, 0x4000))\n"
        guard c.detailed, c.has(4, 8) else { return }
        let table = c.dword(4)
        let pba = c.dword(8)
        out += "\t\tVector table: BAR=\(table & 7) offset=\(hex: table & ~7, 8)\n"
        out += "\t\tPBA: BAR=\(pba & 7) offset=\(hex: pba & ~7, 8)\n"
    }
}

/// Vendor-specific capability (id 9): virtio's structure locators and Intel's capability
/// registers get names, as lspci's `ls-caps-vendor.c`; anything else is `Len=.. <?>`.
enum VendorCapabilities {
    /// The text after `Capabilities: [xx] `.
    static func decode(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Vendor Specific Information: "
        let vendor = c.snapshot.vendorID
        let device = c.snapshot.deviceID
        if vendor == 0x1af4, (0x1000...0x107f).contains(device), virtio(c, into: &out) { return }
        out += "Len=\(hex: c.header & 0xff, 2) <?>\n"
    }

    /// A virtio PCI capability: `VirtIO: CommonCfg` and, at `-vv`, BAR, offset and size. `false`
    /// (nothing written) when the capability is too short to be one.
    static func virtio(_ c: CapabilityContext, into out: inout LspciText) -> Bool {
        let length = Int(c.header & 0xff)
        let type = Int(c.header >> 8 & 0xff)
        guard length >= 16, c.has(0, length) else { return false }
        let names = [1: "CommonCfg", 2: "Notify", 3: "ISR", 4: "DeviceCfg"]
        out += "VirtIO: \(names[type] ?? "<unknown>")\n"
        guard c.detailed else { return true }
        out += "\t\tBAR=\(c.byte(4)) offset=\(hex: c.dword(8), 8) size=\(hex: c.dword(12), 8)"
        if type == 2 && length >= 20 { out += " multiplier=\(hex: c.dword(16), 8)" }
        out.append(byte: UInt8(ascii: "\n"))
        return true
    }
}
