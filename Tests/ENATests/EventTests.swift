import ENA
import PCIe
import Testing

@Suite("ENA asynchronous event queue")
struct EventTests {
    @Test("enabling LINK_CHANGE reports the link; link changes are events with phase and vector 0")
    func linkChange() throws {
        let b = try ENABench.ready()
        var events = b.reapEvents()
        #expect(events.count == 1)
        #expect(events.first?.load(UInt16.self, at: 0) == ENAEventGroup.linkChange.rawValue)
        #expect(events.first?.load(UInt32.self, at: 16) == 1)
        let before = b.interrupts(0)
        b.device.setLink(up: false)
        events = b.reapEvents()
        #expect(events.first?.load(UInt32.self, at: 16) == 0)
        #expect(b.interrupts(0) == before + 1)
    }

    @Test("keep-alive every second of virtual time carries the drop counters; stops when the device hangs")
    func keepAlive() throws {
        let b = try ENABench.ready()
        _ = b.reapEvents()
        b.wire.transmitToPort(UnsafeRawBufferPointer(start: nil, count: 0))
        b.clock.advance(by: .milliseconds(2500))
        let events = b.reapEvents()
        #expect(events.count == 2)
        #expect(events.allSatisfy { $0.load(UInt16.self, at: 0) == ENAEventGroup.keepAlive.rawValue })
        #expect(events.last?.load(UInt64.self, at: 16) == 1)
        #expect(events.last?.load(UInt32.self, at: 8) == 2000)
        b.acknowledgeEvents()
        b.device.keepAliveEnabled = false
        b.clock.advance(by: .seconds(7))
        #expect(b.reapEvents().isEmpty)
    }

    @Test("hints notification and device-requested reset")
    func notifications() throws {
        let b = try ENABench.ready()
        _ = b.reapEvents()
        var hints = ENAHardwareHints.default
        hints.driverWatchdogTimeout = 9000
        b.device.updateHints(hints)
        b.device.requestReset()
        let events = b.reapEvents()
        #expect(events.count == 2)
        #expect(events[0].load(UInt16.self, at: 0) == ENAEventGroup.notification.rawValue)
        #expect(events[0].load(UInt16.self, at: 2) == 2)
        #expect(events[0].load(UInt16.self, at: 18) == 9000)
        #expect(events[1].load(UInt16.self, at: 0) == ENAEventGroup.deviceRequestReset.rawValue)
        #expect(try b.getFeature(.hardwareHints).load(UInt16.self, at: 10) == 9000)
    }

    @Test("a full AENQ keeps events until the head doorbell gives room; the phase flips on wrap")
    func backlogAndWrap() throws {
        let b = try ENABench.ready()
        for _ in 0..<20 { b.device.requestReset() }
        #expect(b.reapEvents().count == 16)
        b.acknowledgeEvents()
        #expect(b.reapEvents().count == 5)
        #expect(b.device.counters.eventsDropped == 0)
    }

    @Test("AENQ head doorbell beyond tail + depth is recorded and ignored; events keep flowing")
    func headBeyondTail() throws {
        let b = try ENABench.ready()
        _ = b.reapEvents()
        b.write32(R.AENQ_HEAD_DB.offset, 200)
        #expect(b.recorded("AENQ_HEAD_DB 200 is beyond tail"))
        b.acknowledgeEvents()
        b.device.requestReset()
        #expect(b.reapEvents().count == 1)
    }
}
