import NVMe
import PCIe
import RegisterModel

/// Controller registers (UNH-IOL NVMe test plan group 1, tnvme group "registers"): CAP and VS
/// fields, reset values and read-only bits against the DeviceSpecs table, the enable, disable
/// and shutdown handshakes (§7.6), fatal status on an invalid setup, and NVM Subsystem Reset.
enum NVMeRegisterSuite {
    static let name = "nvme-registers"

    static func run(_ f: NVMeFixture) -> [CheckResult] {
        [
            f.always(name, "§3.1.1 CAP: MQES >= 1, TO >= 1, NVM command set, MPSMIN <= MPSMAX, reserved bits 0") { cap(f, &$0) },
            f.always(name, "§3.1.2 VS is 1.4 or later and equals Identify Controller VER") { version(f, &$0) },
            f.always(name, "§3.1 registers hold their reset values after a function level reset") { resetValues(f, &$0) },
            f.always(name, "§3.1 read-only and reserved register bits hold") { readOnlyBits(f, &$0) },
            f.always(name, "§7.6.1 CC.EN=1 sets RDY within CAP.TO; CC.EN=0 clears RDY and keeps AQA/ASQ/ACQ") {
                enableDisable(f, &$0)
            },
            f.always(name, "§7.6.2 CC.SHN normal and abrupt shutdown report CSTS.SHST complete; reset clears it") {
                shutdown(f, &$0)
            },
            f.always(name, "§3.1.6 an invalid setup at CC.EN=1 sets CSTS.CFS, not RDY, and is recorded") { fatalSetup(f, &$0) },
            f.check(name, "§3.1.7 NSSR: \"NVMe\" resets the subsystem and sets NSSRO (RW1C); other values do nothing") {
                subsystemReset(f, &$0)
            },
        ]
    }

    /// CAP bits no field covers (reserved: 23:19, 47:46, 63:58).
    static let capReserved: UInt64 = 0x0000_0000_00F8_0000 | 0x0000_C000_0000_0000 | 0xFC00_0000_0000_0000

    private static func cap(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        let c = f.read64(NR.CAP.offset)
        r.expect(NR.CAP.mqes.extract(from: c) >= 1, "CAP.MQES \(NR.CAP.mqes.extract(from: c)): at least 1 (two entries)")
        r.expect(NR.CAP.to.extract(from: c) >= 1, "CAP.TO is 0")
        r.expect(NR.CAP.css.extract(from: c) & 1 == 1, "CAP.CSS \(hex(NR.CAP.css.extract(from: c))) lacks the NVM command set")
        let minimum = NR.CAP.mpsmin.extract(from: c)
        let maximum = NR.CAP.mpsmax.extract(from: c)
        r.expect(minimum <= maximum, "CAP.MPSMIN \(minimum) > MPSMAX \(maximum)")
        r.expect(minimum == 0, "CAP.MPSMIN \(minimum): 4 KiB host pages not supported")
        r.expect(c & capReserved == 0, "CAP reserved bits \(hex(c & capReserved)) set")
        r.expect(c == f.capabilities, "CAP changed from \(hex(f.capabilities)) to \(hex(c))")
    }

    private static func version(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        let vs = f.read32(NR.VS.offset)
        r.expect(vs >= 0x0001_0400, "VS \(hex(vs)): older than 1.4.0")
        guard let admin = f.enable(&r), let id = f.identify(admin, cns: 1, &r) else { return }
        let ver = NVMeControllerFacts(data: id).version
        r.expect(ver == vs, "Identify Controller VER \(hex(ver)) differs from VS \(hex(vs))")
    }

    /// The registers a check compares with the table: all but the write-only NSSR and doorbells.
    static var readableRegisters: [RegisterDescriptor] {
        NR.block.registers.filter { $0.writeOnlyMask & $0.widthMask != $0.widthMask }
    }

    private static func resetValues(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        // Move state away from reset first: an enabled controller with admin queues and a mask.
        guard f.enable(&r) != nil else { return }
        f.write32(NR.INTMS.offset, 0x1)
        guard f.functionLevelReset(&r) else { return }
        for reg in readableRegisters {
            let value = reg.width == 8 ? f.read64(reg.offset) : UInt64(f.read32(reg.offset))
            r.expect(value == reg.reset, "\(reg.name) after FLR: \(hex(value)), spec reset \(hex(reg.reset))")
        }
    }

    private static func readOnlyBits(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard f.disable(&r) else { return }
        for reg in readableRegisters {
            let fixed = reg.widthMask & ~reg.writableMask & ~reg.writeOneToClearMask
            guard fixed != 0 else { continue }
            for half in stride(from: 0, to: reg.width, by: 4) {
                let at = reg.offset + half
                let shift = UInt64(half * 8)
                let fixedHere = UInt32(truncatingIfNeeded: fixed >> shift)
                let writable = UInt32(truncatingIfNeeded: (reg.writableMask & ~reg.writeOnlyMask) >> shift)
                guard fixedHere != 0 else { continue }
                let before = f.read32(at)
                f.write32(at, (before & writable) | (~before & fixedHere))
                let after = f.read32(at)
                r.expect(
                    after & fixedHere == before & fixedHere,
                    "\(reg.name)+\(half): fixed bits \(hex(before & fixedHere)) became \(hex(after & fixedHere))")
                f.write32(at, before & writable)
            }
        }
        r.expect(!f.ready && !f.fatal, "probing read-only bits changed CSTS to \(hex(f.status))")
    }

    private static func enableDisable(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r) else { return }
        r.expect(f.identify(admin, cns: 1, &r) != nil, "Identify failed right after enable")
        let saved = (f.read32(NR.AQA.offset), f.read64(NR.ASQ.offset), f.read64(NR.ACQ.offset))
        guard f.disable(&r) else { return }
        let csts = f.status
        r.expect(!NR.CSTS.cfs.isSet(in: csts), "CSTS.CFS set by a clean disable (CSTS \(hex(csts)))")
        r.expect(NR.CSTS.shst.extract(from: csts) == 0, "CSTS.SHST \(NR.CSTS.shst.extract(from: csts)) after a disable")
        let kept = (f.read32(NR.AQA.offset), f.read64(NR.ASQ.offset), f.read64(NR.ACQ.offset))
        r.expect(kept == saved, "AQA/ASQ/ACQ \(kept) after CC.EN=0, expected \(saved) kept (§7.3.2)")
        // Enable again on the same admin queue: the controller starts it over from entry 0.
        admin.clear()
        f.write32(NR.CC.offset, NVMeFixture.configuration | UInt32(NR.CC.en.mask))
        guard f.poll(timeout: f.readyTimeout, { f.ready || f.fatal }), !f.fatal else {
            r.expect(false, "not ready after re-enabling (CSTS \(hex(f.status)))")
            return
        }
        let c = f.admin(AdminOpcode.getFeatures.rawValue, on: admin, [10: 0x07])
        r.expect(c?.status.isSuccess == true, "Get Features after re-enable: \(c.map { "\($0.status)" } ?? "no completion")")
        r.expect(
            c?.submissionQueueHead == 1,
            "SQ head \(c.map { "\($0.submissionQueueHead)" } ?? "-") after the first command, expected 1")
    }

    private static func shutdown(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        for (kind, value) in [("normal", NR.CC.SHNValue.normal), ("abrupt", NR.CC.SHNValue.abrupt)] {
            guard f.enable(&r) != nil else { return }
            f.write32(NR.CC.offset, NR.CC.shn.insert(UInt32(value), into: f.read32(NR.CC.offset)))
            let done = f.poll(timeout: f.readyTimeout) {
                NR.CSTS.shst.extract(from: f.status) == NR.CSTS.SHSTValue.complete
            }
            r.expect(done, "\(kind) shutdown: CSTS.SHST \(NR.CSTS.shst.extract(from: f.status)) after CAP.TO, expected 2")
            r.expect(!f.fatal, "\(kind) shutdown set CSTS.CFS")
            f.write32(NR.CC.offset, 0)
            _ = f.poll(timeout: f.readyTimeout) { !f.ready }
            r.expect(NR.CSTS.shst.extract(from: f.status) == 0, "\(kind) shutdown: SHST not cleared by CC.EN=0")
        }
        r.expect(f.enable(&r) != nil, "controller does not enable after shutdown and reset")
    }

    /// One invalid setup: what is wrong, AQA, ASQ, ACQ offsets from valid, CC.
    private struct BadSetup {
        var what: String
        var aqa: UInt32 = 0x000F_000F
        var asqOffset: UInt64 = 0
        var acqOffset: UInt64 = 0
        var zeroASQ = false
        var cc: UInt32 = NVMeFixture.configuration
    }

    private static func fatalSetup(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        let maxMPS = NR.CAP.mpsmax.extract(from: f.capabilities)
        var cases = [
            BadSetup(what: "ASQS 0 (one entry)", aqa: 0x000F_0000), BadSetup(what: "ACQS 0 (one entry)", aqa: 0x0000_000F),
            BadSetup(what: "ASQ 0", zeroASQ: true), BadSetup(what: "ACQ not page aligned", acqOffset: 0x200),
            BadSetup(what: "ASQ not page aligned", asqOffset: 0x40),
            BadSetup(what: "CC.CSS 1 (reserved)", cc: NR.CC.css.insert(1, into: NVMeFixture.configuration)),
        ]
        if maxMPS < 15 {
            cases.append(
                BadSetup(what: "CC.MPS above MPSMAX", cc: NR.CC.mps.insert(UInt32(maxMPS + 1), into: NVMeFixture.configuration)))
        }
        if NR.CAP.ams.extract(from: f.capabilities) & 1 == 0 {
            cases.append(
                BadSetup(what: "CC.AMS 1 (WRR not in CAP.AMS)", cc: NR.CC.ams.insert(1, into: NVMeFixture.configuration)))
        }
        for bad in cases {
            guard f.disable(&r), let admin = f.queue(0, entries: 16, &r) else { return }
            let mark = f.guestErrorMark
            f.write32(NR.AQA.offset, bad.aqa)
            f.write64(NR.ASQ.offset, bad.zeroASQ ? 0 : admin.sq.address() + bad.asqOffset)
            f.write64(NR.ACQ.offset, admin.cq.address() + bad.acqOffset)
            f.write32(NR.CC.offset, bad.cc | UInt32(NR.CC.en.mask))
            _ = f.poll(timeout: f.readyTimeout) { f.ready || f.fatal }
            r.expect(f.fatal && !f.ready, "\(bad.what): CSTS \(hex(f.status)) after CC.EN=1, expected CFS=1 RDY=0")
            r.expect(!f.guestErrors(since: mark).isEmpty, "\(bad.what): no guest error recorded")
            f.write32(NR.CC.offset, 0)
            _ = f.poll(timeout: f.readyTimeout) { !f.ready }
        }
        r.expect(f.enable(&r) != nil, "a valid enable after the invalid ones failed (CSTS \(hex(f.status)))")
    }

    private static func subsystemReset(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard NR.CAP.nssrs.isSet(in: f.capabilities) else { return false }
        guard f.enable(&r) != nil else { return true }
        let cc = f.read32(NR.CC.offset)
        f.write32(NR.NSSR.offset, 0x1234_5678)
        f.clock.advance(by: f.readyTimeout)
        r.expect(f.ready && f.read32(NR.CC.offset) == cc, "NSSR 0x12345678 changed CC/CSTS (CSTS \(hex(f.status)))")
        r.expect(!NR.CSTS.nssro.isSet(in: f.status), "CSTS.NSSRO set by a wrong NSSR value")
        f.write32(NR.NSSR.offset, 0x4E56_4D65)
        r.expect(f.poll(timeout: f.readyTimeout) { !f.ready }, "CSTS.RDY still 1 after NSSR")
        r.expect(NR.CSTS.nssro.isSet(in: f.status), "CSTS.NSSRO not set after NSSR (CSTS \(hex(f.status)))")
        r.expect(f.read32(NR.CC.offset) == 0, "CC \(hex(f.read32(NR.CC.offset))) after NSSR, expected reset value 0")
        r.expect(f.read32(NR.NSSR.offset) == 0, "NSSR reads \(hex(f.read32(NR.NSSR.offset))), expected 0")
        f.write32(NR.CSTS.offset, UInt32(NR.CSTS.nssro.mask))
        r.expect(!NR.CSTS.nssro.isSet(in: f.status), "CSTS.NSSRO not cleared by writing 1")
        r.expect(f.enable(&r) != nil, "controller does not enable after NSSR")
        return true
    }
}
