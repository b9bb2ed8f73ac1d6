import PCIe

extension ENADevice {
    /// Customer metrics the device reports (`ENA_ADMIN_CUSTOMER_METRICS_SUPPORT_MASK`).
    static let supportedCustomerMetrics: UInt64 = 0x3F

    /// GET_STATS (`ena_admin_aq_get_stats_cmd`): type at byte 16, requested metrics at 24.
    /// BASIC and ENI reply inline from byte 8; CUSTOMER_METRICS writes one u64 per requested
    /// supported metric (in id order) to the control buffer and replies with the bitmap it wrote,
    /// or, with a zero-length control buffer, only replies with the bitmap it supports.
    func getStatistics(_ c: ENAAdminEntry, _ r: inout ENAAdminEntry) -> ENAAdminStatus {
        guard let type = ENAStatisticsType(rawValue: c.load(UInt8.self, at: 16)) else {
            return reject(.illegalParameter, c, "statistics type \(c.load(UInt8.self, at: 16))")
        }
        switch type {
        case .basic:
            let values = [
                counters.txBytes, counters.txPackets, counters.rxBytes, counters.rxPackets, counters.rxDrops,
                counters.txDrops, counters.rxOverruns,
            ]
            for (i, v) in values.enumerated() { r.store(v, at: 8 + 8 * i) }
        case .eni:
            for (i, v) in eniValues.prefix(5).enumerated() { r.store(v, at: 8 + 8 * i) }
        case .customerMetrics:
            let requested = c.load(UInt64.self, at: 24) & Self.supportedCustomerMetrics
            // Linux's ena_get_dev_stats clears the descriptor flags, so GET_STATS takes its control
            // buffer from `control_buffer.length` alone. Length 0 is the support query
            // (ena_com_set_supported_customer_metrics): only the bitmap comes back.
            guard c.controlBufferLength != 0 else {
                r.store(requested, at: 8)
                return .success
            }
            let count = requested.nonzeroBitCount
            var status = ENAAdminStatus.success
            guard let buffer = controlBuffer(c, bytes: 8 * count, access: .write, flagRequired: false, &status) else {
                return status
            }
            var slot = 0
            for (id, value) in eniValues.enumerated() where requested & (1 << UInt64(id)) != 0 {
                buffer.storeBytes(of: value.littleEndian, toByteOffset: 8 * slot, as: UInt64.self)
                slot += 1
            }
            r.store(requested, at: 8)
        case .extended, .enaSRD:
            return reject(.unsupportedOpcode, c, "statistics type \(type) is not supported")
        }
        return .success
    }

    /// The ENI counters in `ena_admin_customer_metrics_id` order, then CONNTRACK_ALLOWANCE_AVAILABLE.
    private var eniValues: [UInt64] {
        let a = allowanceCounters
        return [
            a.bwInAllowanceExceeded, a.bwOutAllowanceExceeded, a.ppsAllowanceExceeded, a.conntrackAllowanceExceeded,
            a.linklocalAllowanceExceeded, configuration.conntrackAllowanceAvailable,
        ]
    }
}
