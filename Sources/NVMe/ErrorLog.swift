/// The Error Information log (log page 01h): the most recent error completions, 64 bytes each.
struct ErrorLog {
    struct Entry {
        var errorCount: UInt64
        var submissionQueueID: UInt16
        var commandID: UInt16
        var status: NVMeStatus
        var lba: UInt64
        var namespaceID: UInt32
    }

    /// Entries the log keeps (ELPE + 1).
    static let capacity = 64
    /// Errors ever recorded (the Error Count of the newest entry).
    private(set) var total: UInt64 = 0
    private var entries: [Entry] = []

    /// Records an error completion.
    mutating func record(sq: UInt16, cid: UInt16, status: NVMeStatus, lba: UInt64, nsid: UInt32) {
        total &+= 1
        if entries.count == Self.capacity { entries.removeFirst() }
        entries.append(
            Entry(errorCount: total, submissionQueueID: sq, commandID: cid, status: status, lba: lba, namespaceID: nsid))
    }

    /// The log page: entries newest first, unused entries zero.
    func page() -> [UInt8] {
        var page = PageBuilder(size: Self.capacity * 64)
        for (i, e) in entries.reversed().enumerated() {
            let at = i * 64
            page.put(e.errorCount, at: at)
            page.put(e.submissionQueueID, at: at + 8)
            page.put(e.commandID, at: at + 10)
            page.put(UInt16(e.status.field) << 1, at: at + 12)
            page.put(UInt16(0xFFFF), at: at + 14)
            page.put(e.lba, at: at + 16)
            page.put(e.namespaceID, at: at + 24)
        }
        return page.bytes
    }
}

/// Builds a little-endian data structure (Identify data, log pages) byte by byte.
struct PageBuilder {
    private(set) var bytes: [UInt8]

    /// A zeroed page of `size` bytes.
    init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }

    /// Stores `value` little endian at `offset`.
    mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        for i in 0..<MemoryLayout<T>.size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    /// Stores a 128-bit little-endian counter (high half zero).
    mutating func put128(_ value: UInt64, at offset: Int) { put(value, at: offset) }

    /// Stores ASCII `text` at `offset`, padded with `pad` (spaces unless told) to `length` bytes.
    mutating func put(ascii text: String, at offset: Int, length: Int, pad: UInt8 = 0x20) {
        let utf8 = Array(text.utf8.prefix(length))
        for i in 0..<length { bytes[offset + i] = i < utf8.count ? utf8[i] : pad }
    }

    /// Stores raw bytes at `offset`.
    mutating func put(bytes raw: [UInt8], at offset: Int) {
        for (i, b) in raw.enumerated() { bytes[offset + i] = b }
    }
}
