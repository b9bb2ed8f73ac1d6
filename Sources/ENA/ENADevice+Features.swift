import Network
import PCIe

extension ENADevice {
    /// Features GET_FEATURE answers (the DEVICE_ATTRIBUTES `supported_features` bitmap).
    static let supportedFeatures: [ENAFeatureID] = [
        .deviceAttributes, .maxQueuesNumber, .hardwareHints, .lowLatencyQueue, .maxQueuesExtended, .rssHashFunction,
        .statelessOffloadConfig, .rssIndirectionTableConfig, .mtu, .rssHashInput, .interruptModeration, .aenqConfig,
        .linkConfig, .hostAttributeConfig,
    ]
    /// Event groups the device reports.
    static let supportedEventGroups: UInt32 =
        ENAEventGroup.linkChange.bit | ENAEventGroup.notification.bit | ENAEventGroup.keepAlive.bit
        | ENAEventGroup.deviceRequestReset.bit
    /// Device capabilities: ENI statistics, customer metrics, extended reset reasons.
    static let capabilities: UInt32 =
        ENACapability.eniStatistics.bit | ENACapability.customerMetrics.bit | ENACapability.extendedResetReasons.bit
    /// Interrupt moderation granularity, µs.
    static let interruptDelayResolution: UInt16 = 1
    /// Supported hash functions: Toeplitz (`1 << ENA_ADMIN_TOEPLITZ`).
    static let supportedHashFunctions: UInt32 = 1 << 1

    /// Largest LLQ depth for `entrySize`-byte entries.
    func llqDepth(entrySize: Int) -> Int {
        let entries = llqRegionSize / entrySize
        var depth = 1
        while depth * 2 <= entries { depth *= 2 }
        return min(depth, configuration.maxQueueDepth)
    }

    /// GET_FEATURE (`ena_admin_get_feat_cmd`): feature id at byte 17, reply from byte 8.
    func getFeature(_ c: ENAAdminEntry, _ r: inout ENAAdminEntry) -> ENAAdminStatus {
        guard let feature = ENAFeatureID(rawValue: c.load(UInt8.self, at: 17)), Self.supportedFeatures.contains(feature)
        else {
            return reject(.unsupportedOpcode, c, "GET_FEATURE of unsupported feature \(c.load(UInt8.self, at: 17))")
        }
        let pairs = UInt32(configuration.queuePairs)
        let depth = UInt32(configuration.maxQueueDepth)
        switch feature {
        case .deviceAttributes:
            r.store(UInt32(R.CONTROLLER_VERSION.implID.extract(from: R.CONTROLLER_VERSION.reset)), at: 8)
            r.store(UInt32(R.VERSION.reset), at: 12)
            r.store(Self.supportedFeatures.reduce(UInt32(0)) { $0 | 1 << UInt32($1.rawValue) }, at: 16)
            r.store(Self.capabilities, at: 20)
            r.store(UInt32(configuration.dmaAddressWidth), at: 24)
            r.store(UInt32(48), at: 28)
            let mac = configuration.macAddress.value
            for i in 0..<6 { r.store(UInt8(truncatingIfNeeded: mac >> UInt64(8 * (5 - i))), at: 32 + i) }
            r.store(UInt32(configuration.maxMTU), at: 40)
        case .maxQueuesNumber:
            for (i, v) in [pairs, depth, pairs, depth, pairs, UInt32(llqDepth(entrySize: 128))].enumerated() {
                r.store(v, at: 8 + 4 * i)
            }
            r.store(UInt32(configuration.maxTxHeaderSize), at: 32)
            r.store(UInt16(configuration.maxTxDescriptorsPerPacket), at: 36)
            r.store(UInt16(configuration.maxRxDescriptorsPerPacket), at: 38)
        case .maxQueuesExtended:
            r.store(UInt8(1), at: 8)
            for (i, v) in [pairs, pairs, pairs, pairs, depth, depth, depth, depth].enumerated() { r.store(v, at: 12 + 4 * i) }
            r.store(UInt32(configuration.maxTxHeaderSize), at: 44)
            r.store(UInt16(configuration.maxTxDescriptorsPerPacket), at: 48)
            r.store(UInt16(configuration.maxRxDescriptorsPerPacket), at: 50)
        case .hardwareHints:
            hints.store(into: &r, at: 8)
        case .lowLatencyQueue:
            storeLLQ(into: &r)
        case .aenqConfig:
            r.store(Self.supportedEventGroups, at: 8)
            r.store(events.enabledGroups, at: 12)
        case .statelessOffloadConfig:
            r.store(FeatureState.txOffloadsSupported, at: 8)
            r.store(FeatureState.rxOffloadsSupported, at: 12)
            r.store(features.rxOffloadsEnabled, at: 16)
        case .rssHashFunction:
            return getHashFunction(c, &r)
        case .rssIndirectionTableConfig:
            return getIndirectionTable(c, &r)
        case .mtu:
            r.store(UInt32(features.mtu), at: 8)
        case .rssHashInput:
            return getHashInput(c, &r)
        case .interruptModeration:
            r.store(Self.interruptDelayResolution, at: 8)
        case .linkConfig:
            r.store(configuration.linkSpeedMbps, at: 8)
            r.store(Self.linkTypes(speedMbps: configuration.linkSpeedMbps), at: 12)
            r.store(UInt32(2), at: 16)
        case .hostAttributeConfig:
            return reject(.unsupportedOpcode, c, "HOST_ATTR_CONFIG can only be set")
        default:
            return reject(.unsupportedOpcode, c, "GET_FEATURE of unsupported feature \(feature)")
        }
        return .success
    }

    /// The `ena_admin_link_types` bit of a speed (0 when it is not one of the listed speeds).
    static func linkTypes(speedMbps: UInt32) -> UInt32 {
        let speeds: [UInt32] = [1000, 2500, 5000, 10_000, 25_000, 40_000, 50_000, 100_000, 200_000, 400_000]
        guard let i = speeds.firstIndex(of: speedMbps) else { return 0 }
        return 1 << UInt32(i)
    }

    /// `ena_admin_feature_llq_desc` at byte 8 of a reply.
    private func storeLLQ(into r: inout ENAAdminEntry) {
        let llq = features.llq
        r.store(UInt32(configuration.queuePairs), at: 8)
        r.store(UInt32(llqDepth(entrySize: 128)), at: 12)
        r.store(UInt16(1), at: 16)
        r.store(UInt16(1), at: 18)
        r.store(UInt16(1 | 2 | 4), at: 20)
        r.store(Self.entrySizeCode(llq.entrySize), at: 22)
        r.store(UInt16(1 | 2 | 4 | 8), at: 24)
        r.store(UInt16(llq.descriptorsBeforeHeader), at: 26)
        r.store(UInt16(1 | 2), at: 28)
        r.store(UInt16(llq.multipleDescriptorsPerEntry ? 2 : 1), at: 30)
        r.store(UInt8(1), at: 32)
        r.store(UInt8(1), at: 33)
        r.store(UInt16(llqDepth(entrySize: 256)), at: 34)
    }

    /// `ena_admin_llq_ring_entry_size` code of an entry size.
    static func entrySizeCode(_ size: Int) -> UInt16 { size == 256 ? 4 : size == 192 ? 2 : 1 }

    /// RSS_HASH_FUNCTION: the function inline, the key (`ena_admin_feature_rss_flow_hash_control`)
    /// in the control buffer when one is given.
    private func getHashFunction(_ c: ENAAdminEntry, _ r: inout ENAAdminEntry) -> ENAAdminStatus {
        if c.hasControlBuffer {
            var status = ENAAdminStatus.success
            guard let buffer = controlBuffer(c, bytes: 48, access: .write, &status) else { return status }
            buffer.storeBytes(of: UInt32(10).littleEndian, as: UInt32.self)
            buffer.storeBytes(of: UInt32(0), toByteOffset: 4, as: UInt32.self)
            for (i, b) in features.hashKey.bytes.enumerated() { buffer.storeBytes(of: b, toByteOffset: 8 + i, as: UInt8.self) }
        }
        r.store(Self.supportedHashFunctions, at: 8)
        r.store(UInt32(1) << UInt32(features.hashFunction), at: 12)
        r.store(features.hashInitialValue, at: 16)
        return .success
    }

    /// RSS_INDIRECTION_TABLE_CONFIG: sizes inline, the table in the control buffer when given.
    private func getIndirectionTable(_ c: ENAAdminEntry, _ r: inout ENAAdminEntry) -> ENAAdminStatus {
        let entries = 1 << features.indirectionLogSize
        if c.hasControlBuffer {
            var status = ENAAdminStatus.success
            guard let buffer = controlBuffer(c, bytes: 4 * entries, access: .write, &status) else { return status }
            for i in 0..<entries {
                buffer.storeBytes(of: UInt32(features.indirection[i]).littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        }
        r.store(UInt16(0), at: 8)
        r.store(UInt16(8), at: 10)
        r.store(UInt16(features.indirectionLogSize), at: 12)
        r.store(UInt8(1), at: 14)
        r.store(UInt32.max, at: 16)
        return .success
    }

    /// RSS_HASH_INPUT: sort flags inline, `ena_admin_feature_rss_hash_control` (supported then
    /// selected fields per protocol) in the control buffer when given.
    private func getHashInput(_ c: ENAAdminEntry, _ r: inout ENAAdminEntry) -> ENAAdminStatus {
        if c.hasControlBuffer {
            var status = ENAAdminStatus.success
            guard let buffer = controlBuffer(c, bytes: 256, access: .write, &status) else { return status }
            buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 256)
            for proto in 0..<16 {
                let supported = proto < 10 ? FeatureState.allHashFields : 0
                buffer.storeBytes(of: supported.littleEndian, toByteOffset: 4 * proto, as: UInt16.self)
                buffer.storeBytes(of: features.hashFields[proto].littleEndian, toByteOffset: 64 + 4 * proto, as: UInt16.self)
            }
        }
        r.store(UInt16(0x6), at: 8)
        r.store(features.enabledInputSort, at: 10)
        return .success
    }
}
