import PCIe

/// Extended (PCIe, config offset 0x100 and up) capability decoders, one per capability id.
enum ExtendedCapabilities {
    /// Appends the text after `Capabilities: [xxx] ` for extended capability `id`, newline
    /// included; `false` (nothing written) for an id lspci does not name.
    static func decode(id: UInt16, _ c: CapabilityContext, into out: inout LspciText) -> Bool {
        switch id {
        case 0x0000: out += "Null\n"
        case 0x0001: advancedErrorReporting(c, into: &out)
        case 0x0002: out += "Virtual Channel\n"
        case 0x0003: deviceSerialNumber(c, into: &out)
        case 0x0004: out += "Power Budgeting <?>\n"
        case 0x0005: out += "Root Complex Link\n"
        case 0x0006: out += "Root Complex Internal Link <?>\n"
        case 0x0007: out += "Root Complex Event Collector Endpoint Association\n"
        case 0x0008: out += "Multi-Function Virtual Channel <?>\n"
        case 0x0009: out += "Virtual Channel\n"
        case 0x000a: out += "Root Complex Register Block <?>\n"
        case 0x000b: vendorSpecific(c, into: &out)
        case 0x000d: accessControlServices(c, into: &out)
        case 0x000e: alternativeRoutingID(c, into: &out)
        case 0x000f: addressTranslationService(c, into: &out)
        case 0x0010: singleRootIOV(c, into: &out)
        case 0x0011: out += "Multi-Root I/O Virtualization <?>\n"
        case 0x0012: out += "Multicast\n"
        case 0x0013: pageRequestInterface(c, into: &out)
        case 0x0015: out += "Physical Resizable BAR\n"
        case 0x0016: out += "Dynamic Power Allocation <?>\n"
        case 0x0017: transactionProcessingHints(c, into: &out)
        case 0x0018: latencyToleranceReporting(c, into: &out)
        case 0x0019: secondaryPCIExpress(c, into: &out)
        case 0x001a: out += "Protocol Multiplexing <?>\n"
        case 0x001b: processAddressSpaceID(c, into: &out)
        case 0x001c: out += "LN Requester <?>\n"
        case 0x001d: downstreamPortContainment(c, into: &out)
        case 0x001e: l1PMSubstates(c, into: &out)
        case 0x001f: precisionTimeMeasurement(c, into: &out)
        case 0x0020: out += "PCI Express over M_PHY <?>\n"
        case 0x0021: out += "FRS Queueing <?>\n"
        case 0x0022: out += "Readiness Time Reporting <?>\n"
        case 0x0023: designatedVendorSpecific(c, into: &out)
        case 0x0024: out += "Virtual Resizable BAR\n"
        case 0x0025: out += "Data Link Feature <?>\n"
        case 0x0026: out += "Physical Layer 16.0 GT/s <?>\n"
        case 0x0027: out += "Lane Margining at the Receiver <?>\n"
        case 0x0028: out += "Hierarchy ID <?>\n"
        case 0x0029: out += "Native PCIe Enclosure Management <?>\n"
        case 0x002e: out += "Data Object Exchange\n"
        default: return false
        }
        return true
    }

    /// `Designated Vendor-Specific: Vendor=.. ID=.. Rev=.. Len=.. <?>`. lspci decodes CXL
    /// (vendor 1e98) further; that is not reproduced yet.
    static func designatedVendorSpecific(_ c: CapabilityContext, into out: inout LspciText) {
        guard c.view.has(c.offset + 4, 6) else {
            out += ""
            return
        }
        let header1 = c.view.dword(c.offset + 4)
        let id = c.view.word(c.offset + 8)
        out += "Designated Vendor-Specific: Vendor=\(hex: header1 & 0xffff, 4) ID=\(hex: id, 4) "
        out += "Rev=\(header1 >> 16 & 0xf) Len=\(header1 >> 20) <?>\n"
    }

    /// `Device Serial Number 00-1b-21-ff-ff-aa-bb-cc`, most significant byte first. Prints
    /// nothing at all (not even a newline) when the 8 serial bytes are beyond the snapshot.
    static func deviceSerialNumber(_ c: CapabilityContext, into out: inout LspciText) {
        guard c.view.has(c.offset + 4, 8) else {
            out += ""
            return
        }
        out += "Device Serial Number "
        for index in (0..<8).reversed() {
            out.append(Fmt.hex(c.view.byte(c.offset + 4 + index), 2))
            out.append(index == 0 ? "\n" : "-")
        }
    }

    /// Vendor-specific extended capability: `ID=0001 Rev=1 Len=010 <?>`.
    static func vendorSpecific(_ c: CapabilityContext, into out: inout LspciText) {
        guard c.view.has(c.offset + 4, 4) else {
            out += ""
            return
        }
        let vsec = c.view.dword(c.offset + 4)
        out += "Vendor Specific Information: ID=\(hex: vsec & 0xffff, 4) Rev=\(vsec >> 16 & 0xf) "
        out += "Len=\(hex: vsec >> 20, 3) <?>\n"
    }
}

extension LspciFormatter {
    /// Walks the extended chain from 0x100 with a visited set.
    func extendedCapabilities(
        _ snapshot: FunctionSnapshot, _ view: ConfigView, windows: [ResourceWindow], expressType: Int,
        into out: inout LspciText
    ) {
        var visited = VisitedOffsets()
        var offset = 0x100
        repeat {
            guard view.has(offset, 4) else { break }
            let header = view.dword(offset)
            if header == 0 || header == 0xffff_ffff { break }
            let id = UInt16(truncatingIfNeeded: header)
            out += "\tCapabilities: [\(hex: offset, 3)"
            if options.verbosity > 1 { out += " v\(header >> 16 & 0xf)" }
            out += "] "
            guard visited.insert(offset) else {
                out += "<chain looped>\n"
                break
            }
            let context = CapabilityContext(
                view: view, offset: offset, header: header, verbosity: options.verbosity, snapshot: snapshot,
                formatter: self, windows: windows, expressType: expressType)
            if !ExtendedCapabilities.decode(id: id, context, into: &out) {
                out += "Extended Capability ID \(Fmt.alternateHex(id))\n"
            }
            offset = Int(header >> 20) & ~3
        } while offset != 0
    }
}
