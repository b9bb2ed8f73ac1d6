/// ASCII hex digits read straight from bytes, for the readers' byte paths (dump lines, sysfs
/// names and files): what `UIntN(text, radix: 16)` gives for unsigned digits, without a `String`.
enum HexDigits {
    /// The value of an ASCII hex digit, nil for any other byte.
    @inline(__always) static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// Hex digits (leading zeros allowed) as a number no larger than `limit`; nil when there are
    /// none, one is not a hex digit, or the number is above `limit`.
    static func number(_ digits: some Collection<UInt8>, limit: UInt64) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var number: UInt64 = 0
        for byte in digits {
            guard let digit = value(of: byte), number <= limit >> 4 else { return nil }
            number = number << 4 | UInt64(digit)
            guard number <= limit else { return nil }
        }
        return number
    }
}
