import CMemoryHints

/// Process-wide settings for processes that run fuzz inputs.
enum FuzzProcess {
    /// Keeps freed guest memory in the heap: every input builds a fixture whose driver
    /// allocates a few hundred KiB of rings and buffers. With glibc's defaults each of those
    /// allocations is a fresh `mmap` (page faults on the first touch, `munmap` on release),
    /// which was a third of the 82599 PF target's time; from the heap they are reused warm.
    static func prepare() { _ = once }

    private static let once: Bool = mh_keep_freed_memory(32 << 20, 256 << 20) != 0
}
