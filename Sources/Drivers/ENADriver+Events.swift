import ENA
import PCIe
import RegisterModel

extension ENADriver {
    /// The keep-alive watchdog timeout: HW_HINTS `driver_watchdog_timeout` (0xFFFF: none), else 6 s.
    public var keepAliveTimeout: VirtualDuration? {
        switch hints.driverWatchdogTimeout {
        case 0xFFFF: nil
        case 0: .seconds(6)
        case let ms: .milliseconds(UInt64(ms))
        }
    }

    /// How long a Tx queue may hold packets without a completion: HW_HINTS
    /// `missing_tx_completion_timeout` (0xFFFF: no check), else 5 s.
    public var missingTxCompletionTimeout: VirtualDuration? {
        switch hints.missingTxCompletionTimeout {
        case 0xFFFF: nil
        case 0: .seconds(5)
        case let ms: .milliseconds(UInt64(ms))
        }
    }

    /// Takes every event the device wrote (`ena_com_aenq_intr_handler`) and gives the entries
    /// back with one AENQ_HEAD_DB write: LINK_CHANGE sets ``linkUp``, KEEP_ALIVE feeds the
    /// watchdog and carries the device's drop counters, NOTIFICATION/UPDATE_HINTS replaces the
    /// hints, DEVICE_REQUEST_RESET schedules a reset. Returns how many events were taken.
    @discardableResult
    public func processEvents() -> Int {
        guard let events else { return 0 }
        var taken = 0
        while let event = events.next() {
            taken += 1
            let data = 16
            switch ENAEventGroup(rawValue: event.load(UInt16.self, at: 0)) {
            case .linkChange:
                driverCounters.linkChanges &+= 1
                linkUp = event.load(UInt32.self, at: data) & 1 != 0
            case .keepAlive:
                driverCounters.keepAlives &+= 1
                lastKeepAlive = access.clock.now
                keepAliveDrops = (
                    event.load(UInt64.self, at: data), event.load(UInt64.self, at: data + 8),
                    event.load(UInt64.self, at: data + 16)
                )
            case .notification:
                driverCounters.notifications &+= 1
                if event.load(UInt16.self, at: 2) == ENANotificationSyndrome.updateHints.rawValue {
                    hints = Self.hints(from: event, at: data)
                }
            case .deviceRequestReset:
                driverCounters.resetRequests &+= 1
                pendingReset = .deviceRequest
            default:
                driverCounters.unknownEvents &+= 1
            }
        }
        if taken > 0 { write(R.AENQ_HEAD_DB.offset, events.doorbell) }
        return taken
    }

    /// Linux's timer service, once: takes events, then decides whether the device needs a reset
    /// — it asked for one, DEV_STS shows FATAL_ERROR, no keep-alive came within
    /// ``keepAliveTimeout``, or a Tx queue made no progress within ``missingTxCompletionTimeout``
    /// — and if so resets and recovers it. Returns the reason of the reset done, if any.
    @discardableResult
    public func serviceTimer() throws(ENADriverError) -> ENAResetReason? {
        guard isRunning, !busy else { return nil }
        processEvents()
        let now = access.clock.now.nanoseconds
        if pendingReset == nil, let status = try? deviceStatus(), R.DEV_STS.fatalError.isSet(in: status) {
            pendingReset = .generic
        }
        if pendingReset == nil, let timeout = keepAliveTimeout, now &- lastKeepAlive.nanoseconds > timeout.nanoseconds {
            driverCounters.missedKeepAlives &+= 1
            pendingReset = .keepAliveTimeout
        }
        if pendingReset == nil, let timeout = missingTxCompletionTimeout, let pool {
            for ring in txRings {
                ring.reclaim(pool: pool, now: now, &driverCounters)
                if ring.outstanding > 0, now &- ring.lastProgress > timeout.nanoseconds {
                    driverCounters.missingTxCompletions &+= 1
                    pendingReset = .missingTxCompletion
                    break
                }
            }
        }
        guard let reason = pendingReset else { return nil }
        try resetAndRecover(reason: reason)
        return reason
    }

    /// Resets the device with `reason` and brings it up again (`ena_fw_reset_device`): buffers
    /// on the rings go back to the pool, then the whole bring-up runs. Buffers the caller holds
    /// stay valid.
    public func resetAndRecover(reason: ENAResetReason) throws(ENADriverError) {
        isRunning = false
        for ring in txRings { ring.restart(pool: pool) }
        for ring in rxRings { ring.restart(pool: pool) }
        driverCounters.recoveries &+= 1
        lastRecoveryReason = reason
        try bringUp(reason: reason)
    }

    /// Runs ``serviceTimer()`` every `interval` of virtual time (Linux: every second) until
    /// ``stopTimerService()``. A tick that falls inside an admin command does nothing.
    public func startTimerService(interval: VirtualDuration = .seconds(1)) {
        stopTimerService()
        // Unowned: the driver's deinit cancels the timer, and a weak reference would put the
        // driver on Swift's slow reference-counting path for good.
        timer = access.clock.schedule(after: interval) { [unowned(unsafe) self] in
            self.timer = nil
            _ = try? self.serviceTimer()
            self.startTimerService(interval: interval)
        }
    }

    /// Stops the timer service.
    public func stopTimerService() {
        if let timer { _ = access.clock.cancel(timer) }
        timer = nil
    }
}
