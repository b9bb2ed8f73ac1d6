import ENA
import Network
import PCIe
import Testing

@testable import Drivers

@Suite("ENA driver watchdog and reset-and-recover")
struct ENADriverRecoveryTests {
    @Test("keep-alives every second keep the watchdog quiet for a minute of virtual time")
    func healthyDevice() throws {
        let b = try ENADriverBench()
        #expect(try b.runTimer(seconds: 60).isEmpty)
        #expect(b.driver.counters.keepAlives >= 59)
        #expect(b.device.counters.resets == 1)
    }

    @Test("a device that stops sending keep-alives is reset with KEEP_ALIVE_TO after 6 s, then works again")
    func missingKeepAlive() throws {
        let b = try ENADriverBench()
        #expect(b.roundTrip(16))
        #expect(try b.runTimer(seconds: 3).isEmpty, "no reset while keep-alives come")
        b.device.keepAliveEnabled = false
        let resets = try b.runTimer(seconds: 10)
        #expect(resets == [.keepAliveTimeout])
        #expect(b.device.lastResetReason == ENAResetReason.keepAliveTimeout.rawValue)
        #expect(b.driver.counters.missedKeepAlives == 1)
        #expect(b.driver.counters.recoveries == 1)
        #expect(b.driver.lastRecoveryReason == .keepAliveTimeout)
        #expect(b.driver.isRunning)
        b.device.keepAliveEnabled = true
        #expect(b.roundTrip(16))
        #expect(try b.runTimer(seconds: 10).isEmpty)
    }

    @Test("the watchdog timeout follows HW_HINTS, also when a NOTIFICATION event updates them")
    func hintsUpdateWatchdog() throws {
        let b = try ENADriverBench()
        var hints = ENAHardwareHints.default
        hints.driverWatchdogTimeout = 2500
        b.device.updateHints(hints)
        b.driver.processEvents()
        #expect(b.driver.keepAliveTimeout == .milliseconds(2500))
        #expect(b.driver.counters.notifications == 1)
        b.device.keepAliveEnabled = false
        let resets = try b.runTimer(seconds: 3)
        #expect(resets == [.keepAliveTimeout])
    }

    @Test("a device-requested reset is done with reason DEVICE_REQUEST at the next timer tick")
    func deviceRequest() throws {
        let b = try ENADriverBench(driver: .init(placement: .lowLatency))
        #expect(b.roundTrip(8))
        b.device.requestReset()
        #expect(try b.driver.serviceTimer() == .deviceRequest)
        #expect(b.device.lastResetReason == ENAResetReason.deviceRequest.rawValue)
        #expect(b.driver.counters.resetRequests == 1)
        #expect(b.driver.lowLatency != nil)
        #expect(b.roundTrip(8))
    }

    @Test("DEV_STS.FATAL_ERROR is detected by the timer service and the device recovered")
    func fatalError() throws {
        let b = try ENADriverBench()
        b.device.raiseFatalError("test")
        #expect(throws: ENADriverError.self) { try b.driver.basicStatistics() }
        #expect(try b.driver.serviceTimer() == .generic)
        #expect(!b.device.isFatal)
        #expect(b.roundTrip(8))
    }

    @Test("a reset in the middle of traffic: buffers in flight come back to the pool")
    func resetMidTraffic() throws {
        let b = try ENADriverBench(loop: false)
        let pool = try #require(b.driver.pool)
        let before = pool.available
        b.device.raiseFatalError("stalled in the middle of traffic")
        #expect(b.send((0..<20).map { b.frame($0) }) == 20)
        #expect(b.driver.transmitInFlight(queue: 0) == 20)
        #expect(pool.available == before - 20)
        try b.driver.resetAndRecover(reason: .userTrigger)
        #expect(b.driver.transmitInFlight(queue: 0) == 0)
        #expect(pool.available == before)
        #expect(b.device.lastResetReason == ENAResetReason.userTrigger.rawValue)
    }

    @Test("a reason above 15 goes to DEV_CTL 27:24 with EXTENDED_RESET_REASONS")
    func extendedReason() throws {
        let b = try ENADriverBench()
        try b.driver.resetAndRecover(reason: .missingFirstInterrupt)
        #expect(b.device.lastResetReason == ENAResetReason.missingFirstInterrupt.rawValue)
    }

    @Test("the timer service on the clock resets a hung device by itself")
    func timerOnClock() throws {
        let b = try ENADriverBench()
        b.driver.startTimerService()
        b.device.keepAliveEnabled = false
        b.clock.advance(by: .seconds(10))
        #expect(b.driver.lastRecoveryReason == .keepAliveTimeout)
        b.driver.stopTimerService()
    }
}
