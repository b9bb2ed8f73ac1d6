import ENA
import PCIe
import RegisterModel

extension ENADriver {
    /// Posts `entry` on the admin queue (the driver sets the command id and phase), rings AQ_DB
    /// and waits for its completion, which it returns whatever its status. Completions carrying
    /// another command id are counted and skipped. Waits poll the ACQ (or sleep on vector 0 in
    /// interrupt mode) and end with ``ENADriverError/adminTimeout(opcode:commandID:)`` or, when
    /// DEV_STS shows FATAL_ERROR, ``ENADriverError/deviceFatal(status:)``.
    public func submitAdmin(_ entry: ENAAdminEntry) throws(ENADriverError) -> ENAAdminEntry {
        guard let admin else { throw .notRunning }
        busy = true
        defer { busy = false }
        let id = admin.post(entry)
        write(R.AQ_DB.offset, UInt32(admin.tail))
        let deadline = access.clock.now.advanced(by: adminCommandTimeout)
        var step = configuration.pollInterval
        while true {
            while let completion = admin.nextCompletion() {
                if completion.commandID == id { return completion }
                driverCounters.unexpectedAdminCompletions &+= 1
            }
            let status = try deviceStatus()
            if R.DEV_STS.fatalError.isSet(in: status) { throw .deviceFatal(status: status) }
            let now = access.clock.now
            guard now < deadline else { throw .adminTimeout(opcode: entry.opcode, commandID: id) }
            let left = VirtualDuration(nanoseconds: deadline.nanoseconds - now.nanoseconds)
            if adminInterrupts {
                _ = access.waitForInterrupt(vector: 0, timeout: min(left, .milliseconds(10)))
            } else {
                access.sleep(min(step, left))
                step = min(VirtualDuration(nanoseconds: step.nanoseconds * 2), .milliseconds(10))
            }
        }
    }

    /// Runs `opcode` with the fields `fill` sets; the completion, which must be SUCCESS.
    @discardableResult
    func admin(_ opcode: ENAAdminOpcode, _ fill: (inout ENAAdminEntry) -> Void = { _ in }) throws(ENADriverError)
        -> ENAAdminEntry
    {
        var entry = ENAAdminEntry()
        entry.opcode = opcode.rawValue
        fill(&entry)
        let completion = try submitAdmin(entry)
        guard completion.status == ENAAdminStatus.success.rawValue else {
            throw .adminStatus(opcode: opcode.rawValue, status: completion.status)
        }
        return completion
    }

    /// GET_FEATURE `feature` (`ena_admin_get_feat_cmd`: feature id at byte 17, version at 18).
    func getFeature(_ feature: ENAFeatureID, version: UInt8 = 0, _ fill: (inout ENAAdminEntry) -> Void = { _ in })
        throws(ENADriverError) -> ENAAdminEntry
    {
        try admin(.getFeature) {
            $0.store(feature.rawValue, at: 17)
            $0.store(version, at: 18)
            fill(&$0)
        }
    }

    /// SET_FEATURE `feature` (`ena_admin_set_feat_cmd`: the feature's data from byte 20).
    @discardableResult
    func setFeature(_ feature: ENAFeatureID, _ fill: (inout ENAAdminEntry) -> Void) throws(ENADriverError) -> ENAAdminEntry {
        try admin(.setFeature) {
            $0.store(feature.rawValue, at: 17)
            fill(&$0)
        }
    }

    /// The driver's control buffer, zeroed over `bytes` (at most 4 KiB). Only those bytes: every
    /// command hands the device a control buffer length of at most `bytes`, and the device reads
    /// and writes only that much (clearing all 4 KiB for a 48-byte hash key was a memset of
    /// 4 KiB per RSS command, several per bring-up).
    func zeroedControlBuffer(_ bytes: Int) throws(ENADriverError) -> DMABuffer {
        guard let buffer = controlBuffer, bytes >= 0, bytes <= buffer.count, let base = buffer.host.baseAddress else {
            throw .notRunning
        }
        base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        return buffer
    }

    // MARK: Features

    /// GET_FEATURE DEVICE_ATTRIBUTES, MAX_QUEUES_EXT (or MAX_QUEUES_NUM), HW_HINTS, AENQ_CONFIG
    /// and STATELESS_OFFLOAD_CONFIG, as `ena_com_get_dev_attr_feat` and probe read them.
    func readDeviceFeatures() throws(ENADriverError) {
        let attributes = ENADeviceAttributes(reply: try getFeature(.deviceAttributes))
        self.attributes = attributes
        if attributes.supports(.maxQueuesExtended) {
            limits = ENAQueueLimits(reply: try getFeature(.maxQueuesExtended, version: 1), extended: true)
        } else {
            limits = ENAQueueLimits(reply: try getFeature(.maxQueuesNumber), extended: false)
        }
        if attributes.supports(.hardwareHints) {
            hints = Self.hints(from: try getFeature(.hardwareHints), at: 8)
        }
        if attributes.supports(.aenqConfig) {
            enabledEventGroups = try getFeature(.aenqConfig).load(UInt32.self, at: 12)
        }
        if attributes.supports(.statelessOffloadConfig) {
            let r = try getFeature(.statelessOffloadConfig)
            offloads = (r.load(UInt32.self, at: 8), r.load(UInt32.self, at: 12), r.load(UInt32.self, at: 16))
        }
    }

    /// `ena_admin_ena_hw_hints` (eight u16) at `offset` of an entry.
    static func hints(from e: ENAAdminEntry, at offset: Int) -> ENAHardwareHints {
        func field(_ i: Int) -> UInt16 { e.load(UInt16.self, at: offset + 2 * i) }
        return ENAHardwareHints(
            mmioReadTimeout: field(0), driverWatchdogTimeout: field(1), missingTxCompletionTimeout: field(2),
            missedTxCompletionThreshold: field(3), adminCompletionTimeout: field(4), netdevWatchdogTimeout: field(5),
            maxTxSGLSize: field(6), maxRxSGLSize: field(7))
    }

    /// SET_FEATURE AENQ_CONFIG: the groups the driver handles that the device supports.
    func configureEvents() throws(ENADriverError) {
        guard let attributes, attributes.supports(.aenqConfig) else { return }
        let supported = try getFeature(.aenqConfig).load(UInt32.self, at: 8)
        let groups = supported & Self.wantedEventGroups
        try setFeature(.aenqConfig) { $0.store(groups, at: 24) }
        enabledEventGroups = groups
    }

    /// SET_FEATURE HOST_ATTR_CONFIG with `ena_admin_host_info` (`ena_config_host_info`): OS
    /// type, distribution and kernel strings, driver version, spec version, CPUs, bus address.
    func sendHostInfo() throws(ENADriverError) {
        let buffer = try zeroedControlBuffer(4096)
        let info = buffer.host
        info.storeBytes(of: UInt32(1).littleEndian, as: UInt32.self)
        for (i, byte) in "DeviceBench".utf8.enumerated() { info[4 + i] = byte }
        for (i, byte) in "swift-ena".utf8.enumerated() { info[136 + i] = byte }
        info.storeBytes(of: UInt32(0x0001_0002).littleEndian, toByteOffset: 172, as: UInt32.self)
        info.storeBytes(of: UInt16(0x020A).littleEndian, toByteOffset: 184, as: UInt16.self)
        info.storeBytes(of: access.bdf.routingID.littleEndian, toByteOffset: 186, as: UInt16.self)
        info.storeBytes(of: UInt16(1).littleEndian, toByteOffset: 188, as: UInt16.self)
        let address = buffer.deviceAddress.value
        try setFeature(.hostAttributeConfig) {
            $0.setAddress(address, at: 20)
            $0.setAddress(0, at: 28)
            $0.store(UInt32(0), at: 36)
        }
    }
}
