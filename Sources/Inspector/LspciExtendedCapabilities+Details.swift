/// Extended capabilities with `-vv` register lines: AER, ARI, SR-IOV, ACS, ATS, LTR (lspci's
/// `cap_aer`, `cap_ari`, `cap_sriov`, `cap_acs`, `cap_ats`, `cap_ltr`).
extension ExtendedCapabilities {
    static func f(_ value: some BinaryInteger, _ mask: some BinaryInteger) -> FlagMark { FlagMark(value, mask) }

    private static func uncorrectable(_ l: UInt32, into out: inout LspciText) {
        out += "DLP\(f(l, 0x10)) SDES\(f(l, 0x20)) TLP\(f(l, 0x1000)) FCP\(f(l, 0x2000)) CmpltTO\(f(l, 0x4000)) "
        out += "CmpltAbrt\(f(l, 0x8000)) UnxCmplt\(f(l, 0x10000)) RxOF\(f(l, 0x20000)) MalfTLP\(f(l, 0x40000)) "
        out += "ECRC\(f(l, 0x80000)) UnsupReq\(f(l, 0x10_0000)) ACSViol\(f(l, 0x20_0000))\n"
    }

    private static func correctable(_ l: UInt32, into out: inout LspciText) {
        out += "RxErr\(f(l, 0x1)) BadTLP\(f(l, 0x40)) BadDLLP\(f(l, 0x80)) Rollover\(f(l, 0x100)) Timeout\(f(l, 0x1000)) "
        out += "AdvNonFatalErr\(f(l, 0x2000))\n"
    }

    /// `Advanced Error Reporting` and its status, mask, severity and header log registers.
    static func advancedErrorReporting(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Advanced Error Reporting\n"
        guard c.detailed, c.has(4, 40) else { return }
        out += "\t\tUESta:\t"
        uncorrectable(c.dword(4), into: &out)
        out += "\t\tUEMsk:\t"
        uncorrectable(c.dword(8), into: &out)
        out += "\t\tUESvrt:\t"
        uncorrectable(c.dword(0xc), into: &out)
        out += "\t\tCESta:\t"
        correctable(c.dword(0x10), into: &out)
        out += "\t\tCEMsk:\t"
        correctable(c.dword(0x14), into: &out)
        let l = c.dword(0x18)
        out += "\t\tAERCap:\tFirst Error Pointer: \(hex: l & 0x1f, 2), ECRCGenCap\(f(l, 0x20)) "
        out += "ECRCGenEn\(f(l, 0x40)) ECRCChkCap\(f(l, 0x80)) ECRCChkEn\(f(l, 0x100))\n"
        out += "\t\t\tMultHdrRecCap\(f(l, 0x200)) MultHdrRecEn\(f(l, 0x400)) TLPPfxPres\(f(l, 0x800)) "
        out += "HdrLogCap\(f(l, 0x1000))\n"
        out += "\t\tHeaderLog:"
        for index in 0..<4 {
            out.append(byte: UInt8(ascii: " "))
            out.append(hex: c.dword(0x1c + 4 * index), digits: 8)
        }
        out.append(byte: UInt8(ascii: "\n"))
        let type = c.expressType
        guard
            type == ClassicCapabilities.PortType.rootPort
                || type == ClassicCapabilities.PortType.rootComplexEventCollector
        else { return }
        guard c.has(0x2c, 12) else { return }
        let command = c.dword(0x2c)
        out += "\t\tRootCmd: CERptEn\(f(command, 0x1)) NFERptEn\(f(command, 0x2)) FERptEn\(f(command, 0x4))\n"
        let status = c.dword(0x30)
        out += "\t\tRootSta: CERcvd\(f(status, 0x1)) MultCERcvd\(f(status, 0x2)) UERcvd\(f(status, 0x4)) "
        out += "MultUERcvd\(f(status, 0x8))\n\t\t\t FirstFatal\(f(status, 0x10)) NonFatalMsg\(f(status, 0x20)) "
        out += "FatalMsg\(f(status, 0x40)) IntMsg \(status >> 27 & 0x1f)\n"
        out += "\t\tErrorSrc: ERR_COR: \(hex: c.word(0x34), 4) ERR_FATAL/NONFATAL: \(hex: c.word(0x36), 4)\n"
    }

    /// `Alternative Routing-ID Interpretation (ARI)` with `ARICap:` and `ARICtl:`.
    static func alternativeRoutingID(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Alternative Routing-ID Interpretation (ARI)\n"
        guard c.detailed, c.has(4, 4) else { return }
        let capability = c.word(4)
        let control = c.word(6)
        out += "\t\tARICap:\tMFVC\(f(capability, 0x1)) ACS\(f(capability, 0x2)), Next Function: \(capability >> 8)\n"
        out += "\t\tARICtl:\tMFVC\(f(control, 0x1)) ACS\(f(control, 0x2)), Function Group: \(control >> 4 & 7)\n"
    }

    /// `Single Root I/O Virtualization (SR-IOV)` with its counts, offsets and VF BARs.
    static func singleRootIOV(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Single Root I/O Virtualization (SR-IOV)\n"
        guard c.detailed, c.has(4, 0x3c) else { return }
        let capability = c.dword(4)
        out += "\t\tIOVCap:\tMigration\(f(capability, 0x1)) 10BitTagReq\(f(capability, 0x4)) "
        out += "Interrupt Message Number: \(hex: capability >> 21, 3)\n"
        let control = c.word(8)
        out += "\t\tIOVCtl:\tEnable\(f(control, 0x1)) Migration\(f(control, 0x2)) Interrupt\(f(control, 0x4)) "
        out += "MSE\(f(control, 0x8)) ARIHierarchy\(f(control, 0x10)) 10BitTagReq\(f(control, 0x20))\n"
        out += "\t\tIOVSta:\tMigration\(f(c.word(0xa), 0x1))\n"
        out += "\t\tInitial VFs: \(c.word(0xc)), Total VFs: \(c.word(0xe)), Number of VFs: \(c.word(0x10)), "
        out += "Function Dependency Link: \(hex: c.byte(0x12), 2)\n"
        out += "\t\tVF offset: \(c.word(0x14)), stride: \(c.word(0x16)), Device ID: \(hex: c.word(0x1a), 4)\n"
        out += "\t\tSupported Page Size: \(hex: c.dword(0x1c), 8), System Page Size: \(hex: c.dword(0x20), 8)\n"
        var index = 0
        while index < 6 {
            var low = c.dword(0x24 + 4 * index)
            if low == 0xffff_ffff { low = 0 }
            guard low != 0 else {
                index += 1
                continue
            }
            out += "\t\tRegion \(index): Memory at "
            let is64 = low & 0x6 == 0x4
            if is64 {
                index += 1
                out.append(hex: c.dword(0x24 + 4 * index), digits: 8)
            }
            let width = low & 0x6 == 0 ? "32" : "64"
            out += "\(hex: low & ~0xf, 8) (\(width)-bit, \(low & 0x8 != 0 ? "" : "non-")prefetchable)\n"
            index += 1
        }
        let migration = c.dword(0x3c)
        out += "\t\tVF Migration: offset: \(hex: migration & ~7, 8), BIR: \(migration & 7)\n"
    }

    /// `Access Control Services` with `ACSCap:` and `ACSCtl:`.
    static func accessControlServices(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Access Control Services\n"
        guard c.detailed, c.has(4, 4) else { return }
        for (label, w) in [("ACSCap", c.word(4)), ("ACSCtl", c.word(6))] {
            out += "\t\t\(label):\tSrcValid\(f(w, 0x1)) TransBlk\(f(w, 0x2)) ReqRedir\(f(w, 0x4)) "
            out += "CmpltRedir\(f(w, 0x8)) UpstreamFwd\(f(w, 0x10)) EgressCtrl\(f(w, 0x20)) DirectTrans\(f(w, 0x40))\n"
        }
    }

    /// `Address Translation Service (ATS)` with its queue depth and control.
    static func addressTranslationService(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Address Translation Service (ATS)\n"
        guard c.detailed, c.has(4, 4) else { return }
        let capability = c.word(4)
        let control = c.word(6)
        out += "\t\tATSCap:\tInvalidate Queue Depth: \(hex: capability & 0x1f, 2)\n"
        out += "\t\tATSCtl:\tEnable\(f(control, 0x8000)), Smallest Translation Unit: \(hex: control & 0x1f, 2)\n"
    }

    /// `Latency Tolerance Reporting` with the snoop and no-snoop maxima in ns.
    static func latencyToleranceReporting(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Latency Tolerance Reporting\n"
        guard c.detailed, c.has(4, 4) else { return }
        // lspci computes `1 << (scale * 5)` in 32 bits; x86 masks the shift count to 5 bits.
        func nanoseconds(_ w: UInt16) -> UInt64 { UInt64(w & 0x3ff) * (UInt64(1) << ((5 * UInt64(w >> 10 & 7)) & 31)) }
        out += "\t\tMax snoop latency: \(nanoseconds(c.word(4)))ns\n"
        out += "\t\tMax no snoop latency: \(nanoseconds(c.word(6)))ns\n"
    }
}
