import Intel82599
import PCIe

/// One advanced receive descriptor ring and the pool buffers its descriptors hold (ixy's
/// `ixgbe_rx_queue`). Shared by the PF and VF drivers; the register offsets make the difference.
@usableFromInline
final class IxgbeRxRing {
    @usableFromInline typealias D = IxgbeRxDescriptorLayout
    @usableFromInline typealias Status = AdvancedRxDescriptorStatus

    @usableFromInline let registers: IxgbeQueueRegisters
    /// Descriptor memory.
    @usableFromInline let descriptors: DMABuffer
    /// Descriptors in the ring (a power of two).
    @usableFromInline let entries: Int
    /// Buffer index held by each descriptor (-1 while it holds none).
    @usableFromInline let buffers: UnsafeMutablePointer<Int32>
    /// Next descriptor software reads (ixy's `rx_index`).
    @exclusivity(unchecked) @usableFromInline var next = 0
    /// Frames (EOP descriptors) received.
    @exclusivity(unchecked) @usableFromInline var packets: UInt64 = 0
    /// Bytes received.
    @exclusivity(unchecked) @usableFromInline var bytes: UInt64 = 0
    /// Descriptors written back with an error (RXE); their buffers were reused.
    @exclusivity(unchecked) @usableFromInline var errors: UInt64 = 0
    /// Times a batch stopped early because the pool had no buffer to refill with.
    @exclusivity(unchecked) @usableFromInline var poolEmpty: UInt64 = 0
    /// Write-backs whose length exceeded the buffer (dropped; also counted in `errors`).
    @exclusivity(unchecked) @usableFromInline var oversizedWriteBacks: UInt64 = 0

    init(registers: IxgbeQueueRegisters, descriptors: DMABuffer, entries: Int) {
        self.registers = registers
        self.descriptors = descriptors
        self.entries = entries
        buffers = .allocate(capacity: entries)
        buffers.initialize(repeating: -1, count: entries)
    }

    deinit { buffers.deallocate() }

    /// Asks the CPU for the lines of ``buffers`` holding `count` entries from `first` (the shadow
    /// entries a batch reads and writes; cold when many queues take turns).
    @usableFromInline @inline(__always) func prefetchShadow(from first: Int, count: Int) {
        prefetchRingSlots(buffers, stride: MemoryLayout<Int32>.stride, entries: entries, from: first, count: count)
    }

    /// Programs the ring (datasheet §4.6.7, ixgbevf's `configure_rx_ring`): queue off, base,
    /// length, head = tail = 0, SRRCTL advanced one-buffer with DROP_EN, every descriptor given a
    /// buffer, queue on (polled), tail = entries - 1. Returns false if the enable did not stick.
    func start(_ access: some DeviceAccess, bar: BARIndex, pool: PacketBufferPool) -> Bool {
        typealias R = Intel82599PFRegisters
        access.write32(bar, registers.control, 0)
        _ = access.ixgbePoll(bar, Int(registers.control), timeout: .milliseconds(10)) { !R.RXDCTL.enable.isSet(in: $0) }
        let base = descriptors.deviceAddress.value
        access.write32(bar, registers.baseLow, UInt32(truncatingIfNeeded: base))
        access.write32(bar, registers.baseHigh, UInt32(truncatingIfNeeded: base >> 32))
        access.write32(bar, registers.length, UInt32(entries * D.size))
        access.write32(bar, registers.head, 0)
        access.write32(bar, registers.tail, 0)
        var srrctl: UInt32 = 0
        srrctl = R.SRRCTL.bsizepacket.insert(UInt32(pool.bufferSize / 1024), into: srrctl)
        srrctl = R.SRRCTL.desctype.insert(UInt32(R.SRRCTL.DESCTYPEValue.advancedOneBuffer), into: srrctl)
        srrctl = R.SRRCTL.dropEnable.insert(1, into: srrctl)
        access.write32(bar, registers.splitControl, srrctl)
        for i in 0..<entries {
            if buffers[i] < 0 {
                guard let b = pool.allocate() else { return false }
                buffers[i] = b.index
            }
            arm(i, pool: pool)
        }
        next = 0
        access.write32(bar, registers.control, UInt32(truncatingIfNeeded: R.RXDCTL.enable.mask))
        guard access.ixgbePoll(bar, Int(registers.control), timeout: .milliseconds(10), until: { R.RXDCTL.enable.isSet(in: $0) })
        else { return false }
        access.write32(bar, registers.tail, UInt32(entries - 1))
        return true
    }

    /// Gives every buffer back to the pool (the queue must be stopped).
    func releaseBuffers(to pool: PacketBufferPool) {
        for i in 0..<entries where buffers[i] >= 0 {
            pool.free(index: buffers[i])
            buffers[i] = -1
        }
    }

    /// Writes descriptor `i` in read format with its buffer (header address 0 clears DD).
    @inlinable func arm(_ i: Int, pool: PacketBufferPool) {
        guard let d = descriptors.host.baseAddress?.advanced(by: i &* D.size) else { return }
        let index = buffers[i]
        let address = index >= 0 ? pool.buffer(at: index).deviceAddress : 0
        d.storeBytes(of: address.littleEndian, toByteOffset: D.packetBufferOffset, as: UInt64.self)
        d.storeBytes(of: UInt64(0), toByteOffset: D.headerBufferOffset, as: UInt64.self)
    }

    /// Takes up to `out.count` received buffers (ixy's `ixgbe_rx_batch`): reads DD/EOP and the
    /// length from the write-back, refills each descriptor with a fresh pool buffer and moves the
    /// tail once for the batch. Descriptors written back with RXE are re-armed with their buffer
    /// and counted, not returned.
    @inlinable
    func receive<A: DeviceAccess>(
        _ access: A, bar: BARIndex, pool: PacketBufferPool, into out: UnsafeMutableBufferPointer<PacketBuffer>
    ) -> Int {
        guard let ring = descriptors.host.baseAddress, let first = out.baseAddress else { return 0 }
        prefetchShadow(from: next, count: min(out.count, entries))
        pool.prefetchStackTop(allocations: out.count, frees: 0)
        // Ring and pool fields in locals, counters summed in locals and added once: stores through
        // the descriptor and shadow pointers could alias any class field as far as the compiler
        // knows, which would make it reload and store each one per descriptor.
        let mask = entries &- 1
        let shadow = buffers
        let bufferSize = pool.bufferSize
        let poolID = pool.id
        let start = pool.base
        let step = pool.stride
        var free = pool.freeStackCursor
        var index = next
        var last = -1
        var n = 0
        var octets: UInt64 = 0
        var frames: UInt64 = 0
        var errorDescriptors: UInt64 = 0
        var oversized: UInt64 = 0
        var emptied: UInt64 = 0
        while n < out.count {
            let d = ring.advanced(by: index &* D.size)
            let status = UInt32(littleEndian: d.loadUnaligned(fromByteOffset: D.statusErrorOffset, as: UInt32.self))
            guard status & Status.descriptorDone != 0 else { break }
            let length = Int(UInt16(littleEndian: d.loadUnaligned(fromByteOffset: D.lengthOffset, as: UInt16.self)))
            var held = shadow[index]
            if held >= 0, status & Status.receiveError == 0, length <= bufferSize {
                guard let fresh = free.pop() else {
                    emptied &+= 1
                    break
                }
                let offset = UInt64(truncatingIfNeeded: Int(held) &* step)
                first[n] = PacketBuffer(
                    index: held, poolID: poolID, deviceAddress: poolID &+ offset, hostAddress: start &+ UInt(offset),
                    length: length, status: status)
                n &+= 1
                octets &+= UInt64(length)
                if status & Status.endOfPacket != 0 { frames &+= 1 }
                held = fresh
                shadow[index] = fresh
            } else if held < 0 {
                // The descriptor held no buffer (a refill failed earlier): give it one now.
                guard let fresh = free.pop() else {
                    emptied &+= 1
                    break
                }
                held = fresh
                shadow[index] = fresh
                errorDescriptors &+= 1
            } else {
                // RXE, or a write-back longer than the buffer the descriptor gave (the device is
                // wrong; handing the frame out would let readers run past the buffer): the
                // descriptor is re-armed with its own buffer.
                errorDescriptors &+= 1
                if status & Status.receiveError == 0 { oversized &+= 1 }
            }
            // Read format again, with the buffer it now holds (header address 0 clears DD).
            let address = poolID &+ UInt64(truncatingIfNeeded: Int(held) &* step)
            d.storeBytes(of: address.littleEndian, toByteOffset: D.packetBufferOffset, as: UInt64.self)
            d.storeBytes(of: UInt64(0), toByteOffset: D.headerBufferOffset, as: UInt64.self)
            last = index
            index = (index &+ 1) & mask
        }
        pool.commit(free)
        bytes &+= octets
        packets &+= frames
        errors &+= errorDescriptors
        oversizedWriteBacks &+= oversized
        poolEmpty &+= emptied
        if last >= 0 {
            access.write32(bar, registers.tail, UInt32(truncatingIfNeeded: last))
            next = index
        }
        return n
    }

    /// Whether the next descriptor has been written back.
    @inlinable var hasPacket: Bool {
        guard let d = descriptors.host.baseAddress?.advanced(by: next &* D.size) else { return false }
        return UInt32(littleEndian: d.loadUnaligned(fromByteOffset: D.statusErrorOffset, as: UInt32.self)) & Status.descriptorDone
            != 0
    }
}
