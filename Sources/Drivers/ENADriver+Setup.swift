import ENA
import PCIe
import RegisterModel

extension ENADriver {
    /// Resets the device (reason NORMAL) and brings it up (see the type's documentation). Call
    /// again to start over; buffers the caller holds stay valid, buffers on the rings return to
    /// the pool.
    public func start() throws(ENADriverError) {
        try bringUp(reason: .normal)
    }

    /// The whole bring-up after a reset with `reason`.
    func bringUp(reason: ENAResetReason) throws(ENADriverError) {
        isRunning = false
        pendingReset = nil
        access.enableBusMaster()
        try allocateControlMemory()
        armReadlessResponse()
        try resetDevice(reason: reason)
        try checkVersions()
        let caps = try readRegister(R.CAPS.offset)
        adminCommandTimeout = adminTimeout(caps: caps)
        initializeAdminQueues()
        try sendHostInfo()
        try readDeviceFeatures()
        adminCommandTimeout = adminTimeout(caps: caps)
        try configureEvents()
        try negotiateLowLatency()
        let pairs = enableInterrupts()
        try createQueues(pairs: pairs)
        try configureRSS()
        if let mtu = configuration.mtu {
            guard let attributes, mtu >= 128, mtu <= attributes.maxMTU else {
                throw .invalidConfiguration("MTU \(mtu) outside 128...\(attributes?.maxMTU ?? 0)")
            }
            try setFeature(.mtu) { $0.store(UInt32(mtu), at: 20) }
        }
        guard let pool else { throw .notRunning }
        for ring in rxRings { ring.refill(access, bar: bar, pool: pool) }
        lastKeepAlive = access.clock.now
        isRunning = true
        processEvents()
    }

    /// The readless response buffer, the control buffer and the admin and event queues (once).
    private func allocateControlMemory() throws(ENADriverError) {
        do {
            if readResponse == nil { readResponse = try access.allocateDMA(8) }
            if controlBuffer == nil { controlBuffer = try access.allocateDMA(4096) }
            if admin == nil { admin = try ENAAdminQueue(access: access, depth: Self.adminDepth) }
            if events == nil { events = try ENAEventQueue(access: access, depth: Self.eventDepth) }
        } catch {
            throw .allocation(error)
        }
    }

    /// `ena_com_admin_init`: AQ and ACQ (64-byte entries), the event queue, admin interrupts
    /// masked (polling until MSI-X is set up).
    private func initializeAdminQueues() {
        guard let admin, let events else { return }
        admin.restart()
        events.restart()
        adminInterrupts = false
        let entry = UInt32(ENAAdminEntry.size) << 16
        let sq = admin.submission.deviceAddress.value
        let cq = admin.completion.deviceAddress.value
        let eq = events.memory.deviceAddress.value
        write(R.AQ_BASE_LO.offset, UInt32(truncatingIfNeeded: sq))
        write(R.AQ_BASE_HI.offset, UInt32(truncatingIfNeeded: sq >> 32))
        write(R.ACQ_BASE_LO.offset, UInt32(truncatingIfNeeded: cq))
        write(R.ACQ_BASE_HI.offset, UInt32(truncatingIfNeeded: cq >> 32))
        write(R.AQ_CAPS.offset, UInt32(admin.depth) | entry)
        write(R.ACQ_CAPS.offset, UInt32(admin.depth) | entry)
        write(R.AENQ_BASE_LO.offset, UInt32(truncatingIfNeeded: eq))
        write(R.AENQ_BASE_HI.offset, UInt32(truncatingIfNeeded: eq >> 32))
        write(R.AENQ_CAPS.offset, UInt32(events.depth) | entry)
        write(R.INTR_MASK.offset, UInt32(truncatingIfNeeded: R.INTR_MASK.adminIntrMask.mask))
    }

    /// LLQ negotiation (`ena_set_queues_placement_policy`): with LLQ placement asked for and
    /// offered, SET_FEATURE LLQ with 128-byte entries, an inline header after two descriptors and
    /// several descriptors per later entry. Otherwise host placement.
    private func negotiateLowLatency() throws(ENADriverError) {
        lowLatency = nil
        guard configuration.placement == .lowLatency, let attributes, attributes.supports(.lowLatencyQueue) else { return }
        let offer = try getFeature(.lowLatencyQueue)
        let maxDepth = Int(offer.load(UInt32.self, at: 12))
        guard offer.load(UInt32.self, at: 8) > 0, maxDepth >= 2, offer.load(UInt16.self, at: 16) & 1 != 0,
            offer.load(UInt16.self, at: 20) & 1 != 0, offer.load(UInt16.self, at: 24) & 2 != 0,
            offer.load(UInt16.self, at: 28) & 2 != 0
        else { return }
        try setFeature(.lowLatencyQueue) {
            $0.store(UInt16(1), at: 30)
            $0.store(UInt16(1), at: 34)
            $0.store(UInt16(2), at: 38)
            $0.store(UInt16(2), at: 42)
        }
        lowLatency = ENALowLatencySettings(entrySize: 128, descriptorsBeforeHeader: 2, maxDepth: maxDepth)
    }

    /// MSI-X: vector 0 for admin and events, vector q + 1 for pair q; admin interrupt mode when
    /// configured; the event queue handed to the device (AENQ_HEAD_DB = depth). Returns the
    /// number of queue pairs the vectors and the device's limits allow.
    private func enableInterrupts() -> Int {
        var pairs = min(configuration.queuePairs, limits?.maxTxQueues ?? 1, limits?.maxRxQueues ?? 1)
        if let cap = access.findCapability(MSIXCapability.capabilityID) {
            let control = access.configRead(cap.advanced(by: MSIXCapability.MessageControl.offset), width: .word)
            let vectors = Int(MSIXCapability.MessageControl.tableSize.extract(from: control)) + 1
            pairs = max(1, min(pairs, vectors - 1))
            for v in 0...pairs { access.enableMSIXVector(v, data: UInt32(access.bdf.routingID) << 8 | UInt32(v)) }
            if configuration.interrupts {
                adminInterrupts = true
                write(R.INTR_MASK.offset, 0)
            }
        }
        if let events { write(R.AENQ_HEAD_DB.offset, events.doorbell) }
        return max(pairs, 1)
    }

    /// The queue depth: the configured ring size within the device's (and the LLQ's) limits.
    private func queueDepth() -> Int {
        var depth = configuration.ringSize
        if let limits { depth = min(depth, limits.maxTxDepth, limits.maxRxDepth) }
        if let lowLatency { depth = min(depth, lowLatency.maxDepth) }
        var power = 1
        while power * 2 <= depth { power *= 2 }
        return max(power, 2)
    }

    /// Per pair: CREATE_CQ then CREATE_SQ for Tx, then for Rx (so the device gives Tx queue q
    /// index 2q and Rx queue q index 2q + 1). Ring memory (one allocation for every ring, so the
    /// device's IOTLB covers them with one entry) and the pool are allocated once.
    private func createQueues(pairs: Int) throws(ENADriverError) {
        let depth = queueDepth()
        let placementChanged = txRings.first.map { ($0.lowLatency == nil) != (lowLatency == nil) } ?? false
        if txRings.count != pairs || txRings.first?.depth != depth || placementChanged {
            if let pool {
                for r in txRings { r.restart(pool: pool) }
                for r in rxRings { r.restart(pool: pool) }
            }
            txRings = []
            rxRings = []
            let llq = lowLatency != nil
            let sizes = [
                llq ? 0 : depth * ENATxDescriptor.size, depth * ENATxCompletion.size, depth * ENARxDescriptor.size,
                depth * ENARxCompletion.size,
            ]
            let memory: DMABuffer
            do {
                memory = try access.allocateDMA(pairs * sizes.reduce(0) { $0 + ENARingMemory.aligned($1) })
            } catch {
                throw .allocation(error)
            }
            guard let slices = ENARingMemory.carve(memory, (0..<pairs).flatMap { _ in sizes }) else {
                throw .allocation(.invalidSize(memory.count))
            }
            for q in 0..<pairs {
                let s = Array(slices[4 * q..<4 * q + 4])
                txRings.append(
                    ENATxRing(index: -1, depth: depth, descriptors: llq ? nil : s[0], lowLatency: lowLatency, completions: s[1]))
                rxRings.append(ENARxRing(index: -1, depth: depth, descriptors: s[2], completions: s[3]))
            }
        }
        if pool == nil {
            let count = configuration.bufferCount ?? (2 * pairs + 1) * depth
            guard count >= pairs * depth + 32 else {
                throw .invalidConfiguration("\(count) buffers cannot fill \(pairs) Rx rings of \(depth)")
            }
            do {
                pool = try PacketBufferPool(access: access, count: count, bufferSize: configuration.bufferSize)
            } catch {
                throw .allocation(error)
            }
        }
        for q in 0..<pairs {
            try createTransmitQueue(txRings[q], vector: q + 1)
            try createReceiveQueue(rxRings[q], vector: q + 1)
        }
    }
}
