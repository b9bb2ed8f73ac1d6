import PCIe

extension SysfsResource {
    /// The windows libpci derives from the BAR registers alone (its generic fill, used for hex
    /// dumps): the register value as base address, flag bits included, and no size or Linux
    /// resource flags. A 64-bit BAR takes its upper half from the next register; an all-zero or
    /// all-ones register is absent.
    static func registerWindows(_ view: ConfigView) -> [ResourceWindow] {
        var windows = [ResourceWindow](repeating: .none, count: 7)
        let count: Int =
            switch view.byte(Header.headerType) & 0x7f {
            case 0: 6
            case 1: 2
            case 2: 1
            default: 0
            }
        var index = 0
        while index < count {
            let low = view.dword(Header.bar0 + 4 * index)
            defer { index += 1 }
            guard low != 0, low != 0xffff_ffff else { continue }
            if low & 1 != 0 {
                windows[index] = window(UInt64(low))
                continue
            }
            guard low & 0x6 == 0x4 else {
                windows[index] = window(UInt64(low))
                continue
            }
            guard index < count - 1 else { continue }
            let high = view.dword(Header.bar0 + 4 * (index + 1))
            windows[index] = window(UInt64(low) | UInt64(high) << 32)
            index += 1
        }
        let romRegister: Int? =
            switch view.byte(Header.headerType) & 0x7f {
            case 0: Header.rom
            case 1: Header.bridgeRom
            default: nil
            }
        if let romRegister {
            let rom = view.dword(romRegister)
            if rom != 0 && rom != 0xffff_ffff {
                windows[6] = window(UInt64(rom))
            }
        }
        return windows
    }

    /// A window whose start and flags' low nibble give back `base` and whose size is zero.
    private static func window(_ base: UInt64) -> ResourceWindow {
        let start = base & ~0xf
        return ResourceWindow(start: start, end: start, flags: base & 0xf)
    }
}
