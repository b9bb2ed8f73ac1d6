import NVMe
import PCIe

extension NVMeDriver {
    /// Runs an admin command and waits for it. `entry` supplies NSID and CDW10-15; the driver
    /// sets the header (opcode, command identifier) and, for `dataLength` > 0, PRPs over its
    /// admin data buffer, which holds `dataOut` (if given) before the command and the
    /// controller's data after it. Returns the completion whatever its status.
    func executeAdmin(
        _ opcode: UInt8, _ entry: SubmissionEntry, dataLength: Int = 0, dataOut: [UInt8]? = nil,
        timeout: VirtualDuration? = nil
    ) throws(NVMeDriverError) -> NVMeCompletion {
        guard let admin, let data = adminData else { throw .notRunning }
        guard dataLength >= 0, dataLength <= data.count else {
            throw .invalidTransfer("admin data of \(dataLength) bytes (at most \(data.count))")
        }
        guard let slot = admin.acquire() else { throw .queueFull(queue: -1) }
        var e = entry
        e.setHeader(opcode: opcode, commandID: UInt16(slot))
        if dataLength > 0 {
            data.host.initializeMemory(as: UInt8.self, repeating: 0, count: dataLength)
            if let dataOut {
                dataOut.withUnsafeBytes { bytes in
                    if let from = bytes.baseAddress { data.host.copyMemory(from: from, byteCount: min(bytes.count, dataLength)) }
                }
            }
            guard let prp = admin.buildPRPs(slot: slot, address: data.address, length: dataLength) else {
                admin.release(slot)
                throw .invalidTransfer("admin data of \(dataLength) bytes")
            }
            e[dword: 6] = UInt32(truncatingIfNeeded: prp.prp1)
            e[dword: 7] = UInt32(truncatingIfNeeded: prp.prp1 >> 32)
            e[dword: 8] = UInt32(truncatingIfNeeded: prp.prp2)
            e[dword: 9] = UInt32(truncatingIfNeeded: prp.prp2 >> 32)
        }
        admin.post(e, slot: slot)
        admin.ring(access, bar: bar)
        let completion = try waitForCompletion(
            of: UInt16(slot), on: admin, timeout: timeout ?? configuration.commandTimeout)
        try collectAsyncEvents()
        return completion
    }

    /// Runs an admin command that must succeed; returns CQE DW0.
    @discardableResult
    func admin(
        _ opcode: AdminOpcode, namespace: UInt32 = 0, _ dwords: [Int: UInt32] = [:], dataLength: Int = 0,
        dataOut: [UInt8]? = nil, timeout: VirtualDuration? = nil
    ) throws(NVMeDriverError) -> UInt32 {
        var e = SubmissionEntry()
        e[dword: 1] = namespace
        for (i, v) in dwords { e[dword: i] = v }
        let c = try executeAdmin(opcode.rawValue, e, dataLength: dataLength, dataOut: dataOut, timeout: timeout)
        guard c.status.isSuccess else { throw .command(c.status) }
        return c.dword0
    }

    /// The first `count` bytes of the admin data buffer.
    func adminDataBytes(_ count: Int) -> UnsafeRawBufferPointer {
        guard let data = adminData else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: data.host, count: min(max(count, 0), data.count))
    }

    /// Waits until `commandID` completes on `pair` (completions of other commands are stashed).
    func waitForCompletion(
        of commandID: UInt16, on pair: NVMeQueuePair, timeout: VirtualDuration
    ) throws(NVMeDriverError) -> NVMeCompletion {
        let deadline = access.clock.now.advanced(by: timeout)
        while true {
            if let c = pair.takeStashed(commandID) ?? pair.reapAll(access, bar: bar, lookingFor: commandID) {
                if c.status == NVMeCompletion.abortedByResetStatus {
                    throw .abortedByReset(queue: pair.id - 1, commandID: commandID)
                }
                return c
            }
            let csts = access.read32(bar, NVMeRegister.csts)
            if csts & NVMeRegister.cstsFatal != 0 || csts & NVMeRegister.cstsReady == 0 {
                pair.abandon(Int(commandID))
                throw csts & NVMeRegister.cstsFatal != 0 ? .controllerFatal(status: csts) : .notRunning
            }
            let now = access.clock.now
            guard now < deadline else {
                pair.abandon(Int(commandID))
                throw .timeout(queue: pair.id - 1, commandID: commandID)
            }
            if usesInterrupts {
                _ = access.waitForInterrupt(
                    vector: pair.vector, timeout: VirtualDuration(nanoseconds: deadline.nanoseconds - now.nanoseconds))
            } else {
                access.sleep(configuration.pollInterval)
            }
        }
    }

    // MARK: Asynchronous events

    /// Posts Asynchronous Event Requests until the target number is outstanding.
    func submitAsyncEventRequests() throws(NVMeDriverError) {
        guard isRunning, let admin else { return }
        while asyncEventCommands.count < asyncEventTarget, admin.outstanding < admin.slotCount - 1,
            let slot = admin.acquire()
        {
            var e = SubmissionEntry()
            e.setHeader(opcode: AdminOpcode.asyncEventRequest.rawValue, commandID: UInt16(slot))
            admin.post(e, slot: slot)
            asyncEventCommands.append(UInt16(slot))
        }
        admin.ring(access, bar: bar)
    }

    /// Turns stashed AER completions into ``asyncEvents`` and re-arms the requests.
    func collectAsyncEvents() throws(NVMeDriverError) {
        guard let admin, !asyncEventCommands.isEmpty else { return }
        let outstanding = asyncEventCommands
        let done = admin.takeStashed { outstanding.contains($0.commandID) }
        guard !done.isEmpty else { return }
        for c in done {
            asyncEventCommands.removeAll { $0 == c.commandID }
            if c.status.isSuccess {
                asyncEvents.append(AsyncEvent(dword0: c.dword0))
            } else if c.status.type == NVMeStatus.asyncEventLimitExceeded.type,
                c.status.code == NVMeStatus.asyncEventLimitExceeded.code
            {
                asyncEventTarget = asyncEventCommands.count
            }
        }
        try submitAsyncEventRequests()
    }

    /// Consumes admin completions now and returns (and forgets) the asynchronous events reported.
    public func pollAsyncEvents() throws(NVMeDriverError) -> [AsyncEvent] {
        if let admin { _ = admin.reapAll(access, bar: bar, lookingFor: nil) }
        try collectAsyncEvents()
        return takeAsyncEvents()
    }

    /// Returns and forgets the asynchronous events reported so far.
    public func takeAsyncEvents() -> [AsyncEvent] {
        defer { asyncEvents = [] }
        return asyncEvents
    }

    /// Waits (on MSI-X vector 0, or polling) for an asynchronous event; returns the first one
    /// reported (the rest stay in ``asyncEvents``), or nil after `timeout`.
    public func waitForAsyncEvent(timeout: VirtualDuration) throws(NVMeDriverError) -> AsyncEvent? {
        let deadline = access.clock.now.advanced(by: timeout)
        while true {
            if let admin { _ = admin.reapAll(access, bar: bar, lookingFor: nil) }
            try collectAsyncEvents()
            if !asyncEvents.isEmpty { return asyncEvents.removeFirst() }
            let now = access.clock.now
            guard now < deadline else { return nil }
            if usesInterrupts {
                _ = access.waitForInterrupt(
                    vector: 0, timeout: VirtualDuration(nanoseconds: deadline.nanoseconds - now.nanoseconds))
            } else {
                access.sleep(configuration.pollInterval)
            }
        }
    }

    /// Asynchronous Event Requests currently outstanding.
    public var outstandingAsyncEventRequests: Int { asyncEventCommands.count }

    // MARK: Generic admin commands

    /// Runs an arbitrary admin command (conformance and bad-input tests): `entry`'s NSID and
    /// CDW10-15 are sent as given, the header gets `opcode` and a driver command identifier,
    /// PRPs cover `dataLength` bytes of the admin data buffer (pre-filled with `dataOut`).
    /// Returns the completion (any status) and the data buffer afterwards.
    public func passthroughAdmin(
        opcode: UInt8, _ entry: SubmissionEntry, dataLength: Int = 0, dataOut: [UInt8]? = nil
    ) throws(NVMeDriverError) -> (completion: NVMeCompletion, data: [UInt8]) {
        let c = try executeAdmin(opcode, entry, dataLength: dataLength, dataOut: dataOut)
        return (c, Array(adminDataBytes(dataLength)))
    }

    /// Get Features `feature` (CDW11 as given); returns CQE DW0.
    public func getFeature(_ feature: FeatureID, dword11: UInt32 = 0) throws(NVMeDriverError) -> UInt32 {
        try admin(.getFeatures, [10: UInt32(feature.rawValue), 11: dword11])
    }

    /// Set Features `feature` to `value` (CDW11); returns CQE DW0.
    @discardableResult
    public func setFeature(_ feature: FeatureID, value: UInt32) throws(NVMeDriverError) -> UInt32 {
        try admin(.setFeatures, [10: UInt32(feature.rawValue), 11: value])
    }

    /// Get Log Page `page`: `length` bytes (a multiple of 4) from byte `offset`.
    /// `retainAsyncEvent` sets RAE, so an asynchronous event tied to the page is not cleared.
    public func logPage(
        _ page: LogPageID, namespace: UInt32 = 0xFFFF_FFFF, length: Int, offset: UInt64 = 0, retainAsyncEvent: Bool = false
    ) throws(NVMeDriverError) -> [UInt8] {
        guard length >= 4, length % 4 == 0 else { throw .invalidTransfer("log page length \(length) is not a multiple of 4") }
        let dwords = UInt32(length / 4 - 1)
        let cdw10 = UInt32(page.rawValue) | (retainAsyncEvent ? 1 << 15 : 0) | (dwords & 0xFFFF) << 16
        try admin(
            .getLogPage, namespace: namespace,
            [10: cdw10, 11: dwords >> 16, 12: UInt32(truncatingIfNeeded: offset), 13: UInt32(truncatingIfNeeded: offset >> 32)],
            dataLength: length)
        return Array(adminDataBytes(length))
    }
}
