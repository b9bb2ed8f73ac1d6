import ENA
import Network

/// GET_FEATURE DEVICE_ATTRIBUTES as the driver read it (`ena_admin_device_attr_feature_desc`).
public struct ENADeviceAttributes: Sendable, Equatable {
    /// Implementation id.
    public var implementationID: UInt32
    /// Device version (VERSION register layout).
    public var deviceVersion: UInt32
    /// Supported features, one bit per ``ENAFeatureID`` raw value.
    public var supportedFeatures: UInt32
    /// Capabilities, one bit per ``ENACapability``.
    public var capabilities: UInt32
    /// Physical address width, bits.
    public var physicalAddressWidth: UInt32
    /// Virtual address width, bits.
    public var virtualAddressWidth: UInt32
    /// The instance's MAC address.
    public var macAddress: MACAddress
    /// Largest MTU the device accepts.
    public var maxMTU: Int

    /// Whether GET_FEATURE/SET_FEATURE of `feature` is supported.
    public func supports(_ feature: ENAFeatureID) -> Bool { supportedFeatures & (1 << UInt32(feature.rawValue)) != 0 }
    /// Whether the device has `capability`.
    public func has(_ capability: ENACapability) -> Bool { capabilities & capability.bit != 0 }

    /// Parses the reply of GET_FEATURE DEVICE_ATTRIBUTES.
    init(reply r: ENAAdminEntry) {
        implementationID = r.load(UInt32.self, at: 8)
        deviceVersion = r.load(UInt32.self, at: 12)
        supportedFeatures = r.load(UInt32.self, at: 16)
        capabilities = r.load(UInt32.self, at: 20)
        physicalAddressWidth = r.load(UInt32.self, at: 24)
        virtualAddressWidth = r.load(UInt32.self, at: 28)
        macAddress = MACAddress((0..<6).reduce(UInt64(0)) { $0 << 8 | UInt64(r.load(UInt8.self, at: 32 + $1)) })
        maxMTU = Int(r.load(UInt32.self, at: 40))
    }
}

/// Queue limits from GET_FEATURE MAX_QUEUES_EXT (or MAX_QUEUES_NUM on older devices).
public struct ENAQueueLimits: Sendable, Equatable {
    /// Transmit submission queues.
    public var maxTxQueues: Int
    /// Receive submission queues.
    public var maxRxQueues: Int
    /// Deepest Tx queue.
    public var maxTxDepth: Int
    /// Deepest Rx queue.
    public var maxRxDepth: Int
    /// Largest Tx header (LLQ inline header).
    public var maxTxHeaderSize: Int
    /// Most descriptors per Tx packet.
    public var maxTxDescriptorsPerPacket: Int
    /// Most buffers per Rx packet.
    public var maxRxDescriptorsPerPacket: Int

    /// Parses MAX_QUEUES_EXT (version 1) or MAX_QUEUES_NUM.
    init(reply r: ENAAdminEntry, extended: Bool) {
        if extended {
            maxTxQueues = Int(min(r.load(UInt32.self, at: 12), r.load(UInt32.self, at: 16)))
            maxRxQueues = Int(min(r.load(UInt32.self, at: 20), r.load(UInt32.self, at: 24)))
            maxTxDepth = Int(min(r.load(UInt32.self, at: 28), r.load(UInt32.self, at: 32)))
            maxRxDepth = Int(min(r.load(UInt32.self, at: 36), r.load(UInt32.self, at: 40)))
            maxTxHeaderSize = Int(r.load(UInt32.self, at: 44))
            maxTxDescriptorsPerPacket = Int(r.load(UInt16.self, at: 48))
            maxRxDescriptorsPerPacket = Int(r.load(UInt16.self, at: 50))
        } else {
            maxTxQueues = Int(min(r.load(UInt32.self, at: 8), r.load(UInt32.self, at: 16)))
            maxRxQueues = maxTxQueues
            maxTxDepth = Int(min(r.load(UInt32.self, at: 12), r.load(UInt32.self, at: 20)))
            maxRxDepth = maxTxDepth
            maxTxHeaderSize = Int(r.load(UInt32.self, at: 32))
            maxTxDescriptorsPerPacket = Int(r.load(UInt16.self, at: 36))
            maxRxDescriptorsPerPacket = Int(r.load(UInt16.self, at: 38))
        }
    }
}

/// The LLQ layout the driver negotiated with SET_FEATURE LLQ: inline headers, descriptors in
/// the first entry before the header, several descriptors per later entry.
public struct ENALowLatencySettings: Sendable, Equatable {
    /// Bytes per LLQ entry.
    public var entrySize: Int
    /// Descriptors in a packet's first entry before the inline header.
    public var descriptorsBeforeHeader: Int
    /// Deepest LLQ the device offers for this entry size.
    public var maxDepth: Int

    /// Bytes of inline header a packet's first entry holds.
    public var inlineHeaderCapacity: Int { entrySize - 16 * descriptorsBeforeHeader }
    /// Byte offset of the inline header in an entry.
    public var headerOffset: Int { 16 * descriptorsBeforeHeader }
}

/// GET_STATS BASIC (`ena_admin_basic_stats`).
public struct ENABasicStatistics: Sendable, Equatable {
    /// Bytes sent.
    public var txBytes: UInt64 = 0
    /// Packets sent.
    public var txPackets: UInt64 = 0
    /// Bytes received.
    public var rxBytes: UInt64 = 0
    /// Packets received.
    public var rxPackets: UInt64 = 0
    /// Received packets dropped.
    public var rxDrops: UInt64 = 0
    /// Transmitted packets dropped.
    public var txDrops: UInt64 = 0
    /// Received packets dropped for lack of buffers.
    public var rxOverruns: UInt64 = 0

    /// All zero.
    public init() {}
}

/// GET_STATS ENI (`ena_admin_eni_stats`): packets the Nitro allowances shaped (queued or dropped).
public struct ENAENIStatistics: Sendable, Equatable {
    /// Inbound packets over the bandwidth allowance.
    public var bwInAllowanceExceeded: UInt64 = 0
    /// Outbound packets over the bandwidth allowance.
    public var bwOutAllowanceExceeded: UInt64 = 0
    /// Packets over the packets-per-second allowance.
    public var ppsAllowanceExceeded: UInt64 = 0
    /// Packets over the connection-tracking allowance.
    public var conntrackAllowanceExceeded: UInt64 = 0
    /// Packets over the link-local allowance.
    public var linklocalAllowanceExceeded: UInt64 = 0

    /// All zero.
    public init() {}
}

/// What the driver saw and did that a healthy device never causes, plus its event counts.
public struct ENADriverCounters: Sendable, Equatable {
    /// KEEP_ALIVE events received.
    public var keepAlives: UInt64 = 0
    /// LINK_CHANGE events received.
    public var linkChanges: UInt64 = 0
    /// NOTIFICATION events received (hint updates).
    public var notifications: UInt64 = 0
    /// DEVICE_REQUEST_RESET events received.
    public var resetRequests: UInt64 = 0
    /// Events of a group the driver did not enable or does not know.
    public var unknownEvents: UInt64 = 0
    /// Admin completions with a command id the driver was not waiting for (ignored).
    public var unexpectedAdminCompletions: UInt64 = 0
    /// Tx completions naming a request id that is out of range or not in flight (ignored).
    public var invalidTxRequestIDs: UInt64 = 0
    /// Rx completions naming a request id that is out of range or not posted (ignored).
    public var invalidRxRequestIDs: UInt64 = 0
    /// Rx completions longer than their buffer (the buffer was recycled).
    public var oversizeRxCompletions: UInt64 = 0
    /// Tx completions with a non-zero status (the device dropped the packet).
    public var txCompletionErrors: UInt64 = 0
    /// Watchdog ticks that found the keep-alive overdue.
    public var missedKeepAlives: UInt64 = 0
    /// Watchdog ticks that found a Tx queue with no completion progress for too long.
    public var missingTxCompletions: UInt64 = 0
    /// Resets the driver performed after bring-up (reset-and-recover).
    public var recoveries: UInt64 = 0

    /// All zero.
    public init() {}
}
