import PCIe

/// What to print, like lspci's command-line switches.
public struct LspciOptions: Sendable, Equatable {
    /// 0: one line per function; 1: `-v`; 2: `-vv` (register details); 3: `-vvv`.
    public var verbosity: Int
    /// Names (default), `-n` numbers, or `-nn` both.
    public var nameStyle: PCINameStyle
    /// `-x` count: 1 dumps the standard header, 3 the first 256 bytes, 4 all 4096.
    public var hexDump: Int
    /// `-k`: the bound driver (and the subsystem line in the terse listing).
    public var showKernel: Bool
    /// `-m` count: 1 the obsolete quoted format, 2 (`-mm`) the `Slot:` format of `-vmm`.
    public var machine: Int
    /// `-D`: always print the domain.
    public var showDomains: Bool

    /// Creates options; the defaults give lspci's plain listing.
    public init(
        verbosity: Int = 0, nameStyle: PCINameStyle = .names, hexDump: Int = 0, showKernel: Bool = false,
        machine: Int = 0, showDomains: Bool = false
    ) {
        self.verbosity = max(0, verbosity)
        self.nameStyle = nameStyle
        self.hexDump = max(0, hexDump)
        self.showKernel = showKernel
        self.machine = max(0, machine)
        self.showDomains = showDomains
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
        format(snapshots.map { ListedFunction(snapshot: $0) })
    }

    /// One function's block (its line, plus its details and a blank line when verbose).
    public func format(_ snapshot: FunctionSnapshot) -> String {
        format(ListedFunction(snapshot: snapshot), domainsDetected: false)
    }

    /// Every listed function that passes `filter`, sorted by domain and address like lspci, as
    /// one text. Domains are shown when any function (filtered out or not) has a non-zero one.
    public func format(_ functions: [ListedFunction], filter: DeviceFilter = DeviceFilter()) -> String {
        let domainsDetected = functions.contains { $0.domain != 0 }
        var out = LspciText(capacity: 4096)
        for function in functions.filter(filter.matches).sorted(by: { $0.sortKey < $1.sortKey }) {
            format(function, domainsDetected: domainsDetected, into: &out)
        }
        return out.string
    }

    /// One listed function's block, in the mode the options select (terse, verbose, machine,
    /// with kernel lines and hex dump). `domainsDetected`: some function has a non-zero domain.
    public func format(_ function: ListedFunction, domainsDetected: Bool) -> String {
        var out = LspciText(capacity: 4096)
        format(function, domainsDetected: domainsDetected, into: &out)
        return out.string
    }

    /// Appends one listed function's block to `out`.
    private func format(_ function: ListedFunction, domainsDetected: Bool, into out: inout LspciText) {
        let view = ConfigView(function.snapshot.config)
        // lspci skips a function whose standard header cannot be read.
        guard view.has(0, 64) else { return }
        let slot = function.slotName(withDomain: options.showDomains || domainsDetected)
        if options.machine > 0 {
            var block = ""
            machineBlock(function, view, into: &block)
            out.append(block)
        } else {
            terseLines(function, slot: slot, view, into: &out)
            if options.verbosity > 0 { verboseBody(function, view, into: &out) }
            if options.showKernel || options.verbosity > 0, let driver = function.kernelDriver {
                out += "\tKernel driver in use: \(driver)\n"
            }
        }
        if options.hexDump > 0 { hexDump(view, into: &out) }
        if options.verbosity > 0 || options.hexDump > 0 { out.append(byte: UInt8(ascii: "\n")) }
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

    private func terseLines(_ function: ListedFunction, slot: String, _ view: ConfigView, into out: inout LspciText) {
        let snapshot = function.snapshot
        out += "\(slot) \(classText(snapshot)): \(vendorDeviceText(vendor: snapshot.vendorID, device: snapshot.deviceID))"
        let revision = view.byte(Header.revision)
        if revision != 0 { out += " (rev \(hex: revision, 2))" }
        if options.verbosity > 0 {
            let progIf = view.byte(Header.progIf)
            let classCode = UInt16(truncatingIfNeeded: snapshot.classCode24 >> 8)
            let name = names?.progIfName(classCode: classCode, progIf: progIf)
            if progIf != 0 || name != nil {
                out += " (prog-if \(hex: progIf, 2)"
                if let name { out += " [\(name)]" }
                out += ")"
            }
        }
        out += "\n"
        guard options.verbosity > 0 || options.showKernel else { return }
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

    private func verboseBody(_ function: ListedFunction, _ view: ConfigView, into out: inout LspciText) {
        let snapshot = function.snapshot
        let headerType = view.byte(Header.headerType) & 0x7f
        let classCode = UInt16(truncatingIfNeeded: snapshot.classCode24 >> 8)
        switch headerType {
        case 0:
            if classCode == 0x0604 { out += "\t!!! Invalid class 0604 for header type 00\n" }
        case 1, 2:
            if classCode >> 8 != 0x06 {
                out += "\t!!! Invalid class \(hex: classCode, 4) for header type \(hex: headerType, 2)\n"
            }
        default:
            out += "\t!!! Unknown header type \(hex: headerType, 2)\n"
            return
        }
        if options.verbosity > 1 {
            controlAndStatusLines(function, view, into: &out)
        } else {
            flagsLine(function, view, into: &out)
        }
        let bist = view.byte(Header.bist)
        if bist & 0x80 != 0 {
            out += bist & 0x40 != 0 ? "\tBIST is running\n" : "\tBIST result: \(hex: bist & 0x0f, 2)\n"
        }
        let windows = function.hasSizes ? SysfsResource.windows(of: snapshot) : SysfsResource.registerWindows(view)
        switch headerType {
        case 0:
            barLines(windows, view, count: 6, ioFlagsKnown: function.hasSizes, into: &out)
            romLine(windows[6], view, register: Header.rom, into: &out)
            capabilities(snapshot, view, pointer: Header.capabilityPointer, windows: windows, into: &out)
        case 1:
            // Bridge window lines (`Bus:`, `... behind bridge`) are not decoded yet.
            barLines(windows, view, count: 2, ioFlagsKnown: function.hasSizes, into: &out)
            romLine(windows[6], view, register: Header.bridgeRom, into: &out)
            capabilities(snapshot, view, pointer: Header.capabilityPointer, windows: windows, into: &out)
        default:
            barLines(windows, view, count: 1, ioFlagsKnown: function.hasSizes, into: &out)
        }
    }

    private func flagsLine(_ function: ListedFunction, _ view: ConfigView, into out: inout LspciText) {
        let command = view.word(Header.command)
        let status = view.word(Header.status)
        var text: LspciText = "\tFlags: "
        if command & 0x4 != 0 { text += "bus master, " }
        if command & 0x20 != 0 { text += "VGA palette snoop, " }
        if command & 0x80 != 0 { text += "stepping, " }
        if command & 0x200 != 0 { text += "fast Back2Back, " }
        if status & 0x20 != 0 { text += "66MHz, " }
        if status & 0x40 != 0 { text += "user-definable features, " }
        text += ["fast", "medium", "slow", "??"][Int((status >> 9) & 3)] + " devsel"
        if command & 0x4 != 0 { text += ", latency \(view.byte(Header.latency))" }
        let irq = function.irq
        if irq != 0 { text += ", IRQ \(irq)" }
        if let node = function.numaNode { text += ", NUMA node \(node)" }
        if let group = function.iommuGroup { text += ", IOMMU group \(group)" }
        out += text
        out.append(byte: UInt8(ascii: "\n"))
    }
}
