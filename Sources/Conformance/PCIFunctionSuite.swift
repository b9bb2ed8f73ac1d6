import PCIe
import RegisterModel

/// Checks every PCI function must pass, whatever the device: driven by the generated register
/// tables, so the expectations come from DeviceSpecs/pci, not from the code under test.
///
/// Runs through config space like a driver, plus hardware-side access (`updateConfig`) where a
/// check needs a status bit set. It leaves the function as it found it: BARs and Command are
/// saved before the FLR check and restored after, as an OS does around a reset.
public struct PCIFunctionSuite {
    /// Suite name in reports.
    public static let name = "pci-function"
    let bus: PCIBus
    let function: PCIFunction

    /// A suite for the function at `bdf`; nil if nothing is there.
    public init?(bus: PCIBus, bdf: BDF) {
        guard let f = bus.function(at: bdf) else { return nil }
        self.bus = bus
        function = f
    }

    /// Runs every check.
    public func run() -> [CheckResult] {
        [
            check("PCI 3.0 §6.7 capability chains terminate and list the built capabilities", capabilityChains),
            check("PCI 3.0 §6.2 read-only, HwInit and reserved bits hold", readOnlyBitsHold),
            check("PCI 3.0 §6.2.3 W1C bits clear on 1 and hold on 0", writeOneToClearBits),
            check("PCI 3.0 §6.2.5.1 BAR sizing returns size mask and type", barSizing),
            check("PCI 3.0 §6.8.2 MSI-X mask sets pending, unmask delivers", msixMasking),
            check("PCIe 4.0 §6.6.2 FLR restores spec reset values", functionLevelReset),
        ]
    }

    func check(_ name: String, _ body: (inout CheckRecorder) -> Bool) -> CheckResult {
        var r = CheckRecorder()
        let applicable = body(&r)
        return CheckResult(suite: Self.name, name: name, function: function.bdf, failures: r.failures, applicable: applicable)
    }

    /// The header and every capability block present, with their offsets.
    var blocks: [(RegisterBlock, ConfigOffset)] {
        let c = function.capabilities
        var out: [(RegisterBlock, ConfigOffset)] = [(PCIType0Header.block, 0)]
        let optional: [(RegisterBlock, ConfigOffset?)] = [
            (PowerManagementCapability.block, c.powerManagement), (MSICapability.block, c.msi),
            (MSIXCapability.block, c.msix), (PCIExpressCapability.block, c.pciExpress),
            (AERCapability.block, c.aer), (DeviceSerialNumberCapability.block, c.deviceSerialNumber),
            (ARICapability.block, c.ari), (SRIOVCapability.block, c.sriov),
        ]
        for (b, at) in optional { if let at { out.append((b, at)) } }
        return out
    }

    func read(_ at: ConfigOffset, _ width: AccessWidth) -> UInt64 {
        UInt64(bus.configRead(function.bdf, at, width: width))
    }

    func write(_ at: ConfigOffset, _ width: AccessWidth, _ value: UInt64) {
        bus.configWrite(function.bdf, at, width: width, value: UInt32(truncatingIfNeeded: value))
    }

    // MARK: Checks

    private func capabilityChains(_ r: inout CheckRecorder) -> Bool {
        var seen = Set<Int>()
        var found: [UInt16: Int] = [:]
        var at = Int(read(ConfigOffset(PCIType0Header.CapabilitiesPointer.offset), .byte))
        while at != 0 {
            guard at >= 0x40, at < 0x100, at % 4 == 0 else {
                r.expect(false, "classic chain points to \(hex(at))")
                break
            }
            guard seen.insert(at).inserted else {
                r.expect(false, "classic chain loops at \(hex(at))")
                break
            }
            found[UInt16(read(ConfigOffset(at), .byte))] = at
            at = Int(read(ConfigOffset(at + 1), .byte))
        }
        at = 0x100
        while at != 0, read(ConfigOffset(at), .dword) != 0 {
            guard at >= 0x100, at < ConfigSpace.size, at % 4 == 0 else {
                r.expect(false, "extended chain points to \(hex(at))")
                break
            }
            guard seen.insert(at).inserted else {
                r.expect(false, "extended chain loops at \(hex(at))")
                break
            }
            let header = read(ConfigOffset(at), .dword)
            found[0x8000 | UInt16(truncatingIfNeeded: header)] = at
            at = Int(header >> 20)
        }
        let c = function.capabilities
        let expected: [(String, UInt16, ConfigOffset?)] = [
            ("PM", PowerManagementCapability.capabilityID, c.powerManagement), ("MSI", MSICapability.capabilityID, c.msi),
            ("MSI-X", MSIXCapability.capabilityID, c.msix), ("PCIe", PCIExpressCapability.capabilityID, c.pciExpress),
            ("AER", 0x8000 | AERCapability.capabilityID, c.aer),
            ("DSN", 0x8000 | DeviceSerialNumberCapability.capabilityID, c.deviceSerialNumber),
            ("ARI", 0x8000 | ARICapability.capabilityID, c.ari), ("SR-IOV", 0x8000 | SRIOVCapability.capabilityID, c.sriov),
        ]
        for (name, id, offset) in expected {
            r.expect(
                found[id] == offset?.value,
                "\(name): chain has \(found[id].map(hex) ?? "none"), built at \(offset.map { hex($0.value) } ?? "none")")
        }
        return true
    }

    private func readOnlyBitsHold(_ r: inout CheckRecorder) -> Bool {
        for (block, base) in blocks {
            for reg in block.registers {
                guard let width = AccessWidth(rawValue: reg.width), width != .qword else { continue }
                let fixed = reg.widthMask & ~reg.writableMask & ~reg.writeOneToClearMask
                guard fixed != 0 else { continue }
                for n in 0..<reg.count where !isUpperHalfOf64BitBAR(block, reg, n) {
                    let at = base.advanced(by: reg.offset(ofInstance: n))
                    let before = read(at, width)
                    // Keep writable bits as they are, write 0 to W1C bits, flip every fixed bit.
                    let probe = (before & reg.writableMask & ~reg.writeOnlyMask) | (~before & fixed)
                    write(at, width, probe)
                    let after = read(at, width)
                    r.expect(
                        after & fixed == before & fixed,
                        "\(block.name).\(reg.name)[\(n)] at \(at): fixed bits \(hex(before & fixed)) became \(hex(after & fixed))"
                    )
                    write(at, width, before & ~reg.writeOneToClearMask & ~reg.writeOnlyMask)
                }
            }
        }
        return true
    }

    /// The upper dword of a 64-bit BAR is all address bits, not the table's BAR layout.
    func isUpperHalfOf64BitBAR(_ block: RegisterBlock, _ reg: RegisterDescriptor, _ n: Int) -> Bool {
        let defs: [BARDefinition?]
        if block.name == PCIType0Header.block.name, reg.name == "BAR" {
            defs = function.configuration.bars
        } else if block.name == SRIOVCapability.block.name, reg.name == "VFBAR", let p = function.configuration.sriov {
            defs = p.vfBARs
        } else {
            return false
        }
        return n > 0 && n - 1 < defs.count && defs[n - 1]?.kind == .memory64
    }

    private func writeOneToClearBits(_ r: inout CheckRecorder) -> Bool {
        var any = false
        for (block, base) in blocks {
            for reg in block.registers where reg.writeOneToClearMask != 0 {
                guard let width = AccessWidth(rawValue: reg.width) else { continue }
                any = true
                let at = base.advanced(by: reg.offset)
                let bits = reg.writeOneToClearMask
                function.updateConfig { $0.set(at, width: width, value: $0.read(at, width: width) | bits) }
                write(at, width, read(at, width) & ~bits)
                r.expect(read(at, width) & bits == bits, "\(block.name).\(reg.name): writing 0 cleared W1C bits")
                write(at, width, bits | (read(at, width) & reg.writableMask & ~reg.writeOnlyMask))
                r.expect(read(at, width) & bits == 0, "\(block.name).\(reg.name): writing 1 left \(hex(read(at, width) & bits))")
            }
        }
        return any
    }

    private func barSizing(_ r: inout CheckRecorder) -> Bool {
        guard !function.isVirtualFunction else { return vfBARsReadZero(&r) }
        var any = false
        var i = 0
        let defs = function.configuration.bars
        while i < 6 {
            let at = ConfigOffset(PCIType0Header.BAR.offset + 4 * i)
            let original = read(at, .dword)
            write(at, .dword, 0xffff_ffff)
            let probe = read(at, .dword)
            write(at, .dword, original)
            guard let def = defs[i] else {
                r.expect(probe == 0, "BAR\(i) unimplemented but sizes to \(hex(probe))")
                i += 1
                continue
            }
            any = true
            var mask = probe & ~UInt64(def.kind == .io ? 3 : 0xf)
            r.expect(UInt32(probe & (def.kind == .io ? 3 : 0xf)) == def.flagBits, "BAR\(i) type bits \(hex(probe & 0xf))")
            if def.kind == .memory64 {
                let high = at.advanced(by: 4)
                let originalHigh = read(high, .dword)
                write(high, .dword, 0xffff_ffff)
                mask |= read(high, .dword) << 32
                write(high, .dword, originalHigh)
                i += 1
            } else {
                mask |= 0xffff_ffff_0000_0000
            }
            r.expect(~mask &+ 1 == def.size, "BAR\(i) sizes to \(hex(~mask &+ 1)), expected \(hex(def.size))")
            i += 1
        }
        return any
    }

    private func vfBARsReadZero(_ r: inout CheckRecorder) -> Bool {
        for i in 0..<6 {
            let at = ConfigOffset(PCIType0Header.BAR.offset + 4 * i)
            write(at, .dword, 0xffff_ffff)
            r.expect(read(at, .dword) == 0, "VF BAR\(i) is not read-only zero (SR-IOV 1.1 §3.4.1.11)")
        }
        return true
    }
}
