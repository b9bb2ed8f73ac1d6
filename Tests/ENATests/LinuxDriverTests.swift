import ENA
import PCIe
import Testing

/// Commands exactly as the Linux ena driver (ena_com.c, 6.12) builds them, each one a difference
/// the real driver found between the model and an ENA.
@Suite("ENA admin commands as the Linux driver sends them")
struct LinuxDriverTests {
    /// A command whose control buffer is given the way ena_com does it: the address and length
    /// fields with only `ctrl_data_indirect` (flags bit 2) set.
    private func indirect(_ e: inout ENAAdminEntry, _ buffer: DMABuffer, length: UInt32) {
        e.store(length, at: 4)
        e.setAddress(buffer.deviceAddress.value, at: 8)
        e.submissionFlags = ENAAdminEntry.controlDataIndirectFlag
    }

    @Test("control buffers flagged only ctrl_data_indirect are read as flat buffers (RSS hash function, input, table)")
    func indirectFlagMeansControlBuffer() throws {
        let b = try ENABench.ready()
        let rx = try IOQueuePair(b, transmit: false)
        let errors = b.guestErrors.count
        // ena_com_fill_hash_function: GET_FEATURE with the key buffer, then SET_FEATURE with it.
        let key = try b.access.allocateDMA(48)
        let get = try b.getFeature(.rssHashFunction) { indirect(&$0, key, length: 48) }
        #expect(get.status == ENAAdminStatus.success.rawValue)
        #expect(get.load(UInt32.self, at: 8) & 2 != 0)
        #expect(key.host.load(as: UInt32.self) == 10)
        for i in 0..<40 { key.host.storeBytes(of: UInt8(0x40 + i), toByteOffset: 8 + i, as: UInt8.self) }
        let set = try b.setFeature(.rssHashFunction) {
            $0.store(UInt32(2), at: 24)
            $0.store(UInt32.max, at: 28)
            indirect(&$0, key, length: 48)
        }
        #expect(set.status == ENAAdminStatus.success.rawValue)
        let readBack = try b.access.allocateDMA(48)
        _ = try b.getFeature(.rssHashFunction) { indirect(&$0, readBack, length: 48) }
        #expect(Array(readBack.host[8..<48]) == (0..<40).map { UInt8(0x40 + $0) })
        // ena_com_set_default_hash_ctrl: GET then SET of RSS_HASH_INPUT through the 256-byte control.
        let control = try b.access.allocateDMA(256)
        #expect(try b.getFeature(.rssHashInput) { indirect(&$0, control, length: 256) }.status == 0)
        #expect(control.host.load(as: UInt16.self) == 0x3F)
        #expect(
            try b.setFeature(.rssHashInput) {
                $0.store(UInt16(6), at: 22)
                indirect(&$0, control, length: 256)
            }.status == 0)
        // ena_com_indirect_table_set: 2^7 entries.
        let table = try b.access.allocateDMA(4 * 128)
        for i in 0..<128 { table.host.storeBytes(of: UInt16(rx.index), toByteOffset: 4 * i, as: UInt16.self) }
        let ind = try b.setFeature(.rssIndirectionTableConfig) {
            $0.store(UInt16(7), at: 24)
            $0.store(UInt32.max, at: 28)
            indirect(&$0, table, length: 512)
        }
        #expect(ind.status == ENAAdminStatus.success.rawValue)
        #expect(b.guestErrors.count == errors)
    }

    @Test("GET_STATS CUSTOMER_METRICS with no control buffer is the support query: the supported bitmap, no DMA")
    func customerMetricsSupportQuery() throws {
        let b = try ENABench.ready()
        let errors = b.guestErrors.count
        // ena_com_set_supported_customer_metrics: flags 0, no buffer, requested = SUPPORT_MASK.
        let query = try b.admin(.getStats) {
            $0.store(ENAStatisticsType.customerMetrics.rawValue, at: 16)
            $0.store(UInt64(0x3F), at: 24)
        }
        #expect(query.status == ENAAdminStatus.success.rawValue)
        #expect(query.load(UInt64.self, at: 8) == 0x3F)
        #expect(b.guestErrors.count == errors)
    }

    @Test("GET_STATS CUSTOMER_METRICS takes its buffer from the length field: ena_get_dev_stats clears the flags")
    func customerMetricsBufferWithoutFlags() throws {
        let b = try ENABench.ready()
        let buffer = try b.access.allocateDMA(512)
        for i in 0..<512 { buffer.host[i] = 0xEE }
        let metrics = try b.admin(.getStats) {
            $0.store(ENAStatisticsType.customerMetrics.rawValue, at: 16)
            $0.store(UInt64(0x3F), at: 24)
            $0.store(UInt32(512), at: 4)
            $0.setAddress(buffer.deviceAddress.value, at: 8)
        }
        #expect(metrics.status == ENAAdminStatus.success.rawValue)
        #expect(metrics.load(UInt64.self, at: 8) == 0x3F)
        // Five exceeded counters (0 so far), then conntrack_allowance_available.
        for slot in 0..<5 { #expect(buffer.host.load(fromByteOffset: 8 * slot, as: UInt64.self) == 0) }
        #expect(buffer.host.load(fromByteOffset: 40, as: UInt64.self) == ENAConfiguration().conntrackAllowanceAvailable)
    }
}
