import PCIe

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The bytes behind a namespace: anonymous memory or a file.
///
/// Memory is one `MAP_NORESERVE` anonymous mapping, so a multi-terabyte instance store costs
/// nothing until blocks are written and discarded ranges give their pages back. A file is read
/// and written with `pread`/`pwrite` (errors are reported, never a `SIGBUS`), discarded ranges
/// are punched out, and flush is `fdatasync`. What the bytes mean (plaintext or ciphertext,
/// allocated or not) is the ``Namespace``'s business.
final class BlockStore {
    /// Host view of the memory store; nil for a file.
    let memory: UnsafeMutableRawPointer?
    /// File descriptor of the file store; -1 for memory.
    let fileDescriptor: Int32
    /// Size in bytes.
    let byteCount: UInt64
    /// The memory came from ``ZeroFillMemory`` and goes back there.
    private let recycled: Bool

    /// A memory store of `byteCount` bytes (zero filled).
    ///
    /// A store of at most ``hugePageStoreLimit`` is placed on a 2 MiB boundary and asked to be
    /// backed by transparent huge pages: a 4 KiB block picked at random from tens of MiB is a
    /// TLB miss on 4 KiB pages (a nested page walk on a virtualised host) and a hit on 2 MiB
    /// ones. Such a store may become resident in 2 MiB steps, which is at most its own size;
    /// larger stores, sparse by design, keep 4 KiB pages so scattered writes commit only what
    /// they touch. A store of a size ``ZeroFillMemory`` recycles (a fuzz fixture's) takes a
    /// recycled mapping, as zero as a fresh one, without a `mmap` and `munmap` per store.
    init(memoryOf byteCount: UInt64) throws(NVMeSetupError) {
        self.byteCount = byteCount
        fileDescriptor = -1
        if !Self.wantsHugePages(byteCount), byteCount <= UInt64(Int.max),
            let p = ZeroFillMemory.allocate(byteCount: Int(byteCount))
        {
            memory = p
            recycled = true
            return
        }
        recycled = false
        guard byteCount <= UInt64(Int.max),
            let p = AnonymousMapping.map(byteCount: Int(byteCount), hugePages: Self.wantsHugePages(byteCount))
        else { throw .backingStore("mmap of \(byteCount) bytes", errno: errno) }
        memory = p
    }

    /// Largest memory store backed by huge pages (1 GiB).
    static let hugePageStoreLimit: UInt64 = 1 << 30
    /// The huge page size stores are aligned to.
    static let hugePageSize = AnonymousMapping.hugePageSize

    /// Whether a memory store of `byteCount` bytes is backed by huge pages.
    static func wantsHugePages(_ byteCount: UInt64) -> Bool {
        byteCount >= UInt64(hugePageSize) && byteCount <= hugePageStoreLimit
    }

    /// A file store at `path` of `byteCount` bytes, created if missing; `erase` empties it first.
    init(path: String, byteCount: UInt64, erase: Bool) throws(NVMeSetupError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .backingStore("open \(path)", errno: errno) }
        if erase, ftruncate(fd, 0) != 0 {
            let e = errno
            close(fd)
            throw .backingStore("truncate \(path)", errno: e)
        }
        guard ftruncate(fd, off_t(byteCount)) == 0 else {
            let e = errno
            close(fd)
            throw .backingStore("size \(path) to \(byteCount) bytes", errno: e)
        }
        memory = nil
        fileDescriptor = fd
        self.byteCount = byteCount
        recycled = false
    }

    deinit {
        if let memory {
            if recycled {
                ZeroFillMemory.release(memory, byteCount: Int(byteCount))
            } else {
                AnonymousMapping.unmap(memory, byteCount: Int(byteCount))
            }
        }
        if fileDescriptor >= 0 { close(fileDescriptor) }
    }

    /// Reads `count` bytes at `offset` into `buffer` (file stores). Returns false on an I/O error.
    func read(into buffer: UnsafeMutableRawPointer, offset: UInt64, count: Int) -> Bool {
        var done = 0
        while done < count {
            let n = pread(fileDescriptor, buffer + done, count - done, off_t(offset) + off_t(done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }

    /// Writes `count` bytes at `offset` from `buffer` (file stores). Returns false on an I/O error.
    func write(from buffer: UnsafeRawPointer, offset: UInt64, count: Int) -> Bool {
        var done = 0
        while done < count {
            let n = pwrite(fileDescriptor, buffer + done, count - done, off_t(offset) + off_t(done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }

    /// Discards `[offset, offset + count)`: it reads zero afterwards. Memory gives back the whole
    /// 4 KiB pages inside the range (partial pages keep their bytes; the namespace's allocation map
    /// hides them). A file punches whole pages out and writes zeroes over partial ones, so the
    /// range also reads zero after the volume is reopened.
    func discard(offset: UInt64, count: UInt64) {
        let page: UInt64 = 4096
        let end = min(offset &+ count, byteCount)
        guard end > offset else { return }
        let innerStart = (offset + page - 1) & ~(page - 1)
        let innerEnd = end & ~(page - 1)
        if let memory {
            guard innerEnd > innerStart else { return }
            #if os(Linux)
                madvise(memory + Int(innerStart), Int(innerEnd - innerStart), MADV_DONTNEED)
            #else
                memset(memory + Int(innerStart), 0, Int(innerEnd - innerStart))
            #endif
            return
        }
        guard innerEnd > innerStart, Self.punchHole(fileDescriptor, innerStart, innerEnd - innerStart) else {
            writeZeroes(offset, end - offset)
            return
        }
        writeZeroes(offset, innerStart - offset)
        writeZeroes(innerEnd, end - innerEnd)
    }

    private func writeZeroes(_ offset: UInt64, _ count: UInt64) {
        guard count > 0 else { return }
        let chunk = 1 << 16
        let zeroes = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { zeroes.deallocate() }
        zeroes.initializeMemory(as: UInt8.self, repeating: 0, count: chunk)
        var done: UInt64 = 0
        while done < count {
            let n = Int(min(UInt64(chunk), count - done))
            guard write(from: zeroes, offset: offset + done, count: n) else { return }
            done += UInt64(n)
        }
    }

    #if os(Linux)
        private typealias FallocateFunction = @convention(c) (Int32, Int32, Int64, Int64) -> Int32
        /// glibc's fallocate(2) wrapper, looked up once (the Glibc module does not export it).
        private static let fallocate: FallocateFunction? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "fallocate") else { return nil }
            return unsafeBitCast(symbol, to: FallocateFunction.self)
        }()
        private static let punchHoleMode: Int32 = 0x02 | 0x01  // FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
    #endif

    /// Punches `[offset, offset + count)` out of the file; false where the system cannot.
    private static func punchHole(_ fd: Int32, _ offset: UInt64, _ count: UInt64) -> Bool {
        #if os(Linux)
            guard let fallocate else { return false }
            return fallocate(fd, punchHoleMode, Int64(offset), Int64(count)) == 0
        #else
            return false
        #endif
    }

    /// Byte ranges (ascending) outside which the store reads as zeroes: for memory the pages
    /// ever populated (``PopulatedPages``), else (a file, or no page map) the whole store.
    func rangesThatMayHoldData() -> [Range<UInt64>] {
        if let memory, let pages = PopulatedPages.ranges(memory, count: Int(byteCount)) {
            return pages.map { UInt64($0.lowerBound)..<UInt64($0.upperBound) }
        }
        return byteCount > 0 ? [0..<byteCount] : []
    }

    /// Makes written data durable (file stores); memory has nothing to do. Returns false on error.
    func flush() -> Bool {
        guard fileDescriptor >= 0 else { return true }
        #if os(Linux)
            return fdatasync(fileDescriptor) == 0
        #else
            return fsync(fileDescriptor) == 0
        #endif
    }

    #if os(Linux)
        private static let seekData: Int32 = 3  // SEEK_DATA
        private static let seekHole: Int32 = 4  // SEEK_HOLE
    #endif

    /// Byte ranges of a file store that hold data (not holes), for rebuilding the allocation map
    /// of a persisted volume. Without SEEK_DATA support the whole file counts as data.
    func dataRanges() -> [Range<UInt64>] {
        guard fileDescriptor >= 0 else { return [] }
        #if os(Linux)
            var ranges: [Range<UInt64>] = []
            var at: off_t = 0
            let end = off_t(byteCount)
            while at < end {
                let data = lseek(fileDescriptor, at, Self.seekData)
                if data < 0 { return errno == ENXIO ? ranges : [0..<byteCount] }
                let hole = lseek(fileDescriptor, data, Self.seekHole)
                guard hole > data else { return [0..<byteCount] }
                ranges.append(UInt64(data)..<UInt64(min(hole, end)))
                at = hole
            }
            return ranges
        #else
            return [0..<byteCount]
        #endif
    }
}
