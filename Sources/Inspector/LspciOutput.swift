import Foundation

/// lspci writes bytes, not text: a few fields (the interrupt pin letter, `'A' + pin - 1`) can be
/// any byte, including ones that are not UTF-8. The formatter carries such a byte as a
/// private-use scalar (U+F780...U+F7FF for 0x80...0xFF), and ``encode(_:)`` turns the text into
/// the exact bytes lspci would print.
public enum LspciOutput {
    private static let rawBase: UInt32 = 0xF700

    /// The text for one output byte: itself when ASCII, else its private-use stand-in.
    static func byte(_ value: UInt8) -> String {
        let scalar = value < 0x80 ? UInt32(value) : rawBase + UInt32(value)
        return UnicodeScalar(scalar).map { String($0) } ?? "?"
    }

    /// The bytes of `text` as lspci prints them: UTF-8, with raw-byte stand-ins replaced.
    public static func encode(_ text: String) -> Data {
        var data = Data()
        data.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if scalar.value >= rawBase + 0x80 && scalar.value <= rawBase + 0xff {
                data.append(UInt8(truncatingIfNeeded: scalar.value - rawBase))
            } else {
                data.append(contentsOf: Array(String(scalar).utf8))
            }
        }
        return data
    }
}
