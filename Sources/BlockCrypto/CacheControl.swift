import CXTS

/// Cache hints and a streaming copy for the memory a block store keeps data units in.
///
/// The NVMe store uses them so that random 4 KiB blocks in a large, cache-cold store cost as
/// little memory latency and traffic as they must, for plaintext and ciphertext alike. They live
/// here because this target already wraps the C shim (`cxts_memory.h`).
public enum CacheControl {
    /// Asks the CPU to start moving the cache lines of `length` bytes at `address` towards the
    /// core, for writing when `forWriting`. A hint: never faults, changes no data.
    @inlinable @inline(__always)
    public static func prefetch(_ address: UnsafeRawPointer, length: Int, forWriting: Bool) {
        cxts_prefetch(address, length, forWriting ? 1 : 0)
    }

    /// Copies `length` bytes from `source` to `destination` (not overlapping), with streaming
    /// stores that do not read the destination's lines into the cache first when `destination` is
    /// 16-byte aligned and `length` a multiple of 16 (else an ordinary copy). For data written to a
    /// large store and not read again soon. The calling thread sees the bytes at once; another
    /// thread after any lock or fence (which a hand-over between threads has anyway).
    @inlinable @inline(__always)
    public static func copyStreaming(to destination: UnsafeMutableRawPointer, from source: UnsafeRawPointer, length: Int) {
        cxts_copy_streaming(destination, source, length)
    }
}
