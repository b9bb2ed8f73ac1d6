import PCIe

extension LspciFormatter {
    /// The `-vv` header lines that replace `Flags:`: `Control:`, `Status:`, `Latency:`,
    /// `Interrupt:`, and the NUMA node and IOMMU group when the OS reports them.
    func controlAndStatusLines(_ function: ListedFunction, _ view: ConfigView, into out: inout LspciText) {
        let command = view.word(Header.command)
        let status = view.word(Header.status)
        let isType0 = view.byte(Header.headerType) & 0x7f == 0
        let maxLatency = isType0 ? Int(view.byte(0x3f)) : 0
        let minGrant = isType0 ? Int(view.byte(0x3e)) : 0
        let f = { (value: UInt16, mask: UInt16) in FlagMark(value, mask) }
        out += "\tControl: I/O\(f(command, 0x1)) Mem\(f(command, 0x2)) BusMaster\(f(command, 0x4)) "
        out += "SpecCycle\(f(command, 0x8)) MemWINV\(f(command, 0x10)) VGASnoop\(f(command, 0x20)) "
        out += "ParErr\(f(command, 0x40)) Stepping\(f(command, 0x80)) SERR\(f(command, 0x100)) "
        out += "FastB2B\(f(command, 0x200)) DisINTx\(f(command, 0x400))\n"
        out += "\tStatus: Cap\(f(status, 0x10)) 66MHz\(f(status, 0x20)) UDF\(f(status, 0x40)) "
        out += "FastB2B\(f(status, 0x80)) ParErr\(f(status, 0x100)) DEVSEL=\(Self.devselText(status)) "
        out += ">TAbort\(f(status, 0x800)) <TAbort\(f(status, 0x1000)) <MAbort\(f(status, 0x2000)) "
        out += ">SERR\(f(status, 0x4000)) <PERR\(f(status, 0x8000)) INTx\(f(status, 0x8))\n"
        if command & 0x4 != 0 {
            out += "\tLatency: \(view.byte(Header.latency))"
            if minGrant != 0 || maxLatency != 0 {
                out += " ("
                if minGrant != 0 { out += "\(minGrant * 250)ns min" }
                if minGrant != 0 && maxLatency != 0 { out += ", " }
                if maxLatency != 0 { out += "\(maxLatency * 250)ns max" }
                out += ")"
            }
            let cacheLine = Int(view.byte(Header.cacheLine))
            if cacheLine != 0 { out += ", Cache Line Size: \(cacheLine * 4) bytes" }
            out += "\n"
        }
        let pin = view.byte(0x3d)
        if pin != 0 || function.irq != 0 {
            let pinText = pin != 0 ? LspciOutput.byte(UInt8(truncatingIfNeeded: 0x40 &+ Int(pin))) : "?"
            out += "\tInterrupt: pin \(pinText) routed to IRQ \(function.irq)\n"
        }
        if let node = function.numaNode { out += "\tNUMA node: \(node)\n" }
        if let group = function.iommuGroup { out += "\tIOMMU group: \(group)\n" }
    }

    /// lspci's DEVSEL timing name.
    static func devselText(_ status: UInt16) -> String {
        ["fast", "medium", "slow", "??"][Int((status >> 9) & 3)]
    }

    /// `-x`, `-xxx`, `-xxxx`: the config bytes, 16 per line. The 256- and 4096-byte dumps fall
    /// back to the largest size that is present, as lspci's `config_fetch` does.
    func hexDump(_ view: ConfigView, into out: inout LspciText) {
        var count = 64
        if options.hexDump >= 3 && view.has(64, 192) {
            count = 256
            if options.hexDump >= 4 && view.has(256, 3840) { count = 4096 }
        }
        // A row at a time: `OO:` then ` hh` per byte, then the line end.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16 * 3 + 1) { row in
            for start in stride(from: 0, to: count, by: 16) {
                out.append(hex: start, digits: 2)
                out.append(byte: UInt8(ascii: ":"))
                for column in 0..<16 {
                    row[column * 3] = UInt8(ascii: " ")
                    let digits = UnsafeMutableBufferPointer(rebasing: row[column * 3 + 1..<column * 3 + 3])
                    _ = LspciText.writeHex(UInt64(view.byte(start + column)), into: digits)
                }
                row[48] = UInt8(ascii: "\n")
                out.append(contentsOf: UnsafeBufferPointer(row))
            }
        }
    }
}
