import ENA
import PCIe

extension ENADriver {
    /// Queues buffers of ``pool`` for transmission on pair `queue` (ixy's `tx_batch`): the
    /// completions already written are reclaimed first, then one descriptor (host placement) or
    /// one LLQ entry (descriptor and inline header) per buffer and one doorbell write. Returns how
    /// many were queued; those belong to the ring until their completion returns them to the pool.
    @inlinable
    public func transmitBatch(queue: Int, _ frames: UnsafeBufferPointer<PacketBuffer>) -> Int {
        guard isRunning, queue >= 0, queue < txRings.count, let pool else { return 0 }
        let ring = txRings[queue]
        let now = access.clock.now.nanoseconds
        ring.reclaim(pool: pool, now: now, &driverCounters)
        return ring.transmit(access, bar: bar, pool: pool, frames: frames, now: now)
    }

    /// Takes up to `out.count` received buffers from pair `queue` (ixy's `rx_batch`): one buffer
    /// per completion (a frame longer than one buffer arrives as several; ``PacketBuffer/enaLastBuffer``
    /// marks a frame's last, `status` holds the completion's status word), then fresh buffers are
    /// posted and the doorbell rung once. The caller owns the returned buffers.
    @inlinable
    public func receiveBatch(queue: Int, into out: UnsafeMutableBufferPointer<PacketBuffer>) -> Int {
        guard isRunning, queue >= 0, queue < rxRings.count, let pool else { return 0 }
        return rxRings[queue].receive(access, bar: bar, pool: pool, into: out, &driverCounters)
    }

    /// Reclaims every completed Tx packet of pair `queue` now; returns how many.
    @discardableResult
    public func reclaimTransmitted(queue: Int) -> Int {
        guard queue >= 0, queue < txRings.count, let pool else { return 0 }
        return txRings[queue].reclaim(pool: pool, now: access.clock.now.nanoseconds, &driverCounters)
    }

    /// Tx packets of pair `queue` posted and not completed.
    public func transmitInFlight(queue: Int) -> Int {
        guard queue >= 0, queue < txRings.count else { return 0 }
        return txRings[queue].outstanding
    }

    /// Driver-side counters of pair `queue`: packets and bytes sent and received.
    public func queueCounters(queue: Int) -> (txPackets: UInt64, txBytes: UInt64, rxPackets: UInt64, rxBytes: UInt64) {
        guard queue >= 0, queue < txRings.count, queue < rxRings.count else { return (0, 0, 0, 0) }
        return (txRings[queue].packets, txRings[queue].bytes, rxRings[queue].packets, rxRings[queue].bytes)
    }

    /// Waits until Rx pair `queue` has a completion or `timeout` passes (virtual time). With
    /// interrupts it unmasks the CQ (INTR_UNMASK, one-shot) and sleeps on its vector; otherwise
    /// it polls every ``Configuration/pollInterval``.
    public func waitForReceive(queue: Int, timeout: VirtualDuration) -> Bool {
        guard queue >= 0, queue < rxRings.count else { return false }
        let ring = rxRings[queue]
        if ring.hasCompletion { return true }
        let deadline = access.clock.now.advanced(by: timeout)
        while true {
            if configuration.interrupts {
                access.write32(bar, ring.unmaskRegister, UInt32(1) << 30)
                if ring.hasCompletion { return true }
            }
            let now = access.clock.now
            guard now < deadline else { return ring.hasCompletion }
            let left = VirtualDuration(nanoseconds: deadline.nanoseconds - now.nanoseconds)
            if configuration.interrupts {
                _ = access.waitForInterrupt(vector: ring.vector, timeout: left)
            } else {
                access.sleep(min(configuration.pollInterval, left))
            }
            if ring.hasCompletion { return true }
        }
    }
}

extension ENADriver {
    /// Where the completion queue of queue pair `pair` lives, Tx (`tx` true) or Rx: its device
    /// address and entry count (for tests and fuzzers that play a hostile device writing
    /// completions), nil for a pair that does not exist.
    public func completionQueueRing(pair: Int, tx: Bool) -> (address: IOVA, entries: Int)? {
        guard pair >= 0, pair < txRings.count, pair < rxRings.count else { return nil }
        let ring = tx ? txRings[pair].completions : rxRings[pair].completions
        return (IOVA(ring.deviceAddress), tx ? txRings[pair].depth : rxRings[pair].depth)
    }
}
