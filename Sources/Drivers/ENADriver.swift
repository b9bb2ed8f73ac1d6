import ENA
import Network
import PCIe
import RegisterModel

/// Reference driver for the Elastic Network Adapter, written only against ``DeviceAccess``, the
/// generated `ENARegisters` table and the ENA protocol types.
///
/// ``start()`` brings the device up in the order Linux's ena driver uses: readless register reads
/// (MMIO_REG_READ answered through MMIO_RESP in host memory), the DEV_CTL reset handshake with a
/// reset reason, version and DMA-width checks, admin/completion/event queues, SET_FEATURE
/// HOST_ATTR_CONFIG, GET_FEATURE DEVICE_ATTRIBUTES, MAX_QUEUES_EXT, HW_HINTS, LLQ, AENQ_CONFIG and
/// STATELESS_OFFLOAD_CONFIG, SET_FEATURE AENQ_CONFIG, LLQ negotiation, MSI-X, IO queues (CQ then
/// SQ, Tx then Rx, so Tx queue q has index 2q and Rx queue q 2q + 1), the RSS hash key and
/// indirection table, and the MTU.
///
/// Packet I/O is ixy's: a ``PacketBufferPool`` and batched ``transmitBatch(queue:_:)`` /
/// ``receiveBatch(queue:into:)`` that ring each doorbell once per batch and never allocate, with
/// Tx descriptors in host memory or in the LLQ BAR (``Configuration/placement``).
/// ``serviceTimer()`` is Linux's timer service: it takes asynchronous events, detects a missing
/// keep-alive or missing Tx completions in virtual time and resets and recovers the device (also
/// when the device asks for it). Completions are checked before use: a bad request id or a stale
/// phase is counted (``counters``) and ignored, never trusted.
public final class ENADriver<Access: DeviceAccess> {
    typealias R = ENARegisters

    /// Where Tx descriptors go.
    public enum Placement: Sendable, Equatable {
        /// Descriptor rings in host memory, read by the device (placement policy 1).
        case host
        /// Low-latency queues: descriptors and the packet header written into the LLQ BAR
        /// (placement policy 3). Falls back to host placement when the device has no LLQ.
        case lowLatency
    }

    /// Tunables of the driver.
    public struct Configuration: Sendable {
        /// IO queue pairs (capped by the device's limits and MSI-X vectors).
        public var queuePairs: Int
        /// Entries per Tx and Rx queue (a power of two, capped by the device's limits).
        public var ringSize: Int
        /// Tx descriptor placement.
        public var placement: Placement
        /// Buffers in the pool; nil sizes it for every ring plus one ring of spare buffers.
        public var bufferCount: Int?
        /// Buffer size in bytes (multiple of 1 KiB).
        public var bufferSize: Int
        /// MTU to set after bring-up (nil: leave the device's).
        public var mtu: Int?
        /// Wait for admin completions and received frames on MSI-X interrupts rather than polling.
        public var interrupts: Bool
        /// Polling interval while waiting (registers, completions).
        public var pollInterval: VirtualDuration
        /// RSS Toeplitz key.
        public var rssKey: ToeplitzKey

        /// A configuration; the defaults suit tests and the bench.
        public init(
            queuePairs: Int = 1, ringSize: Int = 256, placement: Placement = .host, bufferCount: Int? = nil,
            bufferSize: Int = 2048, mtu: Int? = nil, interrupts: Bool = false, pollInterval: VirtualDuration = .microseconds(10),
            rssKey: ToeplitzKey = .microsoftVerification
        ) {
            self.queuePairs = queuePairs
            self.ringSize = ringSize
            self.placement = placement
            self.bufferCount = bufferCount
            self.bufferSize = bufferSize
            self.mtu = mtu
            self.interrupts = interrupts
            self.pollInterval = pollInterval
            self.rssKey = rssKey
        }
    }

    /// Admin queue and completion queue depth (Linux's ENA_ADMIN_QUEUE_DEPTH).
    static var adminDepth: Int { 32 }
    /// Event queue depth (Linux's ENA_ASYNC_QUEUE_DEPTH).
    static var eventDepth: Int { 16 }
    /// RSS indirection table size, log2 (Linux's ENA_RX_RSS_TABLE_LOG_SIZE).
    static var indirectionLogSize: Int { 7 }
    /// Event groups the driver enables (those of them the device supports).
    static var wantedEventGroups: UInt32 {
        ENAEventGroup.linkChange.bit | ENAEventGroup.notification.bit | ENAEventGroup.keepAlive.bit
            | ENAEventGroup.deviceRequestReset.bit
    }

    /// The device.
    public let access: Access
    /// Settings.
    public let configuration: Configuration
    /// BAR0, the register BAR.
    @usableFromInline let bar = BARIndex(clamping: 0)
    /// Whether register reads go through MMIO_REG_READ (PCI revision bit 0 clear).
    public let readless: Bool

    /// DEVICE_ATTRIBUTES (after ``start()``).
    public internal(set) var attributes: ENADeviceAttributes?
    /// MAX_QUEUES_EXT / MAX_QUEUES_NUM (after ``start()``).
    public internal(set) var limits: ENAQueueLimits?
    /// The hints in force (HW_HINTS, then NOTIFICATION events); 0 fields mean the driver's defaults.
    public internal(set) var hints = ENAHardwareHints.default
    /// The negotiated LLQ layout, nil with host placement.
    public internal(set) var lowLatency: ENALowLatencySettings?
    /// Event groups the device has enabled (AENQ_CONFIG).
    public internal(set) var enabledEventGroups: UInt32 = 0
    /// STATELESS_OFFLOAD_CONFIG: Tx offloads, Rx offloads supported, Rx offloads enabled.
    public internal(set) var offloads: (tx: UInt32, rxSupported: UInt32, rxEnabled: UInt32) = (0, 0, 0)
    /// Link state from the last LINK_CHANGE event.
    public internal(set) var linkUp = false
    /// Drop counters from the last KEEP_ALIVE event: received, transmitted, receive overruns.
    public internal(set) var keepAliveDrops: (rx: UInt64, tx: UInt64, rxOverruns: UInt64) = (0, 0, 0)
    /// Virtual time of the last keep-alive (or of bring-up).
    public internal(set) var lastKeepAlive = VirtualInstant(nanoseconds: 0)
    /// Whether the device is up with its queues created.
    @exclusivity(unchecked) public internal(set) var isRunning = false
    /// Event counts and every anomaly the driver counted and ignored.
    public var counters: ENADriverCounters { driverCounters }
    @exclusivity(unchecked) @usableFromInline var driverCounters = ENADriverCounters()
    /// The reason of the last reset-and-recover, if any.
    public internal(set) var lastRecoveryReason: ENAResetReason?
    /// A reset the driver decided on (device request, watchdog) and will do at the next
    /// ``serviceTimer()``.
    public internal(set) var pendingReset: ENAResetReason?
    /// The packet buffers (nil before ``start()``).
    @exclusivity(unchecked) public internal(set) var pool: PacketBufferPool?

    @exclusivity(unchecked) @usableFromInline var txRings: [ENATxRing] = []
    @exclusivity(unchecked) @usableFromInline var rxRings: [ENARxRing] = []
    var admin: ENAAdminQueue?
    var events: ENAEventQueue?
    /// The 8-byte MMIO_RESP buffer of readless reads, and the request sequence.
    var readResponse: DMABuffer?
    var readSequence: UInt16 = 0
    /// 4 KiB for control buffers (host info, RSS key and table, statistics).
    var controlBuffer: DMABuffer?
    /// How long an admin command may take (CAPS.ADMIN_CMD_TO, hints, else 3 s).
    var adminCommandTimeout = VirtualDuration.seconds(3)
    /// Whether admin completions are waited for on vector 0.
    var adminInterrupts = false
    /// Set while an admin command or a recovery runs, so the timer service stays out.
    var busy = false
    /// The timer service's clock timer, when started.
    var timer: VirtualClock.TimerID?

    /// Binds to an ENA: vendor 1d0f with class 02:00:00 (the PF and VF ids of Linux's table),
    /// and checks the configuration. Nothing is written to the device until ``start()``.
    public init(access: Access, configuration: Configuration = Configuration()) throws(ENADriverError) {
        let vendor = access.configRead16(ConfigOffset(PCIType0Header.VendorID.offset))
        let device = access.configRead16(ConfigOffset(PCIType0Header.DeviceID.offset))
        let revisionClass = access.configRead(ConfigOffset(PCIType0Header.RevisionID.offset), width: .dword)
        let knownDevices: Set<UInt16> = [0x0ec2, 0x1ec2, 0xec20, 0xec21]
        guard vendor == ENA.vendorID, knownDevices.contains(device), revisionClass >> 8 == ENA.classCode else {
            throw .notFound(vendorID: vendor, deviceID: device)
        }
        let size = configuration.ringSize
        guard size >= 8, size <= 8192, size & (size - 1) == 0 else {
            throw .invalidConfiguration("ring size \(size) is not a power of two in 8...8192")
        }
        guard (1...ENA.maximumQueuePairs).contains(configuration.queuePairs) else {
            throw .invalidConfiguration("\(configuration.queuePairs) queue pairs (1...\(ENA.maximumQueuePairs))")
        }
        guard configuration.bufferSize >= 1024, configuration.bufferSize <= 16 * 1024, configuration.bufferSize % 1024 == 0 else {
            throw .invalidConfiguration("buffer size \(configuration.bufferSize) is not a multiple of 1 KiB up to 16 KiB")
        }
        self.access = access
        self.configuration = configuration
        readless = revisionClass & 1 == 0
    }

    deinit {
        if let timer { _ = access.clock.cancel(timer) }
    }

    /// Writes a 32-bit register.
    @inline(__always) func write(_ offset: Int, _ value: UInt32) { access.write32(bar, UInt64(offset), value) }

    /// IO queue pairs in use.
    public var queuePairCount: Int { rxRings.count }

    /// The instance's MAC address (DEVICE_ATTRIBUTES).
    public var macAddress: MACAddress? { attributes?.macAddress }

    /// The device queue indices of pair `pair`: Tx SQ/CQ and Rx SQ/CQ (nil before ``start()``).
    public func queueIndices(pair: Int) -> (tx: Int, rx: Int)? {
        guard pair >= 0, pair < txRings.count, pair < rxRings.count else { return nil }
        return (txRings[pair].index, rxRings[pair].index)
    }
}
