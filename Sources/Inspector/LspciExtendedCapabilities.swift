import PCIe

/// Extended (PCIe, config offset 0x100 and up) capability decoders, one per capability id.
enum ExtendedCapabilities {
    static let decoders: [UInt16: CapabilityDecoder] = [
        0x0000: title("Null"),
        0x0001: advancedErrorReporting,
        0x0002: title("Virtual Channel"),
        0x0003: deviceSerialNumber,
        0x0004: title("Power Budgeting <?>"),
        0x0005: title("Root Complex Link"),
        0x0006: title("Root Complex Internal Link <?>"),
        0x0007: title("Root Complex Event Collector Endpoint Association"),
        0x0008: title("Multi-Function Virtual Channel <?>"),
        0x0009: title("Virtual Channel"),
        0x000a: title("Root Complex Register Block <?>"),
        0x000b: vendorSpecific,
        0x000d: accessControlServices,
        0x000e: alternativeRoutingID,
        0x000f: addressTranslationService,
        0x0010: singleRootIOV,
        0x0011: title("Multi-Root I/O Virtualization <?>"),
        0x0012: title("Multicast"),
        0x0013: pageRequestInterface,
        0x0015: title("Physical Resizable BAR"),
        0x0016: title("Dynamic Power Allocation <?>"),
        0x0017: transactionProcessingHints,
        0x0018: latencyToleranceReporting,
        0x0019: secondaryPCIExpress,
        0x001a: title("Protocol Multiplexing <?>"),
        0x001b: processAddressSpaceID,
        0x001c: title("LN Requester <?>"),
        0x001d: downstreamPortContainment,
        0x001e: l1PMSubstates,
        0x001f: precisionTimeMeasurement,
        0x0020: title("PCI Express over M_PHY <?>"),
        0x0021: title("FRS Queueing <?>"),
        0x0022: title("Readiness Time Reporting <?>"),
        0x0023: designatedVendorSpecific,
        0x0024: title("Virtual Resizable BAR"),
        0x0025: title("Data Link Feature <?>"),
        0x0026: title("Physical Layer 16.0 GT/s <?>"),
        0x0027: title("Lane Margining at the Receiver <?>"),
        0x0028: title("Hierarchy ID <?>"),
        0x0029: title("Native PCIe Enclosure Management <?>"),
        0x002e: title("Data Object Exchange"),
    ]

    /// `Designated Vendor-Specific: Vendor=.. ID=.. Rev=.. Len=.. <?>`. lspci decodes CXL
    /// (vendor 1e98) further; that is not reproduced yet.
    static func designatedVendorSpecific(_ c: CapabilityContext) -> String {
        guard c.view.has(c.offset + 4, 6) else { return "" }
        let header1 = c.view.dword(c.offset + 4)
        let id = c.view.word(c.offset + 8)
        return "Designated Vendor-Specific: Vendor=\(Fmt.hex(header1 & 0xffff, 4)) ID=\(Fmt.hex(id, 4)) "
            + "Rev=\(header1 >> 16 & 0xf) Len=\(header1 >> 20) <?>\n"
    }

    /// A decoder whose `-v` output is a fixed title.
    static func title(_ text: String) -> CapabilityDecoder {
        { _ in text + "\n" }
    }

    /// `Device Serial Number 00-1b-21-ff-ff-aa-bb-cc`, most significant byte first. Prints
    /// nothing at all (not even a newline) when the 8 serial bytes are beyond the snapshot.
    static func deviceSerialNumber(_ c: CapabilityContext) -> String {
        guard c.view.has(c.offset + 4, 8) else { return "" }
        let bytes = (0..<8).reversed().map { Fmt.hex(c.view.byte(c.offset + 4 + $0), 2) }
        return "Device Serial Number " + bytes.joined(separator: "-") + "\n"
    }

    /// Vendor-specific extended capability: `ID=0001 Rev=1 Len=010 <?>`.
    static func vendorSpecific(_ c: CapabilityContext) -> String {
        guard c.view.has(c.offset + 4, 4) else { return "" }
        let vsec = c.view.dword(c.offset + 4)
        return "Vendor Specific Information: ID=\(Fmt.hex(vsec & 0xffff, 4)) Rev=\(vsec >> 16 & 0xf) "
            + "Len=\(Fmt.hex(vsec >> 20, 3)) <?>\n"
    }
}

extension LspciFormatter {
    /// Walks the extended chain from 0x100 with a visited set.
    func extendedCapabilities(
        _ snapshot: FunctionSnapshot, _ view: ConfigView, windows: [ResourceWindow], expressType: Int,
        into out: inout String
    ) {
        var visited = Set<Int>()
        var offset = 0x100
        repeat {
            guard view.has(offset, 4) else { break }
            let header = view.dword(offset)
            if header == 0 || header == 0xffff_ffff { break }
            let id = UInt16(truncatingIfNeeded: header)
            out += "\tCapabilities: [\(Fmt.hex(offset, 3))"
            if options.verbosity > 1 { out += " v\(header >> 16 & 0xf)" }
            out += "] "
            guard visited.insert(offset).inserted else {
                out += "<chain looped>\n"
                break
            }
            let context = CapabilityContext(
                view: view, offset: offset, header: header, verbosity: options.verbosity, snapshot: snapshot,
                formatter: self, windows: windows, expressType: expressType)
            if let decoder = ExtendedCapabilities.decoders[id] {
                out += decoder(context)
            } else {
                out += "Extended Capability ID \(Fmt.alternateHex(id))\n"
            }
            offset = Int(header >> 20) & ~3
        } while offset != 0
    }
}
