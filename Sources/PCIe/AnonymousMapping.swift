#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Private anonymous memory straight from the kernel: zero on first touch, committed page by
/// page as it is touched (`MAP_NORESERVE`), and, when asked, placed on a 2 MiB boundary and
/// advised to be backed by transparent huge pages.
///
/// For large guest regions and memory stores: zeroing one with `memset` at allocation touches
/// every page, while most of a driver's packet-buffer pool or a sparse store is never touched
/// (the default host's VF and ENA pools are 13 MB per host, of which a short run uses a few
/// buffers). Huge-page backing keeps a region that is used all over (a bench's pools, a store
/// read at random) on few TLB entries; a touched 2 MiB extent is then zeroed whole by the kernel.
public enum AnonymousMapping {
    /// The huge page size mappings are aligned to when they ask for huge pages.
    public static let hugePageSize = 2 << 20

    /// `byteCount` (> 0) zero bytes, 2 MiB aligned and `MADV_HUGEPAGE`d when `hugePages`; nil
    /// when the system refuses the mapping. Give it back with ``unmap(_:byteCount:)``.
    public static func map(byteCount: Int, hugePages: Bool) -> UnsafeMutableRawPointer? {
        guard byteCount > 0 else { return nil }
        #if os(Linux)
            let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
        #else
            let flags = MAP_PRIVATE | MAP_ANON
        #endif
        let (mapped, overflow) = byteCount.addingReportingOverflow(hugePages ? hugePageSize : 0)
        guard !overflow, let p = mmap(nil, mapped, PROT_READ | PROT_WRITE, flags, -1, 0), p != MAP_FAILED else {
            return nil
        }
        guard hugePages else { return p }
        // Keep the 2 MiB-aligned stretch; give back the slack on both sides.
        let address = UInt(bitPattern: p)
        let aligned = (address + UInt(hugePageSize - 1)) & ~UInt(hugePageSize - 1)
        let head = Int(aligned - address)
        if head > 0 { munmap(p, head) }
        let tail = mapped - head - byteCount
        if tail > 0 { munmap(p + head + byteCount, tail) }
        let start = p + head
        #if os(Linux)
            _ = madvise(start, byteCount, MADV_HUGEPAGE)
        #endif
        return start
    }

    /// Returns a mapping from ``map(byteCount:hugePages:)`` of the same `byteCount`.
    public static func unmap(_ p: UnsafeMutableRawPointer, byteCount: Int) {
        munmap(p, byteCount)
    }
}
