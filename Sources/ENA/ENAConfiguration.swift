import Network
import PCIe

/// What a host profile or test asks for when it builds an ENA function.
public struct ENAConfiguration: Sendable, Equatable {
    /// The instance's MAC address (DEVICE_ATTRIBUTES `mac_addr`).
    public var macAddress: MACAddress
    /// MTU after reset, excluding L2 headers.
    public var mtu: Int
    /// Largest MTU SET_FEATURE MTU accepts (DEVICE_ATTRIBUTES `max_mtu`).
    public var maxMTU: Int
    /// IO queue pairs (1...32): Tx and Rx submission queues, 2 × this many completion queues and
    /// this many + 1 MSI-X vectors (vector 0: admin and events).
    public var queuePairs: Int
    /// Largest IO queue depth, a power of two (64...8192).
    public var maxQueueDepth: Int
    /// Most descriptors, meta included, one Tx packet may use.
    public var maxTxDescriptorsPerPacket: Int
    /// Most buffers one received packet may use.
    public var maxRxDescriptorsPerPacket: Int
    /// Largest Tx header the device accepts (MAX_QUEUES_EXT `max_tx_header_size`).
    public var maxTxHeaderSize: Int
    /// Link speed reported by LINK_CONFIG, in Mb/s.
    public var linkSpeedMbps: UInt32
    /// Virtual time between two keep-alive events.
    public var keepAliveInterval: VirtualDuration
    /// CAPS.RESET_TIMEOUT in 100 ms units (1...31).
    public var resetTimeoutUnits: UInt8
    /// CAPS.ADMIN_CMD_TO in 100 ms units (0: the driver's default of 3 s).
    public var adminCommandTimeoutUnits: UInt8
    /// CAPS.DMA_ADDR_WIDTH (32...48).
    public var dmaAddressWidth: UInt8
    /// The per-instance traffic allowances Nitro enforces on the wire side.
    public var allowances: NitroAllowances
    /// Hints reported by HW_HINTS (and by a NOTIFICATION event when they change).
    public var hints: ENAHardwareHints
    /// Value reported for the CONNTRACK_ALLOWANCE_AVAILABLE customer metric.
    public var conntrackAllowanceAvailable: UInt64

    /// A configuration with EC2-like defaults: MTU 1500 (max 9216), 8 queue pairs of up to 1024
    /// entries, 25 Gb/s, keep-alive every second, default allowances.
    public init(
        macAddress: MACAddress = MACAddress(0x0212_3456_789a), mtu: Int = 1500, maxMTU: Int = 9216, queuePairs: Int = 8,
        maxQueueDepth: Int = 1024, allowances: NitroAllowances = .default
    ) {
        self.macAddress = macAddress
        self.mtu = mtu
        self.maxMTU = maxMTU
        self.queuePairs = queuePairs
        self.maxQueueDepth = maxQueueDepth
        self.maxTxDescriptorsPerPacket = 32
        self.maxRxDescriptorsPerPacket = 16
        self.maxTxHeaderSize = 256
        self.linkSpeedMbps = 25_000
        self.keepAliveInterval = .seconds(1)
        self.resetTimeoutUnits = 10
        self.adminCommandTimeoutUnits = 0
        self.dmaAddressWidth = 48
        self.allowances = allowances
        self.hints = .default
        self.conntrackAllowanceAvailable = 500_000
    }

    /// The largest frame the device handles at `mtu`: MTU plus an Ethernet header and one VLAN tag.
    /// (An MTU comes from the validated configuration or a 32-bit SET_FEATURE field: no overflow.)
    static func maxFrameLength(mtu: Int) -> Int { mtu &+ 18 }

    /// Throws what is wrong with the configuration, if anything.
    func validate() throws(ENASetupError) {
        guard (1...ENA.maximumQueuePairs).contains(queuePairs) else {
            throw .configuration("\(queuePairs) queue pairs (1...\(ENA.maximumQueuePairs))")
        }
        guard (64...8192).contains(maxQueueDepth), maxQueueDepth & (maxQueueDepth - 1) == 0 else {
            throw .configuration("max queue depth \(maxQueueDepth) is not a power of two in 64...8192")
        }
        guard (128...9216).contains(maxMTU), (128...maxMTU).contains(mtu) else {
            throw .configuration("MTU \(mtu) / max MTU \(maxMTU) outside 128...9216")
        }
        guard (1...64).contains(maxTxDescriptorsPerPacket), (1...64).contains(maxRxDescriptorsPerPacket) else {
            throw .configuration("descriptors per packet must be 1...64")
        }
        guard (1...31).contains(resetTimeoutUnits), adminCommandTimeoutUnits <= 15, (32...48).contains(dmaAddressWidth) else {
            throw .configuration("CAPS fields out of range")
        }
        guard keepAliveInterval.nanoseconds > 0 else { throw .configuration("keep-alive interval must be positive") }
        try allowances.validate()
    }
}

/// The driver-visible hints of HW_HINTS (`ena_admin_ena_hw_hints`); 0 means "use the driver's default".
public struct ENAHardwareHints: Sendable, Equatable {
    /// Readless read timeout, ms.
    public var mmioReadTimeout: UInt16
    /// Keep-alive watchdog timeout, ms.
    public var driverWatchdogTimeout: UInt16
    /// Per-packet Tx completion timeout, ms.
    public var missingTxCompletionTimeout: UInt16
    /// Missing Tx completions before the driver resets.
    public var missedTxCompletionThreshold: UInt16
    /// Admin completion timeout, ms.
    public var adminCompletionTimeout: UInt16
    /// netdev watchdog timeout, ms.
    public var netdevWatchdogTimeout: UInt16
    /// Largest Tx scatter-gather list.
    public var maxTxSGLSize: UInt16
    /// Largest Rx scatter-gather list.
    public var maxRxSGLSize: UInt16

    /// Hints with every field given.
    public init(
        mmioReadTimeout: UInt16, driverWatchdogTimeout: UInt16, missingTxCompletionTimeout: UInt16,
        missedTxCompletionThreshold: UInt16, adminCompletionTimeout: UInt16, netdevWatchdogTimeout: UInt16,
        maxTxSGLSize: UInt16, maxRxSGLSize: UInt16
    ) {
        self.mmioReadTimeout = mmioReadTimeout
        self.driverWatchdogTimeout = driverWatchdogTimeout
        self.missingTxCompletionTimeout = missingTxCompletionTimeout
        self.missedTxCompletionThreshold = missedTxCompletionThreshold
        self.adminCompletionTimeout = adminCompletionTimeout
        self.netdevWatchdogTimeout = netdevWatchdogTimeout
        self.maxTxSGLSize = maxTxSGLSize
        self.maxRxSGLSize = maxRxSGLSize
    }

    /// Watchdog 6 s (six missed keep-alives), missing Tx completion 5 s, SGL sizes 32 / 16.
    public static let `default` = ENAHardwareHints(
        mmioReadTimeout: 0, driverWatchdogTimeout: 6000, missingTxCompletionTimeout: 5000, missedTxCompletionThreshold: 128,
        adminCompletionTimeout: 0, netdevWatchdogTimeout: 0, maxTxSGLSize: 32, maxRxSGLSize: 16)

    /// Writes the eight u16 fields at `offset` of `entry`.
    func store(into entry: inout ENAAdminEntry, at offset: Int) {
        let fields = [
            mmioReadTimeout, driverWatchdogTimeout, missingTxCompletionTimeout, missedTxCompletionThreshold,
            adminCompletionTimeout, netdevWatchdogTimeout, maxTxSGLSize, maxRxSGLSize,
        ]
        for (i, v) in fields.enumerated() { entry.store(v, at: offset + 2 * i) }
    }
}

/// Why an ENA function could not be built (a bench or profile problem, never a guest's).
public enum ENASetupError: Error, Equatable, CustomStringConvertible {
    /// The configuration is inconsistent.
    case configuration(String)

    public var description: String {
        switch self {
        case .configuration(let s): "invalid ENA configuration: \(s)"
        }
    }
}
