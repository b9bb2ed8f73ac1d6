import Intel82599
import PCIe
import RegisterModel

extension IxgbePFDriver {
    /// Sets up the PF's own queues and turns receive and transmit on (datasheet §4.6.7-4.6.8,
    /// ixy's `init_rx`/`init_tx`/`start_*_queue`): RX packet buffer 128 KiB, CRC strip,
    /// broadcast accept, per queue SRRCTL/base/length/head/tail, RXEN; TX CRC and padding, packet
    /// buffer 40 KiB, DTXMXSZRQ, arbiter on, per queue base/length/thresholds, DMATXCTL.TE; every
    /// queue enabled (polled) and RDT = n - 1. Finally CTRL_EXT.PFRSTD.
    ///
    /// With SR-IOV the PF's queues are those of its pool (at most 2 each); call
    /// ``enableSRIOV(vfCount:policy:)`` first.
    public func initialize(rxQueues: Int = 1, txQueues: Int = 1, ringSize: Int = 512, bufferCount: Int? = nil)
        throws(IxgbeDriverError)
    {
        let maxQueues = vfCount > 0 ? 2 : 64
        guard (1...maxQueues).contains(rxQueues), (1...maxQueues).contains(txQueues) else {
            throw .invalidConfiguration("PF queues must be 1...\(maxQueues), got \(rxQueues) RX / \(txQueues) TX")
        }
        guard ringSize >= 8, ringSize <= 4096, ringSize & (ringSize - 1) == 0 else {
            throw .invalidConfiguration("ring size \(ringSize) is not a power of two in 8...4096")
        }
        queueBase = vfCount > 0 ? 2 * vfCount : 0
        let buffers = bufferCount ?? (rxQueues + txQueues) * ringSize + 256
        guard buffers >= rxQueues * ringSize + 64 else {
            throw .invalidConfiguration("\(buffers) buffers cannot fill \(rxQueues) rings of \(ringSize)")
        }
        let pool: PacketBufferPool
        do {
            pool = try PacketBufferPool(access: access, count: buffers)
        } catch {
            throw .allocation(error)
        }
        self.pool = pool

        // Receive.
        clearBits(R.RXCTRL.offset, R.RXCTRL.rxen.mask)
        write(R.RXPBSIZE.offset(0), UInt32(truncatingIfNeeded: R.RXPBSIZE.size.insert(128, into: UInt64(0))))
        for i in 1..<R.RXPBSIZE.count { write(R.RXPBSIZE.offset(i), 0) }
        setBits(R.HLREG0.offset, R.HLREG0.rxcrcstrp.mask)
        setBits(R.RDRXCTL.offset, R.RDRXCTL.crcStrip.mask)
        setBits(R.FCTRL.offset, R.FCTRL.bam.mask)
        setBits(R.CTRL_EXT.offset, R.CTRL_EXT.noSnoopDisable.mask)
        var rings: [IxgbeRxRing] = []
        for q in 0..<rxQueues {
            let ring = try makeRxRing(hardwareQueue: queueBase + q, entries: ringSize)
            rings.append(ring)
        }
        // Transmit.
        setBits(R.HLREG0.offset, R.HLREG0.txcrcen.mask | R.HLREG0.txpaden.mask)
        write(R.TXPBSIZE.offset(0), UInt32(truncatingIfNeeded: R.TXPBSIZE.size.insert(40, into: UInt64(0))))
        for i in 1..<R.TXPBSIZE.count { write(R.TXPBSIZE.offset(i), 0) }
        write(R.DTXMXSZRQ.offset, UInt32(truncatingIfNeeded: R.DTXMXSZRQ.maxBytesNumReq.mask))
        clearBits(R.RTTDCS.offset, R.RTTDCS.arbdis.mask)
        var tx: [IxgbeTxRing] = []
        for q in 0..<txQueues {
            tx.append(try makeTxRing(hardwareQueue: queueBase + q, entries: ringSize))
        }
        setBits(R.DMATXCTL.offset, R.DMATXCTL.te.mask)
        setBits(R.RXCTRL.offset, R.RXCTRL.rxen.mask)
        for ring in rings where !ring.start(access, bar: bar, pool: pool) {
            throw .queueEnableFailed(queue: ring.registers.queue, transmit: false)
        }
        for ring in tx where !ring.start(access, bar: bar) {
            throw .queueEnableFailed(queue: ring.registers.queue, transmit: true)
        }
        rxRings = rings
        txRings = tx
        setBits(R.CTRL_EXT.offset, R.CTRL_EXT.pfResetDone.mask)
    }

    private func makeRxRing(hardwareQueue q: Int, entries: Int) throws(IxgbeDriverError) -> IxgbeRxRing {
        do {
            let memory = try access.allocateDMA(entries * IxgbeRxDescriptorLayout.size)
            return IxgbeRxRing(registers: .pfReceive(q), descriptors: memory, entries: entries)
        } catch {
            throw .allocation(error)
        }
    }

    private func makeTxRing(hardwareQueue q: Int, entries: Int) throws(IxgbeDriverError) -> IxgbeTxRing {
        do {
            let memory = try access.allocateDMA(entries * IxgbeTxDescriptorLayout.size)
            return IxgbeTxRing(registers: .pfTransmit(q), descriptors: memory, entries: entries)
        } catch {
            throw .allocation(error)
        }
    }

    /// Receive queues set up.
    public var receiveQueueCount: Int { rxRings.count }
    /// Transmit queues set up.
    public var transmitQueueCount: Int { txRings.count }

    /// Takes up to `out.count` received buffers from the PF's queue `queue`; see
    /// ``IxgbeVFDriver/receiveBatch(queue:into:)``.
    @inlinable
    public func receiveBatch(queue: Int, into out: UnsafeMutableBufferPointer<PacketBuffer>) -> Int {
        guard queue >= 0, queue < rxRings.count, let pool else { return 0 }
        return rxRings[queue].receive(access, bar: bar, pool: pool, into: out)
    }

    /// Queues buffers of ``pool`` on the PF's queue `queue`; returns how many were queued.
    @inlinable
    public func transmitBatch(queue: Int, _ frames: UnsafeBufferPointer<PacketBuffer>) -> Int {
        guard queue >= 0, queue < txRings.count, let pool else { return 0 }
        return txRings[queue].transmit(access, bar: bar, pool: pool, frames: frames)
    }

    /// Reclaims every sent descriptor of the PF's queue `queue`; returns how many.
    @discardableResult
    public func reclaimTransmitted(queue: Int) -> Int {
        guard queue >= 0, queue < txRings.count, let pool else { return 0 }
        return txRings[queue].reclaim(pool: pool, all: true)
    }

    /// Writes the RSS key (40 bytes, RSSRK) and redirection table (128 entries, RETA); the mode
    /// (MRQC) is left alone. VFs read both through GET_RSS_KEY and GET_RETA.
    public func configureRSS(key: [UInt8], redirectionTable: [UInt8]) throws(IxgbeDriverError) {
        guard key.count == R.RSSRK.count * 4, redirectionTable.count == R.RETA.count * 4 else {
            throw .invalidConfiguration("RSS key must be 40 bytes and the table 128 entries")
        }
        for n in 0..<R.RSSRK.count {
            var v: UInt32 = 0
            for b in 0..<4 { v |= UInt32(key[4 * n + b]) << UInt32(8 * b) }
            write(R.RSSRK.offset(n), v)
        }
        for n in 0..<R.RETA.count {
            var v: UInt32 = 0
            for b in 0..<4 { v |= UInt32(redirectionTable[4 * n + b] & 0x0F) << UInt32(8 * b) }
            write(R.RETA.offset(n), v)
        }
    }
}
