import PCIe

/// What to print, like lspci's command-line switches.
public struct LspciOptions: Sendable, Equatable {
    /// 0: one line per function; 1: `-v`; 2 and more: `-vv` capability titles (with versions).
    /// Deeper `-vv`/`-vvv` register decoding is not implemented yet.
    public var verbosity: Int
    /// Names (default), `-n` numbers, or `-nn` both.
    public var nameStyle: PCINameStyle

    /// Creates options; the defaults give lspci's plain listing.
    public init(verbosity: Int = 0, nameStyle: PCINameStyle = .names) {
        self.verbosity = max(0, verbosity)
        self.nameStyle = nameStyle
    }
}

/// Formats function snapshots the way lspci 3.9 prints them when reading a sysfs tree written by
/// ``SysfsExporter``.
///
/// Never traps on garbage config bytes: every register read is bounds-checked and capability
/// chains are walked with a visited set (`<chain looped>`, `<chain broken>`, `<access denied>`).
public struct LspciFormatter: Sendable {
    /// The name database; `nil` prints lspci's fallbacks (`Device 8086:10fb`, `Class 0200`).
    public let names: PCINameDatabase?
    /// Output options.
    public let options: LspciOptions

    /// Creates a formatter.
    public init(names: PCINameDatabase? = PCINameDatabase.shared, options: LspciOptions = LspciOptions()) {
        self.names = names
        self.options = options
    }

    /// Every function, sorted by address like lspci, as one text.
    public func format(_ snapshots: [FunctionSnapshot]) -> String {
        snapshots.sorted { $0.bdf < $1.bdf }.map(format).joined()
    }

    /// One function's block (its line, plus its details and a blank line when verbose).
    public func format(_ snapshot: FunctionSnapshot) -> String {
        var out = ""
        let view = ConfigView(snapshot.config)
        guard view.has(0, 64) else {
            // lspci skips a function whose standard header cannot be read.
            return ""
        }
        terseLines(snapshot, view, into: &out)
        if options.verbosity > 0 {
            verboseBody(snapshot, view, into: &out)
            out += "\n"
        }
        return out
    }

    // MARK: Names

    func classText(_ snapshot: FunctionSnapshot) -> String {
        let code = UInt16(truncatingIfNeeded: snapshot.classCode24 >> 8)
        if let names { return names.classText(code, style: options.nameStyle) }
        let number = Fmt.hex(code, 4)
        switch options.nameStyle {
        case .numeric: return number
        case .names: return "Class \(number)"
        case .mixed: return "Class [\(number)]"
        }
    }

    func vendorDeviceText(vendor: UInt16, device: UInt16) -> String {
        if let names { return names.vendorDeviceText(vendor: vendor, device: device, style: options.nameStyle) }
        let number = Fmt.hex(vendor, 4) + ":" + Fmt.hex(device, 4)
        switch options.nameStyle {
        case .numeric: return number
        case .names: return "Device \(number)"
        case .mixed: return "Device [\(number)]"
        }
    }

    // MARK: Header

    private func terseLines(_ snapshot: FunctionSnapshot, _ view: ConfigView, into out: inout String) {
        out += snapshot.bdf.description + " " + classText(snapshot) + ": "
        out += vendorDeviceText(vendor: snapshot.vendorID, device: snapshot.deviceID)
        let revision = view.byte(Header.revision)
        if revision != 0 { out += " (rev \(Fmt.hex(revision, 2)))" }
        if options.verbosity > 0 {
            let progIf = view.byte(Header.progIf)
            let classCode = UInt16(truncatingIfNeeded: snapshot.classCode24 >> 8)
            let name = names?.progIfName(classCode: classCode, progIf: progIf)
            if progIf != 0 || name != nil {
                out += " (prog-if \(Fmt.hex(progIf, 2))"
                if let name { out += " [\(name)]" }
                out += ")"
            }
        }
        out += "\n"
        guard options.verbosity > 0 else { return }
        let (subVendor, subDevice) = view.subsystemIDs
        if subVendor != 0 && subVendor != 0xffff {
            let text =
                names?.subsystemText(
                    vendor: snapshot.vendorID, device: snapshot.deviceID, subsystemVendor: subVendor,
                    subsystemDevice: subDevice, style: options.nameStyle)
                ?? (Fmt.hex(subVendor, 4) + ":" + Fmt.hex(subDevice, 4))
            out += "\tSubsystem: \(text)\n"
        }
    }

    private func verboseBody(_ snapshot: FunctionSnapshot, _ view: ConfigView, into out: inout String) {
        let headerType = view.byte(Header.headerType) & 0x7f
        let classCode = UInt16(truncatingIfNeeded: snapshot.classCode24 >> 8)
        switch headerType {
        case 0:
            if classCode == 0x0604 { out += "\t!!! Invalid class 0604 for header type 00\n" }
        case 1, 2:
            if classCode >> 8 != 0x06 {
                out += "\t!!! Invalid class \(Fmt.hex(classCode, 4)) for header type \(Fmt.hex(headerType, 2))\n"
            }
        default:
            out += "\t!!! Unknown header type \(Fmt.hex(headerType, 2))\n"
            return
        }
        flagsLine(snapshot, view, into: &out)
        let bist = view.byte(Header.bist)
        if bist & 0x80 != 0 {
            out += bist & 0x40 != 0 ? "\tBIST is running\n" : "\tBIST result: \(Fmt.hex(bist & 0x0f, 2))\n"
        }
        let windows = SysfsResource.windows(of: snapshot)
        switch headerType {
        case 0:
            barLines(windows, view, count: 6, into: &out)
            romLine(windows[6], view, register: Header.rom, into: &out)
            capabilities(snapshot, view, pointer: Header.capabilityPointer, into: &out)
        case 1:
            // Bridge window lines (`Bus:`, `... behind bridge`) are not decoded yet.
            barLines(windows, view, count: 2, into: &out)
            romLine(windows[6], view, register: Header.bridgeRom, into: &out)
            capabilities(snapshot, view, pointer: Header.capabilityPointer, into: &out)
        default:
            barLines(windows, view, count: 1, into: &out)
        }
    }

    private func flagsLine(_ snapshot: FunctionSnapshot, _ view: ConfigView, into out: inout String) {
        let command = view.word(Header.command)
        let status = view.word(Header.status)
        var text = "\tFlags: "
        if command & 0x4 != 0 { text += "bus master, " }
        if command & 0x20 != 0 { text += "VGA palette snoop, " }
        if command & 0x80 != 0 { text += "stepping, " }
        if command & 0x200 != 0 { text += "fast Back2Back, " }
        if status & 0x20 != 0 { text += "66MHz, " }
        if status & 0x40 != 0 { text += "user-definable features, " }
        text += ["fast", "medium", "slow", "??"][Int((status >> 9) & 3)] + " devsel"
        if command & 0x4 != 0 { text += ", latency \(view.byte(Header.latency))" }
        let irq = snapshot.reportedIRQ
        if irq != 0 { text += ", IRQ \(irq)" }
        out += text + "\n"
    }
}
