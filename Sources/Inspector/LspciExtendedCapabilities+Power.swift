/// More extended capabilities with `-vv` lines: L1 PM Substates, Precision Time Measurement,
/// TPH, Secondary PCI Express, PRI, PASID and DPC (lspci's `cap_l1pm`, `cap_ptm`, `cap_tph`,
/// `cap_sec`, `cap_pri`, `cap_pasid`, `cap_dpc`).
extension ExtendedCapabilities {
    /// L1 PM Substates power-on time in us for a scale and value, or `nil` for a reserved scale.
    private static func powerOnTime(scale: UInt32, value: UInt32) -> UInt32? {
        switch scale {
        case 0: 2 * value
        case 1: 10 * value
        case 2: 100 * value
        default: nil
        }
    }

    static func l1PMSubstates(_ c: CapabilityContext, into out: inout LspciText) {
        out += "L1 PM Substates\n"
        guard c.detailed else { return }
        guard c.has(4, 12) else {
            out += "\t\t<unreadable>\n"
            return
        }
        let capability = c.dword(4)
        let hasL12 = capability & 0x1 != 0 || capability & 0x4 != 0
        out += "\t\tL1SubCap: PCI-PM_L1.2\(f(capability, 0x1)) PCI-PM_L1.1\(f(capability, 0x2)) "
        out += "ASPM_L1.2\(f(capability, 0x4)) ASPM_L1.1\(f(capability, 0x8)) L1_PM_Substates\(f(capability, 0x10))\n"
        if hasL12 {
            out += "\t\t\t  PortCommonModeRestoreTime=\(capability >> 8 & 0xff)us "
            let time = powerOnTime(scale: capability >> 16 & 3, value: capability >> 19 & 0x1f)
            out += "PortTPowerOnTime=\(time.map { "\($0)us" } ?? "<error>")\n"
        }
        let control1 = c.dword(8)
        out += "\t\tL1SubCtl1: PCI-PM_L1.2\(f(control1, 0x1)) PCI-PM_L1.1\(f(control1, 0x2)) "
        out += "ASPM_L1.2\(f(control1, 0x4)) ASPM_L1.1\(f(control1, 0x8))\n"
        if hasL12 {
            out += "\t\t\t   T_CommonMode=\(control1 >> 8 & 0xff)us"
            if capability & 0x4 != 0 {
                let scale = control1 >> 29 & 7
                if scale > 5 {
                    out += " LTR1.2_Threshold=<error>"
                } else {
                    out += " LTR1.2_Threshold=\(UInt64(control1 >> 16 & 0x3ff) * (UInt64(1) << (5 * UInt64(scale))))ns"
                }
            }
            out += "\n"
        }
        let control2 = c.dword(0xc)
        out += "\t\tL1SubCtl2:"
        if hasL12 {
            let time = powerOnTime(scale: control2 & 3, value: control2 >> 3 & 0x1f)
            out += " T_PwrOn=\(time.map { "\($0)us" } ?? "<error>")"
        }
        out += "\n"
    }

    static func precisionTimeMeasurement(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Precision Time Measurement\n"
        guard c.detailed else { return }
        guard c.has(4, 8) else {
            out += "\t\t<unreadable>\n"
            return
        }
        let capability = c.dword(4)
        out += "\t\tPTMCap: Requester:\(f(capability, 0x1)) Responder:\(f(capability, 0x2)) Root:\(f(capability, 0x4))\n"
        let granularity = capability >> 8 & 0xff
        out += "\t\tPTMClockGranularity: "
        out += granularity == 0 ? "Unimplemented\n" : granularity == 0xff ? "Greater than 254ns\n" : "\(granularity)ns\n"
        let control = c.dword(8)
        out += "\t\tPTMControl: Enabled:\(f(control, 0x1)) RootSelected:\(f(control, 0x2))\n"
        let effective = control >> 8 & 0xff
        out += "\t\tPTMEffectiveGranularity: "
        out += effective == 0 ? "Unknown\n" : effective == 0xff ? "Greater than 254ns\n" : "\(effective)ns\n"
    }

    static func transactionProcessingHints(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Transaction Processing Hints\n"
        guard c.detailed, c.has(4, 4) else { return }
        let capability = c.dword(4)
        if capability & 0x2 != 0 { out += "\t\tInterrupt vector mode supported\n" }
        if capability & 0x4 != 0 { out += "\t\tDevice specific mode supported\n" }
        if capability & 0x100 != 0 { out += "\t\tExtended requester support\n" }
        switch capability & 0x600 {
        case 0: out += "\t\tNo steering table available\n"
        case 0x200: out += "\t\tSteering table in TPH capability structure\n"
        case 0x400: out += "\t\tSteering table in MSI-X table\n"
        default: out += "\t\tReserved steering table location\n"
        }
    }

    static func secondaryPCIExpress(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Secondary PCI Express\n"
        guard c.detailed, c.has(4, 12) else { return }
        let control3 = c.word(4)
        out += "\t\tLnkCtl3: LnkEquIntrruptEn\(f(control3, 0x2)) PerformEqu\(f(control3, 0x1))\n"
        var errors = c.word(8)
        out += "\t\tLaneErrStat: "
        if errors == 0 {
            out += "0"
        } else {
            out += "LaneErr at lane:"
            var lane = 0
            while errors != 0 {
                if errors & 1 != 0 { out += " \(lane)" }
                errors >>= 1
                lane += 1
            }
        }
        out += "\n"
    }

    static func pageRequestInterface(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Page Request Interface (PRI)\n"
        guard c.detailed, c.has(4, 0xc) else { return }
        let control = c.word(4)
        let status = c.word(6)
        out += "\t\tPRICtl: Enable\(f(control, 0x1)) Reset\(f(control, 0x2))\n"
        out += "\t\tPRISta: RF\(f(status, 0x1)) UPRGI\(f(status, 0x2)) Stopped\(f(status, 0x100))\n"
        out += "\t\tPage Request Capacity: \(hex: c.dword(8), 8), "
        out += "Page Request Allocation: \(hex: c.dword(0xc), 8)\n"
    }

    static func processAddressSpaceID(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Process Address Space ID (PASID)\n"
        guard c.detailed, c.has(4, 4) else { return }
        let capability = c.word(4)
        let control = c.word(6)
        out += "\t\tPASIDCap: Exec\(f(capability, 0x2)) Priv\(f(capability, 0x4)), "
        out += "Max PASID Width: \(hex: capability >> 8 & 0x1f, 2)\n"
        out += "\t\tPASIDCtl: Enable\(f(control, 0x1)) Exec\(f(control, 0x2)) Priv\(f(control, 0x4))\n"
    }

    static func downstreamPortContainment(_ c: CapabilityContext, into out: inout LspciText) {
        out += "Downstream Port Containment\n"
        guard c.detailed, c.has(4, 8) else { return }
        let capability = c.word(4)
        out += "\t\tDpcCap:\tINT Msg #\(capability & 0x1f), RPExt\(f(capability, 0x20)) "
        out += "PoisonedTLP\(f(capability, 0x40)) SwTrigger\(f(capability, 0x80)) "
        out += "RP PIO Log \(capability >> 8 & 0xf), DL_ActiveErr\(f(capability, 0x1000))\n"
        let control = c.word(6)
        out += "\t\tDpcCtl:\tTrigger:\(String(control & 3, radix: 16)) Cmpl\(f(control, 0x4)) INT\(f(control, 0x8)) "
        out += "ErrCor\(f(control, 0x10)) PoisonedTLP\(f(control, 0x20)) SwTrigger\(f(control, 0x40)) "
        out += "DL_ActiveErr\(f(control, 0x80))\n"
        let status = c.word(8)
        out += "\t\tDpcSta:\tTrigger\(f(status, 0x1)) Reason:\(hex: status >> 1 & 3, 2) INT\(f(status, 0x8)) "
        out += "RPBusy\(f(status, 0x10)) TriggerExt:\(hex: status >> 5 & 3, 2) "
        out += "RP PIO ErrPtr:\(hex: status >> 8 & 0x1f, 2)\n"
        out += "\t\tSource:\t\(hex: c.word(0xa), 4)\n"
    }
}
