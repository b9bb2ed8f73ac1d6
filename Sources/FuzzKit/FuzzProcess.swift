#if canImport(Glibc)
    import Glibc
#endif

/// Process-wide settings for processes that run fuzz inputs.
enum FuzzProcess {
    /// Keeps freed guest memory in the heap: every input builds a fixture whose driver
    /// allocates a few hundred KiB of rings and buffers. With glibc's defaults each of those
    /// allocations is a fresh `mmap` (page faults on the first touch, `munmap` on release),
    /// which was a third of the 82599 PF target's time; from the heap they are reused warm.
    static func prepare() { _ = once }

    private static let once: Bool = {
        #if canImport(Glibc)
            // mallopt is in <malloc.h>, which the Glibc module does not export: look it up.
            typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
            let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
            let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
            let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
            _ = mallopt(mmapThreshold, 32 << 20)
            _ = mallopt(trimThreshold, 256 << 20)
        #endif
        return true
    }()
}
