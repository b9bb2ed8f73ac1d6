/// A position inside the resolved segments of a transfer.
struct TransferCursor {
    var segment = 0
    var offset = 0
}

extension DataTransfer {
    /// The guest bytes at `cursor` if `length` of them are contiguous, else nil (use the bounce).
    @inline(__always)
    func contiguous(at cursor: TransferCursor, length: Int) -> UnsafeMutableRawPointer? {
        guard cursor.segment < count else { return nil }
        let s = segments[cursor.segment]
        return s.length - cursor.offset >= length ? s.host + cursor.offset : nil
    }

    /// Moves `cursor` forward by `length` bytes.
    @inline(__always)
    func advance(_ cursor: inout TransferCursor, by length: Int) {
        cursor.offset += length
        while cursor.segment < count, cursor.offset >= segments[cursor.segment].length {
            cursor.offset -= segments[cursor.segment].length
            cursor.segment += 1
        }
    }

    /// Copies `length` guest bytes from `cursor` into `destination`, advancing the cursor.
    func gather(_ cursor: inout TransferCursor, into destination: UnsafeMutableRawPointer, length: Int) {
        var done = 0
        while done < length, cursor.segment < count {
            let s = segments[cursor.segment]
            let n = min(length - done, s.length - cursor.offset)
            (destination + done).copyMemory(from: s.host + cursor.offset, byteCount: n)
            done += n
            advance(&cursor, by: n)
        }
    }

    /// Copies `length` bytes from `source` to the guest at `cursor`, advancing the cursor.
    func scatter(_ cursor: inout TransferCursor, from source: UnsafeRawPointer, length: Int) {
        var done = 0
        while done < length, cursor.segment < count {
            let s = segments[cursor.segment]
            let n = min(length - done, s.length - cursor.offset)
            (s.host + cursor.offset).copyMemory(from: source + done, byteCount: n)
            done += n
            advance(&cursor, by: n)
        }
    }

    /// Copies `bytes` to the resolved segments (controller-to-host data of admin commands).
    func copyToHost(_ bytes: [UInt8]) {
        var cursor = TransferCursor()
        bytes.withUnsafeBytes { b in
            guard let base = b.baseAddress else { return }
            scatter(&cursor, from: base, length: b.count)
        }
    }

    /// Reads `length` bytes from the resolved segments (host-to-controller data).
    func copyFromHost(length: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        var cursor = TransferCursor()
        out.withUnsafeMutableBytes { b in
            guard let base = b.baseAddress else { return }
            gather(&cursor, into: base, length: length)
        }
        return out
    }
}
