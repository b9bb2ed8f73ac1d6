/// Reads little-endian integers from a byte collection; reading past the end yields zeros (the
/// callers check lengths first, so this only keeps a short message from trapping).
struct ByteReader<Bytes: Collection<UInt8>> where Bytes.Index == Int {
    private let bytes: Bytes
    private(set) var position: Int

    init(_ bytes: Bytes, at position: Int = 0) {
        self.bytes = bytes
        self.position = bytes.startIndex + position
    }

    /// Bytes not yet read.
    var remaining: Int { max(0, bytes.endIndex - position) }

    mutating func u8() -> UInt8 {
        guard position < bytes.endIndex else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() -> UInt16 { UInt16(truncatingIfNeeded: read(2)) }
    mutating func u32() -> UInt32 { UInt32(truncatingIfNeeded: read(4)) }
    mutating func u64() -> UInt64 { read(8) }

    private mutating func read(_ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<count { value |= UInt64(u8()) << UInt64(8 * i) }
        return value
    }

    /// The next `count` bytes (fewer if the collection ends first).
    mutating func take(_ count: Int) -> [UInt8] {
        let end = min(bytes.endIndex, position + max(0, count))
        defer { position = end }
        return Array(bytes[position..<end])
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` in little-endian byte order.
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }
}
