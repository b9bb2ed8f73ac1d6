/// An IPv4 address as a number: 66.9.149.187 is 0x420995BB (first octet on the wire in bits 31:24).
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    /// The address; the first octet on the wire in bits 31:24.
    public let value: UInt32

    /// An address from its numeric value.
    public init(_ value: UInt32) {
        self.value = value
    }

    /// Parses dotted-quad text ("66.9.149.187"): four decimal parts of 1-3 digits, each 0-255.
    public init?(_ string: String) {
        let parts = Array(string.utf8).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3 else { return nil }
            var octet: UInt32 = 0
            for byte in part {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
            }
            guard octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        self.init(value)
    }

    /// Dotted-quad text.
    public var description: String {
        (0..<4).map { String(value >> (24 - 8 * UInt32($0)) & 0xFF) }.joined(separator: ".")
    }
}
