import ENA
import PCIe

extension ENADriver {
    /// GET_STATS (`ena_admin_aq_get_stats_cmd`): statistics type at byte 16.
    private func getStatistics(_ type: ENAStatisticsType, _ fill: (inout ENAAdminEntry) -> Void = { _ in })
        throws(ENADriverError) -> ENAAdminEntry
    {
        try admin(.getStats) {
            $0.store(type.rawValue, at: 16)
            fill(&$0)
        }
    }

    /// GET_STATS BASIC: the device's packet, byte and drop counters.
    public func basicStatistics() throws(ENADriverError) -> ENABasicStatistics {
        let r = try getStatistics(.basic)
        var s = ENABasicStatistics()
        s.txBytes = r.load(UInt64.self, at: 8)
        s.txPackets = r.load(UInt64.self, at: 16)
        s.rxBytes = r.load(UInt64.self, at: 24)
        s.rxPackets = r.load(UInt64.self, at: 32)
        s.rxDrops = r.load(UInt64.self, at: 40)
        s.txDrops = r.load(UInt64.self, at: 48)
        s.rxOverruns = r.load(UInt64.self, at: 56)
        return s
    }

    /// GET_STATS ENI: how many packets the Nitro allowances shaped. Needs the ENI_STATS capability.
    public func eniStatistics() throws(ENADriverError) -> ENAENIStatistics {
        guard attributes?.has(.eniStatistics) == true else { throw .featureMissing("the ENI_STATS capability") }
        let r = try getStatistics(.eni)
        var s = ENAENIStatistics()
        s.bwInAllowanceExceeded = r.load(UInt64.self, at: 8)
        s.bwOutAllowanceExceeded = r.load(UInt64.self, at: 16)
        s.ppsAllowanceExceeded = r.load(UInt64.self, at: 24)
        s.conntrackAllowanceExceeded = r.load(UInt64.self, at: 32)
        s.linklocalAllowanceExceeded = r.load(UInt64.self, at: 40)
        return s
    }

    /// GET_STATS CUSTOMER_METRICS for `metrics`: one u64 per metric the device reported (in id
    /// order, into the control buffer), by metric. Needs the CUSTOMER_METRICS capability.
    public func customerMetrics(_ metrics: [ENACustomerMetric]) throws(ENADriverError) -> [ENACustomerMetric: UInt64] {
        guard attributes?.has(.customerMetrics) == true else { throw .featureMissing("the CUSTOMER_METRICS capability") }
        let requested = metrics.reduce(UInt64(0)) { $0 | 1 << UInt64($1.rawValue) }
        let buffer = try zeroedControlBuffer(8 * 64)
        let address = buffer.deviceAddress.value
        let r = try getStatistics(.customerMetrics) {
            $0.store(requested, at: 24)
            $0.setControlBuffer(address: address, length: 8 * 64)
        }
        let reported = r.load(UInt64.self, at: 8) & requested
        var values: [ENACustomerMetric: UInt64] = [:]
        var slot = 0
        for metric in ENACustomerMetric.allCases where reported & (1 << UInt64(metric.rawValue)) != 0 {
            values[metric] = UInt64(littleEndian: buffer.host.load(fromByteOffset: 8 * slot, as: UInt64.self))
            slot += 1
        }
        return values
    }
}
