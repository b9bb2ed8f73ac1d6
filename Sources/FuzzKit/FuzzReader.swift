/// Reads little-endian fields from fuzz input bytes. Past the end every field reads as zero,
/// so any byte string decodes; ``isAtEnd`` tells the decoder to stop.
struct FuzzReader {
    private let bytes: UnsafeRawBufferPointer
    private var position: Int

    init(_ bytes: UnsafeRawBufferPointer, from start: Int = 0) {
        self.bytes = bytes
        position = min(max(start, 0), bytes.count)
    }

    /// No bytes left.
    var isAtEnd: Bool { position >= bytes.count }

    mutating func u8() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() -> UInt16 { UInt16(u8()) | UInt16(u8()) << 8 }
    mutating func u32() -> UInt32 { UInt32(u16()) | UInt32(u16()) << 16 }
    mutating func u64() -> UInt64 { UInt64(u32()) | UInt64(u32()) << 32 }

    /// `count` bytes (zero-padded past the end).
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in u8() } }
}

/// Appends little-endian fields; the inverse of ``FuzzReader``.
struct FuzzWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }
}
