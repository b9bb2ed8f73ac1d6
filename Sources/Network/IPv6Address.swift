/// A 128-bit IPv6 address as two 64-bit halves, each in wire order (the first octet on the wire
/// is bits 63:56 of ``high``).
public struct IPv6Address: Hashable, Sendable {
    /// Octets 0-7, octet 0 in bits 63:56.
    public let high: UInt64
    /// Octets 8-15, octet 8 in bits 63:56.
    public let low: UInt64

    /// The all-zero address "::".
    public static let unspecified = IPv6Address(high: 0, low: 0)

    /// An address from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An address from sixteen octets in wire order; nil unless there are exactly sixteen.
    public init?(octets: [UInt8]) {
        guard octets.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for octet in octets[0..<8] { high = high << 8 | UInt64(octet) }
        for octet in octets[8..<16] { low = low << 8 | UInt64(octet) }
        self.init(high: high, low: low)
    }

    /// Reads sixteen octets in wire order from `p` (the caller guarantees they are readable).
    public init(loadingFrom p: UnsafeRawPointer) {
        self.init(
            high: UInt64(bigEndian: p.loadUnaligned(as: UInt64.self)),
            low: UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }

    /// Reads sixteen octets at `offset`; the caller has checked `offset + 16 <= count`.
    @inline(__always)
    init(_ buffer: UnsafeRawBufferPointer, at offset: Int) {
        self.init(high: buffer.bigEndianUInt64(at: offset), low: buffer.bigEndianUInt64(at: offset + 8))
    }

    /// Writes the sixteen octets in wire order to `p` (the caller guarantees sixteen writable bytes).
    public func store(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: high.bigEndian, as: UInt64.self)
        p.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// The sixteen octets in wire order.
    public var octets: [UInt8] {
        (0..<16).map { index in
            let half = index < 8 ? high : low
            return UInt8(truncatingIfNeeded: half >> (56 - 8 * UInt64(index % 8)))
        }
    }

    /// The eight 16-bit groups in order.
    var groups: [UInt16] {
        (0..<8).map { index in
            let half = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> (48 - 16 * UInt64(index % 4)))
        }
    }
}
