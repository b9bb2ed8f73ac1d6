import Network

/// A Toeplitz hasher's contributions as one flat table the receive path indexes directly:
/// `entries[position << 8 | byte]` is the hash of an input that is zero except for `byte` at
/// `position` (the hash is linear, so an input's hash is the XOR of its bytes' entries). Built
/// from the `ToeplitzHasher` itself, so both always agree; read-only once built.
final class RSSTable: @unchecked Sendable {
    /// Input positions the 40-byte key covers (IPv6 addresses and ports).
    static let positions = ToeplitzHasher.maximumInputLength
    let entries: UnsafeMutablePointer<UInt32>

    /// The table of `hasher`. The Toeplitz hash is linear (the hash of `a ^ b` is the hash of
    /// `a` xor the hash of `b`, and zeros hash to zero), so per position only the eight
    /// single-bit bytes are hashed and every other byte's entry is the xor of two entries
    /// already made (hashing all 256 bytes per position was 40% of an ENA device's bring-up).
    init(_ hasher: ToeplitzHasher) {
        entries = .allocate(capacity: Self.positions << 8)
        var input = [UInt8](repeating: 0, count: Self.positions)
        input.withUnsafeMutableBytes { bytes in
            for position in 0..<Self.positions {
                let base = position << 8
                entries[base] = 0
                for bit in 0..<8 {
                    bytes[position] = UInt8(0x80 >> bit)
                    entries[base | 0x80 >> bit] = hasher.hash(UnsafeRawBufferPointer(bytes))
                }
                bytes[position] = 0
                for byte in 1..<256 where byte & (byte - 1) != 0 {
                    let lowest = byte & -byte
                    entries[base | byte] = entries[base | lowest] ^ entries[base | (byte ^ lowest)]
                }
            }
        }
    }

    deinit { entries.deallocate() }

    /// The default key's table, shared by every device until a driver sets its own key.
    static let microsoftVerification = RSSTable(ToeplitzHasher(key: .microsoftVerification))

    /// The unretained view the receive path reads (valid while this table lives).
    var lookup: RSSLookup { RSSLookup(entries: entries) }
}

/// An ``RSSTable``'s entries, held without a reference count; its owner keeps the table alive.
struct RSSLookup {
    let entries: UnsafePointer<UInt32>

    init(entries: UnsafeMutablePointer<UInt32>) { self.entries = UnsafePointer(entries) }

    /// The hash contribution of `count` bytes at `bytes` placed at input position `position`
    /// (`position + count` at most ``RSSTable/positions``).
    @inline(__always) func hash(_ bytes: UnsafeRawPointer, count: Int, at position: Int) -> UInt32 {
        var result: UInt32 = 0
        for i in 0..<count {
            result ^= entries[(position &+ i) << 8 | Int(bytes.load(fromByteOffset: i, as: UInt8.self))]
        }
        return result
    }
}
