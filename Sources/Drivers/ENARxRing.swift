import ENA
import PCIe

/// One ENA Rx queue: its descriptor ring in host memory, its completion ring (16-byte entries)
/// and the pool buffers posted, by request id (Linux's `free_ids` scheme: a completion names the
/// request id of the buffer it filled; the id goes back on a free stack and is posted again with
/// a fresh buffer).
@usableFromInline
final class ENARxRing {
    /// Device queue index (SQ and CQ), 2q + 1 for pair q.
    @usableFromInline var index: Int
    @usableFromInline let depth: Int
    @usableFromInline let shift: Int
    @usableFromInline let descriptors: ENARingMemory
    @usableFromInline let completions: ENARingMemory
    /// BAR0 offsets of the SQ doorbell and the CQ's interrupt unmask register.
    @exclusivity(unchecked) @usableFromInline var doorbell: UInt64 = 0
    @exclusivity(unchecked) @usableFromInline var unmaskRegister: UInt64 = 0
    /// MSI-X vector of the CQ.
    @usableFromInline var vector = 0
    /// Buffer index posted per request id (-1: none).
    @usableFromInline let buffers: UnsafeMutablePointer<Int32>
    /// Request ids with no buffer posted.
    @usableFromInline let freeIDs: UnsafeMutablePointer<UInt16>
    @exclusivity(unchecked) @usableFromInline var freeCount = 0
    /// Free-running count of descriptors posted: the doorbell value.
    @exclusivity(unchecked) @usableFromInline var tail: UInt16 = 0
    /// Free-running count of completions consumed.
    @exclusivity(unchecked) @usableFromInline var completionHead: UInt16 = 0
    /// Packets (last buffers) and bytes received.
    @exclusivity(unchecked) @usableFromInline var packets: UInt64 = 0
    @exclusivity(unchecked) @usableFromInline var bytes: UInt64 = 0
    /// Times a refill found the pool empty.
    @exclusivity(unchecked) @usableFromInline var poolEmpty: UInt64 = 0

    init(index: Int, depth: Int, descriptors: ENARingMemory, completions: ENARingMemory) {
        self.index = index
        self.depth = depth
        shift = depth.trailingZeroBitCount
        self.descriptors = descriptors
        self.completions = completions
        buffers = .allocate(capacity: depth)
        buffers.initialize(repeating: -1, count: depth)
        freeIDs = .allocate(capacity: depth)
        freeIDs.initialize(repeating: 0, count: depth)
    }

    deinit {
        buffers.deallocate()
        freeIDs.deallocate()
    }

    /// Gives posted buffers back to `pool`, frees every request id and starts from index 0,
    /// phase 1.
    func restart(pool: PacketBufferPool?) {
        for i in 0..<depth {
            if buffers[i] >= 0 { pool?.free(index: buffers[i]) }
            buffers[i] = -1
            freeIDs[i] = UInt16(truncatingIfNeeded: depth - 1 - i)
        }
        freeCount = depth
        descriptors.host.initializeMemory(as: UInt8.self, repeating: 0)
        completions.host.initializeMemory(as: UInt8.self, repeating: 0)
        tail = 0
        completionHead = 0
    }

    /// Posts a fresh pool buffer for every free request id and rings the doorbell once.
    @inlinable
    func refill<A: DeviceAccess>(_ access: A, bar: BARIndex, pool: PacketBufferPool) {
        guard let ring = descriptors.host.baseAddress else { return }
        // Ring and pool fields in locals (see ``receive(_:bar:pool:into:_:)``); the pool's free
        // stack is popped as `pool.allocateIndex()` pops it.
        let mask = depth &- 1
        let lapShift = UInt16(truncatingIfNeeded: shift)
        let entrySize = ENARxDescriptor.size
        let slots = buffers
        let ids = freeIDs
        var pooled = pool.freeStackCursor
        let poolID = pool.id
        let step = pool.stride
        var free = freeCount
        var next = tail
        let length = UInt16(truncatingIfNeeded: min(pool.bufferSize, 0xFFFF))
        while free > 0 {
            guard let b = pooled.pop() else {
                poolEmpty &+= 1
                break
            }
            free &-= 1
            let id = ids[free]
            slots[Int(id)] = b
            let address = poolID &+ UInt64(truncatingIfNeeded: Int(b) &* step)
            ENARxDescriptor(length: length, address: address, requestID: id, phase: (next &>> lapShift) & 1 == 0)
                .store(to: ring + (Int(next) & mask) &* entrySize)
            next &+= 1
        }
        pool.commit(pooled)
        let posted = next != tail
        freeCount = free
        tail = next
        if posted { access.write32(bar, doorbell, UInt32(next)) }
    }

    /// Takes up to `out.count` filled buffers (one per completion; `status` is the completion's
    /// status word, see ``PacketBuffer/enaLastBuffer``), then refills and rings once. A
    /// completion whose request id names no posted buffer is counted and skipped; one longer
    /// than the buffer is counted and its buffer reposted.
    @inlinable
    func receive<A: DeviceAccess>(
        _ access: A, bar: BARIndex, pool: PacketBufferPool, into out: UnsafeMutableBufferPointer<PacketBuffer>,
        _ counters: inout ENADriverCounters
    ) -> Int {
        guard let ring = completions.host.baseAddress, let first = out.baseAddress else { return 0 }
        // Ring and pool fields in locals, counters summed in locals and added once: stores through
        // the ring, id and output pointers could alias any class field as far as the compiler
        // knows, which would make it reload and store each one per completion.
        let mask = depth &- 1
        let lapShift = UInt16(truncatingIfNeeded: shift)
        let entrySize = ENARxCompletion.size
        let slots = buffers
        let ids = freeIDs
        let bufferSize = pool.bufferSize
        let poolID = pool.id
        let start = pool.base
        let step = pool.stride
        var free = freeCount
        var head = completionHead
        var n = 0
        var octets: UInt64 = 0
        var frames: UInt64 = 0
        var invalid: UInt64 = 0
        var oversize: UInt64 = 0
        // The device writes phase 1 on even laps of the free-running head: the slot and the
        // phase bit expected advance with the head and are recomputed only when it wraps, which
        // is when the slot reaches the ring's end (one compare, no mask of the head).
        var slot = ring + (Int(head) & mask) &* entrySize
        let end = ring + depth &* entrySize
        var phase = UInt32(((head &>> lapShift) & 1) ^ 1) << 24
        while n < out.count {
            let low = UInt64(littleEndian: slot.load(as: UInt64.self))
            let status = UInt32(truncatingIfNeeded: low)
            guard status & (1 << 24) == phase else { break }
            head &+= 1
            slot += entrySize
            if slot == end {
                slot = ring
                phase = UInt32(((head &>> lapShift) & 1) ^ 1) << 24
            }
            let id = Int(UInt16(truncatingIfNeeded: low >> 48))
            let bufferIndex = id < depth ? slots[id] : -1
            guard bufferIndex >= 0 else {
                invalid &+= 1
                continue
            }
            slots[id] = -1
            ids[free] = UInt16(truncatingIfNeeded: id)
            free &+= 1
            let length = Int(UInt16(truncatingIfNeeded: low >> 32))
            guard length <= bufferSize else {
                oversize &+= 1
                pool.free(index: bufferIndex)
                continue
            }
            let offset = UInt64(truncatingIfNeeded: Int(bufferIndex) &* step)
            first[n] = PacketBuffer(
                index: bufferIndex, poolID: poolID, deviceAddress: poolID &+ offset, hostAddress: start &+ UInt(offset),
                length: length, status: status)
            n &+= 1
            octets &+= UInt64(length)
            if ENARxCompletion(status: status, length: 0, requestID: 0, hash: 0).isLast { frames &+= 1 }
        }
        let consumed = head != completionHead
        completionHead = head
        freeCount = free
        bytes &+= octets
        packets &+= frames
        counters.invalidRxRequestIDs &+= invalid
        counters.oversizeRxCompletions &+= oversize
        if consumed { refill(access, bar: bar, pool: pool) }
        return n
    }

    /// Whether the next completion has been written.
    @inlinable var hasCompletion: Bool {
        guard let ring = completions.host.baseAddress else { return false }
        let slot = ring + (Int(completionHead) & (depth &- 1)) &* ENARxCompletion.size
        let status = UInt32(littleEndian: slot.load(as: UInt32.self))
        return (status >> 24) & 1 == UInt32((Int(completionHead) >> shift) & 1 == 0 ? 1 : 0)
    }
}

extension PacketBuffer {
    /// ENA receive: this buffer ends its packet (the Rx completion's last bit in ``status``).
    @inlinable public var enaLastBuffer: Bool {
        ENARxCompletion(status: status, length: 0, requestID: 0, hash: 0).isLast
    }
}
