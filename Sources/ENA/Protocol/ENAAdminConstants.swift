/// Admin queue opcodes (`ena_admin_aq_opcode`).
public enum ENAAdminOpcode: UInt8, Sendable, CaseIterable {
    case createSQ = 1
    case destroySQ = 2
    case createCQ = 3
    case destroyCQ = 4
    case getFeature = 8
    case setFeature = 9
    case getStats = 11
}

/// Admin completion status (`ena_admin_aq_completion_status`).
public enum ENAAdminStatus: UInt8, Sendable, CaseIterable {
    case success = 0
    case resourceAllocationFailure = 1
    case badOpcode = 2
    case unsupportedOpcode = 3
    case malformedRequest = 4
    case illegalParameter = 5
    case unknownError = 6
    case resourceBusy = 7
}

/// GET_FEATURE / SET_FEATURE feature ids (`ena_admin_aq_feature_id`).
public enum ENAFeatureID: UInt8, Sendable, CaseIterable {
    case deviceAttributes = 1
    case maxQueuesNumber = 2
    case hardwareHints = 3
    case lowLatencyQueue = 4
    case extraPropertiesStrings = 5
    case extraPropertiesFlags = 6
    case maxQueuesExtended = 7
    case rssHashFunction = 10
    case statelessOffloadConfig = 11
    case rssIndirectionTableConfig = 12
    case mtu = 14
    case rssHashInput = 18
    case interruptModeration = 20
    case aenqConfig = 26
    case linkConfig = 27
    case hostAttributeConfig = 28
    case phcConfig = 29
}

/// GET_STATS types (`ena_admin_get_stats_type`).
public enum ENAStatisticsType: UInt8, Sendable, CaseIterable {
    case basic = 0
    case extended = 1
    case eni = 2
    case enaSRD = 3
    case customerMetrics = 4
}

/// Asynchronous event groups (`ena_admin_aenq_group`); the AENQ_CONFIG bitmaps use `1 << rawValue`.
public enum ENAEventGroup: UInt16, Sendable, CaseIterable {
    case linkChange = 0
    case fatalError = 1
    case warning = 2
    case notification = 3
    case keepAlive = 4
    case refreshCapabilities = 5
    case configurationNotifications = 6
    case deviceRequestReset = 7

    /// The group's bit in AENQ_CONFIG's supported and enabled bitmaps.
    public var bit: UInt32 { 1 << UInt32(rawValue) }
}

/// Device capability bits of DEVICE_ATTRIBUTES (`ena_admin_aq_caps_id`).
public enum ENACapability: UInt32, Sendable, CaseIterable {
    case eniStatistics = 0
    case enaSRDInfo = 1
    case customerMetrics = 2
    case extendedResetReasons = 3
    case completionDescriptorMBZ = 4

    /// The capability's bit in the bitmap.
    public var bit: UInt32 { 1 << rawValue }
}

/// Customer metric ids of GET_STATS CUSTOMER_METRICS (`ena_admin_customer_metrics_id`); the
/// request and reply bitmaps use `1 << rawValue`, values come in id order.
public enum ENACustomerMetric: UInt8, Sendable, CaseIterable {
    case bwInAllowanceExceeded = 0
    case bwOutAllowanceExceeded = 1
    case ppsAllowanceExceeded = 2
    case conntrackAllowanceExceeded = 3
    case linklocalAllowanceExceeded = 4
    case conntrackAllowanceAvailable = 5
}

/// Reset reasons a driver writes to DEV_CTL (`ena_regs_reset_reason_types`). Values of 16 and
/// above need the extended-reset-reasons capability (the high bits go to DEV_CTL 27:24).
public enum ENAResetReason: UInt8, Sendable, CaseIterable {
    case normal = 0
    case keepAliveTimeout = 1
    case adminTimeout = 2
    case missingTxCompletion = 3
    case invalidRxRequestID = 4
    case invalidTxRequestID = 5
    case tooManyRxDescriptors = 6
    case initializationError = 7
    case driverInvalidState = 8
    case osTrigger = 9
    case osNetdevWatchdog = 10
    case shutdown = 11
    case userTrigger = 12
    case generic = 13
    case missingInterrupt = 14
    case suspectedPollStarvation = 15
    case rxDescriptorMalformed = 16
    case txDescriptorMalformed = 17
    case missingAdminInterrupt = 18
    case deviceRequest = 19
    case missingFirstInterrupt = 20
}

/// SQ placement policies of CREATE_SQ (`ena_admin_placement_policy_type`).
public enum ENAPlacementPolicy: UInt8, Sendable {
    /// Descriptors and headers in host memory.
    case host = 1
    /// Descriptors and inline headers written into the LLQ BAR (low-latency queue).
    case device = 3
}

/// SQ directions of CREATE_SQ / DESTROY_SQ (`ena_admin_sq_direction`).
public enum ENAQueueDirection: UInt8, Sendable {
    case transmit = 1
    case receive = 2
}

/// Notification syndromes of the NOTIFICATION event group.
public enum ENANotificationSyndrome: UInt16, Sendable {
    /// New hardware hints in the event data (`ena_admin_ena_hw_hints`).
    case updateHints = 2
}
