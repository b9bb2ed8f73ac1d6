import PCIe

extension LspciFormatter {
    /// `-m` (quoted fields on one line) and `-vm`/`-vmm` (one `Tag:\tvalue` line per field).
    func machineBlock(_ function: ListedFunction, _ view: ConfigView, into out: inout String) {
        let snapshot = function.snapshot
        let slot = function.slotName(withDomain: function.domain != 0 || options.showDomains)
        let classText = self.classText(snapshot)
        let vendor = machineVendorText(snapshot.vendorID)
        let device = machineDeviceText(vendor: snapshot.vendorID, device: snapshot.deviceID)
        let (subVendor, subDevice) = view.subsystemIDs
        let hasSubsystem = subVendor != 0 && subVendor != 0xffff
        let subsystem =
            hasSubsystem
            ? (
                machineSubsystemVendorText(subVendor),
                machineSubsystemText(snapshot, subsystemVendor: subVendor, subsystemDevice: subDevice)
            ) : nil
        let revision = view.byte(Header.revision)
        let progIf = view.byte(Header.progIf)
        if options.verbosity > 0 {
            out += (options.machine >= 2 ? "Slot:\t" : "Device:\t") + slot + "\n"
            out += "Class:\t\(classText)\nVendor:\t\(vendor)\nDevice:\t\(device)\n"
            if let subsystem { out += "SVendor:\t\(subsystem.0)\nSDevice:\t\(subsystem.1)\n" }
            if revision != 0 { out += "Rev:\t\(Fmt.hex(revision, 2))\n" }
            out += "ProgIf:\t\(Fmt.hex(progIf, 2))\n"
            if options.showKernel, let driver = function.kernelDriver { out += "Driver:\t\(driver)\n" }
            if let node = function.numaNode { out += "NUMANode:\t\(node)\n" }
            if let group = function.iommuGroup { out += "IOMMUGroup:\t\(group)\n" }
        } else {
            out += slot + Self.quoted(classText) + Self.quoted(vendor) + Self.quoted(device)
            if revision != 0 { out += " -r" + Fmt.hex(revision, 2) }
            out += " -p" + Fmt.hex(progIf, 2)
            if let subsystem {
                out += Self.quoted(subsystem.0) + Self.quoted(subsystem.1)
            } else {
                out += " \"\" \"\""
            }
            out += "\n"
        }
    }

    /// ` "text"` with `"` and `\` escaped, as lspci's `print_shell_escaped`.
    static func quoted(_ text: String) -> String {
        var escaped = " \""
        for character in text {
            if character == "\"" || character == "\\" { escaped += "\\" }
            escaped.append(character)
        }
        return escaped + "\""
    }

    private func machineVendorText(_ vendor: UInt16) -> String {
        if let names { return names.vendorText(vendor, style: options.nameStyle) }
        return options.nameStyle == .names ? "Vendor \(Fmt.hex(vendor, 4))" : Fmt.hex(vendor, 4)
    }

    /// The subsystem vendor in `-m` output: libpci's subsystem lookup says `Unknown vendor`.
    private func machineSubsystemVendorText(_ vendor: UInt16) -> String {
        let number = Fmt.hex(vendor, 4)
        switch (options.nameStyle, names?.vendorName(vendor)) {
        case (.numeric, _): return number
        case (.names, let name?): return name
        case (.mixed, let name?): return "\(name) [\(number)]"
        case (.names, nil): return "Unknown vendor \(number)"
        case (.mixed, nil): return "Unknown vendor [\(number)]"
        }
    }

    private func machineDeviceText(vendor: UInt16, device: UInt16) -> String {
        let number = Fmt.hex(device, 4)
        let name = names?.deviceName(vendor: vendor, device: device)
        switch (options.nameStyle, name) {
        case (.numeric, _): return number
        case (.names, let name?): return name
        case (.mixed, let name?): return "\(name) [\(number)]"
        case (.names, nil): return "Device \(number)"
        case (.mixed, nil): return "Device [\(number)]"
        }
    }

    private func machineSubsystemText(
        _ snapshot: FunctionSnapshot, subsystemVendor: UInt16, subsystemDevice: UInt16
    ) -> String {
        let number = Fmt.hex(subsystemDevice, 4)
        let name = names?.subsystemName(
            vendor: snapshot.vendorID, device: snapshot.deviceID, subsystemVendor: subsystemVendor,
            subsystemDevice: subsystemDevice)
        switch (options.nameStyle, name) {
        case (.numeric, _): return number
        case (.names, let name?): return name
        case (.mixed, let name?): return "\(name) [\(number)]"
        case (.names, nil): return "Device \(number)"
        case (.mixed, nil): return "Device [\(number)]"
        }
    }
}
