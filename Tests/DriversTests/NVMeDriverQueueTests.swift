import NVMe
import PCIe
import Testing

@testable import Drivers

/// A ``DeviceAccess`` that forwards to the bus, counts BAR writes per offset (to see what the
/// driver writes to doorbells) and can rewrite them on the way (to break the driver's setup).
final class CountingAccess: DeviceAccess {
    let inner: BusDeviceAccess
    var writes: [UInt64: Int] = [:]
    var rewrite: ((UInt64, UInt64) -> UInt64)?

    init(_ inner: BusDeviceAccess) { self.inner = inner }

    var bdf: BDF { inner.bdf }
    var clock: VirtualClock { inner.clock }
    func configRead(_ offset: ConfigOffset, width: AccessWidth) -> UInt32 { inner.configRead(offset, width: width) }
    func configWrite(_ offset: ConfigOffset, width: AccessWidth, value: UInt32) {
        inner.configWrite(offset, width: width, value: value)
    }
    func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 {
        inner.barRead(bar, offset: offset, width: width)
    }
    func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        writes[offset, default: 0] += 1
        inner.barWrite(bar, offset: offset, width: width, value: rewrite?(offset, value) ?? value)
    }
    func allocateDMA(_ size: Int) throws(DMAAllocationError) -> DMABuffer { try inner.allocateDMA(size) }
    func waitForInterrupt(vector: Int, timeout: VirtualDuration) -> Bool {
        inner.waitForInterrupt(vector: vector, timeout: timeout)
    }
}

@Suite("NVMe driver queues: doorbells, vectors, controller view")
struct NVMeDriverQueueTests {
    @Test("one SQ tail doorbell per batch and one CQ head doorbell per reap, at CAP.DSTRD offsets")
    func doorbellsPerBatch() throws {
        let bench = try NVMeBench(NVMeBench.ebs(queuePairs: 2), start: false)
        let access = CountingAccess(bench.access)
        let d = try NVMeDriver(access: access, configuration: .init(ioQueueCount: 2, ioQueueDepth: 64))
        try d.start()
        let stride = UInt64(4) << UInt64(d.capabilities.doorbellStride)
        let sqTail = 0x1000 + 4 * stride  // queue 2 (index 1): SQ 2 tail
        let cqHead = 0x1000 + 5 * stride
        access.writes = [:]
        let b = try bench.buffer(20 * 512)
        for i in 0..<20 { _ = try d.submitRead(queue: 1, lba: UInt64(i), blocks: 1, into: b, offset: i * 512) }
        #expect(access.writes.isEmpty)
        d.ringDoorbell(queue: 1)
        d.ringDoorbell(queue: 1)  // nothing new: no second write
        #expect(access.writes == [sqTail: 1])
        let completions = UnsafeMutableBufferPointer<NVMeCompletion>.allocate(capacity: 32)
        defer { completions.deallocate() }
        var reaped = 0
        var reaps = 0
        while reaped < 20, d.waitForCompletions(queue: 1, timeout: .seconds(1)) {
            reaped += d.reap(queue: 1, into: completions)
            reaps += 1
        }
        #expect(reaped == 20)
        #expect(d.counters(queue: 1) == (20, 20, 0))
        #expect(access.writes[cqHead] == reaps)
        #expect(access.writes.count == 2)
    }

    @Test("interrupt mode: each I/O queue's completions signal its own vector only")
    func vectorsPerQueue() throws {
        let bench = try NVMeBench(NVMeBench.ebs(queuePairs: 3), driver: .init(ioQueueCount: 3, interrupts: true))
        let d = bench.driver
        let msix = try #require(bench.bus.function(at: bench.address)?.msix)
        let b = try bench.buffer(512)
        for q in 0..<3 {
            let vector = try #require(d.interruptVector(queue: q))
            let before = msix.delivered
            _ = try d.submitRead(queue: q, lba: 0, blocks: 1, into: b)
            d.ringDoorbell(queue: q)
            #expect(d.waitForCompletions(queue: q, timeout: .milliseconds(10)))
            let after = msix.delivered
            for v in 0..<after.count {
                #expect(after[v] - before[v] == (v == vector ? 1 : 0), "queue \(q) vector \(v)")
            }
            let completions = UnsafeMutableBufferPointer<NVMeCompletion>.allocate(capacity: 1)
            defer { completions.deallocate() }
            #expect(d.reap(queue: q, into: completions) == 1)
        }
    }

    @Test("polling mode: I/O completion queues are created without interrupts")
    func pollingCreatesQuietQueues() throws {
        let bench = try NVMeBench(NVMeBench.ebs(queuePairs: 2), driver: .init(ioQueueCount: 2))
        let msix = try #require(bench.bus.function(at: bench.address)?.msix)
        let before = msix.delivered
        let b = try bench.buffer(4096)
        for q in 0..<2 { try bench.driver.read(queue: q, lba: 0, blocks: 8, into: b) }
        #expect(msix.delivered[1] == before[1])
        #expect(msix.delivered[2] == before[2])
    }

    @Test("the controller sees no ignored doorbells, no fatal errors and no guest errors from the driver")
    func cleanControllerView() throws {
        let bench = try NVMeBench(NVMeBench.instanceStore(queuePairs: 2), driver: .init(ioQueueCount: 2, ioQueueDepth: 16))
        let d = bench.driver
        let b = try bench.buffer(64 * 1024)
        b.fill(seed: 1)
        for i in 0..<50 {
            try d.write(queue: i % 2, lba: UInt64(i * 16), blocks: 16, from: b, offset: (i % 8) * 4)
            try d.read(queue: (i + 1) % 2, lba: UInt64(i * 16), blocks: 16, into: b, offset: 512)
        }
        try d.reset()
        try d.flush(queue: 1)
        let controller = try #require(bench.controller)
        #expect(controller.counters.ignoredDoorbells == 0)
        #expect(controller.counters.fatalErrors == 0)
        #expect(controller.counters.errorCompletions == 0)
        #expect(controller.counters.writeCommands == 50)
        #expect(controller.counters.readCommands == 50)
        #expect(bench.guestErrors.isEmpty, "\(bench.guestErrors)")
    }

    @Test("a doorbell to a deleted queue raises the Invalid Doorbell Register async event; reset re-creates the queue")
    func invalidDoorbellEvent() throws {
        let bench = try NVMeBench(driver: .init(commandTimeout: .milliseconds(5), pollInterval: .microseconds(100)))
        let d = bench.driver
        let b = try bench.buffer(512)
        try d.deleteIOQueue(0)
        let error = nvmeError { try d.read(lba: 0, blocks: 1, into: b) }
        #expect(error.map { if case .timeout(queue: 0, _) = $0 { true } else { false } } == true, "\(String(describing: error))")
        let events = try d.pollAsyncEvents()
        #expect(events.contains(.invalidDoorbellRegister), "events: \(events)")
        #expect(try #require(bench.controller).counters.ignoredDoorbells == 1)
        try d.reset()
        try d.read(lba: 0, blocks: 1, into: b)
    }
}
