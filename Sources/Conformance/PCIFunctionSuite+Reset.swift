import PCIe
import RegisterModel

extension PCIFunctionSuite {
    /// Fields whose reset value the spec leaves to the implementation, so the table's zero is
    /// not an expectation: Target Link Speed resets to the highest supported speed.
    static let implementationDefinedResets: [(block: String, register: String, field: BitField)] = [
        ("PCIExpressCapability", "LinkControl2", PCIExpressCapability.LinkControl2.targetLinkSpeed)
    ]

    func msixMasking(_ r: inout CheckRecorder) -> Bool {
        guard let msix = function.msix, let cap = function.capabilities.msix, function.memoryDecodeEnabled else { return false }
        let access = bus.access(function.bdf)
        typealias C = MSIXCapability.MessageControl
        let controlAt = cap.advanced(by: C.offset)
        let savedControl = bus.configRead(function.bdf, controlAt, width: .word)
        bus.configWrite(
            function.bdf, controlAt, width: .word,
            value: C.msixEnable.insert(UInt32(1), into: C.functionMask.insert(UInt32(0), into: savedControl)))
        let v = msix.vectorCount - 1
        let entry = msix.tableOffset + UInt64(v * MSIXController.entrySize)
        let pbaQword = msix.pbaOffset + UInt64(v / 64 * 8)
        let bit = UInt64(1) << UInt64(v % 64)
        access.write32(msix.tableBAR, entry, 0xfee0_0000)
        access.write32(msix.tableBAR, entry + 4, 0)
        access.write32(msix.tableBAR, entry + 8, 0x5a)
        access.write32(msix.tableBAR, entry + 12, 1)
        let before = msix.delivered[v]
        msix.signal(v)
        r.expect(msix.delivered[v] == before, "masked vector \(v) was delivered")
        r.expect(access.read64(msix.pbaBAR, pbaQword) & bit != 0, "masked vector \(v) did not set its PBA bit")
        access.write32(msix.tableBAR, entry + 12, 0)
        r.expect(msix.delivered[v] == before + 1, "unmasking pending vector \(v) did not deliver it")
        r.expect(access.read64(msix.pbaBAR, pbaQword) & bit == 0, "PBA bit of vector \(v) still set after delivery")
        r.expect(msix.lastMessage?.data == 0x5a, "message data \(msix.lastMessage.map { hex($0.data) } ?? "none"), expected 0x5a")
        access.write32(msix.tableBAR, entry + 12, 1)
        bus.configWrite(function.bdf, controlAt, width: .word, value: savedControl)
        _ = msix.consume(v)
        return true
    }

    func functionLevelReset(_ r: inout CheckRecorder) -> Bool {
        guard let pcie = function.capabilities.pciExpress else { return false }
        typealias E = PCIExpressCapability
        let devcap = UInt64(bus.configRead(function.bdf, pcie.advanced(by: E.DeviceCapabilities.offset), width: .dword))
        guard E.DeviceCapabilities.functionLevelResetCapability.isSet(in: devcap) else { return false }
        let bdf = function.bdf
        let saved = (0..<6).map { bus.configRead(bdf, ConfigOffset(PCIType0Header.BAR.offset + 4 * $0), width: .dword) }
        let command = bus.configRead(bdf, ConfigOffset(PCIType0Header.Command.offset), width: .word)
        let windowsBefore = function.decodedWindows
        // Move some read-write state away from reset so the reset has something to undo.
        bus.configWrite(bdf, ConfigOffset(PCIType0Header.InterruptLine.offset), width: .byte, value: 0x0b)
        let control = pcie.advanced(by: E.DeviceControl.offset)
        let dc = bus.configRead(bdf, control, width: .word)
        bus.configWrite(bdf, control, width: .word, value: E.DeviceControl.maxPayloadSize.insert(UInt32(1), into: dc))
        bus.configWrite(
            bdf, control, width: .word,
            value: E.DeviceControl.initiateFunctionLevelReset.insert(UInt32(1), into: bus.configRead(bdf, control, width: .word)))
        for (block, base) in blocks {
            for reg in block.registers {
                guard let width = AccessWidth(rawValue: reg.width) else { continue }
                var mask = (reg.writableMask | reg.writeOneToClearMask) & ~reg.writeOnlyMask
                for ex in Self.implementationDefinedResets where ex.block == block.name && ex.register == reg.name {
                    mask &= ~ex.field.mask
                }
                if function.isVirtualFunction, block.name == PCIType0Header.block.name { mask &= ~UInt64(0xffff_fff0) }
                for n in 0..<reg.count where mask != 0 {
                    let at = base.advanced(by: reg.offset(ofInstance: n))
                    let value = UInt64(bus.configRead(bdf, at, width: width))
                    r.expect(
                        value & mask == reg.reset & mask,
                        "\(block.name).\(reg.name)[\(n)] after FLR: \(hex(value & mask)), spec reset \(hex(reg.reset & mask))")
                }
            }
        }
        r.expect(function.virtualFunctions.isEmpty, "VFs still present after PF FLR")
        // A VF's BARs live in its PF's SR-IOV capability, which the VF's FLR does not touch.
        if !function.isVirtualFunction {
            r.expect(function.decodedWindows.isEmpty, "BARs still decoded after FLR")
        }
        for (i, value) in saved.enumerated() {
            bus.configWrite(bdf, ConfigOffset(PCIType0Header.BAR.offset + 4 * i), width: .dword, value: value)
        }
        bus.configWrite(bdf, ConfigOffset(PCIType0Header.Command.offset), width: .word, value: command)
        r.expect(function.decodedWindows == windowsBefore, "BAR windows not restored after FLR and state restore")
        return true
    }
}
