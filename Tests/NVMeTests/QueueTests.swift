import NVMe
import PCIe
import Testing

@Suite("I/O queue management, doorbells and completion queue flow control (NVMe Base §4.1, §5.3-§5.6)")
struct QueueTests {
    func createCQ(_ t: NVMeBench, qid: UInt32, entries: UInt32 = 16, flags: UInt32 = 3, vector: UInt32 = 1, base: UInt64? = nil)
        throws -> NVMeStatus
    {
        let memory = try t.access.allocateDMA(Int(max(entries, 1)) * 16)
        return try t.adminCommand(
            .createIOCQ, cdw10: (entries &- 1) << 16 | qid, cdw11: vector << 16 | flags, prp1: base ?? memory.deviceAddress.value
        ).status
    }

    func createSQ(_ t: NVMeBench, qid: UInt32, cqid: UInt32, entries: UInt32 = 16, flags: UInt32 = 1) throws -> NVMeStatus {
        let memory = try t.access.allocateDMA(Int(max(entries, 1)) * 64)
        return try t.adminCommand(
            .createIOSQ, cdw10: (entries &- 1) << 16 | qid, cdw11: cqid << 16 | flags, prp1: memory.deviceAddress.value
        ).status
    }

    @Test("Create I/O CQ errors: id 0, beyond the granted queues, in use; size 1 or beyond MQES; PC=0; bad vector; bad memory")
    func createCompletionQueueErrors() throws {
        let t = try NVMeBench.ready()
        #expect(try createCQ(t, qid: 0) == .invalidQueueIdentifier)
        #expect(try createCQ(t, qid: 3) == .invalidQueueIdentifier)
        #expect(try createCQ(t, qid: 1) == .invalidQueueIdentifier)
        #expect(try createCQ(t, qid: 2, entries: 1) == .invalidQueueSize)
        #expect(try createCQ(t, qid: 2, entries: 1025) == .invalidQueueSize)
        #expect(try createCQ(t, qid: 2, flags: 2) == .invalidField)
        #expect(try createCQ(t, qid: 2, vector: 3) == .invalidInterruptVector)
        #expect(try createCQ(t, qid: 2, base: 0x7_0000_0000) == .invalidField)
        #expect(try createCQ(t, qid: 2, flags: 1, vector: 3) == .success, "no vector check with IEN clear")
    }

    @Test("Create I/O SQ errors: id, CQ invalid (0 or missing), size, PC=0")
    func createSubmissionQueueErrors() throws {
        let t = try NVMeBench.ready()
        #expect(try createSQ(t, qid: 0, cqid: 1) == .invalidQueueIdentifier)
        #expect(try createSQ(t, qid: 1, cqid: 1) == .invalidQueueIdentifier)
        #expect(try createSQ(t, qid: 2, cqid: 0) == .completionQueueInvalid)
        #expect(try createSQ(t, qid: 2, cqid: 2) == .completionQueueInvalid)
        #expect(try createSQ(t, qid: 2, cqid: 1, entries: 1) == .invalidQueueSize)
        #expect(try createSQ(t, qid: 2, cqid: 1, flags: 0) == .invalidField)
        #expect(try createSQ(t, qid: 2, cqid: 1) == .success, "two SQs may share a CQ")
    }

    @Test("Deletion order: a CQ with SQs attached is Invalid Queue Deletion; SQ first, then CQ, works")
    func deletionOrder() throws {
        let t = try NVMeBench.ready()
        #expect(try t.adminCommand(.deleteIOCQ, cdw10: 1).status == .invalidQueueDeletion)
        #expect(try t.adminCommand(.deleteIOSQ, cdw10: 1).status == .success)
        #expect(try t.adminCommand(.deleteIOSQ, cdw10: 1).status == .invalidQueueIdentifier)
        #expect(try t.adminCommand(.deleteIOCQ, cdw10: 1).status == .success)
        #expect(try t.adminCommand(.deleteIOCQ, cdw10: 0).status == .invalidQueueIdentifier)
        #expect(try t.adminCommand(.deleteIOSQ, cdw10: 0).status == .invalidQueueIdentifier)
        #expect(try t.adminCommand(.deleteIOCQ, cdw10: 200).status == .invalidQueueIdentifier)
        try t.createIOQueuePair(1)
        #expect(try t.write(pattern(512, seed: 1), at: 0) == .success)
    }

    @Test("Doorbells before RDY, to missing queues, beyond the queue or past the CQ tail are ignored and recorded")
    func badDoorbells() throws {
        let t = try NVMeBench()
        t.write32(0x1000, 1)
        #expect(t.controller.counters.ignoredDoorbells == 1)
        #expect(t.guestErrors.last?.detail.contains("not ready") == true)
        try t.enable()
        t.enableMSIX()
        try t.createIOQueuePair(1)
        t.write32(0x1010, 1)
        t.write32(0x1000 + 8 * 200, 1)
        t.write32(0x1008, 16)
        t.write32(0x100C, 5)
        #expect(t.controller.counters.ignoredDoorbells == 5)
        #expect(t.guestErrors.suffix(4).allSatisfy { $0.kind == .device })
        t.access.write64(t.bar, 0x1008, 1)
        #expect(t.guestErrors.last?.kind == .badMMIOAccess)
        #expect(t.ready && !t.fatal)
        #expect(try t.write(pattern(512, seed: 1), at: 0) == .success)
    }

    @Test("CQ full: fetching stops without overwriting; the CQ head doorbell resumes it")
    func completionQueueFull() throws {
        let t = try NVMeBench.ready()
        let q = try HostQueuePair(access: t.access, id: 2, entries: 4)
        let sq = try HostQueuePair(access: t.access, id: 2, entries: 16)
        try t.adminCommand(.createIOCQ, cdw10: 3 << 16 | 2, cdw11: 2 << 16 | 3, prp1: q.cq.deviceAddress.value)
        try t.adminCommand(.createIOSQ, cdw10: 15 << 16 | 2, cdw11: 2 << 16 | 1, prp1: sq.sq.deviceAddress.value)
        for i in 0..<6 {
            var e = SubmissionEntry()
            e.setHeader(opcode: NVMOpcode.flush.rawValue, commandID: UInt16(100 + i))
            e[dword: 1] = 1
            sq.post(e)
        }
        t.write32(0x1000 + 16, 6)
        let first = q.reap()
        #expect(first.map(\.commandID) == [100, 101, 102])
        #expect(first.last?.submissionQueueHead == 3)
        #expect(t.controller.counters.completionQueueFullStalls == 1)
        #expect(q.reap().isEmpty, "the fourth slot was not written")
        t.write32(0x1000 + 20, UInt32(q.cqHead))
        let rest = q.reap()
        #expect(rest.map(\.commandID) == [103, 104, 105])
        #expect(rest.allSatisfy { $0.status == .success && $0.submissionQueueID == 2 && $0.submissionQueueHead <= 6 })
        t.write32(0x1000 + 20, UInt32(q.cqHead))
        #expect(t.function.msix?.delivered[2] == 2)
    }

    @Test("Each I/O queue pair completes on its own MSI-X vector with its SQ id and head")
    func queuePairsAndVectors() throws {
        let t = try NVMeBench.ready()
        try t.createIOQueuePair(2, vector: 2)
        let a = try t.io(.flush, queue: 1)
        let b = try t.io(.flush, queue: 2)
        #expect(a.submissionQueueID == 1 && b.submissionQueueID == 2)
        #expect(a.submissionQueueHead == 1 && b.submissionQueueHead == 1)
        let msix = try #require(t.function.msix)
        #expect(msix.delivered[1] == 1 && msix.delivered[2] == 1)
        #expect(msix.delivered[0] >= 4)
    }

    @Test("Phase tag flips after the last entry; the SQ head wraps")
    func phaseWrap() throws {
        let t = try NVMeBench.ready()
        for _ in 0..<40 { #expect(try t.io(.flush).status == .success) }
        let q = try #require(t.ioQueues[1])
        #expect(q.cqHead == 40 % 16)
    }

    @Test("Reset in the middle of I/O: stalled commands are dropped, nothing is posted after, the controller comes back")
    func resetMidIO() throws {
        let t = try NVMeBench.ready()
        let cq = try HostQueuePair(access: t.access, id: 2, entries: 2)
        try t.adminCommand(.createIOCQ, cdw10: 1 << 16 | 2, cdw11: 2 << 16 | 3, prp1: cq.cq.deviceAddress.value)
        try t.adminCommand(.createIOSQ, cdw10: 15 << 16 | 2, cdw11: 2 << 16 | 1, prp1: cq.sq.deviceAddress.value)
        let buffer = try t.access.allocateDMA(4096)
        for i in 0..<4 {
            var e = SubmissionEntry()
            e.setHeader(opcode: NVMOpcode.write.rawValue, commandID: UInt16(i))
            e[dword: 1] = 1
            e[dword: 10] = UInt32(i)
            e.setPRPs(buffer.deviceAddress.value, 0)
            cq.post(e)
        }
        t.write32(0x1010, 4)
        #expect(cq.reap().count == 1)
        t.disable()
        let snapshot = Array(cq.cq.host)
        t.write32(0x1014, 1)
        #expect(Array(cq.cq.host) == snapshot)
        #expect(t.controller.allocatedBlocks == 1, "only the completed write reached the namespace")
        try t.enable()
        try t.createIOQueuePair(1)
        #expect(try t.write(pattern(512, seed: 9), at: 3) == .success)
        #expect(try t.read(at: 3, blocks: 1).1 == pattern(512, seed: 9))
    }

    @Test("An SQ whose memory disappears after creation makes the controller fatal, not a crash")
    func submissionQueueUnmapped() throws {
        let t = try NVMeBench.ready()
        let q = try #require(t.ioQueues[1])
        try t.function.dma.domain.unmap(q.sq.deviceAddress)
        t.write32(0x1008, 1)
        #expect(t.fatal)
        #expect(t.controller.counters.fatalErrors == 1)
    }

    @Test("The controller keeps each ring's translation across doorbells only while guest memory keeps the ring")
    func ringTranslationDroppedWithGuestMemory() throws {
        let t = try NVMeBench.ready()
        let q = try #require(t.ioQueues[1])
        let memory = t.bus.services.memory
        // Two doorbells: the second runs on the ring translations the first took.
        for lba: UInt64 in [1, 2] {
            #expect(try t.write(pattern(512, seed: UInt8(lba)), at: lba) == .success)
        }
        // A valid Flush sits in the SQ; the test keeps the region alive so that a controller still
        // using the old translation would find and run it.
        let region = try #require(memory.regions.first { $0.contains(q.sq.deviceAddress.value, length: 64) })
        var e = SubmissionEntry()
        e.setHeader(opcode: NVMOpcode.flush.rawValue, commandID: 300)
        e[dword: 1] = 1
        q.post(e)
        let faultsBefore = t.bus.services.faults.total
        #expect(memory.remove(region))
        t.write32(0x1008, UInt32(q.sqTail))
        #expect(q.reap().isEmpty, "the entry in the removed region was not run")
        #expect(t.fatal)
        #expect(t.bus.services.faults.total == faultsBefore + 1)
        let fault = try #require(t.bus.services.faults.faults.last)
        #expect(fault.reason == .outsideGuestMemory(region.base.advanced(by: UInt64(q.sqTail - 1) * 64), length: 64))
    }

    @Test("An SQ entry the IOMMU refuses is fatal at its turn: entries before it complete, one fault is recorded")
    func submissionEntryUnmappedMidQueue() throws {
        let t = try NVMeBench.ready()
        let q = try #require(t.ioQueues[1])
        // Only entries 0 and 1 of the queue stay mapped.
        let domain = t.function.dma.domain
        let region = GuestPhysicalAddress(q.sq.deviceAddress.value)
        try domain.unmap(q.sq.deviceAddress)
        try domain.map(q.sq.deviceAddress, size: 128, to: region, permissions: .readWrite)
        let faultsBefore = t.bus.services.faults.total
        for i in 0..<3 {
            var e = SubmissionEntry()
            e.setHeader(opcode: NVMOpcode.flush.rawValue, commandID: UInt16(200 + i))
            e[dword: 1] = 1
            q.post(e)
        }
        t.write32(0x1008, 3)
        let done = q.reap()
        #expect(done.map(\.commandID) == [200, 201])
        #expect(done.allSatisfy { $0.status == .success })
        #expect(t.fatal)
        #expect(t.controller.counters.fatalErrors == 1)
        #expect(t.bus.services.faults.total == faultsBefore + 1)
        #expect(t.bus.services.faults.faults.last?.address == IOVA(q.sq.deviceAddress.value + 128))
    }
}
