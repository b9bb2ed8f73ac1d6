import Network
import PCIe

extension ENADevice {
    /// SET_FEATURE (`ena_admin_set_feat_cmd`): feature id at byte 17, the feature's data from byte 20.
    func setFeature(_ c: ENAAdminEntry, _ r: inout ENAAdminEntry) -> ENAAdminStatus {
        guard let feature = ENAFeatureID(rawValue: c.load(UInt8.self, at: 17)), Self.supportedFeatures.contains(feature)
        else {
            return reject(.unsupportedOpcode, c, "SET_FEATURE of unsupported feature \(c.load(UInt8.self, at: 17))")
        }
        switch feature {
        case .mtu:
            let mtu = Int(c.load(UInt32.self, at: 20))
            guard (128...configuration.maxMTU).contains(mtu) else {
                return reject(.illegalParameter, c, "MTU \(mtu) outside 128...\(configuration.maxMTU)")
            }
            features.mtu = mtu
        case .hostAttributeConfig: return setHostAttributes(c)
        case .aenqConfig:
            let groups = c.load(UInt32.self, at: 24)
            guard groups & ~Self.supportedEventGroups == 0 else {
                return reject(.illegalParameter, c, "AENQ groups 0x\(hex(groups)) beyond 0x\(hex(Self.supportedEventGroups))")
            }
            let newlyLink = groups & ~events.enabledGroups & ENAEventGroup.linkChange.bit != 0
            events.enabledGroups = groups
            if newlyLink { postLinkChange() }
        case .rssHashFunction: return setHashFunction(c)
        case .rssHashInput: return setHashInput(c)
        case .rssIndirectionTableConfig: return setIndirectionTable(c)
        case .lowLatencyQueue: return setLowLatencyQueue(c)
        case .statelessOffloadConfig:
            let enabled = c.load(UInt32.self, at: 28)
            guard enabled & ~FeatureState.rxOffloadsSupported == 0 else {
                return reject(.illegalParameter, c, "Rx offloads 0x\(hex(enabled)) are not supported")
            }
            features.rxOffloadsEnabled = enabled
        default:
            return reject(.illegalParameter, c, "feature \(feature) cannot be set")
        }
        return .success
    }

    /// HOST_ATTR_CONFIG: reads `ena_admin_host_info` from `os_info_ba`; the debug area must be
    /// writable when it has a size.
    private func setHostAttributes(_ c: ENAAdminEntry) -> ENAAdminStatus {
        let info = c.address(at: 20)
        let debug = c.address(at: 28)
        let debugSize = c.load(UInt32.self, at: 36)
        if debugSize > 0 {
            guard (try? dma.hostPointer(IOVA(debug), length: UInt64(debugSize), access: .write)) != nil else {
                return reject(.malformedRequest, c, "debug area at 0x\(hex(debug)) (\(debugSize) bytes) is not DMA-writable")
            }
        }
        guard info != 0 else { return .success }
        guard let p = try? dma.hostPointer(IOVA(info), length: UInt64(ENAHostInfo.size), access: .read) else {
            return reject(.malformedRequest, c, "host info at 0x\(hex(info)) is not DMA-readable")
        }
        hostInfo = ENAHostInfo(loadingFrom: UnsafeRawPointer(p))
        return .success
    }

    /// RSS_HASH_FUNCTION: Toeplitz only; the 40-byte key from the control buffer.
    private func setHashFunction(_ c: ENAAdminEntry) -> ENAAdminStatus {
        let selected = c.load(UInt32.self, at: 24)
        guard selected == Self.supportedHashFunctions else {
            return reject(.illegalParameter, c, "hash function bitmap 0x\(hex(selected)); only Toeplitz (0x2) is supported")
        }
        var status = ENAAdminStatus.success
        guard let buffer = controlBuffer(c, bytes: 48, access: .read, &status) else { return status }
        let parts = UInt32(littleEndian: buffer.loadUnaligned(as: UInt32.self))
        guard parts == 10 else { return reject(.illegalParameter, c, "hash key of \(parts) parts (10)") }
        let bytes = (0..<ToeplitzKey.length).map { buffer.load(fromByteOffset: 8 + $0, as: UInt8.self) }
        guard let key = ToeplitzKey(bytes: bytes) else { return reject(.malformedRequest, c, "hash key") }
        features.hashFunction = 1
        features.hashInitialValue = c.load(UInt32.self, at: 28)
        features.hashKey = key
        // The hasher (and the RSS table built from it) is a function of the key alone.
        if key != features.hasher.key { features.hasher = ToeplitzHasher(key: key) }
        return .success
    }

    /// RSS_HASH_INPUT: selected fields per protocol from the control buffer (bytes 64...127).
    private func setHashInput(_ c: ENAAdminEntry) -> ENAAdminStatus {
        let sort = c.load(UInt16.self, at: 22)
        guard sort & ~0x6 == 0 else { return reject(.illegalParameter, c, "input sort 0x\(hex(sort))") }
        var status = ENAAdminStatus.success
        guard let buffer = controlBuffer(c, bytes: 128, access: .read, &status) else { return status }
        var fields = [UInt16](repeating: 0, count: 16)
        for proto in 0..<16 {
            fields[proto] = UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: 64 + 4 * proto, as: UInt16.self))
            let supported = proto < 10 ? FeatureState.allHashFields : 0
            guard fields[proto] & ~supported == 0 else {
                return reject(.illegalParameter, c, "hash fields 0x\(hex(fields[proto])) for protocol \(proto)")
            }
        }
        features.hashFields = fields
        features.hashSelection = FeatureState.selection(fields)
        features.enabledInputSort = sort
        return .success
    }

    /// RSS_INDIRECTION_TABLE_CONFIG: one inline entry (`inline_index` != 0xffffffff) or 2^size
    /// entries from the control buffer; every entry must name the CQ of an Rx queue.
    private func setIndirectionTable(_ c: ENAAdminEntry) -> ENAAdminStatus {
        let logSize = Int(c.load(UInt16.self, at: 24))
        let inlineIndex = c.load(UInt32.self, at: 28)
        if inlineIndex != UInt32.max {
            let cq = c.load(UInt16.self, at: 32)
            guard Int(inlineIndex) < 1 << features.indirectionLogSize else {
                return reject(.illegalParameter, c, "indirection index \(inlineIndex) beyond the table")
            }
            guard isReceiveCompletionQueue(cq) else { return reject(.illegalParameter, c, "CQ \(cq) has no Rx queue") }
            features.indirection[Int(inlineIndex)] = cq
            return .success
        }
        guard logSize <= 8 else { return reject(.illegalParameter, c, "indirection table of 2^\(logSize) entries (max 2^8)") }
        let entries = 1 << logSize
        var status = ENAAdminStatus.success
        guard let buffer = controlBuffer(c, bytes: 4 * entries, access: .read, &status) else { return status }
        var table = [UInt16](repeating: FeatureState.unsetEntry, count: FeatureState.indirectionCapacity)
        for i in 0..<entries {
            let cq = UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: 4 * i, as: UInt16.self))
            guard isReceiveCompletionQueue(cq) else {
                return reject(.illegalParameter, c, "indirection entry \(i): CQ \(cq) has no Rx queue")
            }
            table[i] = cq
        }
        features.indirection = table
        features.indirectionLogSize = logSize
        return .success
    }

    /// Whether completion queue `cq` belongs to a receive queue.
    func isReceiveCompletionQueue(_ cq: UInt16) -> Bool {
        let i = Int(cq)
        guard i < queues.count, queues.completion[i].exists else { return false }
        let sq = queues.completion[i].boundQueue
        return sq >= 0 && !queues.submission[sq].isTransmit
    }

    /// RSS_IND_ENTRY_UPDATE written: one indirection entry; bad values are ignored.
    func indirectionEntryWritten() {
        let v = registers.value(at: R.RSS_IND_ENTRY_UPDATE.offset)
        registers.set(R.RSS_IND_ENTRY_UPDATE.offset, 0)
        let index = Int(R.RSS_IND_ENTRY_UPDATE.index.extract(from: v))
        let cq = UInt16(truncatingIfNeeded: R.RSS_IND_ENTRY_UPDATE.cqIndex.extract(from: v))
        guard index < 1 << features.indirectionLogSize, isReceiveCompletionQueue(cq) else {
            report(.device, "RSS_IND_ENTRY_UPDATE index \(index) CQ \(cq): no such entry or Rx queue; ignored")
            return
        }
        features.indirection[index] = cq
    }

    /// LLQ: inline headers, 128/192/256-byte entries, 1/2/4/8 descriptors before the header,
    /// single or multiple descriptors per later entry. Refused while LLQ queues exist.
    private func setLowLatencyQueue(_ c: ENAAdminEntry) -> ENAAdminStatus {
        let location = c.load(UInt16.self, at: 30)
        let sizeCode = c.load(UInt16.self, at: 34)
        let before = Int(c.load(UInt16.self, at: 38))
        let stride = c.load(UInt16.self, at: 42)
        let entrySize = sizeCode == 1 ? 128 : sizeCode == 2 ? 192 : sizeCode == 4 ? 256 : 0
        guard location == 1 else { return reject(.illegalParameter, c, "header location \(location) (only inline, 1)") }
        guard entrySize != 0 else { return reject(.illegalParameter, c, "entry size code \(sizeCode)") }
        guard [1, 2, 4, 8].contains(before), before * ENATxDescriptor.size < entrySize else {
            return reject(.illegalParameter, c, "\(before) descriptors before the header in \(entrySize)-byte entries")
        }
        guard stride == 1 || stride == 2 else { return reject(.illegalParameter, c, "descriptor stride control \(stride)") }
        guard llqSlotsInUse == 0 else { return reject(.resourceBusy, c, "LLQ layout changed while LLQ queues exist") }
        features.llq = LLQConfiguration(
            entrySize: entrySize, descriptorsBeforeHeader: before, multipleDescriptorsPerEntry: stride == 2)
        return .success
    }
}

/// What the driver said about its host with SET_FEATURE HOST_ATTR_CONFIG (`ena_admin_host_info`).
public struct ENAHostInfo: Sendable, Equatable {
    /// Bytes of `ena_admin_host_info` the device reads.
    static let size = 196
    /// `os_type` (ENA_ADMIN_OS_*: 1 Linux, ...).
    public let osType: UInt32
    /// `os_dist_str`.
    public let distribution: String
    /// `kernel_ver_str`.
    public let kernelVersion: String
    /// `driver_version`: major 7:0, minor 15:8, sub-minor 23:16, module type 31:24.
    public let driverVersion: UInt32
    /// `ena_spec_version`.
    public let specVersion: UInt16
    /// `num_cpus`.
    public let cpuCount: UInt16
    /// `driver_supported_features` bitmap.
    public let driverSupportedFeatures: UInt32

    init(loadingFrom p: UnsafeRawPointer) {
        func text(_ offset: Int, _ count: Int) -> String {
            let bytes = (0..<count).map { p.load(fromByteOffset: offset + $0, as: UInt8.self) }
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        osType = UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))
        distribution = text(4, 128)
        kernelVersion = text(136, 32)
        driverVersion = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 172, as: UInt32.self))
        specVersion = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 184, as: UInt16.self))
        cpuCount = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 188, as: UInt16.self))
        driverSupportedFeatures = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 192, as: UInt32.self))
    }
}
