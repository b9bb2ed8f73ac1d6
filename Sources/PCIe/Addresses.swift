/// A PCI routing id: bus, device and function.
///
/// With ARI the device number is zero and the function number spans 8 bits; `routingID`
/// is the 16-bit value either way, so SR-IOV arithmetic (First VF Offset, VF Stride) works on it.
public struct BDF: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 16-bit routing id: bus in bits 15:8, device in 7:3, function in 2:0.
    public let routingID: UInt16

    /// Creates a BDF from its routing id.
    @inlinable public init(routingID: UInt16) { self.routingID = routingID }

    /// Creates a BDF from bus, device (0...31) and function (0...7); out-of-range parts are masked.
    @inlinable public init(bus: UInt8, device: UInt8, function: UInt8) {
        routingID = UInt16(bus) << 8 | UInt16(device & 0x1f) << 3 | UInt16(function & 0x7)
    }

    /// Bus number.
    @inlinable public var bus: UInt8 { UInt8(truncatingIfNeeded: routingID >> 8) }
    /// Device number.
    @inlinable public var device: UInt8 { UInt8(truncatingIfNeeded: routingID >> 3) & 0x1f }
    /// Function number.
    @inlinable public var function: UInt8 { UInt8(truncatingIfNeeded: routingID) & 0x7 }

    /// `BB:DD.F` as lspci prints it.
    public var description: String {
        // Seven ASCII bytes written in place: listings print one per function.
        String(unsafeUninitializedCapacity: 7) { text in
            let digits: StaticString = "0123456789abcdef"
            digits.withUTF8Buffer { digit in
                text[0] = digit[Int(bus >> 4)]
                text[1] = digit[Int(bus & 0xf)]
                text[2] = UInt8(ascii: ":")
                text[3] = digit[Int(device >> 4)]
                text[4] = digit[Int(device & 0xf)]
                text[5] = UInt8(ascii: ".")
                text[6] = digit[Int(function)]
            }
            return 7
        }
    }

    /// `0000:BB:DD.F`, the sysfs directory name.
    public var sysfsName: String { "0000:" + description }

    /// Parses `BB:DD.F` or `DDDD:BB:DD.F` (domain must be 0).
    public init?(_ text: some StringProtocol) {
        var parts = String(text).split(separator: ":").map { String($0) }
        if parts.count == 3 {
            guard parts[0] == "0000" else { return nil }
            parts.removeFirst()
        }
        guard parts.count == 2 else { return nil }
        let devFn = parts[1].split(separator: ".").map { String($0) }
        guard devFn.count == 2, let bus = UInt8(parts[0], radix: 16),
            let dev = UInt8(devFn[0], radix: 16), dev < 32,
            let fn = UInt8(devFn[1], radix: 16), fn < 8
        else { return nil }
        self.init(bus: bus, device: dev, function: fn)
    }

    public static func < (lhs: BDF, rhs: BDF) -> Bool { lhs.routingID < rhs.routingID }
}

/// An address in guest physical memory (what a CPU or a bus-master without IOMMU sees).
public struct GuestPhysicalAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The raw address.
    public let value: UInt64
    /// Wraps a raw address.
    @inlinable public init(_ value: UInt64) { self.value = value }
    /// The address `bytes` further on (wrapping; callers bounds-check).
    @inlinable public func advanced(by bytes: UInt64) -> GuestPhysicalAddress { .init(value &+ bytes) }
    public var description: String { "gpa 0x" + String(value, radix: 16) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// An I/O virtual address: what a device puts on the bus, translated by its IOMMU domain.
public struct IOVA: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The raw address.
    public let value: UInt64
    /// Wraps a raw address.
    @inlinable public init(_ value: UInt64) { self.value = value }
    /// The address `bytes` further on (wrapping; callers bounds-check).
    @inlinable public func advanced(by bytes: UInt64) -> IOVA { .init(value &+ bytes) }
    public var description: String { "iova 0x" + String(value, radix: 16) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// A bus (MMIO) address assigned to a BAR.
public struct BusAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The raw address.
    public let value: UInt64
    /// Wraps a raw address.
    @inlinable public init(_ value: UInt64) { self.value = value }
    public var description: String { "0x" + String(value, radix: 16) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// Index of a Base Address Register, 0...5.
public struct BARIndex: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// 0...5.
    public let value: Int
    /// Creates an index; returns nil outside 0...5.
    @inlinable public init?(_ value: Int) {
        guard (0...5).contains(value) else { return nil }
        self.value = value
    }
    /// Creates an index from a literal the caller knows is valid (clamped to 0...5).
    @inlinable public init(clamping value: Int) { self.value = min(max(value, 0), 5) }
    public var description: String { "BAR\(value)" }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// A byte offset inside a BAR.
public struct BAROffset: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The raw offset.
    public let value: UInt64
    /// Wraps a raw offset.
    @inlinable public init(_ value: UInt64) { self.value = value }
    public var description: String { "+0x" + String(value, radix: 16) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// A byte offset in a function's 4 KiB configuration space.
public struct ConfigOffset: Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    /// 0...0xfff.
    public let value: Int
    /// Wraps an offset (the caller keeps it below 4096; config space checks bounds).
    @inlinable public init(_ value: Int) { self.value = value }
    @inlinable public init(integerLiteral value: Int) { self.value = value }
    /// The offset `bytes` further on.
    @inlinable public func advanced(by bytes: Int) -> ConfigOffset { .init(value + bytes) }
    public var description: String { (value < 0 ? "-0x" : "0x") + hex(value.magnitude, 3) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// The width of a register access in bytes.
public enum AccessWidth: Int, Sendable, CaseIterable {
    case byte = 1
    case word = 2
    case dword = 4
    case qword = 8
    /// All ones of this width.
    @inlinable @inline(__always) public var allOnes: UInt64 { self == .qword ? ~0 : (UInt64(1) &<< UInt64(rawValue &* 8)) &- 1 }
}

/// Lower-case hexadecimal, zero-padded to `digits`.
@usableFromInline func hex(_ value: some BinaryInteger, _ digits: Int) -> String {
    let s = String(value, radix: 16)
    return s.count >= digits ? s : String(repeating: "0", count: digits - s.count) + s
}
