#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One bit per logical block: set when the block holds written data, clear when it is
/// deallocated (never written, Write Zeroes, Dataset Management deallocate, format, sanitize,
/// crypto erase). Deallocated blocks read as zeroes (DLFEAT 001b), whatever the store holds.
///
/// The words of a large map live in a lazily reserved anonymous mapping, so a large namespace
/// pays only for the words it touches; a map of at most ``heapWordLimit`` words (a page) lives on
/// the heap, where building and dropping it is no system call (a fuzz input builds one).
/// ``allocatedCount`` is kept exact for NUSE.
final class AllocationMap {
    private var words: UnsafeMutablePointer<UInt64>
    private var wordCount: Int
    /// Blocks covered.
    private(set) var blockCount: UInt64
    /// Blocks whose bit is set (NUSE).
    @exclusivity(unchecked) private(set) var allocatedCount: UInt64 = 0

    /// A map of `blockCount` blocks, all deallocated.
    init(blockCount: UInt64) throws(NVMeSetupError) {
        (words, wordCount) = try Self.map(blockCount)
        self.blockCount = blockCount
    }

    deinit { Self.unmap(words, wordCount) }

    /// Most words a map keeps on the heap (4 KiB: 32,768 blocks).
    static let heapWordLimit = 512

    /// Whether `wordCount` words live on the heap (else in a mapping).
    static func onHeap(_ wordCount: Int) -> Bool { wordCount <= heapWordLimit }

    private static func unmap(_ words: UnsafeMutablePointer<UInt64>, _ wordCount: Int) {
        if onHeap(wordCount) {
            words.deallocate()
        } else {
            munmap(words, wordCount * 8)
        }
    }

    private static func map(_ blocks: UInt64) throws(NVMeSetupError) -> (UnsafeMutablePointer<UInt64>, Int) {
        let count = Int((blocks + 63) / 64)
        if onHeap(max(count, 1)) {
            let words = UnsafeMutablePointer<UInt64>.allocate(capacity: max(count, 1))
            words.initialize(repeating: 0, count: max(count, 1))
            return (words, max(count, 1))
        }
        #if os(Linux)
            let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
        #else
            let flags = MAP_PRIVATE | MAP_ANON
        #endif
        let p = mmap(nil, max(count, 1) * 8, PROT_READ | PROT_WRITE, flags, -1, 0)
        guard let p, p != MAP_FAILED else { throw .backingStore("allocation map of \(blocks) blocks", errno: errno) }
        return (p.bindMemory(to: UInt64.self, capacity: max(count, 1)), max(count, 1))
    }

    /// Whether `lba` holds written data. `lba` must be below ``blockCount``.
    @inline(__always) func isAllocated(_ lba: UInt64) -> Bool {
        words[Int(lba >> 6)] & (1 << (lba & 63)) != 0
    }

    /// Marks `lba` written.
    @inline(__always) func markAllocated(_ lba: UInt64) {
        let w = Int(lba >> 6)
        let bit: UInt64 = 1 << (lba & 63)
        if words[w] & bit == 0 {
            words[w] |= bit
            allocatedCount &+= 1
        }
    }

    /// Marks `[start, start + count)` written (a persisted volume reopened).
    func markAllocated(_ start: UInt64, count: UInt64) {
        var lba = start
        let end = min(start &+ count, blockCount)
        while lba < end {
            if lba & 63 == 0, end - lba >= 64 {
                let w = Int(lba >> 6)
                allocatedCount &+= UInt64(64 - words[w].nonzeroBitCount)
                words[w] = ~0
                lba += 64
            } else {
                markAllocated(lba)
                lba += 1
            }
        }
    }

    /// Marks `[start, start + count)` deallocated.
    func deallocate(_ start: UInt64, count: UInt64) {
        if start == 0, count >= blockCount {
            deallocateAll()
            return
        }
        var lba = start
        let end = min(start &+ count, blockCount)
        while lba < end {
            let w = Int(lba >> 6)
            if lba & 63 == 0, end - lba >= 64 {
                allocatedCount &-= UInt64(words[w].nonzeroBitCount)
                words[w] = 0
                lba += 64
            } else {
                let bit: UInt64 = 1 << (lba & 63)
                if words[w] & bit != 0 {
                    words[w] &= ~bit
                    allocatedCount &-= 1
                }
                lba += 1
            }
        }
    }

    /// Marks every block deallocated and gives the map's pages back.
    func deallocateAll() {
        #if os(Linux)
            if Self.onHeap(wordCount) {
                words.update(repeating: 0, count: wordCount)
            } else {
                madvise(words, wordCount * 8, MADV_DONTNEED)
            }
        #else
            words.update(repeating: 0, count: wordCount)
        #endif
        allocatedCount = 0
    }

    /// Resizes to `blockCount` blocks, all deallocated (a format with another block size).
    func reset(blockCount: UInt64) throws(NVMeSetupError) {
        let (p, n) = try Self.map(blockCount)
        Self.unmap(words, wordCount)
        words = p
        wordCount = n
        self.blockCount = blockCount
        allocatedCount = 0
    }
}
