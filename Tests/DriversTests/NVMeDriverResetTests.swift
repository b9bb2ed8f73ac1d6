import NVMe
import PCIe
import Testing

@testable import Drivers

@Suite("NVMe driver reset and recovery")
struct NVMeDriverResetTests {
    @Test("reset mid-I/O: every command in flight comes back aborted, queues and AERs are re-created, I/O resumes")
    func resetMidIO() throws {
        let bench = try NVMeBench(NVMeBench.ebs(queuePairs: 2), driver: .init(ioQueueCount: 2, ioQueueDepth: 32))
        let d = bench.driver
        let b = try bench.buffer(24 * 4096)
        let kept = b.fill(seed: 1, count: 4096)
        try d.write(queue: 1, lba: 500, blocks: 8, from: b)
        var ids = Set<UInt16>()
        for i in 0..<16 { ids.insert(try d.submitWrite(queue: 0, lba: UInt64(i * 8), blocks: 8, from: b, offset: i * 4096)) }
        d.ringDoorbell(queue: 0)
        for i in 16..<24 { ids.insert(try d.submitRead(queue: 0, lba: UInt64(i * 8), blocks: 8, into: b, offset: i * 4096)) }
        let aers = d.outstandingAsyncEventRequests
        try d.reset()
        #expect(d.isRunning)
        #expect(d.resetCount == 1)
        #expect(d.ioQueueCount == 2)
        #expect(d.outstandingAsyncEventRequests == aers)
        let completions = UnsafeMutableBufferPointer<NVMeCompletion>.allocate(capacity: 32)
        defer { completions.deallocate() }
        let n = d.reap(queue: 0, into: completions)
        #expect(n == 24)
        #expect(Set(completions[0..<n].map(\.commandID)) == ids)
        #expect(completions[0..<n].allSatisfy { $0.status == NVMeCompletion.abortedByResetStatus })
        #expect(d.outstanding(queue: 0) == 0)
        #expect(d.reap(queue: 0, into: completions) == 0)
        // New I/O on both queues; data written before the reset is still there.
        let back = try bench.buffer(4096)
        try d.read(queue: 0, lba: 500, blocks: 8, into: back)
        #expect(back.bytes() == kept)
        try d.write(queue: 1, lba: 0, blocks: 8, from: back)
        #expect(try d.compare(queue: 0, lba: 0, blocks: 8, with: back))
    }

    @Test("a command to a deleted queue times out in virtual time; reset recovers the queue")
    func timeoutThenReset() throws {
        let bench = try NVMeBench(driver: .init(commandTimeout: .milliseconds(20), pollInterval: .microseconds(100)))
        let d = bench.driver
        let b = try bench.buffer(512)
        try d.deleteIOQueue(0)
        let before = bench.access.clock.now
        let error = nvmeError { try d.read(lba: 0, blocks: 1, into: b) }
        guard case .timeout(queue: 0, _) = error else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
        #expect(bench.access.clock.now.nanoseconds - before.nanoseconds >= 20_000_000)
        #expect(d.outstanding(queue: 0) == 1)  // abandoned until the reset
        try d.reset()
        #expect(d.outstanding(queue: 0) == 0)
        try d.read(lba: 0, blocks: 1, into: b)
    }

    @Test("controller fatal status fails waiting commands with CFS; reset recovers")
    func fatalStatusAndRecovery() throws {
        let bench = try NVMeBench()
        let d = bench.driver
        let bar = NVMe.registerBAR
        // Disable behind the driver's back and enable with an invalid IOSQES: CSTS.CFS.
        bench.access.write32(bar, 0x14, 0)
        while bench.access.read32(bar, 0x1C) & 1 != 0 { bench.access.sleep(.microseconds(100)) }
        bench.access.write32(bar, 0x14, UInt32(2) << 16 | UInt32(4) << 20 | 1)
        bench.access.sleep(.milliseconds(10))
        #expect(d.controllerStatus & 0b10 != 0, "CSTS \(d.controllerStatus)")
        let b = try bench.buffer(512)
        let error = nvmeError { try d.read(lba: 0, blocks: 1, into: b) }
        guard case .controllerFatal = error else {
            Issue.record("expected controllerFatal, got \(String(describing: error))")
            return
        }
        try d.reset()
        #expect(d.controllerStatus & 0b11 == 0b01)
        try d.read(lba: 0, blocks: 1, into: b)
    }

    @Test("NVM Subsystem Reset recovers the controller and keeps the data (or is refused without CAP.NSSRS)")
    func subsystemReset() throws {
        let bench = try NVMeBench()
        let d = bench.driver
        guard d.capabilities.subsystemResetSupported else {
            #expect(throws: NVMeDriverError.unsupported("NVM Subsystem Reset (CAP.NSSRS)")) { try d.subsystemReset() }
            return
        }
        let b = try bench.buffer(4096)
        let pattern = b.fill(seed: 3)
        try d.write(lba: 8, blocks: 8, from: b)
        try d.subsystemReset()
        #expect(d.isRunning)
        #expect(!d.subsystemResetOccurred)
        b.set(0)
        try d.read(lba: 8, blocks: 8, into: b)
        #expect(b.bytes() == pattern)
    }

    @Test("reset in interrupt mode re-arms the vectors: I/O after the reset completes by interrupt")
    func resetWithInterrupts() throws {
        let bench = try NVMeBench(NVMeBench.ebs(queuePairs: 2), driver: .init(ioQueueCount: 2, interrupts: true))
        let d = bench.driver
        try d.reset()
        try d.reset()
        let b = try bench.buffer(4096)
        let pattern = b.fill(seed: 4)
        for q in 0..<2 {
            try d.write(queue: q, lba: 0, blocks: 8, from: b)
            #expect(try d.compare(queue: q, lba: 0, blocks: 8, with: b))
        }
        b.set(0)
        try d.read(queue: 1, lba: 0, blocks: 8, into: b)
        #expect(b.bytes() == pattern)
    }
}

@Suite("NVMe driver PRP lists")
struct NVMeDriverPRPTests {
    /// A queue pair whose slots hold `listPages` list pages each, in memory of a bus without devices.
    func pair(listPages: Int) throws -> (NVMeQueuePair, PCIBus) {
        let bus = PCIBus()
        let access = bus.access(BDF(bus: 0, device: 9, function: 0))
        let q = try NVMeQueuePair(
            id: 1, entries: 4, pageSize: 4096, listPagesPerSlot: listPages, vector: 1, doorbellStride: 0, access: access)
        return (q, bus)
    }

    func entry(_ q: NVMeQueuePair, slot: Int, page: Int, index: Int) -> UInt64 {
        let at = (slot * q.listPagesPerSlot + page) * 4096 + index * 8
        return UInt64(littleEndian: q.lists.host.load(fromByteOffset: at, as: UInt64.self))
    }

    @Test("list pages per slot cover the worst-case offset: one up to 512 entries, 511 per chained page")
    func listPageCount() {
        #expect(NVMeQueuePair.listPages(forTransfer: 4096, pageSize: 4096) == 1)
        // 2 MiB at an offset spans 513 pages: PRP1 and 512 list entries, one full page.
        #expect(NVMeQueuePair.listPages(forTransfer: 2 << 20, pageSize: 4096) == 1)
        #expect(NVMeQueuePair.listPages(forTransfer: (2 << 20) + 4096, pageSize: 4096) == 2)
        // 4 MiB at an offset: 1024 entries = 511 + 511 + 2.
        #expect(NVMeQueuePair.listPages(forTransfer: 4 << 20, pageSize: 4096) == 3)
        #expect(NVMeQueuePair.listPages(forTransfer: (4 << 20) - 4096, pageSize: 4096) == 2)
    }

    @Test("PRP1 keeps the offset, PRP2 is the second page or the list, full list pages chain")
    func chainedLists() throws {
        let (q, bus) = try pair(listPages: 2)
        _ = bus
        let base: UInt64 = 0x10_0000_0000
        #expect(q.buildPRPs(slot: 0, address: base + 8, length: 4088)! == (base + 8, 0))
        #expect(q.buildPRPs(slot: 0, address: base + 8, length: 4089)! == (base + 8, base + 4096))
        #expect(q.buildPRPs(slot: 0, address: base, length: 8192)! == (base, base + 4096))
        let three = try #require(q.buildPRPs(slot: 1, address: base + 4092, length: 8192))
        #expect(three == (base + 4092, q.lists.address + 2 * 4096))
        #expect(entry(q, slot: 1, page: 0, index: 0) == base + 4096)
        #expect(entry(q, slot: 1, page: 0, index: 1) == base + 8192)
        // 600 pages after the first: 511 in the first list page, a chain pointer, 89 in the second.
        let big = try #require(q.buildPRPs(slot: 2, address: base, length: 601 * 4096))
        #expect(big.prp2 == q.lists.address + 4 * 4096)
        #expect(entry(q, slot: 2, page: 0, index: 510) == base + 511 * 4096)
        #expect(entry(q, slot: 2, page: 0, index: 511) == q.lists.address + 5 * 4096)
        #expect(entry(q, slot: 2, page: 1, index: 0) == base + 512 * 4096)
        #expect(entry(q, slot: 2, page: 1, index: 88) == base + 600 * 4096)
        // Exactly 512 entries fit one page without a chain; 1024 + 1 pages do not fit two.
        _ = try #require(q.buildPRPs(slot: 0, address: base, length: 513 * 4096))
        #expect(entry(q, slot: 0, page: 0, index: 511) == base + 512 * 4096)
        #expect(q.buildPRPs(slot: 0, address: base, length: 1025 * 4096) == nil)
    }
}
