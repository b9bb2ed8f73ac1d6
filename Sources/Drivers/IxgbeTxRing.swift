import Intel82599
import PCIe

/// One advanced transmit descriptor ring and the pool buffers in flight on it (ixy's
/// `ixgbe_tx_queue`). Shared by the PF and VF drivers.
@usableFromInline
final class IxgbeTxRing {
    @usableFromInline typealias D = IxgbeTxDescriptorLayout

    @usableFromInline let registers: IxgbeQueueRegisters
    /// Descriptor memory.
    @usableFromInline let descriptors: DMABuffer
    /// Descriptors in the ring (a power of two).
    @usableFromInline let entries: Int
    /// Buffer index each descriptor sends (-1 when none).
    @usableFromInline let buffers: UnsafeMutablePointer<Int32>
    /// Next descriptor software fills (ixy's `tx_index`).
    @exclusivity(unchecked) @usableFromInline var next = 0
    /// Oldest descriptor not yet reclaimed (ixy's `clean_index`).
    @exclusivity(unchecked) @usableFromInline var clean = 0
    /// Descriptors reclaimed together once the last of them has DD (ixy's `TX_CLEAN_BATCH`).
    @usableFromInline let cleanBatch: Int
    /// Frames queued.
    @exclusivity(unchecked) @usableFromInline var packets: UInt64 = 0
    /// Bytes queued.
    @exclusivity(unchecked) @usableFromInline var bytes: UInt64 = 0
    /// Buffers refused because they do not belong to the driver's pool.
    @exclusivity(unchecked) @usableFromInline var foreignBuffers: UInt64 = 0

    init(registers: IxgbeQueueRegisters, descriptors: DMABuffer, entries: Int) {
        self.registers = registers
        self.descriptors = descriptors
        self.entries = entries
        cleanBatch = max(1, min(32, entries / 4))
        buffers = .allocate(capacity: entries)
        buffers.initialize(repeating: -1, count: entries)
    }

    deinit { buffers.deallocate() }

    /// Asks the CPU for the lines of ``buffers`` holding `count` entries from `first` (the shadow
    /// entries a batch reads and writes; cold when many queues take turns).
    @usableFromInline @inline(__always) func prefetchShadow(from first: Int, count: Int) {
        prefetchRingSlots(buffers, stride: MemoryLayout<Int32>.stride, entries: entries, from: first, count: count)
    }

    /// Programs the ring (datasheet §4.6.8): queue off, base, length, head = tail = 0, thresholds
    /// as ixy sets them, queue on (polled). Returns false if the enable did not stick.
    func start(_ access: some DeviceAccess, bar: BARIndex) -> Bool {
        typealias R = Intel82599PFRegisters
        access.write32(bar, registers.control, 0)
        let base = descriptors.deviceAddress.value
        access.write32(bar, registers.baseLow, UInt32(truncatingIfNeeded: base))
        access.write32(bar, registers.baseHigh, UInt32(truncatingIfNeeded: base >> 32))
        access.write32(bar, registers.length, UInt32(entries * D.size))
        access.write32(bar, registers.head, 0)
        access.write32(bar, registers.tail, 0)
        descriptors.host.initializeMemory(as: UInt8.self, repeating: 0)
        next = 0
        clean = 0
        var control: UInt32 = 0
        control = R.TXDCTL.pthresh.insert(36, into: control)
        control = R.TXDCTL.hthresh.insert(8, into: control)
        control = R.TXDCTL.wthresh.insert(4, into: control)
        control = R.TXDCTL.enable.insert(1, into: control)
        access.write32(bar, registers.control, control)
        return access.ixgbePoll(bar, Int(registers.control), timeout: .milliseconds(10)) { R.TXDCTL.enable.isSet(in: $0) }
    }

    /// Gives buffers still on the ring back to the pool (the queue must be stopped).
    func releaseBuffers(to pool: PacketBufferPool) {
        for i in 0..<entries where buffers[i] >= 0 {
            pool.free(index: buffers[i])
            buffers[i] = -1
        }
        next = 0
        clean = 0
    }

    /// Descriptors posted and not yet reclaimed.
    @inlinable var inFlight: Int { (next &- clean) & (entries &- 1) }

    /// Reclaims sent descriptors: in batches of ``cleanBatch`` whose last descriptor has DD
    /// (ixy's cleaning), or, with `all`, every leading descriptor that has DD.
    @inlinable
    @discardableResult
    func reclaim(pool: PacketBufferPool, all: Bool = false) -> Int {
        guard let ring = descriptors.host.baseAddress else { return 0 }
        let mask = entries &- 1
        let batch = all ? 1 : cleanBatch
        let shadow = buffers
        // The pool's free stack in locals for the loop (see ``FreeStackCursor``).
        var free = pool.freeStackCursor
        var pending = inFlight
        var from = clean
        var freed = 0
        while pending >= batch {
            let last = (from &+ batch &- 1) & mask
            let status = UInt32(
                littleEndian: ring.advanced(by: last &* D.size).loadUnaligned(fromByteOffset: D.statusOffset, as: UInt32.self))
            guard status & D.statusDD != 0 else { break }
            var i = from
            while true {
                let b = shadow[i]
                if b >= 0 {
                    if !free.push(b) { pool.countBadFree() }
                    shadow[i] = -1
                }
                if i == last { break }
                i = (i &+ 1) & mask
            }
            freed &+= batch
            pending &-= batch
            from = (last &+ 1) & mask
        }
        pool.commit(free)
        clean = from
        return freed
    }

    /// Asks the CPU for the descriptor lines of `count` entries from `first` at once (as DPDK's
    /// ixgbe driver does): reclaim reads the ones the device wrote back, the batch writes the
    /// next ones, and with many queues busy in turn both are cold.
    @usableFromInline @inline(__always) func prefetchDescriptors(_ ring: UnsafeMutableRawPointer, from first: Int, count: Int) {
        prefetchRingSlots(ring, stride: D.size, entries: entries, from: first, count: count)
    }

    /// Queues up to `frames.count` buffers of `pool` (ixy's `ixgbe_tx_batch`): reclaims first,
    /// writes one data descriptor per buffer with EOP|IFCS|RS|DEXT and PAYLEN, then moves the
    /// tail once. Stops at a full ring or a buffer of another pool; returns how many were queued
    /// (those now belong to the ring and return to the pool once sent).
    @inlinable
    func transmit<A: DeviceAccess>(
        _ access: A, bar: BARIndex, pool: PacketBufferPool, frames: UnsafeBufferPointer<PacketBuffer>
    ) -> Int {
        guard let ring = descriptors.host.baseAddress else { return 0 }
        let mask = entries &- 1
        prefetchDescriptors(ring, from: clean, count: min((next &- clean) & mask, 64))
        prefetchDescriptors(ring, from: next, count: min(frames.count, entries &- 1))
        let pending = (next &- clean) & mask
        prefetchShadow(from: clean, count: min(pending &+ frames.count, entries))
        pool.prefetchStackTop(allocations: 0, frees: min(pending, 64))
        reclaim(pool: pool)
        let command = D.typeData | D.commandEOP | D.commandIFCS | D.commandRS | D.commandDEXT
        let shadow = buffers
        let poolID = pool.id
        let capacity = pool.count
        let stop = clean
        var tail = next
        var octets: UInt64 = 0
        var sent = 0
        for b in frames {
            let following = (tail &+ 1) & mask
            if following == stop { break }
            guard b.poolID == poolID, b.index >= 0, Int(b.index) < capacity else {
                foreignBuffers &+= 1
                break
            }
            let d = ring.advanced(by: tail &* D.size)
            let length = UInt32(truncatingIfNeeded: b.length)
            d.storeBytes(of: b.deviceAddress.littleEndian, toByteOffset: D.bufferAddressOffset, as: UInt64.self)
            d.storeBytes(
                of: (command | (length & D.lengthMask)).littleEndian, toByteOffset: D.commandTypeLengthOffset, as: UInt32.self)
            d.storeBytes(of: (length << D.payloadLengthShift).littleEndian, toByteOffset: D.statusOffset, as: UInt32.self)
            shadow[tail] = b.index
            octets &+= UInt64(b.length)
            tail = following
            sent &+= 1
        }
        if sent > 0 {
            next = tail
            bytes &+= octets
            packets &+= UInt64(sent)
            access.write32(bar, registers.tail, UInt32(truncatingIfNeeded: tail))
        }
        return sent
    }
}
