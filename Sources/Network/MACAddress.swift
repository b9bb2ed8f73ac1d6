/// A 48-bit IEEE 802 MAC address.
///
/// Stored as one number so comparisons and filters are integer operations: the first octet on
/// the wire is in bits 47:40 of ``value``, the last in bits 7:0.
public struct MACAddress: Hashable, Sendable {
    /// The address as a 48-bit number (bits 63:48 are zero); first octet on the wire in bits 47:40.
    public let value: UInt64

    /// An address from a number; bits above 47 are dropped.
    @inlinable public init(_ value: UInt64) {
        self.value = value & 0xFFFF_FFFF_FFFF
    }

    /// An address from its six octets in wire order; nil unless there are exactly six.
    public init?(octets: [UInt8]) {
        guard octets.count == 6 else { return nil }
        var value: UInt64 = 0
        for octet in octets { value = value << 8 | UInt64(octet) }
        self.init(value)
    }

    /// Reads six octets in wire order from `p` (the caller guarantees they are readable).
    public init(loadingFrom p: UnsafeRawPointer) {
        let high = UInt32(bigEndian: p.loadUnaligned(as: UInt32.self))
        let low = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        self.init(UInt64(high) << 16 | UInt64(low))
    }

    /// Reads six octets at `offset` of a buffer; the caller has checked `offset + 6 <= count`.
    @inline(__always)
    @inlinable public init(_ buffer: UnsafeRawBufferPointer, at offset: Int) {
        let high = UInt32(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        let low = UInt16(bigEndian: buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self))
        self.init(UInt64(high) << 16 | UInt64(low))
    }

    /// Writes the six octets in wire order to `p` (the caller guarantees six writable bytes).
    @inlinable public func store(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: UInt32(truncatingIfNeeded: value >> 16).bigEndian, as: UInt32.self)
        p.storeBytes(of: UInt16(truncatingIfNeeded: value).bigEndian, toByteOffset: 4, as: UInt16.self)
    }

    /// The all-ones broadcast address ff:ff:ff:ff:ff:ff.
    public static let broadcast = MACAddress(0xFFFF_FFFF_FFFF)

    /// True for ff:ff:ff:ff:ff:ff.
    public var isBroadcast: Bool { value == 0xFFFF_FFFF_FFFF }

    /// True when the I/G bit (bit 0 of the first octet) is set; broadcast is multicast too.
    public var isMulticast: Bool { value & (1 << 40) != 0 }

    /// True when the I/G bit is clear (an individual address).
    public var isUnicast: Bool { !isMulticast }

    /// True when the U/L bit (bit 1 of the first octet) marks a locally administered address.
    public var isLocallyAdministered: Bool { value & (1 << 41) != 0 }

    /// The six octets in wire order.
    public var octets: [UInt8] {
        (0..<6).map { UInt8(truncatingIfNeeded: value >> (40 - 8 * UInt64($0))) }
    }
}
