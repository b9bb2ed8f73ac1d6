import NVMe
import PCIe
import Testing

@Suite("Get Log Page and asynchronous events (NVMe Base §5.14, §5.2)")
struct AdminLogPageTests {
    /// CDW10 for log `lid` with `bytes` bytes.
    func cdw10(_ lid: UInt8, bytes: Int = 4096, retain: Bool = false) -> UInt32 {
        UInt32(bytes / 4 - 1) << 16 | (retain ? 1 << 15 : 0) | UInt32(lid)
    }

    @Test("SMART: data units, host commands, media errors, percentage used, error entries")
    func smart() throws {
        let t = try NVMeBench.ready()
        #expect(try t.write(pattern(4096, seed: 2), at: 0) == .success)
        _ = try t.read(at: 0, blocks: 8)
        _ = try t.read(at: 0, blocks: 1)
        try t.io(.read, nsid: 9)
        let (c, log) = try t.adminData(.getLogPage, nsid: 0xFFFF_FFFF, cdw10: cdw10(0x02, bytes: 512))
        #expect(c.status == .success)
        #expect(le(log, 1, as: UInt16.self) == 313)
        #expect(log[3] == 100)
        #expect(log[5] == 0)
        #expect(le(log, 32, as: UInt64.self) == 1, "9 units of 512 bytes round up to 1 thousand")
        #expect(le(log, 48, as: UInt64.self) == 1)
        #expect(le(log, 64, as: UInt64.self) == 2)
        #expect(le(log, 80, as: UInt64.self) == 1)
        #expect(le(log, 112, as: UInt64.self) == 1)
        #expect(le(log, 160, as: UInt64.self) == 0)
        #expect(le(log, 176, as: UInt64.self) == 1)
    }

    @Test("Error information: newest first with SQ id, CID, status and NSID")
    func errorLog() throws {
        let t = try NVMeBench.ready()
        let bad = try t.io(.read, nsid: 9)
        let (_, log) = try t.adminData(.getLogPage, cdw10: cdw10(0x01))
        #expect(le(log, 0, as: UInt64.self) == 1)
        #expect(le(log, 8, as: UInt16.self) == 1)
        #expect(le(log, 10, as: UInt16.self) == bad.commandID)
        #expect(NVMeStatus(field: le(log, 12, as: UInt16.self) >> 1) == .invalidNamespaceOrFormat)
        #expect(le(log, 24, as: UInt32.self) == 9)
        #expect(le(log, 64, as: UInt64.self) == 0)
    }

    @Test("Firmware slot log shows slot 1 active with the revision")
    func firmwareSlot() throws {
        let t = try NVMeBench.ready()
        let (_, log) = try t.adminData(.getLogPage, cdw10: cdw10(0x03, bytes: 512))
        #expect(log[0] == 1)
        #expect(ascii(log, 8..<16) == "1.0     ")
    }

    @Test("Vendor log 0xD0 carries the EC2 magic and the I/O totals")
    func amazonStatistics() throws {
        let t = try NVMeBench.ready()
        #expect(try t.write(pattern(1024, seed: 3), at: 0) == .success)
        let (_, ebs) = try t.adminData(.getLogPage, cdw10: cdw10(0xD0))
        #expect(le(ebs, 0, as: UInt32.self) == 0x3C23_B510)
        #expect(le(ebs, 16, as: UInt64.self) == 1)
        #expect(le(ebs, 32, as: UInt64.self) == 1024)
        let i = try NVMeBench.ready(instanceStoreConfiguration())
        #expect(le(try i.adminData(.getLogPage, cdw10: cdw10(0xD0)).1, 0, as: UInt32.self) == 0xEC2C_0D7E)
    }

    @Test("Offsets and lengths are checked: unaligned or beyond the page is Invalid Field, past the end reads zero")
    func bounds() throws {
        let t = try NVMeBench.ready()
        #expect(try t.adminData(.getLogPage, cdw10: cdw10(0x02, bytes: 512), cdw12: 2).0.status == .invalidField)
        #expect(try t.adminData(.getLogPage, cdw10: cdw10(0x02, bytes: 512), cdw12: 512).0.status == .invalidField)
        let (c, tail) = try t.adminData(.getLogPage, cdw10: cdw10(0x02, bytes: 4096), cdw12: 0x1FC)
        #expect(c.status == .success)
        #expect(tail.allSatisfy { $0 == 0 })
        let (c2, shifted) = try t.adminData(.getLogPage, cdw10: cdw10(0xD0, bytes: 8), cdw12: 0)
        #expect(c2.status == .success && le(shifted, 0, as: UInt32.self) == 0x3C23_B510)
        let huge = try t.adminCommand(.getLogPage, cdw10: 0xFFFF_0002, cdw11: 0xFFFF)
        #expect(huge.status == .invalidField, "beyond MDTS")
        #expect(try t.adminData(.getLogPage, cdw10: cdw10(0x42)).0.status == .invalidLogPage)
    }

    @Test("AER: AERL+1 outstanding, the next is AER Limit Exceeded")
    func aerLimit() throws {
        let t = try NVMeBench.ready()
        let q = try #require(t.admin)
        for _ in 0..<4 {
            var e = SubmissionEntry()
            e.setHeader(opcode: AdminOpcode.asyncEventRequest.rawValue, commandID: t.commandID())
            q.post(e)
        }
        t.write32(0x1000, UInt32(q.sqTail))
        #expect(q.reap().isEmpty)
        #expect(try t.adminCommand(.asyncEventRequest).status == .asyncEventLimitExceeded)
    }

    @Test("Invalid doorbell value raises an error event to an outstanding AER; masked until log 01 is read")
    func invalidDoorbellEvent() throws {
        let t = try NVMeBench.ready()
        let q = try #require(t.admin)
        for cid: UInt16 in [0xA1, 0xA2] {
            var e = SubmissionEntry()
            e.setHeader(opcode: AdminOpcode.asyncEventRequest.rawValue, commandID: cid)
            q.post(e)
        }
        t.write32(0x1000, UInt32(q.sqTail))
        #expect(q.reap().isEmpty)
        t.write32(0x1008, 999)
        t.write32(0x1008, 998)
        let events = q.reap()
        t.write32(0x1004, UInt32(q.cqHead))
        #expect(events.count == 1, "the second event waits: its type is masked")
        #expect(events.first?.commandID == 0xA1)
        #expect(events.first.map { AsyncEvent(dword0: $0.dword0) } == .invalidDoorbellValue)
        _ = try t.adminData(.getLogPage, cdw10: cdw10(0x01, retain: true))
        #expect(q.unclaimed.isEmpty, "Retain Asynchronous Event keeps the type masked")
        #expect(try t.adminData(.getLogPage, cdw10: cdw10(0x01)).0.status == .success)
        #expect(q.unclaimed.map(\.commandID) == [0xA2], "reading the log unmasks; the waiting event completes")
    }

    @Test("Sanitize completion is reported to the next AER and in the sanitize status log")
    func sanitizeEvent() throws {
        let t = try NVMeBench.ready()
        #expect(try t.adminCommand(.sanitize, cdw10: 2).status == .success)
        let c = try t.adminCommand(.asyncEventRequest)
        #expect(AsyncEvent(dword0: c.dword0) == .sanitizeCompleted)
        let (_, log) = try t.adminData(.getLogPage, cdw10: cdw10(0x81, bytes: 512))
        #expect(le(log, 0, as: UInt16.self) == 0xFFFF)
        #expect(le(log, 2, as: UInt16.self) == 1 | 1 << 8)
        #expect(le(log, 4, as: UInt32.self) == 2)
    }

    @Test("Outstanding AERs are dropped by a controller reset")
    func aerReset() throws {
        let t = try NVMeBench.ready()
        let q = try #require(t.admin)
        var e = SubmissionEntry()
        e.setHeader(opcode: AdminOpcode.asyncEventRequest.rawValue, commandID: 0xB1)
        q.post(e)
        t.write32(0x1000, UInt32(q.sqTail))
        t.disable()
        try t.enable()
        #expect(try t.adminCommand(.sanitize, cdw10: 2).status == .success)
        #expect(try #require(t.admin).reap().isEmpty)
    }
}
