import Network
import PCIe

/// The LLQ layout the driver chose with SET_FEATURE LLQ (inline headers only).
struct LLQConfiguration {
    /// Bytes per LLQ entry: 128, 192 or 256.
    var entrySize = 128
    /// Descriptors in the first entry of a packet, before the inline header.
    var descriptorsBeforeHeader = 2
    /// Later entries hold entrySize / 16 descriptors (true) or one (false).
    var multipleDescriptorsPerEntry = true
}

/// Settings the driver changes with SET_FEATURE; back to these values on every reset.
struct FeatureState {
    /// RSS indirection table capacity (2^8 entries).
    static let indirectionCapacity = 256
    /// Marks an indirection entry the driver has not set: such traffic goes to the first Rx queue.
    static let unsetEntry: UInt16 = 0xFFFF

    var mtu: Int
    /// Selected hash function (`ena_admin_hash_functions`: 1 Toeplitz, 2 CRC32).
    var hashFunction: UInt8 = 1
    var hashInitialValue: UInt32 = 0
    var hashKey: ToeplitzKey = .microsoftVerification
    var hasher = FeatureState.defaultHasher {
        didSet {
            rssTable = RSSTable(hasher)
            rssLookup = rssTable.lookup
        }
    }
    /// `hasher` as a flat lookup table for the receive path (always built from `hasher`), and
    /// the receive path's unretained view of it.
    private var rssTable = RSSTable.microsoftVerification
    private(set) var rssLookup = RSSTable.microsoftVerification.lookup
    /// `selected_fields[proto].fields` of RSS_HASH_INPUT, by `ena_admin_flow_hash_proto`.
    var hashFields: [UInt16] = FeatureState.defaultHashFields
    /// The Toeplitz functions the selected fields enable.
    var hashSelection: RSSFieldSelection = [.tcpIPv4, .udpIPv4, .ipv4, .tcpIPv6, .udpIPv6, .ipv6]
    var enabledInputSort: UInt16 = 0
    /// Indirection table: CQ index per entry.
    var indirection = [UInt16](repeating: FeatureState.unsetEntry, count: FeatureState.indirectionCapacity)
    var indirectionLogSize = 7 {
        didSet { indirectionMask = (UInt32(1) << UInt32(indirectionLogSize)) &- 1 }
    }
    /// 2^``indirectionLogSize`` - 1: the bits of a hash that index the indirection table.
    private(set) var indirectionMask: UInt32 = (1 << 7) - 1
    var llq = LLQConfiguration()
    /// STATELESS_OFFLOAD_CONFIG `rx_enabled`.
    var rxOffloadsEnabled: UInt32 = FeatureState.rxOffloadsSupported

    /// The hasher for the key every reset returns to, built once per process (a hasher is a
    /// function of its key; building one was a tenth of an `ena` fuzz input).
    static let defaultHasher = ToeplitzHasher(key: .microsoftVerification)
    /// Rx offloads: IPv4 header checksum, L4 checksum over IPv4 and IPv6, hash.
    static let rxOffloadsSupported: UInt32 = 0xF
    /// Tx offloads: IPv4 header checksum, full L4 checksum over IPv4 and IPv6 (no TSO).
    static let txOffloadsSupported: UInt32 = 0x1 | 0x4 | 0x10
    /// Every hash field (L2 DA/SA, L3 DA/SA, L4 DP/SP).
    static let allHashFields: UInt16 = 0x3F
    /// L3 addresses and L4 ports for TCP/UDP, L3 addresses for IP, nothing for the rest.
    static let defaultHashFields: [UInt16] = (0..<16).map { proto in
        switch proto {
        case 0...3: 0x3C
        case 4, 5, 6: 0x0C
        default: 0
        }
    }

    init(_ configuration: ENAConfiguration) {
        mtu = configuration.mtu
    }

    /// The Toeplitz functions selected `fields` enable: a protocol's ports count when both
    /// L4 bits are set, its addresses when both L3 bits are set (other subsets are not modelled).
    static func selection(_ fields: [UInt16]) -> RSSFieldSelection {
        func has(_ proto: Int, _ mask: UInt16) -> Bool { proto < fields.count && fields[proto] & mask == mask }
        var s: RSSFieldSelection = []
        if has(0, 0x3C) { s.insert(.tcpIPv4) }
        if has(1, 0x3C) { s.insert(.udpIPv4) }
        if has(2, 0x3C) { s.insert(.tcpIPv6) }
        if has(3, 0x3C) { s.insert(.udpIPv6) }
        if has(4, 0x0C) { s.insert(.ipv4) }
        if has(5, 0x0C) { s.insert(.ipv6) }
        return s
    }
}

/// Dwords of the LLQ BAR that lie in one word of its written bitmap (``LowLatencyMemory/span(offset:count:)``).
struct WrittenSpan {
    let word: Int
    let mask: UInt64
}

/// The spans (``LowLatencyMemory/span(offset:count:)``) of consecutive entries of one queue when
/// each entry's dwords lie in one bitmap word: a whole number of entries fills a word (128- and
/// 256-byte entries) and the first entry starts on an entry boundary of one. Entry `i`'s span is
/// then a shift of one mask, with no test of whether it fits.
struct EntrySpans {
    let firstDword: Int
    let dwords: Int
    let ones: UInt64

    /// Entries of `entrySize` bytes from `offset` (both dword aligned); nil when some entry
    /// would straddle two bitmap words.
    init?(offset: Int, entrySize: Int) {
        dwords = entrySize &>> 2
        firstDword = offset &>> 2
        guard offset & 3 == 0, entrySize & 3 == 0, dwords > 0, dwords <= 64, 64 % dwords == 0, firstDword % dwords == 0
        else { return nil }
        ones = dwords == 64 ? .max : (UInt64(1) &<< UInt64(dwords)) &- 1
    }

    /// The span of entry `index` (`index` ≥ 0).
    @inline(__always) func span(_ index: Int) -> WrittenSpan {
        let dword = firstDword &+ index &* dwords
        return WrittenSpan(word: dword &>> 6, mask: ones &<< UInt64(truncatingIfNeeded: dword & 63))
    }
}

/// The LLQ BAR's memory and which dwords the driver has written since the device last consumed
/// them, so an entry processed before it was completely written is detected.
final class LowLatencyMemory {
    let size: Int
    let bytes: UnsafeMutableRawPointer
    /// One bit per dword.
    private let written: UnsafeMutablePointer<UInt64>
    private let wordCount: Int
    /// The bytes stored since the last ``clear()`` lie in `dirtyStart..<dirtyEnd` (empty when
    /// `dirtyStart >= dirtyEnd`); everything outside is still zero, and no written bit is set
    /// there, so ``clear()`` zeroes only this range (every reset clears the 1 MiB BAR: it was a
    /// third of an `ena` fuzz input).
    private var dirtyStart = Int.max
    /// `bytes` came from ``ZeroFillMemory`` and goes back there.
    private let recycled: Bool
    private var dirtyEnd = 0

    init(size: Int) {
        self.size = size
        // Zeroed by the kernel, so a fixture that never writes most of the BAR never clears it.
        if let p = ZeroFillMemory.allocate(byteCount: size) {
            bytes = p
            recycled = true
        } else {
            bytes = .allocate(byteCount: size, alignment: 64)
            bytes.initializeMemory(as: UInt8.self, repeating: 0, count: size)
            recycled = false
        }
        wordCount = (size / 4 + 63) / 64
        written = .allocate(capacity: wordCount)
        written.initialize(repeating: 0, count: wordCount)
    }

    deinit {
        if recycled { ZeroFillMemory.release(bytes, byteCount: size) } else { bytes.deallocate() }
        written.deallocate()
    }

    /// A guest write; dword and qword writes mark their dwords written (narrower writes store
    /// their bytes but leave the dword incomplete).
    @inline(__always) func write(offset: Int, width: Int, value: UInt64) {
        guard offset >= 0, offset <= size - width else { return }
        markDirty(offset, offset &+ width)
        switch width {
        case 8: bytes.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
        case 4: bytes.storeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian, toByteOffset: offset, as: UInt32.self)
        case 2: bytes.storeBytes(of: UInt16(truncatingIfNeeded: value).littleEndian, toByteOffset: offset, as: UInt16.self)
        default: bytes.storeBytes(of: UInt8(truncatingIfNeeded: value), toByteOffset: offset, as: UInt8.self)
        }
        guard width >= 4 else { return }
        let first = offset >> 2
        if width == 8, offset & 7 == 0 {
            // An aligned qword: two dwords in one bitmap word.
            written[first >> 6] |= UInt64(3) << UInt64(first & 63)
            return
        }
        for dword in first..<(first + width / 4) { written[dword >> 6] |= UInt64(1) << UInt64(dword & 63) }
    }

    /// A write-combined burst: the bytes stored at once, every dword they cover entirely marked
    /// written (a burst that ends mid-dword leaves that dword incomplete, as a narrow write
    /// does). Bytes past the end of the BAR are not stored.
    @inline(__always) func write(offset: Int, bytes: UnsafeRawBufferPointer) {
        guard offset >= 0, offset < size, let source = bytes.baseAddress else { return }
        let count = min(bytes.count, size - offset)
        markDirty(offset, offset &+ count)
        (self.bytes + offset).copyMemory(from: source, byteCount: count)
        if offset & 3 == 0, let span = self.span(offset: offset, count: count & ~3) {
            // A whole entry's burst, aligned: one bitmap word.
            written[span.word] |= span.mask
            return
        }
        var dword = (offset + 3) >> 2
        let end = (offset + count) >> 2
        while dword < end {
            // A bitmap word the burst covers entirely (the middle of a burst of several entries):
            // all its dwords written.
            if dword & 63 == 0, end &- dword >= 64 {
                written[dword &>> 6] = .max
                dword &+= 64
                continue
            }
            let (word, mask, n) = Self.bits(from: dword, to: end)
            written[word] |= mask
            dword += n
        }
    }

    /// A guest read of the stored bytes.
    func read(offset: Int, width: Int) -> UInt64 {
        guard offset >= 0, offset <= size - width else { return 0 }
        var v: UInt64 = 0
        for i in 0..<width { v |= UInt64(bytes.load(fromByteOffset: offset + i, as: UInt8.self)) << UInt64(8 * i) }
        return v
    }

    /// The dwords of `count` bytes from `offset` (both dword aligned, inside the BAR) as one
    /// bitmap word and mask, when they lie in one word (an entry of up to 256 bytes that does not
    /// straddle a 256-byte boundary); nil otherwise. With it, ``isComplete(_:)`` and
    /// ``consume(_:)`` are one load, compare and store instead of the loops of
    /// ``isComplete(offset:count:)`` and ``consume(offset:count:)``, and mean the same.
    @inline(__always) func span(offset: Int, count: Int) -> WrittenSpan? {
        let dword = offset &>> 2
        let bit = dword & 63
        let n = count &>> 2
        guard n > 0, n <= 64 &- bit else { return nil }
        let ones = n == 64 ? UInt64.max : (UInt64(1) &<< UInt64(n)) &- 1
        return WrittenSpan(word: dword &>> 6, mask: ones &<< UInt64(bit))
    }

    /// Whether every dword of `span` was written.
    @inline(__always) func isComplete(_ span: WrittenSpan) -> Bool { written[span.word] & span.mask == span.mask }

    /// Marks the dwords of `span` consumed (not written).
    @inline(__always) func consume(_ span: WrittenSpan) { written[span.word] &= ~span.mask }

    /// Whether every dword of `count` bytes from `offset` (both dword aligned) was written.
    /// (Offsets are inside the BAR: the wrapping arithmetic below never wraps.)
    @inline(__always) func isComplete(offset: Int, count: Int) -> Bool {
        var dword = offset &>> 2
        let end = (offset &+ count) &>> 2
        while dword < end {
            let (word, mask, n) = Self.bits(from: dword, to: end)
            if written[word] & mask != mask { return false }
            dword &+= n
        }
        return true
    }

    /// The bitmap word holding `dword`, the mask of the dwords from it to `end` (above it)
    /// within that word, and how many they are.
    @inline(__always) private static func bits(from dword: Int, to end: Int) -> (Int, UInt64, Int) {
        let bit = dword & 63
        let n = min(64 &- bit, end &- dword)
        let ones = n == 64 ? UInt64.max : (UInt64(1) &<< UInt64(n)) &- 1
        return (dword &>> 6, ones &<< UInt64(bit), n)
    }

    /// Marks `count` bytes from `offset` consumed (not written).
    @inline(__always) func consume(offset: Int, count: Int) {
        var dword = offset &>> 2
        let end = min((offset &+ count) &>> 2, size &>> 2)
        while dword < end {
            let (word, mask, n) = Self.bits(from: dword, to: end)
            written[word] &= ~mask
            dword &+= n
        }
    }

    /// Forgets `count` bytes from `offset`: zeroed, not written.
    func clear(from offset: Int, count: Int) {
        guard offset >= 0, count > 0, offset <= size - count else { return }
        (bytes + offset).initializeMemory(as: UInt8.self, repeating: 0, count: count)
        consume(offset: offset, count: count)
    }

    @inline(__always) private func markDirty(_ start: Int, _ end: Int) {
        if start < dirtyStart { dirtyStart = start }
        if end > dirtyEnd { dirtyEnd = end }
    }

    /// Forgets everything: the whole BAR reads zero and no dword counts as written. Only the
    /// range stored since the last clear is touched (the rest is zero already).
    func clear() {
        guard dirtyStart < dirtyEnd else { return }
        (bytes + dirtyStart).initializeMemory(as: UInt8.self, repeating: 0, count: dirtyEnd - dirtyStart)
        let firstWord = (dirtyStart >> 2) >> 6
        let lastWord = min(wordCount - 1, (dirtyEnd >> 2) >> 6)
        (written + firstWord).update(repeating: 0, count: lastWord - firstWord + 1)
        dirtyStart = Int.max
        dirtyEnd = 0
    }
}
