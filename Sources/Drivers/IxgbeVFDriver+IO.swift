import PCIe

extension IxgbeVFDriver {
    /// Takes up to `out.count` received buffers from queue `queue` (ixy's `ixgbe_rx_batch`):
    /// descriptors with DD are turned into ``PacketBuffer``s (length and status from the
    /// write-back; a frame spanning buffers arrives as several with EOP on the last), each
    /// descriptor gets a fresh pool buffer and VFRDT moves once for the batch. The caller owns the
    /// returned buffers and gives them back with `pool.free` (or transmits them).
    @inlinable
    public func receiveBatch(queue: Int, into out: UnsafeMutableBufferPointer<PacketBuffer>) -> Int {
        guard queue >= 0, queue < rxRings.count, let pool else { return 0 }
        return rxRings[queue].receive(access, bar: bar, pool: pool, into: out)
    }

    /// Queues buffers of ``pool`` for transmission on queue `queue` (ixy's `ixgbe_tx_batch`):
    /// completed descriptors are reclaimed in batches first, then one advanced data descriptor
    /// per buffer (EOP|IFCS|RS|DEXT, PAYLEN) and one VFTDT write. Returns how many were queued;
    /// those belong to the ring now and return to the pool once the device is done with them.
    /// The driver does not check lengths or addresses: the device drops bad descriptors.
    @inlinable
    public func transmitBatch(queue: Int, _ frames: UnsafeBufferPointer<PacketBuffer>) -> Int {
        guard queue >= 0, queue < txRings.count, let pool else { return 0 }
        return txRings[queue].transmit(access, bar: bar, pool: pool, frames: frames)
    }

    /// Reclaims every completed descriptor of transmit queue `queue` now (not only whole batches);
    /// returns how many.
    @discardableResult
    public func reclaimTransmitted(queue: Int) -> Int {
        guard queue >= 0, queue < txRings.count, let pool else { return 0 }
        return txRings[queue].reclaim(pool: pool, all: true)
    }

    /// Descriptors of transmit queue `queue` posted and not reclaimed.
    public func transmitInFlight(queue: Int) -> Int {
        guard queue >= 0, queue < txRings.count else { return 0 }
        return txRings[queue].inFlight
    }

    /// Driver-side counters of receive queue `queue`: frames, bytes, error descriptors.
    public func receiveCounters(queue: Int) -> (packets: UInt64, bytes: UInt64, errors: UInt64) {
        guard queue >= 0, queue < rxRings.count else { return (0, 0, 0) }
        let r = rxRings[queue]
        return (r.packets, r.bytes, r.errors)
    }
}
