/// A bit field's position inside a register, usable in constant expressions.
///
/// Generated register namespaces expose one `BitField` per field so drivers and device models
/// read and write fields by name instead of by shift and mask.
public struct BitField: Sendable, Equatable, Hashable {
    /// Lowest bit.
    public let lsb: Int
    /// Number of bits.
    public let width: Int

    /// Creates a field at `lsb` spanning `width` bits.
    @inlinable public init(lsb: Int, width: Int) {
        self.lsb = lsb
        self.width = width
    }

    /// The field's bits in register position.
    @inlinable public var mask: UInt64 {
        (width >= 64 ? ~UInt64(0) : ((UInt64(1) << UInt64(width)) - 1)) << UInt64(lsb)
    }

    /// Extracts the field from a register value.
    @inlinable public func extract<T: FixedWidthInteger & UnsignedInteger>(from register: T) -> T {
        T(truncatingIfNeeded: (UInt64(truncatingIfNeeded: register) & mask) >> UInt64(lsb))
    }

    /// Returns `register` with this field replaced by `value` (truncated to the field width).
    @inlinable public func insert<T: FixedWidthInteger & UnsignedInteger>(_ value: T, into register: T) -> T {
        let r = UInt64(truncatingIfNeeded: register)
        let v = UInt64(truncatingIfNeeded: value)
        return T(truncatingIfNeeded: (r & ~mask) | ((v << UInt64(lsb)) & mask))
    }

    /// Whether a one-bit field is set in `register`.
    @inlinable public func isSet<T: FixedWidthInteger & UnsignedInteger>(in register: T) -> Bool {
        UInt64(truncatingIfNeeded: register) & mask != 0
    }
}
