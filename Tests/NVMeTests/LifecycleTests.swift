import NVMe
import PCIe
import RegisterModel
import Testing

@Suite("Enable, disable, shutdown, fatal status and subsystem reset (NVMe Base §7.6, §7.3)")
struct LifecycleTests {
    @Test("CC.EN=1 with a valid admin setup sets RDY; CC.EN=0 clears it and keeps AQA/ASQ/ACQ")
    func enableDisable() throws {
        let t = try NVMeBench()
        let q = try t.enable()
        #expect(t.ready && !t.fatal)
        t.write32(R.CC.offset, 0x0046_0000)
        #expect(!t.ready)
        #expect(t.read32(R.AQA.offset) == 0x000F_000F)
        #expect(t.read64(R.ASQ.offset) == q.sq.deviceAddress.value)
        #expect(t.read32(R.CC.offset) == 0x0046_0000)
        t.write32(R.CC.offset, 0x0046_0001)
        #expect(t.ready)
    }

    @Test("RDY follows CC.EN after the configured virtual delay")
    func readyDelay() throws {
        var c = ebsConfiguration()
        c.readyDelay = .microseconds(50)
        let t = try NVMeBench(c)
        try t.enable()
        #expect(!t.ready)
        t.access.sleep(.microseconds(50))
        #expect(t.ready)
        t.write32(R.CC.offset, 0)
        #expect(t.ready)
        t.access.sleep(.microseconds(50))
        #expect(!t.ready)
    }

    @Test("Shutdown notification: SHST reads complete and commands stop until a reset")
    func shutdown() throws {
        let t = try NVMeBench.ready()
        t.write32(R.CC.offset, t.read32(R.CC.offset) | 1 << 14)
        #expect((t.status >> 2) & 3 == 2)
        let before = t.controller.counters.ignoredDoorbells
        t.write32(0x1008, 1)
        #expect(t.controller.counters.ignoredDoorbells == before + 1)
        t.disable()
        #expect((t.status >> 2) & 3 == 0)
        try t.enable()
        #expect(t.ready)
    }

    struct BadSetup: CustomTestStringConvertible, Sendable {
        let name: String
        let aqa: UInt32
        let asq: UInt64?
        let acq: UInt64?
        let cc: UInt32
        var testDescription: String { name }
    }

    static let badSetups: [BadSetup] = [
        BadSetup(name: "admin SQ of size 0 (one entry)", aqa: 0x000F_0000, asq: nil, acq: nil, cc: 0x0046_0001),
        BadSetup(name: "admin CQ of size 0 (one entry)", aqa: 0x0000_000F, asq: nil, acq: nil, cc: 0x0046_0001),
        BadSetup(name: "ASQ address 0", aqa: 0x000F_000F, asq: 0, acq: nil, cc: 0x0046_0001),
        BadSetup(name: "ACQ address 0", aqa: 0x000F_000F, asq: nil, acq: 0, cc: 0x0046_0001),
        BadSetup(name: "ASQ not page aligned", aqa: 0x000F_000F, asq: 0x1_0000_0040, acq: nil, cc: 0x0046_0001),
        BadSetup(name: "CC.MPS above MPSMAX", aqa: 0x000F_000F, asq: nil, acq: nil, cc: 0x0046_0081),
        BadSetup(name: "CC.CSS not NVM", aqa: 0x000F_000F, asq: nil, acq: nil, cc: 0x0046_0011),
        BadSetup(name: "CC.AMS weighted round robin", aqa: 0x000F_000F, asq: nil, acq: nil, cc: 0x0046_0801),
        BadSetup(name: "CC.IOSQES 7", aqa: 0x000F_000F, asq: nil, acq: nil, cc: 0x0047_0001),
    ]

    @Test("Invalid setup at enable sets CFS, leaves RDY clear and is recorded", arguments: badSetups)
    func fatalAtEnable(_ s: BadSetup) throws {
        let t = try NVMeBench()
        let q = try HostQueuePair(access: t.access, id: 0, entries: 16)
        t.write32(R.AQA.offset, s.aqa)
        t.write64(R.ASQ.offset, s.asq ?? q.sq.deviceAddress.value)
        t.write64(R.ACQ.offset, s.acq ?? q.cq.deviceAddress.value)
        t.write32(R.CC.offset, s.cc)
        #expect(t.fatal)
        #expect(!t.ready)
        #expect(t.guestErrors.last?.detail.contains("enable refused") == true)
        t.write32(R.CC.offset, 0)
        #expect(!t.fatal, "a controller reset clears CFS")
    }

    @Test("Creating I/O queues with CC.IOSQES/IOCQES unset is fatal")
    func entrySizesUnsetAtCreate() throws {
        let t = try NVMeBench()
        let q = try t.enable(cc: 0x0000_0001)
        #expect(t.ready)
        let io = try HostQueuePair(access: t.access, id: 1, entries: 4)
        _ = q
        try t.adminCommand(.createIOCQ, cdw10: 3 << 16 | 1, cdw11: 1, prp1: io.cq.deviceAddress.value)
        #expect(t.fatal)
    }

    @Test("CC.MPS changed while enabled is recorded and kept")
    func frozenFields() throws {
        let t = try NVMeBench()
        try t.enable()
        t.write32(R.CC.offset, 0x0046_0081)
        #expect(t.read32(R.CC.offset) == 0x0046_0001)
        #expect(t.guestErrors.last?.detail.contains("while CC.EN=1") == true)
    }

    @Test("NSSR \"NVMe\" resets the subsystem: registers to reset, NSSRO set (W1C); other values do nothing")
    func subsystemReset() throws {
        let t = try NVMeBench.ready()
        t.write32(R.NSSR.offset, 0x1234)
        #expect(t.ready)
        t.write32(R.NSSR.offset, 0x4E56_4D65)
        #expect(!t.ready)
        #expect(t.status & 0x10 != 0)
        #expect(t.read32(R.AQA.offset) == 0)
        #expect(t.read32(R.NSSR.offset) == 0)
        #expect(t.controller.counters.unsafeShutdowns == 1)
        t.write32(R.CSTS.offset, 0x10)
        #expect(t.status & 0x10 == 0)
    }

    @Test("NSSRO survives a controller reset (CC.EN 1 -> 0)")
    func nssroSurvivesControllerReset() throws {
        let t = try NVMeBench()
        t.write32(R.NSSR.offset, 0x4E56_4D65)
        try t.enable()
        t.disable()
        #expect(t.status & 0x10 != 0)
    }

    @Test("PCI function level reset returns the controller to power-on state")
    func functionLevelReset() throws {
        let t = try NVMeBench.ready()
        t.bus.functionLevelReset(t.function)
        #expect(!t.controller.isReady)
        _ = Firmware(bus: t.bus).enumerateAndAssign()
        t.access.configWrite(4, width: .word, value: 0x6)
        t.access.refreshBARs()
        #expect(t.read32(R.CC.offset) == 0)
        #expect(t.read32(R.CSTS.offset) == 0)
    }
}
