/// The 40-byte (320-bit) secret key of the Toeplitz RSS hash, in the order the hash consumes it
/// (byte 0 supplies the leftmost bits).
public struct ToeplitzKey: Hashable, Sendable {
    /// Key length in bytes.
    public static let length = 40

    /// The 40 key bytes.
    public let bytes: [UInt8]

    /// A key from exactly 40 bytes; nil for any other count.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.length else { return nil }
        self.bytes = bytes
    }

    /// The key held by the 82599 RSS Random Key registers RSSRK(0...9): key byte 4n+i is byte
    /// lane i (bits 8i+7:8i) of RSSRK(n). Missing registers read as zero; extra ones are ignored.
    public init(rssrk registers: [UInt32]) {
        var bytes = [UInt8](repeating: 0, count: Self.length)
        for (index, register) in registers.prefix(Self.length / 4).enumerated() {
            for lane in 0..<4 {
                bytes[4 * index + lane] = UInt8(truncatingIfNeeded: register >> (8 * UInt32(lane)))
            }
        }
        self.bytes = bytes
    }

    /// The key as RSSRK(0...9) register values (inverse of ``init(rssrk:)``).
    public var rssrk: [UInt32] {
        (0..<(Self.length / 4)).map { index in
            (0..<4).reduce(UInt32(0)) { word, lane in word | UInt32(bytes[4 * index + lane]) << (8 * UInt32(lane)) }
        }
    }

    /// The key Microsoft's RSS verification suite uses
    /// (6d5a56da 255b0ec2 4167253d 43a38fb0 d0ca2bcb ae7b30b4 77cb2da3 8030f20c 6a42b73b beac01fa).
    public static let microsoftVerification = ToeplitzKey(
        fixed: [
            0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
            0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
            0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
        ])

    /// A key from a literal table known to have 40 bytes.
    private init(fixed bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The 32 key bits starting at key bit `bitOffset` (bit 0 is the most significant bit of byte 0);
    /// bits past the end of the key read as zero.
    func window(atBit bitOffset: Int) -> UInt32 {
        var bits: UInt64 = 0
        let first = bitOffset / 8
        for index in first..<(first + 5) {
            bits = bits << 8 | UInt64(index < bytes.count ? bytes[index] : 0)
        }
        return UInt32(truncatingIfNeeded: bits >> (8 - UInt64(bitOffset % 8)))
    }

    /// The hash computed bit by bit exactly as Microsoft's pseudocode states it (for every set
    /// input bit, XOR in the leftmost 32 key bits, then shift the key left by one). Slow; it is the
    /// reference ``ToeplitzHasher`` is checked against. Input past 36 bytes is ignored, as there.
    public func referenceHash(_ input: UnsafeRawBufferPointer) -> UInt32 {
        var result: UInt32 = 0
        for bit in 0..<(min(input.count, ToeplitzHasher.maximumInputLength) * 8)
        where input[bit / 8] & (0x80 >> UInt8(bit % 8)) != 0 {
            result ^= window(atBit: bit)
        }
        return result
    }
}
