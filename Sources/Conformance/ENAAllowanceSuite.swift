import Drivers
import ENA
import Network
import PCIe

/// The Nitro allowances the rig says the device enforces: traffic above the packets-per-second
/// or bandwidth allowance is queued then dropped and counted in the ENI statistics
/// (`ena_admin_eni_stats`), which GET_STATS CUSTOMER_METRICS reports too.
enum ENAAllowanceSuite {
    static let name = ENAConformance.Suite.allowances.rawValue
    static let frameLength = 60

    static func run(_ f: ENAFixture) -> [CheckResult] {
        [
            f.check(name, "EC2 allowances: the burst passes at once, every frame above it is counted in ENI *_exceeded") {
                burst(f, &$0)
            },
            f.check(name, "EC2 allowances: shaped frames leave later in virtual time; beyond the queue they are tx_drops") {
                queued(f, &$0)
            },
            f.check(name, "ena_admin GET_STATS: ENI statistics and CUSTOMER_METRICS report the same counters") {
                metricsAgree(f, &$0)
            },
            f.check(name, "EC2 allowances: with unlimited allowances 2000 back-to-back frames pass and nothing is counted") {
                unlimited(f, &$0)
            },
        ]
    }

    /// Frames that pass back to back before an allowance applies.
    static func burstFrames(_ a: NitroAllowances) -> Int {
        var n = Int.max
        if a.packetsPerSecond > 0 { n = min(n, Int(a.packetBurst)) }
        if a.outboundBitsPerSecond > 0 { n = min(n, Int(a.bandwidthBurstBytes) / frameLength) }
        return n
    }

    /// Lets a second of virtual time pass so every bucket is full again (earlier checks spent it).
    static func refill(_ f: ENAFixture, _ driver: ENAConformanceDriver) {
        f.clock.advance(by: .seconds(1))
        driver.processEvents()
    }

    /// Transmits `count` frames back to back (no virtual time passes) on a started driver.
    static func blast(_ f: ENAFixture, _ driver: ENAConformanceDriver, count: Int) -> Int {
        guard let mac = driver.macAddress else { return 0 }
        let frame = ENAFixture.frame(0, from: mac, to: MACAddressFor.peer, length: frameLength)
        var sent = 0
        while sent < count {
            let queued = f.transmit([[UInt8]](repeating: frame, count: min(32, count - sent)), on: driver)
            guard queued > 0 else { break }
            sent += queued
        }
        return sent
    }

    private static func burst(_ f: ENAFixture, _ r: inout CheckRecorder) -> Bool {
        guard let a = f.rig.allowances, !a.isUnlimited, burstFrames(a) < 20_000 else { return false }
        guard let driver = f.startDriver(&r), let before = try? driver.eniStatistics() else {
            r.expect(false, "GET_STATS ENI failed")
            return true
        }
        refill(f, driver)
        let extra = 100
        let passed = burstFrames(a)
        let left = f.tapped { () -> Int in
            _ = blast(f, driver, count: passed + extra)
            return f.recorder.count
        }
        r.expect(left == passed, "\(left) frames left the port at once, the burst is \(passed)")
        guard let after = try? driver.eniStatistics() else {
            r.expect(false, "GET_STATS ENI failed")
            return true
        }
        let pps = after.ppsAllowanceExceeded &- before.ppsAllowanceExceeded
        let bandwidth = after.bwOutAllowanceExceeded &- before.bwOutAllowanceExceeded
        r.expect(
            pps + bandwidth == UInt64(extra), "pps \(pps) + bw_out \(bandwidth) exceeded for \(extra) frames above the burst")
        return true
    }

    private static func queued(_ f: ENAFixture, _ r: inout CheckRecorder) -> Bool {
        guard let a = f.rig.allowances, !a.isUnlimited, burstFrames(a) < 20_000 else { return false }
        guard let driver = f.startDriver(&r), let before = try? driver.basicStatistics() else { return true }
        refill(f, driver)
        let extra = a.queueCapacity + 20
        let passed = burstFrames(a)
        let left = f.tapped { () -> Int in
            _ = blast(f, driver, count: passed + extra)
            f.clock.advance(by: .seconds(1))
            return f.recorder.count
        }
        r.expect(left == passed + a.queueCapacity, "\(left) frames left in a second; burst \(passed) + \(a.queueCapacity) queued")
        let after = try? driver.basicStatistics()
        let drops = (after?.txDrops ?? 0) &- before.txDrops
        r.expect(drops == 20, "\(drops) tx_drops for 20 frames beyond the allowance queue")
        return true
    }

    private static func metricsAgree(_ f: ENAFixture, _ r: inout CheckRecorder) -> Bool {
        guard let driver = f.startDriver(&r), let a = driver.attributes, a.has(.customerMetrics) else { return false }
        do {
            let eni = try driver.eniStatistics()
            let metrics = try driver.customerMetrics(ENACustomerMetric.allCases)
            r.expect(metrics[.bwInAllowanceExceeded] == eni.bwInAllowanceExceeded, "bw_in: \(metrics) vs \(eni)")
            r.expect(metrics[.bwOutAllowanceExceeded] == eni.bwOutAllowanceExceeded, "bw_out: \(metrics) vs \(eni)")
            r.expect(metrics[.ppsAllowanceExceeded] == eni.ppsAllowanceExceeded, "pps: \(metrics) vs \(eni)")
            r.expect(metrics[.conntrackAllowanceAvailable] != nil, "CONNTRACK_ALLOWANCE_AVAILABLE not reported")
        } catch {
            r.expect(false, "\(error)")
        }
        return true
    }

    private static func unlimited(_ f: ENAFixture, _ r: inout CheckRecorder) -> Bool {
        guard let a = f.rig.allowances, a.isUnlimited else { return false }
        guard let driver = f.startDriver(&r), let before = try? driver.eniStatistics() else { return true }
        let left = f.tapped { () -> Int in
            _ = blast(f, driver, count: 2000)
            return f.recorder.count
        }
        r.expect(left == 2000, "\(left) of 2000 frames left the port")
        r.expect((try? driver.eniStatistics()) == before, "ENI counters moved with unlimited allowances")
        return true
    }
}
