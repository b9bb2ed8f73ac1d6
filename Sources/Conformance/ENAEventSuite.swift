import Drivers
import ENA
import PCIe

/// Asynchronous events (`ena_admin_aenq_entry`): the link state when the group is enabled,
/// keep-alives on time, device-requested resets, groups the device does not offer, and a head
/// doorbell that goes too far.
enum ENAEventSuite {
    static let name = ENAConformance.Suite.events.rawValue

    static func run(_ f: ENAFixture) -> [CheckResult] {
        [
            f.always(name, "ena_admin_aenq LINK_CHANGE: enabling the group reports the link up") { linkOnEnable(f, &$0) },
            f.always(name, "ena_admin_aenq KEEP_ALIVE: one event per second of virtual time with the drop counters") {
                keepAlive(f, &$0)
            },
            f.check(name, "ena_admin_aenq LINK_CHANGE: link down and up are reported in order") { linkChanges(f, &$0) },
            f.check(name, "ena_admin_aenq DEVICE_REQUEST_RESET: the driver resets with reason DEVICE_REQUEST and recovers") {
                deviceRequest(f, &$0)
            },
            f.always(name, "ena_admin AENQ_CONFIG: enabling a group the device does not support -> ILLEGAL_PARAMETER") {
                unsupportedGroup(f, &$0)
            },
            f.always(name, "ena_regs AENQ_HEAD_DB beyond tail + depth is ignored; events go on") { headTooFar(f, &$0) },
        ]
    }

    private static func linkOnEnable(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r) else { return }
        r.expect(driver.enabledEventGroups & ENAEventGroup.linkChange.bit != 0, "LINK_CHANGE is not enabled")
        r.expect(driver.counters.linkChanges >= 1, "no LINK_CHANGE event after enabling the group")
        r.expect(driver.linkUp, "the link is reported down")
    }

    private static func keepAlive(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r) else { return }
        let interval = f.rig.keepAliveInterval
        let before = driver.counters.keepAlives
        for _ in 0..<5 {
            f.clock.advance(by: interval)
            driver.processEvents()
        }
        let got = driver.counters.keepAlives &- before
        r.expect(got == 5, "\(got) keep-alives in 5 intervals of \(interval)")
        r.expect(driver.lastKeepAlive == f.clock.now, "the last keep-alive is not from the last interval")
        do {
            let basic = try driver.basicStatistics()
            r.expect(
                driver.keepAliveDrops.rx == basic.rxDrops,
                "keep-alive rx_drops \(driver.keepAliveDrops.rx), BASIC \(basic.rxDrops)")
        } catch {
            r.expect(false, "GET_STATS BASIC: \(error)")
        }
    }

    private static func linkChanges(_ f: ENAFixture, _ r: inout CheckRecorder) -> Bool {
        guard let setLink = f.rig.setLink else { return false }
        guard let driver = f.startDriver(&r) else { return true }
        let before = driver.counters.linkChanges
        setLink(false)
        driver.processEvents()
        r.expect(!driver.linkUp, "link still up after the link went down")
        setLink(true)
        driver.processEvents()
        r.expect(driver.linkUp, "link still down after the link came up")
        r.expect(
            driver.counters.linkChanges &- before == 2,
            "\(driver.counters.linkChanges &- before) LINK_CHANGE events for 2 changes")
        return true
    }

    private static func deviceRequest(_ f: ENAFixture, _ r: inout CheckRecorder) -> Bool {
        guard let requestReset = f.rig.requestReset else { return false }
        guard let driver = f.startDriver(&r) else { return true }
        requestReset()
        do {
            let reason = try driver.serviceTimer()
            r.expect(reason == .deviceRequest, "the timer service did \(reason.map { "\($0)" } ?? "no reset")")
            r.expect(driver.isRunning, "the driver did not recover")
        } catch {
            r.expect(false, "reset-and-recover failed: \(error)")
        }
        return true
    }

    private static func unsupportedGroup(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r) else { return }
        let get = ENAFixture.command(ENAAdminOpcode.getFeature.rawValue) { $0.store(ENAFeatureID.aenqConfig.rawValue, at: 17) }
        guard let supported = f.complete(get, on: driver, "GET_FEATURE AENQ_CONFIG", &r)?.load(UInt32.self, at: 8) else { return }
        let unsupported = ~supported & 0xFF
        guard unsupported != 0 else { return }
        let set = ENAFixture.command(ENAAdminOpcode.setFeature.rawValue) {
            $0.store(ENAFeatureID.aenqConfig.rawValue, at: 17)
            $0.store(supported | unsupported, at: 24)
        }
        f.expectStatus(set, on: driver, .illegalParameter, "AENQ_CONFIG groups \(hex(supported | unsupported))", &r)
    }

    private static func headTooFar(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r) else { return }
        driver.processEvents()
        let tail = f.read32(ER.AENQ_TAIL.offset)
        f.write32(ER.AENQ_HEAD_DB.offset, tail &+ 1000)
        let before = driver.counters.keepAlives
        f.clock.advance(by: .seconds(2))
        driver.processEvents()
        let got = driver.counters.keepAlives &- before
        r.expect(got == 2, "\(got) keep-alives in 2 s after a head doorbell 1000 past the tail")
        r.expect(!ER.DEV_STS.fatalError.isSet(in: f.status), "the bad head doorbell made the device fatal")
    }
}
