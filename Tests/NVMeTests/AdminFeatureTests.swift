import NVMe
import PCIe
import Testing

@Suite("Get/Set Features, Abort, Keep Alive, refused commands (NVMe Base §5.1, §5.9, §5.21, §5.25)")
struct AdminFeatureTests {
    @Test("Number of Queues grants the configured pairs; 65535 is Invalid Field; after queues exist, Command Sequence Error")
    func numberOfQueues() throws {
        let t = try NVMeBench()
        t.enableMSIX()
        try t.enable()
        let c = try t.adminCommand(.setFeatures, cdw10: 0x07, cdw11: 0x0003_0003)
        #expect(c.status == .success)
        #expect(c.dword0 == 0x0001_0001)
        #expect(try t.adminCommand(.getFeatures, cdw10: 0x07).dword0 == 0x0001_0001)
        #expect(try t.adminCommand(.setFeatures, cdw10: 0x07, cdw11: 0xFFFF_0000).status == .invalidField)
        try t.createIOQueuePair(1)
        #expect(try t.adminCommand(.setFeatures, cdw10: 0x07, cdw11: 0).status == .commandSequenceError)
    }

    @Test("Volatile write cache, coalescing, write atomicity, async event config and arbitration round-trip")
    func roundTrips() throws {
        let t = try NVMeBench.ready()
        let cases: [(UInt32, UInt32)] = [(0x06, 0), (0x08, 0x0A04), (0x0A, 1), (0x0B, 0x1FF), (0x01, 0x0302_0103)]
        for (fid, value) in cases {
            #expect(try t.adminCommand(.setFeatures, cdw10: fid, cdw11: value).status == .success)
            #expect(try t.adminCommand(.getFeatures, cdw10: fid).dword0 == value, "feature \(fid)")
        }
        #expect(try t.adminCommand(.getFeatures, cdw10: 0x06 | 1 << 8).dword0 == 1, "default: cache enabled")
        #expect(try t.adminCommand(.getFeatures, cdw10: 0x06 | 3 << 8).dword0 == 0x4, "changeable, not saveable")
        #expect(try t.adminCommand(.getFeatures, cdw10: 0x06 | 4 << 8).status == .invalidField)
    }

    @Test("Interrupt vector configuration per vector; a vector beyond the table is Invalid Field")
    func vectorConfiguration() throws {
        let t = try NVMeBench.ready()
        #expect(try t.adminCommand(.setFeatures, cdw10: 0x09, cdw11: 1 << 16 | 2).status == .success)
        #expect(try t.adminCommand(.getFeatures, cdw10: 0x09, cdw11: 2).dword0 == 1 << 16 | 2)
        #expect(try t.adminCommand(.getFeatures, cdw10: 0x09, cdw11: 1).dword0 == 1)
        #expect(try t.adminCommand(.setFeatures, cdw10: 0x09, cdw11: 3).status == .invalidField)
    }

    @Test("Power state other than 0, saving, and unknown features are refused")
    func refused() throws {
        let t = try NVMeBench.ready()
        #expect(try t.adminCommand(.setFeatures, cdw10: 0x02, cdw11: 1).status == .invalidField)
        #expect(try t.adminCommand(.setFeatures, cdw10: 0x02, cdw11: 0).status == .success)
        #expect(try t.adminCommand(.setFeatures, cdw10: 1 << 31 | 0x06, cdw11: 1).status == .featureNotSaveable)
        #expect(try t.adminCommand(.setFeatures, cdw10: 0x03).status == .invalidField)
        #expect(try t.adminCommand(.getFeatures, cdw10: 0x0C).status == .invalidField)
    }

    @Test("Temperature threshold over/under for the composite sensor")
    func temperatureThreshold() throws {
        let t = try NVMeBench.ready()
        #expect(try t.adminCommand(.getFeatures, cdw10: 0x04).dword0 == 343)
        #expect(try t.adminCommand(.setFeatures, cdw10: 0x04, cdw11: 1 << 20 | 270).status == .success)
        #expect(try t.adminCommand(.getFeatures, cdw10: 0x04, cdw11: 1 << 20).dword0 == 1 << 20 | 270)
        #expect(try t.adminCommand(.setFeatures, cdw10: 0x04, cdw11: 3 << 16 | 300).status == .invalidField)
    }

    @Test("Features return to defaults at a controller reset")
    func resetToDefaults() throws {
        let t = try NVMeBench.ready()
        try t.adminCommand(.setFeatures, cdw10: 0x08, cdw11: 0x0A04)
        t.disable()
        try t.enable()
        #expect(try t.adminCommand(.getFeatures, cdw10: 0x08).dword0 == 0)
    }

    @Test("Abort completes with DW0 bit 0 set: the command had already completed")
    func abort() throws {
        let t = try NVMeBench.ready()
        let c = try t.adminCommand(.abort, cdw10: 7 << 16 | 1)
        #expect(c.status == .success && c.dword0 & 1 == 1)
    }

    @Test("Keep alive timeout rounds up to 1 s; without Keep Alive commands the controller goes fatal")
    func keepAlive() throws {
        let t = try NVMeBench.ready()
        #expect(try t.adminCommand(.setFeatures, cdw10: 0x0F, cdw11: 1500).status == .success)
        #expect(try t.adminCommand(.getFeatures, cdw10: 0x0F).dword0 == 2000)
        t.access.sleep(.milliseconds(1500))
        #expect(try t.adminCommand(.keepAlive).status == .success)
        t.access.sleep(.milliseconds(1500))
        #expect(!t.fatal)
        t.access.sleep(.milliseconds(600))
        #expect(t.fatal)
        t.disable()
        try t.enable()
        t.access.sleep(.seconds(5))
        #expect(!t.fatal, "the timer is gone after a reset")
    }

    @Test("Firmware download/commit and security send/receive are Invalid Opcode; unknown admin opcodes too")
    func refusedCommands() throws {
        let t = try NVMeBench.ready()
        for op in [AdminOpcode.firmwareImageDownload, .firmwareCommit, .securitySend, .securityReceive] {
            #expect(try t.adminCommand(op).status == .invalidOpcode)
        }
        var e = SubmissionEntry()
        e.setHeader(opcode: 0x7F, commandID: 99)
        let c = try t.submit(e)
        #expect(c.status == .invalidOpcode && c.commandID == 99)
        #expect(t.guestErrors.last?.detail.contains("0x7f") == true)
    }

    @Test("Admin commands with SGLs or fused bits are Invalid Field")
    func adminSGL() throws {
        let t = try NVMeBench.ready()
        var e = SubmissionEntry()
        e.setHeader(opcode: AdminOpcode.identify.rawValue, commandID: 5, psdt: 1)
        e[dword: 10] = 1
        #expect(try t.submit(e).status == .invalidField)
        e.setHeader(opcode: AdminOpcode.keepAlive.rawValue, commandID: 6, fuse: 1)
        #expect(try t.submit(e).status == .invalidField)
    }
}
