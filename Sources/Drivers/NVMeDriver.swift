import NVMe
import PCIe
import RegisterModel

/// Reference driver for an NVM Express controller, written only against ``DeviceAccess``.
///
/// ``start()`` brings the controller up the way Linux's nvme driver does: disable and wait for
/// CSTS.RDY=0, admin queues in DMA memory (AQA/ASQ/ACQ), CC (MPS, IOSQES 6, IOCQES 4), enable
/// and wait for RDY=1 within CAP.TO, Identify Controller, Set Features Number of Queues, one I/O
/// queue pair per requested core (each CQ with its own MSI-X vector), Identify of every active
/// namespace, and Asynchronous Event Requests kept outstanding.
///
/// I/O is queue-depth driven: `submit…` posts a command and returns its identifier without
/// waiting, ``ringDoorbell(queue:)`` writes the SQ tail once for a batch, ``reap(queue:into:)``
/// consumes completions by phase tag and writes the CQ head once. None of them allocate.
/// Blocking conveniences (``read(queue:namespace:lba:blocks:into:offset:)`` and friends) are
/// built on the same calls. Waiting polls or sleeps on the queue's MSI-X vector
/// (``Configuration/interrupts``); all timeouts are virtual time.
public final class NVMeDriver<Access: DeviceAccess> {
    /// Tunables of the driver.
    public struct Configuration: Sendable {
        /// I/O queue pairs to create (one per core); fewer if the controller grants fewer.
        public var ioQueueCount: Int
        /// Entries per I/O queue (capped at CAP.MQES + 1); depth - 1 commands can be in flight.
        public var ioQueueDepth: Int
        /// Entries of the admin queues (2...4096).
        public var adminQueueDepth: Int
        /// Wait for completions on MSI-X interrupts rather than by polling.
        public var interrupts: Bool
        /// Largest transfer the driver builds PRP lists for (further limited by MDTS).
        public var maximumTransferBytes: Int
        /// Asynchronous Event Requests to keep outstanding (capped at AERL + 1; 0 for none).
        public var asyncEventRequests: Int
        /// How long a blocking command may take.
        public var commandTimeout: VirtualDuration
        /// How long Format NVM and Sanitize may take.
        public var eraseTimeout: VirtualDuration
        /// Polling interval while waiting (registers, completions, sanitize status).
        public var pollInterval: VirtualDuration

        /// A configuration; the defaults suit tests and the bench.
        public init(
            ioQueueCount: Int = 1, ioQueueDepth: Int = 256, adminQueueDepth: Int = 32, interrupts: Bool = false,
            maximumTransferBytes: Int = 2 << 20, asyncEventRequests: Int = 4, commandTimeout: VirtualDuration = .seconds(5),
            eraseTimeout: VirtualDuration = .seconds(600), pollInterval: VirtualDuration = .microseconds(10)
        ) {
            self.ioQueueCount = ioQueueCount
            self.ioQueueDepth = ioQueueDepth
            self.adminQueueDepth = adminQueueDepth
            self.interrupts = interrupts
            self.maximumTransferBytes = maximumTransferBytes
            self.asyncEventRequests = asyncEventRequests
            self.commandTimeout = commandTimeout
            self.eraseTimeout = eraseTimeout
            self.pollInterval = pollInterval
        }
    }

    /// The controller's function.
    public let access: Access
    /// Settings.
    public let configuration: Configuration
    /// BAR0, the controller registers.
    @usableFromInline let bar = BARIndex(clamping: 0)
    /// CAP as read at bind time.
    public let capabilities: NVMeControllerCapabilities
    /// VS as read at bind time.
    public let version: NVMeVersion
    /// Memory page size in use (CC.MPS): CAP.MPSMIN's page size.
    public let pageSize: Int

    /// Identify Controller (after ``start()``).
    public internal(set) var identity: NVMeControllerIdentity?
    /// The active namespaces (after ``start()``, refreshed after a format).
    public internal(set) var namespaces: [NVMeNamespace] = []
    /// Whether the controller is enabled with its queues created.
    @exclusivity(unchecked) public internal(set) var isRunning = false
    /// Largest transfer per command: MDTS, the configuration and the PRP list pages agree on it.
    @exclusivity(unchecked) public internal(set) var maximumTransferBytes = 0
    /// Asynchronous events reported and not yet taken (``takeAsyncEvents()``).
    public internal(set) var asyncEvents: [AsyncEvent] = []
    /// Controller resets the driver performed (``reset()``, ``subsystemReset()``).
    public internal(set) var resetCount = 0
    /// Whether waits sleep on MSI-X vectors: ``Configuration/interrupts`` and the function has
    /// MSI-X (otherwise the driver polls).
    @usableFromInline var usesInterrupts = false

    /// The admin queue pair (after ``start()``).
    @usableFromInline var admin: NVMeQueuePair?
    /// I/O queue pairs; index q is queue identifier q + 1.
    @exclusivity(unchecked) @usableFromInline var ioQueues: [NVMeQueuePair] = []
    /// Active namespaces' geometry for the I/O path.
    @exclusivity(unchecked) @usableFromInline var geometry: [NVMeNamespaceGeometry] = []
    /// Admin data buffer (Identify, log pages).
    var adminData: NVMeMemory?
    /// Command identifiers of outstanding Asynchronous Event Requests.
    var asyncEventCommands: [UInt16] = []
    /// How many Asynchronous Event Requests to keep outstanding.
    var asyncEventTarget = 0
    /// MSI-X table size of the function (0 without MSI-X).
    var msixVectors = 0

    /// Bytes of the admin data buffer.
    static var adminDataSize: Int { 64 * 1024 }

    /// Binds to an NVMe controller: checks the class code, reads CAP and VS and validates the
    /// configuration. Nothing is written to the controller until ``start()``.
    public init(access: Access, configuration: Configuration = Configuration()) throws(NVMeDriverError) {
        let vendor = access.configRead16(ConfigOffset(PCIType0Header.VendorID.offset))
        let device = access.configRead16(ConfigOffset(PCIType0Header.DeviceID.offset))
        let classCode = access.configRead(ConfigOffset(PCIType0Header.RevisionID.offset), width: .dword) >> 8
        guard classCode == 0x01_0802 else { throw .notFound(vendorID: vendor, deviceID: device, classCode: classCode) }
        guard (1...65_534).contains(configuration.ioQueueCount) else {
            throw .invalidConfiguration("I/O queue count \(configuration.ioQueueCount) is not in 1...65534")
        }
        guard (2...65_536).contains(configuration.ioQueueDepth) else {
            throw .invalidConfiguration("I/O queue depth \(configuration.ioQueueDepth) is not in 2...65536")
        }
        guard (2...4096).contains(configuration.adminQueueDepth) else {
            throw .invalidConfiguration("admin queue depth \(configuration.adminQueueDepth) is not in 2...4096")
        }
        guard configuration.maximumTransferBytes >= 4096, configuration.maximumTransferBytes <= 1 << 30 else {
            throw .invalidConfiguration("maximum transfer \(configuration.maximumTransferBytes) is not in 4 KiB...1 GiB")
        }
        self.access = access
        self.configuration = configuration
        access.enableBusMaster()
        let low = UInt64(access.read32(bar, NVMeRegister.cap))
        let high = UInt64(access.read32(bar, NVMeRegister.cap + 4))
        capabilities = NVMeControllerCapabilities(high << 32 | low)
        version = NVMeVersion(access.read32(bar, NVMeRegister.vs))
        guard capabilities.commandSets & 1 != 0 else { throw .unsupported("the NVM command set (CAP.CSS)") }
        pageSize = capabilities.minimumPageSize
    }

    /// Reads the controller register at `offset` (for inspection and tests).
    public func register(_ offset: UInt64) -> UInt32 { access.read32(bar, offset) }
    /// CSTS.
    public var controllerStatus: UInt32 { access.read32(bar, NVMeRegister.csts) }
    /// Number of I/O queue pairs in use.
    public var ioQueueCount: Int { ioQueues.count }
    /// MSI-X vector of I/O queue `queue`'s completion queue (nil for no such queue).
    public func interruptVector(queue: Int) -> Int? { queue >= 0 && queue < ioQueues.count ? ioQueues[queue].vector : nil }
    /// Entries of each I/O queue.
    public var ioQueueDepth: Int { ioQueues.first?.entries ?? 0 }

    /// Brings the controller up (see the type's documentation). Call again, or ``reset()``, to
    /// start over; commands in flight then complete with ``NVMeCompletion/abortedByResetStatus``.
    public func start() throws(NVMeDriverError) {
        isRunning = false
        access.enableBusMaster()
        try disable()
        try bringUp()
    }

    /// Enables the controller on the (re)initialised admin queue and sets everything up.
    func bringUp() throws(NVMeDriverError) {
        let adminQueue = try adminQueuePair()
        adminQueue.abortOutstanding()
        adminQueue.discardStash()
        adminQueue.resetRings()
        asyncEventCommands = []
        for q in ioQueues {
            q.abortOutstanding()
            q.resetRings()
        }
        msixVectors = msixTableSize()
        usesInterrupts = configuration.interrupts && msixVectors > 0
        for v in 0..<max(min(msixVectors, configuration.ioQueueCount + 1), 0) {
            access.enableMSIXVector(v, data: UInt32(access.bdf.routingID) << 8 | UInt32(v))
        }
        access.write32(bar, NVMeRegister.aqa, NVMeRegister.adminQueueAttributes(entries: adminQueue.entries))
        write64(NVMeRegister.asq, adminQueue.sq.address)
        write64(NVMeRegister.acq, adminQueue.cq.address)
        let cc = NVMeRegister.controllerConfiguration(pageShift: capabilities.minimumPageSizeShift)
        access.write32(bar, NVMeRegister.cc, cc | NVMeRegister.ccEnable)
        try waitReady(true)
        try identifyController()
        try configureAsyncEvents()
        try createIOQueues()
        try identifyNamespaces()
        isRunning = true
        try submitAsyncEventRequests()
    }

    /// Clears CC.EN (if set) and waits for CSTS.RDY=0 within CAP.TO.
    func disable() throws(NVMeDriverError) {
        let cc = access.read32(bar, NVMeRegister.cc)
        if cc & NVMeRegister.ccEnable != 0 { access.write32(bar, NVMeRegister.cc, cc & ~NVMeRegister.ccEnable) }
        try waitReady(false)
    }

    /// Polls CSTS until RDY is `ready`; CFS fails enabling at once, and CSTS reading all ones
    /// (no controller answers) fails at once with ``NVMeDriverError/deviceRemoved``.
    func waitReady(_ ready: Bool) throws(NVMeDriverError) {
        let timeout = VirtualDuration.milliseconds(500 * UInt64(max(capabilities.timeoutUnits, 1)))
        let deadline = access.clock.now.advanced(by: timeout)
        while true {
            let csts = access.read32(bar, NVMeRegister.csts)
            if csts == 0xFFFF_FFFF { throw .deviceRemoved }
            if ready, csts & NVMeRegister.cstsFatal != 0 { throw .controllerFatal(status: csts) }
            if (csts & NVMeRegister.cstsReady != 0) == ready { return }
            guard access.clock.now < deadline else { throw .readyTimeout(ready: ready) }
            access.sleep(configuration.pollInterval)
        }
    }

    /// The admin queue pair and data buffer, allocated on first use.
    func adminQueuePair() throws(NVMeDriverError) -> NVMeQueuePair {
        if let admin { return admin }
        let lists = NVMeQueuePair.listPages(forTransfer: Self.adminDataSize, pageSize: pageSize)
        let pair = try NVMeQueuePair(
            id: 0, entries: configuration.adminQueueDepth, pageSize: pageSize, listPagesPerSlot: lists, vector: 0,
            doorbellStride: capabilities.doorbellStride, access: access)
        adminData = try access.allocateNVMeMemory(Self.adminDataSize, alignment: pageSize)
        admin = pair
        return pair
    }

    /// Writes a 64-bit register as two dwords, low first.
    func write64(_ offset: UInt64, _ value: UInt64) {
        access.write32(bar, offset, UInt32(truncatingIfNeeded: value))
        access.write32(bar, offset + 4, UInt32(truncatingIfNeeded: value >> 32))
    }

    /// Vectors in the function's MSI-X table (0 without MSI-X).
    func msixTableSize() -> Int {
        guard let cap = access.findCapability(MSIXCapability.capabilityID) else { return 0 }
        let control = access.configRead(cap.advanced(by: MSIXCapability.MessageControl.offset), width: .word)
        return Int(MSIXCapability.MessageControl.tableSize.extract(from: control)) + 1
    }
}

/// What the I/O path needs to know about a namespace.
@usableFromInline
struct NVMeNamespaceGeometry {
    @usableFromInline let id: UInt32
    @usableFromInline let blockSize: Int
}
