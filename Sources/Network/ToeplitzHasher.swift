/// The Toeplitz hash with a fixed key, table driven: one 256-entry table per input byte position
/// holds the XOR of the key windows that byte's set bits select, so hashing is one lookup and one
/// XOR per input byte. Building the tables (36 × 256 words) is the only allocation.
public struct ToeplitzHasher: Sendable {
    /// The longest input the 40-byte key covers: 320 key bits − 32 = 288 input bits (IPv6 + ports).
    public static let maximumInputLength = 36

    /// The key the tables were built from.
    public let key: ToeplitzKey
    /// `table[position << 8 | byte]`: the hash contribution of `byte` at input `position`.
    private let table: [UInt32]

    /// Builds the lookup tables for `key`.
    public init(key: ToeplitzKey) {
        self.key = key
        var table = [UInt32](repeating: 0, count: Self.maximumInputLength * 256)
        for position in 0..<Self.maximumInputLength {
            let base = position << 8
            for bit in 0..<8 {
                let single = 0x80 >> bit
                table[base | single] = key.window(atBit: position * 8 + bit)
            }
            for byte in 1..<256 where byte & (byte - 1) != 0 {
                let lowest = byte & -byte
                table[base | byte] = table[base | lowest] ^ table[base | (byte ^ lowest)]
            }
        }
        self.table = table
    }

    /// The hash of `input` (source address, destination address, then ports for the 4-tuple
    /// variants, all in wire order). Bytes past ``maximumInputLength`` are ignored. No allocation.
    public func hash(_ input: UnsafeRawBufferPointer) -> UInt32 {
        var result: UInt32 = 0
        for position in 0..<min(input.count, Self.maximumInputLength) {
            result ^= table[position << 8 | Int(input[position])]
        }
        return result
    }

    /// The contribution of a 16-bit big-endian value at input `position` (`position + 2 <= 36`).
    @inline(__always)
    func contribution(_ value: UInt16, at position: Int) -> UInt32 {
        table[position << 8 | Int(value >> 8)] ^ table[(position + 1) << 8 | Int(value & 0xFF)]
    }

    /// The contribution of a 32-bit big-endian value at input `position` (`position + 4 <= 36`).
    @inline(__always)
    func contribution(_ value: UInt32, at position: Int) -> UInt32 {
        contribution(UInt16(truncatingIfNeeded: value >> 16), at: position)
            ^ contribution(UInt16(truncatingIfNeeded: value), at: position + 2)
    }

    /// The contribution of a 64-bit big-endian value at input `position` (`position + 8 <= 36`).
    @inline(__always)
    func contribution(_ value: UInt64, at position: Int) -> UInt32 {
        contribution(UInt32(truncatingIfNeeded: value >> 32), at: position)
            ^ contribution(UInt32(truncatingIfNeeded: value), at: position + 4)
    }
}
