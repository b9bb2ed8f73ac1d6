/// The PCI Express capability at `-vv`: device, link, slot and root registers and their
/// "2" counterparts, line for line as lspci 3.9's `cap_express` prints them.
extension ClassicCapabilities {
    /// Device/port types (PCIe Base §7.5.3.2).
    enum PortType {
        static let endpoint = 0
        static let legacyEndpoint = 1
        static let rootPort = 4
        static let upstream = 5
        static let downstream = 6
        static let pcieToPCIBridge = 7
        static let pciToPCIeBridge = 8
        static let rootComplexEndpoint = 9
        static let rootComplexEventCollector = 10
    }

    /// The Express title line and, at `-vv`, its register lines.
    static func express(_ c: CapabilityContext, into out: inout LspciText) {
        expressTitle(c, into: &out)
        guard c.detailed else { return }
        let type = Int(c.header >> 4 & 0xf)
        let slot =
            (type == PortType.rootPort || type == PortType.downstream || type == PortType.pciToPCIeBridge)
            && c.header & 0x100 != 0
        let link = type != PortType.rootComplexEndpoint && type != PortType.rootComplexEventCollector
        let hasRoot = type == PortType.rootPort || type == PortType.rootComplexEventCollector
        var size = slot ? 24 : 16
        if hasRoot { size = 32 }
        guard c.has(4, size) else { return }
        ExpressRegisters.device(c, type, into: &out)
        if link { ExpressRegisters.link(c, type, into: &out) }
        if slot { ExpressRegisters.slot(c, into: &out) }
        if hasRoot { ExpressRegisters.root(c, into: &out) }
        guard c.header & 0xf >= 2, c.has(0x24, slot ? 24 : 16) else { return }
        ExpressRegisters.device2(c, type, into: &out)
        if link { ExpressRegisters.link2(c, type, into: &out) }
    }
}

/// Text of the Express registers; each function returns whole lines.
enum ExpressRegisters {
    typealias PortType = ClassicCapabilities.PortType

    static let l0sLatency = ["<64ns", "<128ns", "<256ns", "<512ns", "<1us", "<2us", "<4us", "unlimited"]
    static let l1Latency = ["<1us", "<2us", "<4us", "<8us", "<16us", "<32us", "<64us", "unlimited"]

    static func f(_ value: some BinaryInteger, _ mask: some BinaryInteger) -> FlagMark { FlagMark(value, mask) }

    /// `show_power_limit`: value × scale in watts, printed with C's `%g`. There are 1,024
    /// (value, scale) pairs; their texts are made once per process (`%g` is a `vsnprintf`).
    static func powerLimit(value: Int, scale: Int) -> String {
        guard (0...0xff).contains(value), (0...3).contains(scale) else { return powerLimitText(value: value, scale: scale) }
        return powerLimitTexts[scale << 8 | value]
    }

    /// ``powerLimit(value:scale:)`` for every scale (0-3) and value (0-255), by `scale << 8 | value`.
    static let powerLimitTexts: [String] = (0..<1024).map { powerLimitText(value: $0 & 0xff, scale: $0 >> 8) }

    /// ``powerLimit(value:scale:)``, computed.
    static func powerLimitText(value: Int, scale: Int) -> String {
        if scale == 0 && value == 0xff { return ">600W" }
        var watts = value
        if scale == 0 && (0xf0...0xfe).contains(value) { watts = 250 + 25 * (value - 0xf0) }
        let scales: [Float] = [1.0, 0.1, 0.01, 0.001]
        return CFormat.g(Double(Float(watts) * scales[scale & 3])) + "W"
    }

    static func device(_ c: CapabilityContext, _ type: Int, into out: inout LspciText) {
        let t = c.dword(4)
        let isEndpoint = type == PortType.endpoint || type == PortType.legacyEndpoint
        out += "\t\tDevCap:\tMaxPayload \(128 << (t & 7)) bytes, PhantFunc \((1 << (t >> 3 & 3)) - 1)"
        if isEndpoint {
            out += ", Latency L0s \(l0sLatency[Int(t >> 6 & 7)]), L1 \(l1Latency[Int(t >> 9 & 7)])"
        }
        out += "\n\t\t\tExtTag\(f(t, 0x20))"
        if isEndpoint || type == PortType.upstream || type == PortType.pcieToPCIBridge {
            out += " AttnBtn\(f(t, 0x1000)) AttnInd\(f(t, 0x2000)) PwrInd\(f(t, 0x4000))"
        }
        out += " RBE\(f(t, 0x8000))"
        let flrCapable = isEndpoint || type == PortType.rootComplexEndpoint
        if flrCapable { out += " FLReset\(f(t, 0x1000_0000))" }
        if type == PortType.endpoint || type == PortType.upstream || type == PortType.pcieToPCIBridge {
            out += " SlotPowerLimit \(powerLimit(value: Int(t >> 18 & 0xff), scale: Int(t >> 26 & 3)))"
        }
        out += "\n"
        let w = c.word(8)
        out += "\t\tDevCtl:\tCorrErr\(f(w, 0x1)) NonFatalErr\(f(w, 0x2)) FatalErr\(f(w, 0x4)) UnsupReq\(f(w, 0x8))\n"
        out += "\t\t\tRlxdOrd\(f(w, 0x10)) ExtTag\(f(w, 0x100)) PhantFunc\(f(w, 0x200)) AuxPwr\(f(w, 0x400)) "
        out += "NoSnoop\(f(w, 0x800))"
        if type == PortType.pcieToPCIBridge { out += " BrConfRtry\(f(w, 0x8000))" }
        if flrCapable && t & 0x1000_0000 != 0 { out += " FLReset\(f(w, 0x8000))" }
        out += "\n\t\t\tMaxPayload \(128 << (w >> 5 & 7)) bytes, MaxReadReq \(128 << (w >> 12 & 7)) bytes\n"
        let s = c.word(0xa)
        out += "\t\tDevSta:\tCorrErr\(f(s, 0x1)) NonFatalErr\(f(s, 0x2)) FatalErr\(f(s, 0x4)) UnsupReq\(f(s, 0x8)) "
        out += "AuxPwr\(f(s, 0x10)) TransPend\(f(s, 0x20))\n"
    }

    static func speed(_ code: Int) -> String {
        switch code {
        case 1: "2.5GT/s"
        case 2: "5GT/s"
        case 3: "8GT/s"
        case 4: "16GT/s"
        case 5: "32GT/s"
        case 6: "64GT/s"
        default: "unknown"
        }
    }

    static func compare(_ type: Int, _ status: Int, _ capability: Int) -> String {
        if status > capability { return " (overdriven)" }
        if status == capability { return "" }
        if [PortType.rootPort, PortType.downstream, PortType.pciToPCIeBridge].contains(type) { return "" }
        return " (downgraded)"
    }

    static func link(_ c: CapabilityContext, _ type: Int, into out: inout LspciText) {
        let t = c.dword(0xc)
        let aspm = Int(t >> 10 & 3)
        let capSpeed = Int(t & 0xf)
        let capWidth = Int(t >> 4 & 0x3f)
        let support = ["not supported", "L0s", "L1", "L0s L1"][aspm]
        out += "\t\tLnkCap:\tPort #\(t >> 24), Speed \(speed(capSpeed)), Width x\(capWidth), ASPM \(support)"
        if aspm != 0 {
            out += ", Exit Latency "
            if aspm & 1 != 0 { out += "L0s \(l0sLatency[Int(t >> 12 & 7)])" }
            if aspm & 2 != 0 { out += "\(aspm & 1 != 0 ? ", " : "")L1 \(l1Latency[Int(t >> 15 & 7)])" }
        }
        out += "\n\t\t\tClockPM\(f(t, 0x40000)) Surprise\(f(t, 0x80000)) LLActRep\(f(t, 0x10_0000)) "
        out += "BwNot\(f(t, 0x20_0000)) ASPMOptComp\(f(t, 0x40_0000))\n"
        let w = c.word(0x10)
        let enabled = ["Disabled", "L0s Enabled", "L1 Enabled", "L0s L1 Enabled"][Int(w & 3)]
        out += "\t\tLnkCtl:\tASPM \(enabled);"
        if [PortType.rootPort, PortType.endpoint, PortType.legacyEndpoint, PortType.pcieToPCIBridge].contains(type) {
            out += " RCB \(w & 0x8 != 0 ? 128 : 64) bytes,"
        }
        out += " Disabled\(f(w, 0x10)) CommClk\(f(w, 0x40))\n\t\t\tExtSynch\(f(w, 0x80)) ClockPM\(f(w, 0x100)) "
        out += "AutWidDis\(f(w, 0x200)) BWInt\(f(w, 0x400)) AutBWInt\(f(w, 0x800))\n"
        let s = c.word(0x12)
        let staSpeed = Int(s & 0xf)
        let staWidth = Int(s >> 4 & 0x3f)
        out += "\t\tLnkSta:\tSpeed \(speed(staSpeed))\(compare(type, staSpeed, capSpeed)), "
        out += "Width x\(staWidth)\(compare(type, staWidth, capWidth))\n"
        out += "\t\t\tTrErr\(f(s, 0x400)) Train\(f(s, 0x800)) SlotClk\(f(s, 0x1000)) DLActive\(f(s, 0x2000)) "
        out += "BWMgmt\(f(s, 0x4000)) ABWMgmt\(f(s, 0x8000))\n"
    }

    static func slot(_ c: CapabilityContext, into out: inout LspciText) {
        let t = c.dword(0x14)
        let indicator = ["Unknown", "On", "Blink", "Off"]
        out += "\t\tSltCap:\tAttnBtn\(f(t, 0x1)) PwrCtrl\(f(t, 0x2)) MRL\(f(t, 0x4)) AttnInd\(f(t, 0x8)) "
        out += "PwrInd\(f(t, 0x10)) HotPlug\(f(t, 0x40)) Surprise\(f(t, 0x20))\n"
        out += "\t\t\tSlot #\(t >> 19), PowerLimit "
        out += "\(powerLimit(value: Int(t >> 7 & 0xff), scale: Int(t >> 15 & 3)))"
        out += "; Interlock\(f(t, 0x20000)) NoCompl\(f(t, 0x40000))\n"
        let w = c.word(0x18)
        out += "\t\tSltCtl:\tEnable: AttnBtn\(f(w, 0x1)) PwrFlt\(f(w, 0x2)) MRL\(f(w, 0x4)) PresDet\(f(w, 0x8)) "
        out += "CmdCplt\(f(w, 0x10)) HPIrq\(f(w, 0x20)) LinkChg\(f(w, 0x1000))\n"
        out += "\t\t\tControl: AttnInd \(indicator[Int(w >> 6 & 3)]), PwrInd \(indicator[Int(w >> 8 & 3)]), "
        out += "Power\(f(w, 0x400)) Interlock\(f(w, 0x800))\n"
        let s = c.word(0x1a)
        out += "\t\tSltSta:\tStatus: AttnBtn\(f(s, 0x1)) PowerFlt\(f(s, 0x2)) MRL\(f(s, 0x20)) CmdCplt\(f(s, 0x10)) "
        out += "PresDet\(f(s, 0x40)) Interlock\(f(s, 0x80))\n"
        out += "\t\t\tChanged: MRL\(f(s, 0x4)) PresDet\(f(s, 0x8)) LinkState\(f(s, 0x100))\n"
    }

    static func root(_ c: CapabilityContext, into out: inout LspciText) {
        let control = c.word(0x1c)
        let capability = c.word(0x1e)
        let status = c.dword(0x20)
        out += "\t\tRootCap: CRSVisible\(f(capability, 0x1))\n"
        out += "\t\tRootCtl: ErrCorrectable\(f(control, 0x1)) ErrNon-Fatal\(f(control, 0x2)) "
        out += "ErrFatal\(f(control, 0x4)) PMEIntEna\(f(control, 0x8)) CRSVisible\(f(control, 0x10))\n"
        out += "\t\tRootSta: PME ReqID \(hex: status & 0xffff, 4), PMEStatus\(f(status, 0x10000)) "
        out += "PMEPending\(f(status, 0x20000))\n"
    }
}
