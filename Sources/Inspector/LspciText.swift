/// The formatter's output while it is built: UTF-8 bytes in one growing buffer.
///
/// lspci's listing is made of many short pieces (a flag, a number, a field name); building it as
/// a `String` paid for an interpolation `String` and a `String` append per piece. Literals here
/// are `StaticString`s copied straight into the buffer, integers are written as digits without
/// an intermediate `String`, and ``string`` makes the one `String` at the end. The bytes are
/// exactly those of the `String` the same pieces would make.
struct LspciText: ExpressibleByStringInterpolation, ExpressibleByStringLiteral {
    /// The UTF-8 bytes so far.
    private(set) var bytes: [UInt8]

    /// An empty text with room for `capacity` bytes.
    init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    init(stringLiteral literal: StaticString) {
        bytes = []
        append(literal)
    }

    init(stringInterpolation: Interpolation) {
        bytes = stringInterpolation.bytes
    }

    /// The text as a `String`.
    var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Whether nothing has been written.
    var isEmpty: Bool { bytes.isEmpty }

    /// Appends a literal.
    mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends a `String`'s UTF-8 bytes.
    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends one byte (ASCII).
    mutating func append(byte: UInt8) {
        bytes.append(byte)
    }

    /// Appends `value` as at least `digits` lowercase hex digits, as `Fmt.hex` writes it.
    mutating func append<T: BinaryInteger>(hex value: T, digits: Int) {
        Self.appendHex(UInt64(truncatingIfNeeded: value), digits: digits, to: &bytes)
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// How many characters `%0<digits>x` writes for `value`.
    static func hexCount(_ value: UInt64, digits: Int) -> Int {
        max(value == 0 ? 1 : (67 - value.leadingZeroBitCount) / 4, digits)
    }

    /// Fills all of `buffer` with `value`'s lowest hex digits, zero-padded; returns its count.
    static func writeHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        hexDigits.withUTF8Buffer { table in
            var rest = value
            for index in buffer.indices.reversed() {
                buffer[index] = table[Int(truncatingIfNeeded: rest & 0xf)]
                rest >>= 4
            }
        }
        return buffer.count
    }

    static func appendHex(_ value: UInt64, digits: Int, to bytes: inout [UInt8]) {
        let count = hexCount(value, digits: digits)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
            let written = writeHex(value, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<written]))
        }
    }

    /// The two texts one after the other.
    static func + (lhs: LspciText, rhs: LspciText) -> LspciText {
        var joined = lhs
        joined += rhs
        return joined
    }

    /// Appends another text.
    static func += (lhs: inout LspciText, rhs: LspciText) {
        lhs.bytes.append(contentsOf: rhs.bytes)
    }

    /// Appends `value` in decimal, as `"\(value)"` prints it.
    mutating func append<T: BinaryInteger>(decimal value: T) {
        Self.appendDecimal(value, to: &bytes)
    }

    static func appendDecimal<T: BinaryInteger>(_ value: T, to bytes: inout [UInt8]) {
        var magnitude: UInt64
        if T.isSigned {
            let signed = Int64(truncatingIfNeeded: value)
            if signed < 0 { bytes.append(UInt8(ascii: "-")) }
            magnitude = signed.magnitude
        } else {
            magnitude = UInt64(truncatingIfNeeded: value)
        }
        // 20 digits hold any UInt64.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var index = 20
            repeat {
                index -= 1
                digits[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[index..<20]))
        }
    }

    /// Builds a text from literals and interpolated `String`s, texts and integers (decimal).
    struct Interpolation: StringInterpolationProtocol {
        var bytes: [UInt8]

        init(literalCapacity: Int, interpolationCount: Int) {
            bytes = []
            bytes.reserveCapacity(literalCapacity + 4 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: StaticString) {
            literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        mutating func appendInterpolation(_ literal: StaticString) {
            literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        mutating func appendInterpolation(_ text: String) {
            var text = text
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }

        mutating func appendInterpolation(_ text: LspciText) {
            bytes.append(contentsOf: text.bytes)
        }

        mutating func appendInterpolation(_ mark: FlagMark) {
            bytes.append(mark.byte)
        }

        mutating func appendInterpolation<T: BinaryInteger>(_ value: T) {
            LspciText.appendDecimal(value, to: &bytes)
        }
    }
}

/// lspci's `FLAG()` mark, `+` when any bit of the mask is set in the value, else `-`, written into
/// a ``LspciText`` as one byte (and as `+` or `-` in a `String`).
struct FlagMark: CustomStringConvertible {
    let byte: UInt8

    var description: String { byte == UInt8(ascii: "+") ? "+" : "-" }

    init(_ value: some BinaryInteger, _ mask: some BinaryInteger) {
        let set = UInt64(truncatingIfNeeded: value) & UInt64(truncatingIfNeeded: mask) != 0
        byte = set ? UInt8(ascii: "+") : UInt8(ascii: "-")
    }
}
