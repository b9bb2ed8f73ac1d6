/// The Express "2" registers (Device/Link Capabilities 2, Control 2, Status 2) at `-vv`.
extension ExpressRegisters {
    static func timeoutRange(_ code: Int) -> String {
        switch code {
        case 0: "Not Supported"
        case 1: "Range A"
        case 2: "Range B"
        case 3: "Range AB"
        case 6: "Range BC"
        case 7: "Range ABC"
        case 14: "Range BCD"
        case 15: "Range ABCD"
        default: "Unknown"
        }
    }

    static func timeoutValue(_ code: Int) -> String {
        switch code {
        case 0: "50us to 50ms"
        case 1: "50us to 100us"
        case 2: "1ms to 10ms"
        case 5: "16ms to 55ms"
        case 6: "65ms to 210ms"
        case 9: "260ms to 900ms"
        case 10: "1s to 3.5s"
        case 13: "4s to 13s"
        case 14: "17s to 64s"
        default: "Unknown"
        }
    }

    /// Whether the function has a memory BAR (lspci's `device_has_memory_space_bar`).
    static func hasMemoryBAR(_ c: CapabilityContext) -> Bool {
        for index in 0..<min(6, c.windows.count) {
            let window = c.windows[index]
            let flags = SysfsResource.flags(index: index, window: window, config: c.view)
            let base = window.start | (flags & 0xf)
            let size = window.end > window.start ? window.end - window.start + 1 : 0
            if (base != 0 || size != 0) && base & 1 == 0 { return true }
        }
        return false
    }

    static func device2(_ c: CapabilityContext, _ type: Int, into out: inout LspciText) {
        let l = c.dword(0x24)
        let isPort = type == PortType.rootPort || type == PortType.downstream
        let switchPort = isPort || type == PortType.upstream
        let memoryBAR = hasMemoryBAR(c)
        out += "\t\tDevCap2: Completion Timeout: \(timeoutRange(Int(l & 0xf))), TimeoutDis\(f(l, 0x10)) "
        out += "NROPrPrP\(f(l, 0x400)) LTR\(f(l, 0x800))"
        let obff = ["Not Supported", "Via message", "Via WAKE#", "Via message/WAKE#"][Int(l >> 18 & 3)]
        out += "\n\t\t\t 10BitTagComp\(f(l, 0x10000)) 10BitTagReq\(f(l, 0x20000)) OBFF \(obff), "
        out += "ExtFmt\(f(l, 0x10_0000)) EETLPPrefix\(f(l, 0x20_0000))"
        if l & 0x20_0000 != 0 {
            let prefixes = Int(l >> 22 & 3)
            out += ", MaxEETLPPrefixes \(prefixes != 0 ? prefixes : 4)"
        }
        let epr = ["Not Supported", "Dev Specific", "Form Factor Dev Specific", "Reserved"][Int(l >> 24 & 3)]
        out += "\n\t\t\t EmergencyPowerReduction \(epr), EmergencyPowerReductionInit\(f(l, 0x400_0000))"
        out += "\n\t\t\t FRS\(f(l, 0x8000_0000))"
        if type == PortType.rootPort {
            let cls = ["Not Supported", "64byte cachelines", "128byte cachelines", "Reserved"][Int(l >> 14 & 3)]
            out += " LN System CLS \(cls),"
        }
        if type == PortType.rootPort || type == PortType.endpoint {
            let tph = ["TPHComp- ExtTPHComp-", "TPHComp+ ExtTPHComp-", "", "TPHComp+ ExtTPHComp+"][Int(l >> 12 & 3)]
            out += " \(tph)"
        }
        out += isPort ? " ARIFwd\(f(l, 0x20))\n" : "\n"
        if switchPort || memoryBAR {
            out += "\t\t\t AtomicOpsCap:"
            if switchPort { out += " Routing\(f(l, 0x40))" }
            if type == PortType.rootPort || memoryBAR {
                out += " 32bit\(f(l, 0x80)) 64bit\(f(l, 0x100)) 128bitCAS\(f(l, 0x200))"
            }
            out += "\n"
        }
        let w = c.word(0x28)
        let obffControl = ["Disabled", "Via message A", "Via message B", "Via WAKE#"][Int(w >> 13 & 3)]
        out += "\t\tDevCtl2: Completion Timeout: \(timeoutValue(Int(w & 0xf))), TimeoutDis\(f(w, 0x10)) "
        out += "LTR\(f(w, 0x400)) 10BitTagReq\(f(w, 0x1000)) OBFF \(obffControl),"
        out += isPort ? " ARIFwd\(f(w, 0x20))\n" : "\n"
        let requester = [PortType.rootPort, PortType.endpoint, PortType.rootComplexEndpoint, PortType.legacyEndpoint]
        if switchPort || requester.contains(type) {
            out += "\t\t\t AtomicOpsCtl:"
            if requester.contains(type) { out += " ReqEn\(f(w, 0x40))" }
            if switchPort { out += " EgressBlck\(f(w, 0x80))" }
            out += "\n"
        }
    }

    static func supportedSpeeds(_ vector: Int) -> String {
        if vector & 0x60 != 0 { return "RsvdP" }
        if vector & 0x10 != 0 { return "2.5-32GT/s" }
        if vector & 0x08 != 0 { return "2.5-16GT/s" }
        if vector & 0x04 != 0 { return "2.5-8GT/s" }
        if vector & 0x02 != 0 { return "2.5-5GT/s" }
        if vector & 0x01 != 0 { return "2.5GT/s" }
        return "Unknown"
    }

    static func targetSpeed(_ code: Int) -> String {
        let speeds = [0: "2.5GT/s", 1: "2.5GT/s", 2: "5GT/s", 3: "8GT/s", 4: "16GT/s", 5: "32GT/s", 6: "64GT/s"]
        return speeds[code] ?? "Unknown"
    }

    static func deemphasis(_ code: Int) -> String { code == 0 ? "-6dB" : code == 1 ? "-3.5dB" : "Unknown" }

    static func transmitMargin(_ code: Int) -> String {
        switch code {
        case 0: "Normal Operating Range"
        case 1: "800-1200mV(full-swing)/400-700mV(half-swing)"
        case 2...5: "200-400mV(full-swing)/100-200mV(half-swing)"
        default: "Unknown"
        }
    }

    static func compliancePreset(_ code: Int) -> String {
        let presets = [
            "-6dB de-emphasis, 0dB preshoot", "-3.5dB de-emphasis, 0dB preshoot", "-4.4dB de-emphasis, 0dB preshoot",
            "-2.5dB de-emphasis, 0dB preshoot", "0dB de-emphasis, 0dB preshoot", "0dB de-emphasis, 1.9dB preshoot",
            "0dB de-emphasis, 2.5dB preshoot", "-6.0dB de-emphasis, 3.5dB preshoot",
            "-3.5dB de-emphasis, 3.5dB preshoot", "0dB de-emphasis, 3.5dB preshoot",
        ]
        return code < presets.count ? presets[code] : "Unknown"
    }

    static func link2(_ c: CapabilityContext, _ type: Int, into out: inout LspciText) {
        out += ""
        var capabilities2: UInt32 = 0
        let bdf = c.snapshot.bdf
        let isEndpoint = type == PortType.endpoint || type == PortType.legacyEndpoint
        if !(isEndpoint && (bdf.device != 0 || bdf.function != 0)) {
            capabilities2 = c.dword(0x2c)
            if capabilities2 != 0 {
                let l = capabilities2
                out += "\t\tLnkCap2: Supported Link Speeds: \(supportedSpeeds(Int(l >> 1 & 0x7f))), "
                out += "Crosslink\(f(l, 0x100)) Retimer\(f(l, 0x80_0000)) 2Retimers\(f(l, 0x100_0000)) "
                out += "DRS\(f(l, 0x8000_0000))\n"
            }
            let w = c.word(0x30)
            out += "\t\tLnkCtl2: Target Link Speed: \(targetSpeed(Int(w & 0xf))), EnterCompliance\(f(w, 0x10)) "
            out += "SpeedDis\(f(w, 0x20))"
            if type == PortType.downstream { out += ", Selectable De-emphasis: \(deemphasis(Int(w >> 6 & 1)))" }
            out += "\n\t\t\t Transmit Margin: \(transmitMargin(Int(w >> 7 & 7))), "
            out += "EnterModifiedCompliance\(f(w, 0x400)) ComplianceSOS\(f(w, 0x800))\n"
            out += "\t\t\t Compliance Preset/De-emphasis: \(compliancePreset(Int(w >> 12 & 0xf)))\n"
        }
        let s = c.word(0x32)
        let crosslink = ["unsupported", "Upstream Port", "Downstream Port", "incomplete"][Int(s >> 8 & 3)]
        out += "\t\tLnkSta2: Current De-emphasis Level: \(deemphasis(Int(s & 1))), EqualizationComplete\(f(s, 0x2)) "
        out += "EqualizationPhase1\(f(s, 0x4))\n\t\t\t EqualizationPhase2\(f(s, 0x8)) EqualizationPhase3\(f(s, 0x10)) "
        out += "LinkEqualizationRequest\(f(s, 0x20))\n\t\t\t Retimer\(f(s, 0x40)) 2Retimers\(f(s, 0x80)) "
        out += "CrosslinkRes: \(crosslink)"
        let downstreamPort = [PortType.rootPort, PortType.downstream, PortType.pciToPCIeBridge].contains(type)
        if downstreamPort && capabilities2 & 0x8000_0000 != 0 {
            let components = [
                0: "Link Down - Not Determined", 1: "Link Down - Not Present", 2: "Link Down - Present",
                4: "Link Up - Present", 5: "Link Up - Present and DRS Received",
            ]
            out += ", DRS\(f(s, 0x8000))\n\t\t\t DownstreamComp: \(components[Int(s >> 12 & 7)] ?? "Reserved")\n"
        } else {
            out += "\n"
        }
    }
}
