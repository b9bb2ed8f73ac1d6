/// Small hexadecimal helpers for address parsing and formatting (not on any hot path).
enum Hex {
    private static let digits: [Character] = Array("0123456789abcdef")

    /// The value of one ASCII hex digit, or nil.
    static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Parses 1...`maxDigits` hex digits; nil for empty, too long or non-hex input.
    static func parse<S: Collection>(_ text: S, maxDigits: Int) -> UInt64? where S.Element == UInt8 {
        guard !text.isEmpty, text.count <= maxDigits else { return nil }
        var result: UInt64 = 0
        for byte in text {
            guard let digit = value(of: byte) else { return nil }
            result = result << 4 | UInt64(digit)
        }
        return result
    }

    /// Two lowercase hex digits.
    static func byte(_ value: UInt8) -> String {
        String([digits[Int(value >> 4)], digits[Int(value & 0xF)]])
    }

    /// Lowercase hex without leading zeros ("0" for zero).
    static func compact(_ value: UInt64) -> String {
        String(value, radix: 16)
    }
}
