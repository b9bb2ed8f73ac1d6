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
    @usableFromInline var doorbell: UInt64 = 0
    @usableFromInline var unmaskRegister: UInt64 = 0
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
        let mask = depth &- 1
        let entrySize = ENARxDescriptor.size
        var posted = 0
        let length = UInt16(truncatingIfNeeded: min(pool.bufferSize, 0xFFFF))
        while freeCount > 0 {
            guard let b = pool.allocate() else {
                poolEmpty &+= 1
                break
            }
            freeCount &-= 1
            let id = freeIDs[freeCount]
            buffers[Int(id)] = b.index
            let phase = (Int(tail) >> shift) & 1 == 0
            ENARxDescriptor(length: length, address: b.deviceAddress, requestID: id, phase: phase)
                .store(to: ring + (Int(tail) & mask) &* entrySize)
            tail &+= 1
            posted &+= 1
        }
        if posted > 0 { access.write32(bar, doorbell, UInt32(tail)) }
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
        guard let ring = completions.host.baseAddress else { return 0 }
        let mask = depth &- 1
        let entrySize = ENARxCompletion.size
        var n = 0
        var consumed = 0
        while n < out.count {
            let slot = ring + (Int(completionHead) & mask) &* entrySize
            let low = UInt64(littleEndian: slot.load(as: UInt64.self))
            let status = UInt32(truncatingIfNeeded: low)
            guard (status >> 24) & 1 == UInt32((Int(completionHead) >> shift) & 1 == 0 ? 1 : 0) else { break }
            completionHead &+= 1
            consumed &+= 1
            let id = Int(UInt16(truncatingIfNeeded: low >> 48))
            guard id < depth, buffers[id] >= 0 else {
                counters.invalidRxRequestIDs &+= 1
                continue
            }
            let bufferIndex = buffers[id]
            buffers[id] = -1
            freeIDs[freeCount] = UInt16(truncatingIfNeeded: id)
            freeCount &+= 1
            let length = Int(UInt16(truncatingIfNeeded: low >> 32))
            guard length <= pool.bufferSize else {
                counters.oversizeRxCompletions &+= 1
                pool.free(index: bufferIndex)
                continue
            }
            var b = pool.buffer(at: bufferIndex, length: length)
            b.status = status
            out[n] = b
            n &+= 1
            bytes &+= UInt64(length)
            if b.enaLastBuffer { packets &+= 1 }
        }
        if consumed > 0 { refill(access, bar: bar, pool: pool) }
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
