import CMemoryHints
import PCIe

/// A mempool in the style of ixy: `count` fixed-size buffers in one DMA allocation, handed out
/// and taken back by index from a free stack. Nothing allocates after creation.
///
/// Buffers come back through ``free(_:)``; a buffer freed twice or one from another pool is
/// ignored and counted in ``badFrees``.
public final class PacketBufferPool {
    /// Size of each buffer in bytes.
    public let bufferSize: Int
    /// Distance in bytes from one buffer's start to the next: ``bufferSize`` plus one cache line.
    ///
    /// Buffers are 1 KiB multiples, so with no gap every buffer would start at the same offset
    /// modulo 2 KiB and the lines a small frame touches would all land in 1/32 of the cache
    /// sets (DPDK's mempool pads objects for the same reason). The extra line walks successive
    /// buffers across every set.
    public let stride: Int
    /// Number of buffers.
    public let count: Int
    /// Identity carried in every ``PacketBuffer`` (the device address of the pool).
    public let id: UInt64
    /// The pool memory.
    public let memory: DMABuffer
    @usableFromInline let base: UInt
    @usableFromInline let freeStack: UnsafeMutablePointer<Int32>
    @usableFromInline let inUse: UnsafeMutablePointer<Bool>
    @exclusivity(unchecked) @usableFromInline var freeCount: Int
    /// Frees of buffers that were not allocated from this pool or already free.
    @exclusivity(unchecked) public private(set) var badFrees = 0

    /// Allocates `count` buffers of `bufferSize` bytes (a multiple of 1 KiB, as SRRCTL counts)
    /// through `access`.
    public init(access: some DeviceAccess, count: Int, bufferSize: Int = 2048) throws(DMAAllocationError) {
        let stride = bufferSize + Self.colourGap
        let (bytes, overflow) = count.multipliedReportingOverflow(by: stride)
        guard count > 0, count <= Int(Int32.max), bufferSize >= 1024, bufferSize % 1024 == 0, bufferSize <= 16 * 1024, !overflow
        else {
            throw .invalidSize(overflow ? Int.max : bytes)
        }
        memory = try access.allocateDMA(bytes)
        self.count = count
        self.bufferSize = bufferSize
        self.stride = stride
        id = memory.deviceAddress.value
        base = UInt(bitPattern: memory.host.baseAddress)
        freeStack = .allocate(capacity: count)
        inUse = .allocate(capacity: count)
        inUse.initialize(repeating: false, count: count)
        for i in 0..<count { (freeStack + i).initialize(to: Int32(count - 1 - i)) }
        freeCount = count
    }

    /// Bytes between buffers (one cache line); see ``stride``.
    public static let colourGap = 64

    deinit {
        freeStack.deallocate()
        inUse.deallocate()
    }

    /// Buffers available.
    public var available: Int { freeCount }

    /// The buffer value for index `i` with `length` bytes in use.
    @inlinable public func buffer(at i: Int32, length: Int = 0) -> PacketBuffer {
        let offset = UInt64(truncatingIfNeeded: Int(i) &* stride)
        return PacketBuffer(index: i, poolID: id, deviceAddress: id &+ offset, hostAddress: base &+ UInt(offset), length: length)
    }

    /// Takes one buffer, or nil when the pool is empty.
    @inlinable public func allocate() -> PacketBuffer? {
        guard let i = allocateIndex() else { return nil }
        return buffer(at: i)
    }

    /// Takes one buffer and returns its index, or nil when the pool is empty.
    @inlinable public func allocateIndex() -> Int32? {
        guard freeCount > 0 else { return nil }
        freeCount -= 1
        let i = freeStack[freeCount]
        inUse[Int(i)] = true
        return i
    }

    /// Takes up to `out.count` buffers; returns how many were written to `out`.
    @inlinable public func allocate(into out: UnsafeMutableBufferPointer<PacketBuffer>) -> Int {
        guard let first = out.baseAddress else { return 0 }
        // The pool's fields in locals (see ``FreeStackCursor``).
        var free = freeStackCursor
        let poolID = id
        let start = base
        let step = stride
        var n = 0
        while n < out.count, let i = free.pop() {
            let offset = UInt64(truncatingIfNeeded: Int(i) &* step)
            first[n] = PacketBuffer(
                index: i, poolID: poolID, deviceAddress: poolID &+ offset, hostAddress: start &+ UInt(offset), length: 0)
            n &+= 1
        }
        commit(free)
        return n
    }

    /// Whether `buffer` belongs to this pool.
    @inlinable public func owns(_ buffer: PacketBuffer) -> Bool {
        buffer.poolID == id && buffer.index >= 0 && Int(buffer.index) < count
    }

    /// Returns a buffer to the pool.
    @inlinable public func free(_ buffer: PacketBuffer) {
        guard buffer.poolID == id else {
            countBadFree()
            return
        }
        free(index: buffer.index)
    }

    /// Returns buffer `index` to the pool.
    @inlinable public func free(index: Int32) {
        guard index >= 0, Int(index) < count, inUse[Int(index)] else {
            countBadFree()
            return
        }
        inUse[Int(index)] = false
        freeStack[freeCount] = index
        freeCount += 1
    }

    /// Returns every buffer of `buffers` to the pool, as ``free(_:)`` one by one would.
    @inlinable public func free(_ buffers: UnsafeBufferPointer<PacketBuffer>) {
        var free = freeStackCursor
        let poolID = id
        for b in buffers where b.poolID != poolID || !free.push(b.index) { countBadFree() }
        commit(free)
    }

    /// Asks the CPU for the free-stack lines that the next `allocations` allocations and `frees`
    /// frees touch (the entries just below and just above the top). With many pools in use in
    /// turn, a pool's stack top is cold when its queue's turn comes; prefetching it at the start
    /// of a batch overlaps that miss with the batch's others instead of stalling on it midway.
    @inlinable @inline(__always) public func prefetchStackTop(allocations: Int, frees: Int) {
        let low = Swift.max(0, freeCount &- allocations)
        let high = Swift.min(count, freeCount &+ frees)
        var i = low
        while i < high {
            mh_prefetch_write(freeStack + i)
            i &+= 64 / MemoryLayout<Int32>.stride
        }
        if high > low { mh_prefetch_write(freeStack + (high &- 1)) }
    }

    @usableFromInline func countBadFree() { badFrees += 1 }
}
