#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Zero-filled host memory for guest regions and device apertures of medium size, recycled
/// within the process: a released block is handed back to the kernel's zero-fill-on-demand
/// state (`MADV_DONTNEED` on a private anonymous mapping) and kept mapped for the next block of
/// the same size.
///
/// What this saves: a fuzz fixture allocates megabytes of DMA memory per input (driver packet
/// pools, the ENA's LLQ aperture) and touches a few pages of it; zeroing it all with `memset`
/// was a third of an input. Here only the pages an input actually wrote are zeroed again, by
/// the MMU on their next touch. The contents are exactly zero on every reuse, whatever the last
/// owner wrote, because the kernel discards the pages: nothing an input did survives into the
/// next block (unlike a free list of `malloc` blocks, whose old contents would have to be found
/// and cleared).
///
/// Only on Linux (where `MADV_DONTNEED` guarantees zero-fill for private anonymous mappings),
/// only for sizes in ``recycledSizes``, and not under AddressSanitizer (memory from `malloc`
/// has redzones, so a model writing past the end of a region is reported; a mapping has none);
/// otherwise ``allocate(byteCount:)`` returns nil and callers allocate and zero memory
/// themselves.
public enum ZeroFillMemory {
    /// Sizes (in bytes, after rounding up to pages) served from recycled mappings. Below them a
    /// `memset` is cheaper than a system call and a fault per touched page (the NVMe driver's
    /// 64 KiB queues are written all over: recycling them made `nvme` inputs 10% slower); from
    /// 2 MiB up regions ask for transparent huge pages, which this does not.
    public static let recycledSizes = (128 * 1024)..<(2 << 20)
    /// Bytes of released mappings kept for reuse; beyond it releases unmap.
    public static let retainedLimit = 64 << 20

    /// A page-aligned block of at least `byteCount` zero bytes, or nil when `byteCount` is not
    /// served here (or the system refused a mapping). Give it back with ``release(_:byteCount:)``
    /// and the same `byteCount`.
    public static func allocate(byteCount: Int) -> UnsafeMutableRawPointer? {
        #if os(Linux)
            let size = rounded(byteCount)
            guard recycledSizes.contains(size), !underAddressSanitizer else { return nil }
            if let reused = pool.take(size) { return reused }
            let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let p, p != MAP_FAILED else { return nil }
            // Never a huge page (a fault would zero 2 MiB), also if neighbouring mappings merge.
            _ = madvise(p, size, MADV_NOHUGEPAGE)
            return p
        #else
            return nil
        #endif
    }

    /// Returns a block from ``allocate(byteCount:)``: its pages are discarded (they read as zero
    /// from now on) and the mapping is kept for the next block of its size, or unmapped.
    public static func release(_ p: UnsafeMutableRawPointer, byteCount: Int) {
        #if os(Linux)
            let size = rounded(byteCount)
            guard madvise(p, size, MADV_DONTNEED) == 0, pool.keep(p, size) else {
                _ = munmap(p, size)
                return
            }
        #endif
    }

    /// Bytes of released mappings kept for reuse right now (for tests).
    public static var retainedBytes: Int { pool.retainedBytes }

    /// Whether the released block at `p` is kept for reuse (for tests).
    static func retains(_ p: UnsafeMutableRawPointer) -> Bool { pool.holds(p) }

    private static func rounded(_ byteCount: Int) -> Int { (max(byteCount, 1) + 4095) & ~4095 }

    /// The ASan runtime is in the process (its symbols are exported for its interceptors).
    static let underAddressSanitizer = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") != nil

    /// Whether blocks are served here at all (Linux, no AddressSanitizer).
    public static var recycles: Bool {
        #if os(Linux)
            !underAddressSanitizer
        #else
            false
        #endif
    }

    private static let pool = ZeroFillPool()
}

/// Released mappings by size, behind a lock (tests run fixtures on several threads).
private final class ZeroFillPool: @unchecked Sendable {
    private let lock = ProcessLock()
    private var free: [Int: [UInt]] = [:]
    private var retained = 0

    func take(_ size: Int) -> UnsafeMutableRawPointer? {
        lock.withLock {
            guard let address = free[size]?.popLast() else { return nil }
            if free[size]?.isEmpty == true { free[size] = nil }
            retained -= size
            return UnsafeMutableRawPointer(bitPattern: address)
        }
    }

    /// Keeps `p` for the next block of `size`; false (the caller unmaps it) only when `size`
    /// alone exceeds the limit. Over the limit, mappings of other sizes are unmapped first, then
    /// older ones of this size: the block released last is always the one kept, so a size in use
    /// right now is served from the pool whatever other threads released before.
    func keep(_ p: UnsafeMutableRawPointer, _ size: Int) -> Bool {
        lock.withLock {
            guard size <= ZeroFillMemory.retainedLimit else { return false }
            while retained + size > ZeroFillMemory.retainedLimit, let victim = evictionCandidate(sparing: size) {
                guard let address = free[victim]?.popLast() else { break }
                if free[victim]?.isEmpty == true { free[victim] = nil }
                retained -= victim
                _ = munmap(UnsafeMutableRawPointer(bitPattern: address), victim)
            }
            free[size, default: []].append(UInt(bitPattern: p))
            retained += size
            return true
        }
    }

    /// The size whose mapping goes first when the pool is over its limit: any other size that
    /// has one, else `size` itself (a size is a key only while it has mappings).
    private func evictionCandidate(sparing size: Int) -> Int? {
        free.keys.first { $0 != size } ?? (free[size] != nil ? size : nil)
    }

    var retainedBytes: Int { lock.withLock { retained } }

    func holds(_ p: UnsafeMutableRawPointer) -> Bool {
        lock.withLock { free.values.contains { $0.contains(UInt(bitPattern: p)) } }
    }
}
