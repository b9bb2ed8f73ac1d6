import CSpeedOfLight

/// Heap bytes in use according to the C allocator, for allocation checks around a batch.
///
/// On glibc this is `mallinfo2().uordblks` (small blocks) plus `hblkhd` (mmapped blocks). It sees
/// memory a batch keeps (a growing log, a cache); an allocation freed within the batch nets to
/// zero and needs an allocation counter (valgrind, see Docs/PERFORMANCE.md) to be seen.
public enum HeapProbe {
    /// Bytes currently allocated, or nil where the allocator cannot tell.
    public static func bytesInUse() -> Int? {
        let bytes = sol_heap_bytes_in_use()
        return bytes < 0 ? nil : Int(truncatingIfNeeded: bytes)
    }

    /// Heap bytes retained by running `body`, or nil where unknown.
    public static func retainedBytes(_ body: () -> Void) -> Int? {
        let before = bytesInUse()
        body()
        guard let before, let after = bytesInUse() else { return nil }
        return after - before
    }
}
