extension MACAddress: CustomStringConvertible {
    /// Parses six groups of one or two hex digits separated by ':' or '-' ("02:00:00:00:00:01");
    /// nil for anything else.
    public init?(_ string: String) {
        let text = Array(string.utf8)
        guard let separator = text.first(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-") }) else {
            return nil
        }
        let groups = text.split(separator: separator, omittingEmptySubsequences: false)
        guard groups.count == 6 else { return nil }
        var value: UInt64 = 0
        for group in groups {
            guard let octet = Hex.parse(group, maxDigits: 2) else { return nil }
            value = value << 8 | octet
        }
        self.init(value)
    }

    /// Lowercase colon form, e.g. "02:00:00:00:00:01".
    public var description: String {
        octets.map(Hex.byte).joined(separator: ":")
    }
}
