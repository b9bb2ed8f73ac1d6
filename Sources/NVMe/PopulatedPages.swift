#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which pages of a private anonymous mapping of this process were ever populated, read from
/// `/proc/self/pagemap` (Linux).
///
/// A page of a private anonymous mapping whose page map entry is neither present (bit 63) nor
/// swapped (bit 62) nor file or shared (bit 61) has never been populated since it was mapped, or
/// was discarded (`MADV_DONTNEED`): reading it gives zeroes. Whatever wrote to it, through any
/// pointer, made it present. Residency alone (`mincore`) is no such proof: a swapped-out page is
/// not resident and still holds its data. Scans for secrets may therefore skip the pages this
/// does not list.
enum PopulatedPages {
    /// Bytes per page map entry and per page the map describes.
    static let pageSize = 4096
    /// Entry bits that mean the page may hold data: present, swapped, file-backed or shared.
    static let populatedBits: UInt64 = 1 << 63 | 1 << 62 | 1 << 61
    /// Entries read per `pread`.
    private static let entriesPerRead = 512

    /// The byte ranges (relative to `base`, whole pages, ascending, merged) of the `count` bytes at
    /// `base` (page aligned) that may hold a non-zero byte, or nil when the page map cannot be
    /// read (not Linux, no procfs, an unaligned base): then every byte may.
    static func ranges(_ base: UnsafeRawPointer, count: Int) -> [Range<Int>]? {
        #if os(Linux)
            let address = UInt(bitPattern: base)
            guard address % UInt(pageSize) == 0, count >= 0 else { return nil }
            let pages = (count + pageSize - 1) / pageSize
            guard let fd = PageMapFile.descriptor() else { return nil }
            defer { PageMapFile.done(with: fd) }
            var ranges: [Range<Int>] = []
            let read = withUnsafeTemporaryAllocation(of: UInt64.self, capacity: entriesPerRead) {
                entries -> Bool in
                guard let buffer = entries.baseAddress else { return false }
                var page = 0
                while page < pages {
                    let n = min(entriesPerRead, pages - page)
                    let offset = off_t((address / UInt(pageSize) + UInt(page)) * 8)
                    guard readFully(fd, buffer, n * 8, at: offset) else { return false }
                    for i in 0..<n where buffer[i] & populatedBits != 0 {
                        let start = (page + i) * pageSize
                        let end = min(start + pageSize, count)
                        if let last = ranges.last, last.upperBound == start {
                            ranges[ranges.count - 1] = last.lowerBound..<end
                        } else {
                            ranges.append(start..<end)
                        }
                    }
                    page += n
                }
                return true
            }
            return read ? ranges : nil
        #else
            return nil
        #endif
    }

    #if os(Linux)
        private static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, at offset: off_t) -> Bool {
            var done = 0
            while done < count {
                let n = pread(fd, buffer + done, count - done, offset + off_t(done))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return false }
                done += n
            }
            return true
        }
    #endif
}

#if os(Linux)
    /// `/proc/self/pagemap`, opened once per process: a descriptor opened before a `fork` still
    /// describes the parent, so a child (another process id) opens its own for each call.
    private enum PageMapFile {
        private static let opened = Opened()

        private struct Opened: Sendable {
            let fd: Int32
            let pid: pid_t
            init() {
                fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
                pid = getpid()
            }
        }

        /// A descriptor for this process's page map, or nil when it cannot be opened.
        static func descriptor() -> Int32? {
            if opened.fd >= 0, opened.pid == getpid() { return opened.fd }
            let fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
            return fd >= 0 ? fd : nil
        }

        /// Closes `fd` unless it is the process-wide descriptor.
        static func done(with fd: Int32) {
            if fd != opened.fd { close(fd) }
        }
    }
#endif
