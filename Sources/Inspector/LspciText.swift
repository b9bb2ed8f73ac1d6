/// The formatter's output while it is built: UTF-8 bytes, the most recent of them in place.
///
/// lspci's listing is made of many short pieces (a flag, a number, a field name); building it as
/// a `String` paid for an interpolation `String` and a `String` append per piece. Literals here
/// are `StaticString`s copied straight into the buffer, integers are written as digits without
/// an intermediate `String`, and ``string`` makes the one `String` at the end. The bytes are
/// exactly those of the `String` the same pieces would make.
///
/// The text is ``heap`` followed by the first ``tailCount`` bytes of ``tail``, an inline buffer:
/// a line built by interpolation (`out += "\tStatus: \(...)"`) lives in its tail and does not
/// allocate, and appending it to the listing is a copy into the listing's tail, which moves to
/// the heap array a buffer-full at a time.
struct LspciText: ExpressibleByStringInterpolation, ExpressibleByStringLiteral {
    /// Bytes held in place before they move to ``heap`` (most lines fit).
    static let tailCapacity = 128
    /// The bytes before the tail.
    private var heap: [UInt8]
    /// The last bytes, in place.
    private var tail = InlineArray<128, UInt8>(repeating: 0)
    /// Bytes of ``tail`` in use.
    private var tailCount = 0

    /// An empty text.
    init() { heap = [] }

    /// An empty text with room for `capacity` bytes. (Reserving capacity on the empty array
    /// costs a call even for 0, so interpolation temporaries use ``init()``.)
    init(capacity: Int) {
        heap = []
        heap.reserveCapacity(capacity)
    }

    init(stringLiteral literal: StaticString) {
        heap = []
        append(literal)
    }

    init(stringInterpolation: Interpolation) {
        self = stringInterpolation.text
    }

    /// The UTF-8 bytes so far.
    var bytes: [UInt8] {
        var all = heap
        withTail { all.append(contentsOf: $0) }
        return all
    }

    /// The text as a `String`.
    var string: String {
        let count = heap.count + tailCount
        return String(unsafeUninitializedCapacity: count) { buffer in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            heap.withUnsafeBytes { raw.copyMemory(from: $0) }
            withTail { UnsafeMutableRawBufferPointer(rebasing: raw[heap.count...]).copyMemory(from: UnsafeRawBufferPointer($0)) }
            return count
        }
    }

    /// Whether nothing has been written.
    var isEmpty: Bool { heap.isEmpty && tailCount == 0 }

    /// Calls `body` with the bytes of the tail in use.
    private func withTail<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeBytes(of: tail) { body(UnsafeBufferPointer(rebasing: $0.bindMemory(to: UInt8.self)[0..<tailCount])) }
    }

    /// Appends `source`'s bytes: into the tail when they fit, else after moving the tail to the heap.
    @inline(__always)
    mutating func append(contentsOf source: UnsafeBufferPointer<UInt8>) {
        let n = source.count
        if tailCount + n > Self.tailCapacity {
            flushTail()
            if n > Self.tailCapacity {
                heap.append(contentsOf: source)
                return
            }
        }
        guard n > 0, let from = source.baseAddress else { return }
        let at = tailCount
        withUnsafeMutableBytes(of: &tail) { raw in
            raw.baseAddress.map { ($0 + at).copyMemory(from: from, byteCount: n) }
        }
        tailCount = at + n
    }

    /// Moves the tail's bytes to the end of the heap array. (Through `&tail` and in place: a
    /// closure over `self` here made Swift copy the whole text, heap array included, first.)
    private mutating func flushTail() {
        let count = tailCount
        tailCount = 0
        guard count > 0 else { return }
        withUnsafeMutableBytes(of: &tail) { raw in
            heap.append(contentsOf: UnsafeBufferPointer(rebasing: raw.assumingMemoryBound(to: UInt8.self)[0..<count]))
        }
    }

    /// Appends a literal.
    mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Appends a `String`'s UTF-8 bytes.
    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }

    /// Appends one byte (ASCII).
    mutating func append(byte: UInt8) {
        withUnsafePointer(to: byte) { append(contentsOf: UnsafeBufferPointer(start: $0, count: 1)) }
    }

    /// Appends `value` as at least `digits` lowercase hex digits, as `Fmt.hex` writes it.
    mutating func append<T: BinaryInteger>(hex value: T, digits: Int) {
        let value = UInt64(truncatingIfNeeded: value)
        let count = Self.hexCount(value, digits: digits)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
            let written = Self.writeHex(value, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
            append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<written]))
        }
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

    /// The two texts one after the other.
    static func + (lhs: LspciText, rhs: LspciText) -> LspciText {
        var joined = lhs
        joined += rhs
        return joined
    }

    /// Appends another text. (Disfavoured so that a plain literal takes the `StaticString`
    /// overload and is copied straight in; an interpolated one can only be a text.)
    @_disfavoredOverload
    static func += (lhs: inout LspciText, rhs: consuming LspciText) {
        lhs.append(consuming: rhs)
    }

    /// Appends a literal (without making a text of it first).
    static func += (lhs: inout LspciText, rhs: StaticString) {
        lhs.append(rhs)
    }

    /// Appends `other`'s bytes, reading its tail in place (a borrowed text's tail was copied out
    /// to a temporary first).
    mutating func append(consuming other: consuming LspciText) {
        if !other.heap.isEmpty { other.heap.withUnsafeBufferPointer { append(contentsOf: $0) } }
        let count = other.tailCount
        withUnsafeMutableBytes(of: &other.tail) { raw in
            append(contentsOf: UnsafeBufferPointer(rebasing: raw.assumingMemoryBound(to: UInt8.self)[0..<count]))
        }
    }

    /// Appends `value` in decimal, as `"\(value)"` prints it.
    mutating func append<T: BinaryInteger>(decimal value: T) {
        var magnitude: UInt64
        if T.isSigned {
            let signed = Int64(truncatingIfNeeded: value)
            if signed < 0 { append(byte: UInt8(ascii: "-")) }
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
            append(contentsOf: UnsafeBufferPointer(rebasing: digits[index..<20]))
        }
    }

    /// Builds a text from literals and interpolated `String`s, texts and integers (decimal).
    struct Interpolation: StringInterpolationProtocol {
        var text = LspciText()

        init(literalCapacity: Int, interpolationCount: Int) {}

        mutating func appendLiteral(_ literal: StaticString) { text.append(literal) }

        mutating func appendInterpolation(_ literal: StaticString) { text.append(literal) }

        mutating func appendInterpolation(_ string: String) { text.append(string) }

        mutating func appendInterpolation(_ other: LspciText) { text += other }

        /// `value` as at least `digits` lowercase hex digits (`Fmt.hex(value, digits)` for the
        /// non-negative values the decoders print), without a `String`.
        mutating func appendInterpolation<T: BinaryInteger>(hex value: T, _ digits: Int) {
            if value < 0 {
                text.append(Fmt.hex(value, digits))
            } else {
                text.append(hex: value, digits: digits)
            }
        }

        mutating func appendInterpolation(_ mark: FlagMark) { text.append(byte: mark.byte) }

        mutating func appendInterpolation<T: BinaryInteger>(_ value: T) { text.append(decimal: value) }
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
