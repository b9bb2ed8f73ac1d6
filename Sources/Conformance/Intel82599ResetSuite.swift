import Drivers
import Intel82599
import PCIe

/// The reset and link-up sequence a driver relies on (datasheet §4.6.3, §4.6.4): the EEPROM
/// auto-read and receive DMA initialisation finish some time after CTRL.RST, the link comes up
/// after auto-negotiation and says so in EICR.LSC (and its MSI-X vector), and VFs see the PF
/// reset through their mailbox.
enum Intel82599ResetSuite {
    static let name = "intel82599-reset"
    /// MSI-X vector the link check maps the other causes to.
    static let otherVector = 1

    static func run(_ f: Intel82599Fixture) -> [CheckResult] {
        [
            f.check(name, "§4.6.3 EEC.ARD and RDRXCTL.DMAIDONE appear only after the reset time") { resetTime(f, &$0) },
            f.check(name, "§4.6.4 link comes up after auto-negotiation with EICR.LSC and its MSI-X vector") { linkUp(f, &$0) },
            f.checkWithVFs(name, "§8.3.5.3.1 during a PF reset VFs see RSTI until CTRL_EXT.PFRSTD, then RSTD once") {
                vfSeePFReset(f, &$0)
            },
        ]
    }

    private static func resetTime(_ f: Intel82599Fixture, _ r: inout CheckRecorder) -> Bool {
        guard f.resetPort(&r) else { return true }
        f.write(PFR.CTRL.offset, UInt32(PFR.CTRL.resetField.mask))
        r.expect(!f.isSet(PFR.CTRL.offset, PFR.CTRL.resetField), "CTRL.RST does not self-clear")
        let eec = f.read(PFR.EEC.offset)
        r.expect(PFR.EEC.present.isSet(in: eec), "EEC.Present clear right after CTRL.RST (\(hex(eec)))")
        r.expect(!PFR.EEC.autoReadDone.isSet(in: eec), "EEC.ARD already set at the instant of CTRL.RST")
        r.expect(!f.isSet(PFR.RDRXCTL.offset, PFR.RDRXCTL.dmaInitDone), "RDRXCTL.DMAIDONE already set at the instant of CTRL.RST")
        let ard = f.poll(every: .microseconds(10), timeout: Intel82599Fixture.resetTimeout) {
            f.isSet(PFR.EEC.offset, PFR.EEC.autoReadDone)
        }
        r.expect(ard != nil, "EEC.ARD not set within \(Intel82599Fixture.resetTimeout)")
        let dma = f.poll(every: .microseconds(10), timeout: Intel82599Fixture.resetTimeout) {
            f.isSet(PFR.RDRXCTL.offset, PFR.RDRXCTL.dmaInitDone)
        }
        r.expect(dma != nil, "RDRXCTL.DMAIDONE not set within \(Intel82599Fixture.resetTimeout) of EEC.ARD")
        // A second reset starts the wait over.
        f.write(PFR.CTRL.offset, UInt32(PFR.CTRL.resetField.mask))
        r.expect(!f.isSet(PFR.EEC.offset, PFR.EEC.autoReadDone), "EEC.ARD survived a second CTRL.RST")
        _ = f.poll(timeout: Intel82599Fixture.resetTimeout) { f.isSet(PFR.EEC.offset, PFR.EEC.autoReadDone) }
        return true
    }

    private static func linkUp(_ f: Intel82599Fixture, _ r: inout CheckRecorder) -> Bool {
        guard f.cablePlugged else { return false }
        guard f.resetPort(&r) else { return true }
        let hasMSIX = f.access.enableMSIXVector(otherVector, data: 0x40 + UInt32(otherVector))
        f.write(PFR.IVAR_MISC.offset, UInt32(0x80 | otherVector) << 8)
        f.write(PFR.EIMS.offset, UInt32(PFR.EICR.lsc.mask))
        _ = f.pf.msix?.consume(otherVector)
        f.write(PFR.AUTOC.offset, f.read(PFR.AUTOC.offset) | UInt32(PFR.AUTOC.restartAN.mask))
        f.write(PFR.EICR.offset, 0xFFFF_FFFF)
        let links = f.read(PFR.LINKS.offset)
        r.expect(!PFR.LINKS.linkUp.isSet(in: links), "LINKS.LinkUp set at the instant auto-negotiation restarted")
        let delivered = hasMSIX && f.access.waitForInterrupt(vector: otherVector, timeout: Intel82599Fixture.linkTimeout)
        let took = f.poll(timeout: Intel82599Fixture.linkTimeout) { f.isSet(PFR.LINKS.offset, PFR.LINKS.linkUp) }
        r.expect(took != nil, "link not up within \(Intel82599Fixture.linkTimeout) of AUTOC.RestartAN")
        let up = UInt64(f.read(PFR.LINKS.offset))
        r.expect(
            PFR.LINKS.linkSpeed.extract(from: up) == PFR.LINKS.LinkSpeedValue.speed10G,
            "LINKS \(hex(up)): speed is not 10 Gb/s")
        r.expect(f.isSet(PFR.STATUS.offset, PFR.STATUS.linkUp), "STATUS.LinkUp clear with the link up")
        r.expect(f.isSet(PFR.EICR.offset, PFR.EICR.lsc), "EICR.LSC not set by the link coming up")
        r.expect(!hasMSIX || delivered, "LSC did not send the MSI-X message of the vector IVAR_MISC names")
        f.write(PFR.EIMC.offset, UInt32(PFR.EICR.lsc.mask))
        return true
    }

    private static func vfSeePFReset(_ f: Intel82599Fixture, _ r: inout CheckRecorder) {
        guard f.resetPort(&r) else { return }
        let rsti = VFR.VFMAILBOX.rsti.mask
        let rstd = VFR.VFMAILBOX.rstd.mask
        f.write(PFR.CTRL.offset, UInt32(PFR.CTRL.resetField.mask))
        _ = f.poll(timeout: Intel82599Fixture.resetTimeout) { f.isSet(PFR.EEC.offset, PFR.EEC.autoReadDone) }
        for n in f.vfs.indices {
            let v = UInt64(f.vfRead(n, VFR.VFMAILBOX.offset))
            r.expect(
                v & rsti != 0 && v & rstd == 0, "VF \(n): VFMAILBOX \(hex(v)) during the PF reset, expected RSTI without RSTD")
        }
        f.write(PFR.CTRL_EXT.offset, UInt32(PFR.CTRL_EXT.pfResetDone.mask))
        for n in f.vfs.indices {
            let first = UInt64(f.vfRead(n, VFR.VFMAILBOX.offset))
            let second = UInt64(f.vfRead(n, VFR.VFMAILBOX.offset))
            r.expect(
                first & rsti == 0 && first & rstd != 0,
                "VF \(n): VFMAILBOX \(hex(first)) after PFRSTD, expected RSTD without RSTI")
            r.expect(second & (rsti | rstd) == 0, "VF \(n): VFMAILBOX \(hex(second)) on the second read; RSTD is read to clear")
        }
    }
}
