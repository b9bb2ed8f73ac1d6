import Drivers
import NVMe
import PCIe
import RegisterModel

typealias NR = NVMeRegisters
typealias NVMeConformanceDriver = NVMeDriver<BusDeviceAccess>

/// The NVMe controller under test as a host sees it: config space and BAR0 through
/// `BusDeviceAccess`, DMA memory in the function's IOMMU domain, queues the suites build
/// themselves (``NVMeRawQueue``) and, for normal operation, the reference driver.
///
/// Every check starts from a state it sets up itself (``enable(_:adminEntries:)`` or
/// ``startDriver(_:)``); ``restore()`` puts the LBA format back and leaves the controller disabled.
final class NVMeFixture {
    /// How long a command may take before a check calls it lost (the model completes at once).
    static let commandTimeout = VirtualDuration.seconds(1)

    let bus: PCIBus
    let function: PCIFunction
    let access: BusDeviceAccess
    let rig: NVMeConformance.Rig
    let bar = BARIndex(clamping: 0)
    /// CAP when the fixture was made.
    let capabilities: UInt64
    /// Block size when the fixture was made (restored at the end).
    private var originalBlockSize: Int?
    private var queueCache: [Int: NVMeRawQueue] = [:]
    private var cachedDriver: NVMeConformanceDriver?
    /// A 64 KiB DMA buffer for admin data (Identify, log pages).
    private(set) lazy var adminData: DMABuffer? = try? access.allocateDMA(64 * 1024)

    /// A fixture for the NVMe controller `function` on `bus`.
    init(bus: PCIBus, function f: PCIFunction, rig: NVMeConformance.Rig) {
        self.bus = bus
        function = f
        access = bus.access(f.bdf)
        self.rig = rig
        access.enableBusMaster()
        let low = UInt64(access.read32(bar, UInt64(NR.CAP.offset)))
        capabilities = UInt64(access.read32(bar, UInt64(NR.CAP.offset + 4))) << 32 | low
    }

    // MARK: Registers

    /// Reads a 32-bit register.
    func read32(_ offset: Int) -> UInt32 { access.read32(bar, UInt64(offset)) }
    /// Writes a 32-bit register.
    func write32(_ offset: Int, _ value: UInt32) { access.write32(bar, UInt64(offset), value) }
    /// Reads a 64-bit register as two dwords, low first.
    func read64(_ offset: Int) -> UInt64 { UInt64(read32(offset + 4)) << 32 | UInt64(read32(offset)) }
    /// Writes a 64-bit register as two dwords, low first.
    func write64(_ offset: Int, _ value: UInt64) {
        write32(offset, UInt32(truncatingIfNeeded: value))
        write32(offset + 4, UInt32(truncatingIfNeeded: value >> 32))
    }

    /// CSTS.
    var status: UInt32 { read32(NR.CSTS.offset) }
    /// CSTS.RDY.
    var ready: Bool { NR.CSTS.rdy.isSet(in: status) }
    /// CSTS.CFS.
    var fatal: Bool { NR.CSTS.cfs.isSet(in: status) }
    /// CAP.TO in virtual time (at least 500 ms).
    var readyTimeout: VirtualDuration { .milliseconds(500 * max(NR.CAP.to.extract(from: capabilities), 1)) }
    /// CAP.MQES + 1.
    var maximumQueueEntries: Int { Int(NR.CAP.mqes.extract(from: capabilities)) + 1 }

    /// Offset of SQ `qid`'s tail doorbell (CAP.DSTRD).
    func submissionDoorbell(_ qid: Int) -> Int {
        NR.SQ0TDBL.offset + 2 * qid * (4 << Int(NR.CAP.dstrd.extract(from: capabilities)))
    }
    /// Offset of CQ `qid`'s head doorbell.
    func completionDoorbell(_ qid: Int) -> Int {
        NR.SQ0TDBL.offset + (2 * qid + 1) * (4 << Int(NR.CAP.dstrd.extract(from: capabilities)))
    }

    /// The virtual clock.
    var clock: VirtualClock { bus.services.clock }

    /// Advances virtual time in `step`s until `condition` holds; false on timeout.
    func poll(every step: VirtualDuration = .microseconds(100), timeout: VirtualDuration, _ condition: () -> Bool) -> Bool {
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if condition() { return true }
            guard clock.now < deadline else { return false }
            clock.advance(by: step)
        }
    }

    // MARK: Enable and disable

    /// CC with IOSQES 6, IOCQES 4, MPS 0 (4 KiB), NVM command set, round robin.
    static let configuration = NR.CC.iocqes.insert(4, into: NR.CC.iosqes.insert(UInt32(6), into: 0))

    /// Clears CC.EN and waits for RDY=0 within CAP.TO; false (with a failure) if it stays set.
    @discardableResult
    func disable(_ r: inout CheckRecorder) -> Bool {
        write32(NR.CC.offset, read32(NR.CC.offset) & ~UInt32(NR.CC.en.mask))
        guard poll(timeout: readyTimeout, { !ready }) else {
            r.expect(false, "CSTS.RDY still 1 \(readyTimeout) after CC.EN=0 (CSTS \(hex(status)))")
            return false
        }
        return true
    }

    /// Disables the controller, programs fresh admin queues of `adminEntries` entries and enables
    /// it with ``configuration`` (| `extra`); the admin queue, or nil (with a failure) if RDY does
    /// not come up or CFS is set.
    func enable(_ r: inout CheckRecorder, adminEntries: Int = 16) -> NVMeRawQueue? {
        guard disable(&r), let admin = queue(0, entries: adminEntries, &r) else { return nil }
        let size = UInt32(adminEntries - 1)
        write32(NR.AQA.offset, NR.AQA.acqs.insert(size, into: NR.AQA.asqs.insert(size, into: 0)))
        write64(NR.ASQ.offset, admin.sq.deviceAddress.value)
        write64(NR.ACQ.offset, admin.cq.deviceAddress.value)
        write32(NR.CC.offset, Self.configuration | UInt32(NR.CC.en.mask))
        guard poll(timeout: readyTimeout, { ready || fatal }), !fatal else {
            r.expect(false, "controller not ready \(readyTimeout) after a valid enable (CSTS \(hex(status)))")
            return nil
        }
        return admin
    }

    /// A queue of `entries` entries with id `qid`, zeroed and with its pointers at 0 (memory is
    /// reused between checks).
    func queue(_ qid: Int, entries: Int, _ r: inout CheckRecorder) -> NVMeRawQueue? {
        let key = qid << 20 | entries
        if let q = queueCache[key] {
            q.clear()
            return q
        }
        do {
            let q = try NVMeRawQueue(id: qid, entries: entries, access: access)
            queueCache[key] = q
            return q
        } catch {
            r.expect(false, "queue memory for queue \(qid): \(error)")
            return nil
        }
    }

    /// Zeroed DMA memory of `size` bytes; nil (with a failure) if the IOMMU refuses it.
    func buffer(_ size: Int, _ r: inout CheckRecorder) -> DMABuffer? {
        do {
            return try access.allocateDMA(size)
        } catch {
            r.expect(false, "DMA allocation of \(size) bytes: \(error)")
            return nil
        }
    }

    // MARK: Driver

    /// The reference driver, started (bring-up, one I/O queue pair); nil (with a failure) if it
    /// cannot bind or start.
    func startDriver(_ r: inout CheckRecorder) -> NVMeConformanceDriver? {
        do {
            let driver: NVMeConformanceDriver
            if let cachedDriver {
                driver = cachedDriver
            } else {
                driver = try NVMeConformanceDriver(
                    access: access,
                    configuration: .init(ioQueueCount: 1, ioQueueDepth: 32, adminQueueDepth: 16, maximumTransferBytes: 1 << 20))
                cachedDriver = driver
            }
            try driver.start()
            return driver
        } catch {
            r.expect(false, "reference driver did not start: \(error)")
            return nil
        }
    }

    // MARK: Function level reset

    /// FLR through the PCI Express capability, then BARs and Command put back as an OS does;
    /// false (with a failure) if the function cannot do FLR.
    func functionLevelReset(_ r: inout CheckRecorder) -> Bool {
        let bdf = function.bdf
        let bars = (0..<6).map { bus.configRead(bdf, ConfigOffset(PCIType0Header.BAR.offset + 4 * $0), width: .dword) }
        let command = bus.configRead(bdf, ConfigOffset(PCIType0Header.Command.offset), width: .word)
        guard access.functionLevelReset() else {
            r.expect(false, "the function does not offer FLR (PCI Express Device Capabilities)")
            return false
        }
        for (i, value) in bars.enumerated() {
            bus.configWrite(bdf, ConfigOffset(PCIType0Header.BAR.offset + 4 * i), width: .dword, value: value)
        }
        bus.configWrite(bdf, ConfigOffset(PCIType0Header.Command.offset), width: .word, value: command)
        return true
    }

    // MARK: Guest errors and faults

    /// A mark to count guest errors from.
    var guestErrorMark: Int { bus.services.guestErrors.total }

    /// Guest errors recorded against the controller since `mark`.
    func guestErrors(since mark: Int) -> [GuestError] {
        let log = bus.services.guestErrors
        let new = min(max(log.total - mark, 0), log.entries.count)
        return log.entries.suffix(new).filter { $0.function == function.bdf }
    }

    /// A mark to count DMA faults from.
    var faultMark: Int { function.dma.faults.total }

    /// DMA faults of the controller since `mark`.
    func faults(since mark: Int) -> [DMAFault] {
        let log = function.dma.faults
        let new = min(max(log.total - mark, 0), log.faults.count)
        return log.faults.suffix(new).filter { $0.function == function.bdf }
    }

    // MARK: Restore

    /// Puts the original LBA format back (through the driver) and leaves the controller disabled.
    func restore() {
        var r = CheckRecorder()
        if let original = originalBlockSize, let driver = startDriver(&r), driver.namespaces.first?.blockSize != original {
            try? driver.format(blockSize: original)
        }
        disable(&r)
    }

    /// Records the block size before a check changes the format.
    func rememberFormat(_ blockSize: Int) {
        if originalBlockSize == nil { originalBlockSize = blockSize }
    }
}

extension NVMeFixture {
    /// Runs one check and wraps its outcome; `body` returns whether the check applied.
    func check(_ suite: String, _ name: String, _ body: (inout CheckRecorder) -> Bool) -> CheckResult {
        var r = CheckRecorder()
        let applicable = body(&r)
        return CheckResult(suite: suite, name: name, function: function.bdf, failures: r.failures, applicable: applicable)
    }

    /// A check that always applies.
    func always(_ suite: String, _ name: String, _ body: (inout CheckRecorder) -> Void) -> CheckResult {
        check(suite, name) { r in
            body(&r)
            return true
        }
    }
}
