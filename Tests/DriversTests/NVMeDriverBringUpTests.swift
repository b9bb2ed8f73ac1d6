import DMAEngine
import NVMe
import PCIe
import Testing

@testable import Drivers

@Suite("NVMe driver bring-up and identify")
struct NVMeDriverBringUpTests {
    @Test("EBS controller: enable handshake programs CC and the admin queue, RDY comes up")
    func ebsEnableHandshake() throws {
        let bench = try NVMeBench(NVMeBench.ebs())
        let d = bench.driver
        #expect(d.isRunning)
        #expect(d.controllerStatus & 0b11 == 0b01)  // RDY, no CFS
        let cc = d.register(0x14)
        #expect(cc & 1 == 1)
        #expect((cc >> 7) & 0xF == UInt32(d.capabilities.minimumPageSizeShift))
        #expect((cc >> 16) & 0xF == 6)
        #expect((cc >> 20) & 0xF == 4)
        #expect(d.register(0x24) == UInt32(31) << 16 | 31)  // AQA for 32 entries
        #expect(d.version >= NVMeVersion(0x0001_0400))
        #expect(d.pageSize == 4096)
        #expect(bench.guestErrors.isEmpty)
    }

    @Test("EBS Identify: model, serial without hyphen, block device name in the vendor area, MDTS, one namespace")
    func ebsIdentify() throws {
        let bench = try NVMeBench(NVMeBench.ebs(blockSize: 512, capacity: 64 << 20, mdts: 5))
        let id = try #require(bench.driver.identity)
        #expect(id.vendorID == 0x1D0F)
        #expect(id.modelNumber == "Amazon Elastic Block Store")
        #expect(id.serialNumber == "vol0123456789abcdef0")
        #expect(id.blockDeviceName == "/dev/sdf")
        #expect(id.maximumDataTransferShift == 5)
        #expect(bench.driver.maximumTransferBytes == 128 * 1024)
        #expect(id.namespaceCount >= 1)
        #expect(id.submissionEntrySizes & 0xF == 6)
        #expect(id.completionEntrySizes & 0xF == 4)
        let ns = try #require(bench.driver.namespace(1))
        #expect(bench.driver.namespaces.count == 1)
        #expect(ns.blockSize == 512)
        #expect(ns.size == (64 << 20) / 512)
        #expect(ns.formatIndex(blockSize: 512) != nil)
        #expect(ns.formatIndex(blockSize: 4096) != nil)
    }

    @Test("instance storage Identify: model, serial, no block device name, crypto erase advertised")
    func instanceStoreIdentify() throws {
        let bench = try NVMeBench(NVMeBench.instanceStore(blockSize: 4096, capacity: 32 << 20))
        let id = try #require(bench.driver.identity)
        #expect(id.vendorID == 0x1D0F)
        #expect(id.modelNumber == "Amazon EC2 NVMe Instance Storage")
        #expect(id.serialNumber == "AWS1234567890ABCDEF")
        #expect(id.blockDeviceName == nil)
        #expect(id.supportsCryptographicFormat)
        #expect(id.supportsSanitize(.cryptoErase))
        let ns = try #require(bench.driver.namespace(1))
        #expect(ns.blockSize == 4096)
        #expect(ns.size == (32 << 20) / 4096)
        let device = bench.access.configRead16(ConfigOffset(2))
        #expect(device == NVMe.instanceStoreDeviceID)
    }

    @Test("one I/O queue pair per requested core, each with its own MSI-X vector, each doing I/O")
    func queuePerCore() throws {
        let bench = try NVMeBench(NVMeBench.ebs(queuePairs: 4), driver: .init(ioQueueCount: 4, ioQueueDepth: 64))
        let d = bench.driver
        #expect(d.ioQueueCount == 4)
        let vectors = (0..<4).compactMap { d.interruptVector(queue: $0) }
        #expect(vectors == [1, 2, 3, 4])
        #expect(d.ioQueueDepth == 64)
        #expect(d.capacity(queue: 0) == 63)
        let out = try bench.buffer(4096)
        let back = try bench.buffer(4096)
        for q in 0..<4 {
            let pattern = out.fill(seed: UInt64(q))
            try d.write(queue: q, lba: UInt64(q * 8), blocks: 8, from: out)
            try d.read(queue: (q + 1) % 4, lba: UInt64(q * 8), blocks: 8, into: back)
            #expect(back.bytes() == pattern)
        }
        #expect(throws: NVMeDriverError.noSuchQueue(4)) { try d.read(queue: 4, lba: 0, blocks: 1, into: back) }
    }

    @Test("asking for more queues than the controller grants gives what it grants")
    func fewerQueuesGranted() throws {
        let bench = try NVMeBench(NVMeBench.ebs(queuePairs: 2), driver: .init(ioQueueCount: 6))
        #expect(bench.driver.ioQueueCount == 2)
        let b = try bench.buffer(512)
        try bench.driver.read(queue: 1, lba: 0, blocks: 1, into: b)
    }

    @Test("queue depth is capped by CAP.MQES; AERs stay outstanding up to AERL + 1")
    func limits() throws {
        let bench = try NVMeBench(NVMeBench.ebs(), driver: .init(ioQueueDepth: 65_536, asyncEventRequests: 64))
        let d = bench.driver
        #expect(d.ioQueueDepth == d.capabilities.maximumQueueEntries)
        let aerl = try #require(d.identity).asyncEventRequestLimit
        #expect(d.outstandingAsyncEventRequests == min(64, aerl + 1))
    }

    @Test("the driver refuses functions that are not NVMe controllers and bad configurations")
    func probe() throws {
        let (bus, engine, _) = try driverBus()
        #expect(
            throws: NVMeDriverError.notFound(
                vendorID: DMAEngine.vendorID, deviceID: DMAEngine.deviceID, classCode: DMAEngine.classCode)
        ) {
            try NVMeTestDriver(access: bus.access(engine))
        }
        let bench = try NVMeBench(start: false)
        #expect(throws: NVMeDriverError.invalidConfiguration("I/O queue depth 1 is not in 2...65536")) {
            try NVMeTestDriver(access: bench.access, configuration: .init(ioQueueDepth: 1))
        }
        #expect(throws: NVMeDriverError.notRunning) { try bench.driver.read(lba: 0, blocks: 1, into: bench.buffer(512)) }
    }

    @Test("enable waits for a slow CSTS.RDY; beyond CAP.TO it gives up with a ready timeout")
    func readyDelay() throws {
        var slow = NVMeBench.ebs()
        slow.readyDelay = .milliseconds(300)
        let bench = try NVMeBench(slow, start: false)
        let before = bench.access.clock.now
        try bench.driver.start()
        #expect(bench.access.clock.now.nanoseconds - before.nanoseconds >= 300_000_000)
        let timeout = UInt64(bench.driver.capabilities.timeoutUnits) * 500
        var stuck = NVMeBench.ebs()
        stuck.readyDelay = .milliseconds(timeout + 1000)
        let late = try NVMeBench(stuck, start: false)
        #expect(throws: NVMeDriverError.readyTimeout(ready: true)) { try late.driver.start() }
        #expect(!late.driver.isRunning)
    }

    @Test("an invalid setup at enable (IOSQES mangled on the way) is reported as controller fatal status")
    func fatalAtEnable() throws {
        let bench = try NVMeBench(start: false)
        let access = CountingAccess(bench.access)
        // IOSQES 5 (32-byte SQ entries) instead of 6.
        access.rewrite = { offset, value in offset == 0x14 ? value & ~UInt64(0xF_0000) | 0x5_0000 : value }
        let d = try NVMeDriver(access: access)
        let error = nvmeError { try d.start() }
        #expect(error.map { if case .controllerFatal = $0 { true } else { false } } == true, "\(String(describing: error))")
        #expect(!d.isRunning)
        access.rewrite = nil
        try d.start()
        #expect(d.isRunning)
    }

    @Test("shutdown reports SHST complete; start brings the controller back with the data")
    func shutdownAndRestart() throws {
        let bench = try NVMeBench()
        let b = try bench.buffer(4096)
        let pattern = b.fill(seed: 7)
        try bench.driver.write(lba: 100, blocks: 8, from: b)
        try bench.driver.shutdown()
        #expect((bench.driver.controllerStatus >> 2) & 3 == 2)
        #expect(!bench.driver.isRunning)
        try bench.driver.start()
        b.set(0)
        try bench.driver.read(lba: 100, blocks: 8, into: b)
        #expect(b.bytes() == pattern)
    }
}
