import Intel82599
import Network
import PCIe
import RegisterModel

/// PF register checks (datasheet §8.2.3) driven by the generated table
/// `Intel82599PFRegisters.block`: reset values, read-only bits, clear-on-read statistics and
/// write-1-to-clear causes. The expectations come from DeviceSpecs, not from the model.
enum Intel82599RegisterSuite {
    static let name = "intel82599-pf-registers"

    /// Registers whose writes start something (reset, interrupts, queues, mailbox) and are
    /// therefore not scribbled on before the reset check.
    static let sideEffectRegisters: Set<String> = [
        "CTRL", "CTRL_EXT", "EICR", "EICS", "EIMS", "EIMC", "EICS_EX", "EIMS_EX", "EIMC_EX", "VFLREC", "PFMBICR",
        "PFMAILBOX", "PFMBMEM", "QDE", "RXDCTL", "RXDCTL64", "TXDCTL", "AUTOC",
    ]

    static func run(_ f: Intel82599Fixture) -> [CheckResult] {
        [
            f.check(name, "§8.2.3 after CTRL.RST every register reads its spec reset value") { resetValues(f, &$0) },
            f.check(name, "§8.2.3 read-only and reserved bits hold against writes of ones and zeros") { readOnlyBits(f, &$0) },
            f.check(name, "§8.2.3.23 statistics registers clear on read") { statisticsClearOnRead(f, &$0) },
            f.check(name, "§8.2.3.5.1 EICR bits clear on writing 1 and hold on 0") { eicrW1C(f, &$0) },
            f.checkWithVFs(name, "§8.2.3.5.19 VFLREC bits clear on writing 1 and hold on 0", count: 2) { vflrecW1C(f, &$0) },
            f.checkWithVFs(name, "§8.2.3.5.15 PFMBICR bits clear on writing 1 and hold on 0", count: 2) { pfmbicrW1C(f, &$0) },
        ]
    }

    /// Calls `body` for every instance of every register of `block` with a 32-bit width.
    static func forEachInstance(_ block: RegisterBlock, _ body: (RegisterDescriptor, Int, Int) -> Void) {
        for reg in block.registers where reg.width == 4 {
            for n in 0..<reg.count { body(reg, n, reg.offset(ofInstance: n)) }
        }
    }

    /// The value a register instance must read right after the reset completes (before the
    /// link is up), and the bits compared. Fields the device sets itself are the documented
    /// exceptions: STATUS.LinkUp/NumVFs/IOVActive, LINKS, EICR.LSC (the link), RAL/RAH(0) (the
    /// EEPROM's permanent address, Address Valid), MPSAR_LO(0) (pool 0).
    static func expectedAfterReset(_ f: Intel82599Fixture, _ reg: RegisterDescriptor, _ n: Int) -> (
        value: UInt64, mask: UInt64
    ) {
        expectedAfterReset(permanentAddress: f.permanentAddress, reg, n)
    }

    /// ``expectedAfterReset(_:_:_:)`` for a port whose EEPROM holds `permanentAddress`.
    static func expectedAfterReset(permanentAddress: MACAddress, _ reg: RegisterDescriptor, _ n: Int) -> (
        value: UInt64, mask: UInt64
    ) {
        let all = reg.widthMask
        let specReset = reg.reset & ~reg.writeOnlyMask
        switch (reg.name, n) {
        case ("STATUS", _):
            return (specReset, all & ~PFR.STATUS.linkUp.mask & ~PFR.STATUS.numVFs.mask & ~PFR.STATUS.iovActive.mask)
        case ("LINKS", _): return (0, 0)
        // EICS reads give EICR's causes; the link comes up (LSC) during the reset.
        case ("EICR", _), ("EICS", _): return (specReset, all & ~PFR.EICR.lsc.mask)
        case ("RAL", 0): return (UInt64(permanentAddress.receiveAddressLow), all)
        case ("RAH", 0): return (UInt64(permanentAddress.receiveAddressHigh) | PFR.RAH.av.mask, all)
        case ("MPSAR_LO", 0): return (1, all)
        default: return (specReset, all)
        }
    }

    private static func resetValues(_ f: Intel82599Fixture, _ r: inout CheckRecorder) -> Bool {
        // Move every plain read-write register away from its reset value first.
        forEachInstance(PFR.block) { reg, _, at in
            let writable = reg.writableMask & ~reg.writeOnlyMask
            guard writable != 0, !sideEffectRegisters.contains(reg.name) else { return }
            f.write(at, UInt32(truncatingIfNeeded: reg.reset ^ writable))
        }
        guard f.resetPort(&r) else { return true }
        var mismatches = 0
        func compare(_ name: String, _ at: Int, _ expected: (value: UInt64, mask: UInt64)) {
            let value = UInt64(f.read(at))
            guard value & expected.mask != expected.value & expected.mask else { return }
            mismatches += 1
            if mismatches <= 24 {
                r.expect(
                    false,
                    "\(name) at \(hex(at)): reads \(hex(value & expected.mask)), expected \(hex(expected.value & expected.mask))")
            }
        }
        forEachInstance(PFR.block) { reg, n, at in
            compare(reg.count > 1 ? "\(reg.name)(\(n))" : reg.name, at, expectedAfterReset(f, reg, n))
        }
        // RAL/RAH(0) as Linux reads them, through the 0x05400 alias.
        compare("RAL(0) alias", 0x05400, expectedAfterReset(f, PFR.RAL.descriptor, 0))
        compare("RAH(0) alias", 0x05404, expectedAfterReset(f, PFR.RAH.descriptor, 0))
        r.expect(mismatches <= 24, "\(mismatches - 24) more registers differ")
        let status = f.read(PFR.STATUS.offset)
        let vfs = f.pf.vfEnabled ? f.pf.numVFs : 0
        r.expect(
            Int(PFR.STATUS.numVFs.extract(from: status)) == vfs && PFR.STATUS.iovActive.isSet(in: status) == (vfs > 0),
            "STATUS \(hex(status)): NumVFs/IOVActive do not show the \(vfs) VFs enabled in the SR-IOV capability")
        return true
    }

    private static func readOnlyBits(_ f: Intel82599Fixture, _ r: inout CheckRecorder) -> Bool {
        guard f.resetPort(&r) else { return true }
        var failures = 0
        forEachInstance(PFR.block) { reg, n, at in
            let fixed = reg.widthMask & ~reg.writableMask & ~reg.writeOneToClearMask
            guard fixed != 0 else { return }
            let keep = reg.writableMask & ~reg.writeOnlyMask
            var before = UInt64(f.read(at))
            // Clear-on-read bits were just cleared; compare against what is left.
            if reg.readClearMask != 0 { before = UInt64(f.read(at)) }
            for probe in [(before & keep) | fixed, before & keep] {
                f.write(at, UInt32(truncatingIfNeeded: probe))
                let after = UInt64(f.read(at))
                guard after & fixed != before & fixed else { continue }
                failures += 1
                if failures <= 24 {
                    r.expect(
                        false,
                        "\(reg.name)(\(n)) at \(hex(at)): writing \(hex(probe)) changed fixed bits \(hex(before & fixed)) to \(hex(after & fixed))"
                    )
                }
            }
            f.write(at, UInt32(truncatingIfNeeded: before & keep))
        }
        r.expect(failures <= 24, "\(failures - 24) more writes changed fixed bits")
        return true
    }
}
