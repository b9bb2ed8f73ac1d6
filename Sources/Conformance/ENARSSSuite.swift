import Drivers
import ENA
import Network
import PCIe

/// RSS (`ena_admin_feature_rss_ind_table`, RSS_IND_ENTRY_UPDATE): the indirection table steers
/// flows to the Rx queue it names; entries naming anything but an Rx queue's CQ are refused.
enum ENARSSSuite {
    static let name = ENAConformance.Suite.rss.rawValue

    static func run(_ f: ENAFixture) -> [CheckResult] {
        [
            f.check(name, "ena_admin RSS_INDIRECTION_TABLE_CONFIG: flows spread over the queues; one queue takes all") {
                steering(f, &$0)
            },
            f.always(name, "ena_admin RSS_INDIRECTION_TABLE_CONFIG: an entry naming a Tx CQ or no CQ -> ILLEGAL_PARAMETER") {
                badEntries(f, &$0)
            },
            f.check(name, "ena_regs RSS_IND_ENTRY_UPDATE: one entry moves flows to another Rx queue") {
                entryRegister(f, &$0)
            },
        ]
    }

    /// UDP flows (by source port) from the peer to `mac`, fewer than an EC2 allowance burst.
    static func flows(to mac: MACAddress) -> [[UInt8]] {
        (0..<flowCount).map { ENAFixture.frame($0, from: MACAddressFor.peer, to: mac) }
    }
    static let flowCount = 48

    private static func steering(_ f: ENAFixture, _ r: inout CheckRecorder) -> Bool {
        guard f.rig.wire != nil else { return false }
        guard let driver = f.startDriver(&r, pairs: 4), let mac = driver.macAddress else { return true }
        guard driver.queuePairCount == 4 else { return false }
        f.inject(flows(to: mac))
        let spread = (0..<4).map { f.receive(on: driver, queue: $0).count }
        r.expect(spread.reduce(0, +) == flowCount, "\(spread.reduce(0, +)) of \(flowCount) frames received (per queue \(spread))")
        r.expect(spread.filter { $0 > 0 }.count >= 3, "\(flowCount) flows landed on queues \(spread)")
        do {
            try driver.setIndirectionTable([Int](repeating: 2, count: 128))
        } catch {
            r.expect(false, "SET_FEATURE RSS_INDIRECTION_TABLE_CONFIG: \(error)")
            return true
        }
        f.refillAllowances()
        f.inject(flows(to: mac))
        let all = (0..<4).map { f.receive(on: driver, queue: $0).count }
        r.expect(all == [0, 0, flowCount, 0], "with every entry on queue 2, frames landed \(all)")
        return true
    }

    /// SET_FEATURE RSS_INDIRECTION_TABLE_CONFIG of `entries` CQ indices through a control buffer.
    static func table(_ entries: [UInt16], buffer: DMABuffer) -> ENAAdminEntry {
        for (i, cq) in entries.enumerated() { buffer.host.storeBytes(of: UInt32(cq), toByteOffset: 4 * i, as: UInt32.self) }
        return ENAFixture.command(ENAAdminOpcode.setFeature.rawValue) {
            $0.store(ENAFeatureID.rssIndirectionTableConfig.rawValue, at: 17)
            $0.store(UInt16(entries.count.trailingZeroBitCount), at: 24)
            $0.store(UInt32.max, at: 28)
            $0.setControlBuffer(address: buffer.deviceAddress.value, length: UInt32(4 * entries.count))
        }
    }

    private static func badEntries(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r), let buffer = f.buffer(4 * 128, &r),
            let indices = driver.queueIndices(pair: 0)
        else { return }
        let tx = UInt16(indices.tx)
        let rx = UInt16(indices.rx)
        f.expectStatus(table([UInt16](repeating: tx, count: 128), buffer: buffer), on: driver, .illegalParameter, "a Tx CQ", &r)
        f.expectStatus(table([UInt16](repeating: 40, count: 128), buffer: buffer), on: driver, .illegalParameter, "CQ 40", &r)
        f.expectStatus(table([UInt16](repeating: rx, count: 128), buffer: buffer), on: driver, .success, "the Rx CQ", &r)
    }

    private static func entryRegister(_ f: ENAFixture, _ r: inout CheckRecorder) -> Bool {
        guard f.rig.wire != nil else { return false }
        guard let driver = f.startDriver(&r, pairs: 2), let mac = driver.macAddress else { return true }
        guard driver.queuePairCount == 2, let second = driver.queueIndices(pair: 1) else { return false }
        do {
            try driver.setIndirectionTable([Int](repeating: 0, count: 128))
        } catch {
            r.expect(false, "SET_FEATURE RSS_INDIRECTION_TABLE_CONFIG: \(error)")
            return true
        }
        for entry in 0..<128 { f.write32(ER.RSS_IND_ENTRY_UPDATE.offset, UInt32(second.rx) << 16 | UInt32(entry)) }
        f.inject(flows(to: mac))
        let spread = (0..<2).map { f.receive(on: driver, queue: $0).count }
        r.expect(spread == [0, flowCount], "after RSS_IND_ENTRY_UPDATE of every entry to queue 1, frames landed \(spread)")
        return true
    }
}
