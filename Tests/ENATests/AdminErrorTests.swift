import ENA
import PCIe
import Testing

@Suite("ENA admin commands with bad input")
struct AdminErrorTests {
    /// Runs `fill` as an admin command, checks its status and a guest error, then that the device
    /// still answers a good command.
    private func expectStatus(
        _ b: ENABench, _ opcode: ENAAdminOpcode, _ status: ENAAdminStatus, _ fill: (inout ENAAdminEntry) -> Void
    ) throws {
        let errors = b.guestErrors.count
        let c = try b.admin(opcode, fill)
        #expect(c.status == status.rawValue)
        #expect(b.guestErrors.count == errors + 1)
        #expect(try b.getFeature(.mtu).status == 0)
    }

    private func createCQ(_ e: inout ENAAdminEntry, depth: UInt16 = 64, words: UInt8 = 4, vector: UInt32 = 1, base: UInt64) {
        e.store(UInt8(0x20), at: 4)
        e.store(words, at: 5)
        e.store(depth, at: 6)
        e.store(vector, at: 8)
        e.setAddress(base, at: 12)
    }

    @Test("unknown opcode -> UNSUPPORTED_OPCODE; unknown feature -> UNSUPPORTED_OPCODE; unmapped buffer -> MALFORMED")
    func unknownOpcode() throws {
        let b = try ENABench.ready()
        try expectStatus(b, .getFeature, .unsupportedOpcode) { $0.opcode = 42 }
        try expectStatus(b, .getFeature, .unsupportedOpcode) { $0.store(UInt8(5), at: 17) }
        try expectStatus(b, .getFeature, .malformedRequest) {
            $0.store(UInt8(10), at: 17)
            $0.store(UInt32(48), at: 4)
            $0.setAddress(0x7000_0000, at: 8)
            $0.submissionFlags = ENAAdminEntry.controlDataIndirectFlag
        }
        try expectStatus(b, .getStats, .illegalParameter) { $0.store(UInt8(9), at: 16) }
        try expectStatus(b, .getStats, .unsupportedOpcode) { $0.store(UInt8(3), at: 16) }
    }

    @Test("CREATE_CQ: depth not a power of two, bad entry size, vector out of range, unmapped ring")
    func badCompletionQueues() throws {
        let b = try ENABench.ready()
        let ring = try b.access.allocateDMA(64 * 16)
        let base = ring.deviceAddress.value
        try expectStatus(b, .createCQ, .illegalParameter) { createCQ(&$0, depth: 48, base: base) }
        try expectStatus(b, .createCQ, .illegalParameter) { createCQ(&$0, depth: 4096, base: base) }
        try expectStatus(b, .createCQ, .illegalParameter) { createCQ(&$0, words: 3, base: base) }
        try expectStatus(b, .createCQ, .illegalParameter) { createCQ(&$0, vector: 99, base: base) }
        try expectStatus(b, .createCQ, .malformedRequest) { createCQ(&$0, base: 0x7000_0000) }
        try expectStatus(b, .createCQ, .malformedRequest) { createCQ(&$0, depth: 1024, base: base) }
    }

    @Test("CREATE_SQ: qid out of range, missing CQ, bad direction, LLQ Rx, bad depth, unmapped ring, too many")
    func badSubmissionQueues() throws {
        let b = try ENABench.ready(ENAConfiguration(queuePairs: 1, allowances: .unlimited))
        let ring = try b.access.allocateDMA(64 * 16)
        func sq(
            _ e: inout ENAAdminEntry, direction: UInt8 = 1, placement: UInt8 = 1, cq: UInt16 = 0, depth: UInt16 = 64,
            base: UInt64? = nil
        ) {
            e.store(direction << 5, at: 4)
            e.store(placement, at: 6)
            e.store(cq, at: 8)
            e.store(depth, at: 10)
            e.setAddress(base ?? ring.deviceAddress.value, at: 12)
        }
        try expectStatus(b, .createSQ, .illegalParameter) { sq(&$0, cq: 500) }
        try expectStatus(b, .createSQ, .illegalParameter) { sq(&$0, cq: 0) }
        let tx = try IOQueuePair(b, transmit: true)
        let cq = try b.admin(.createCQ) { createCQ(&$0, base: ring.deviceAddress.value) }
        let free = cq.load(UInt16.self, at: 8)
        try expectStatus(b, .createSQ, .illegalParameter) { sq(&$0, direction: 3, cq: free) }
        try expectStatus(b, .createSQ, .illegalParameter) { sq(&$0, direction: 2, placement: 3, cq: free) }
        try expectStatus(b, .createSQ, .illegalParameter) { sq(&$0, placement: 2, cq: free) }
        try expectStatus(b, .createSQ, .illegalParameter) { sq(&$0, cq: free, depth: 100) }
        try expectStatus(b, .createSQ, .illegalParameter) { sq(&$0, cq: UInt16(tx.index)) }
        try expectStatus(b, .createSQ, .malformedRequest) { sq(&$0, direction: 2, cq: free, base: 0x7000_0000) }
        try expectStatus(b, .createSQ, .resourceAllocationFailure) { sq(&$0, direction: 1, cq: free) }
        try expectStatus(b, .createCQ, .resourceAllocationFailure) { createCQ(&$0, base: ring.deviceAddress.value) }
    }

    @Test("SET_FEATURE: MTU out of range, unsupported AENQ groups, CRC32, short or unmapped control buffers")
    func badSetFeatures() throws {
        let b = try ENABench.ready()
        try expectStatus(b, .setFeature, .illegalParameter) {
            $0.store(ENAFeatureID.mtu.rawValue, at: 17)
            $0.store(UInt32(9217), at: 20)
        }
        try expectStatus(b, .setFeature, .illegalParameter) {
            $0.store(ENAFeatureID.aenqConfig.rawValue, at: 17)
            $0.store(UInt32(0x2), at: 24)
        }
        let key = try b.access.allocateDMA(48)
        try expectStatus(b, .setFeature, .illegalParameter) {
            $0.store(ENAFeatureID.rssHashFunction.rawValue, at: 17)
            $0.store(UInt32(4), at: 24)
            $0.setControlBuffer(address: key.deviceAddress.value, length: 48)
        }
        try expectStatus(b, .setFeature, .malformedRequest) {
            $0.store(ENAFeatureID.rssHashFunction.rawValue, at: 17)
            $0.store(UInt32(2), at: 24)
            $0.setControlBuffer(address: key.deviceAddress.value, length: 16)
        }
        try expectStatus(b, .setFeature, .malformedRequest) {
            $0.store(ENAFeatureID.rssIndirectionTableConfig.rawValue, at: 17)
            $0.store(UInt16(7), at: 24)
            $0.store(UInt32.max, at: 28)
            $0.setControlBuffer(address: 0x7000_0000, length: 512)
        }
        try expectStatus(b, .setFeature, .illegalParameter) {
            $0.store(ENAFeatureID.rssIndirectionTableConfig.rawValue, at: 17)
            $0.store(UInt16(9), at: 24)
            $0.store(UInt32.max, at: 28)
        }
        try expectStatus(b, .setFeature, .malformedRequest) {
            $0.store(ENAFeatureID.hostAttributeConfig.rawValue, at: 17)
            $0.setAddress(0x7000_0000, at: 20)
        }
        // Customer metrics: no buffer is the support query (LinuxDriverTests); a buffer too short
        // for the six requested values, or one the IOMMU does not map, is malformed.
        try expectStatus(b, .getStats, .malformedRequest) {
            $0.store(UInt8(4), at: 16)
            $0.store(UInt64(0x3F), at: 24)
            $0.store(UInt32(8), at: 4)
            $0.setAddress(key.deviceAddress.value, at: 8)
        }
        try expectStatus(b, .getStats, .malformedRequest) {
            $0.store(UInt8(4), at: 16)
            $0.store(UInt64(0x3F), at: 24)
            $0.store(UInt32(48), at: 4)
            $0.setAddress(0x7000_0000, at: 8)
        }
    }

    @Test("AQ doorbell beyond the depth is ignored; a stale entry waits; the next doorbell serves it")
    func badAdminDoorbells() throws {
        let b = try ENABench.ready()
        b.write32(R.AQ_DB.offset, 100)
        #expect(b.device.counters.ignoredDoorbells == 1)
        var e = ENAAdminEntry()
        e.opcode = ENAAdminOpcode.getFeature.rawValue
        e.store(ENAFeatureID.mtu.rawValue, at: 17)
        #expect(try b.submit(e, ring: false) == nil)
        b.write32(R.AQ_DB.offset, 3)
        #expect(b.device.counters.staleDescriptors == 1)
        b.write32(R.AQ_DB.offset, 2)
        #expect(b.reapAdmin()?.status == 0)
    }

    @Test("an admin completion queue the device cannot write sets FATAL_ERROR; reset clears it")
    func fatalAdminQueue() throws {
        let b = try ENABench.ready()
        b.write32(R.ACQ_BASE_LO.offset, 0x7000_0000)
        b.write32(R.ACQ_BASE_HI.offset, 0)
        var e = ENAAdminEntry()
        e.opcode = ENAAdminOpcode.getFeature.rawValue
        e.store(ENAFeatureID.mtu.rawValue, at: 17)
        _ = try b.submit(e)
        #expect(b.status & 0x20 != 0)
        #expect(b.device.isFatal)
        b.reset(reason: ENAResetReason.adminTimeout.rawValue)
        #expect(b.status == 0x11)
        try b.setUpAdmin()
        #expect(try b.getFeature(.mtu).status == 0)
    }
}
