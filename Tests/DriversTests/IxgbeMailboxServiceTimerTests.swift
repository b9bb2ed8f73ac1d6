import Drivers
import PCIe
import Testing

/// The PF driver's background mailbox service (``IxgbePFDriver/startMailboxService(interval:)``)
/// runs one service round per interval from one timer action made once per driver.
@Suite("ixgbe PF: mailbox service timer")
struct IxgbeMailboxServiceTimerTests {
    @Test("one round per interval, none once stopped, the new interval after a restart")
    func oneRoundPerInterval() throws {
        let bench = try IxgbeBench(vfCount: 2, startVFs: false)
        let clock = bench.bus.services.clock
        bench.pf.stopMailboxService()
        // After a bus reset the PF reads all ones: every round is counted as unresponsive.
        bench.bus.reset()
        let start = bench.pf.unresponsiveServices
        bench.pf.startMailboxService(interval: .milliseconds(1))
        #expect(bench.pf.isMailboxServiceRunning)
        clock.advance(by: .microseconds(10_500))
        #expect(bench.pf.unresponsiveServices - start == 10)
        bench.pf.stopMailboxService()
        #expect(!bench.pf.isMailboxServiceRunning)
        clock.advance(by: .milliseconds(10))
        #expect(bench.pf.unresponsiveServices - start == 10)
        bench.pf.startMailboxService(interval: .milliseconds(2))
        clock.advance(by: .milliseconds(10))
        #expect(bench.pf.unresponsiveServices - start == 15)
        #expect(clock.pendingTimers == 1)
    }

    @Test("a driver dropped while its service runs is freed, and its pending timer does nothing")
    func droppedDriverIsFreed() throws {
        let bench = try IxgbeBench(vfCount: 2, startVFs: false)
        let clock = bench.bus.services.clock
        var driver: PFDriver? = try PFDriver(access: bench.bus.access(bench.pfAddress))
        driver?.startMailboxService(interval: .milliseconds(1))
        clock.advance(by: .milliseconds(3))
        weak let dropped = driver
        driver = nil
        #expect(dropped == nil)
        clock.advance(by: .milliseconds(5))
    }
}
