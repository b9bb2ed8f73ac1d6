extension IPv6Address: CustomStringConvertible {
    /// Parses RFC 4291 text: eight groups of 1-4 hex digits separated by ':', at most one "::"
    /// standing for one or more zero groups, and optionally a dotted IPv4 tail
    /// ("::ffff:192.0.2.1"). Zone suffixes ("%eth0") and anything else give nil.
    public init?(_ string: String) {
        let text = Array(string.utf8)
        let colon = UInt8(ascii: ":")
        var gap: Int?
        var index = 0
        while index + 1 < text.count {
            if text[index] == colon && text[index + 1] == colon {
                guard gap == nil else { return nil }
                gap = index
                index += 2
            } else {
                index += 1
            }
        }
        let head: [UInt16]
        let tail: [UInt16]
        if let gap {
            guard let before = Self.parseGroups(text[0..<gap], allowIPv4Tail: false),
                let after = Self.parseGroups(text[(gap + 2)...], allowIPv4Tail: true),
                before.count + after.count <= 7
            else { return nil }
            head = before
            tail = after
        } else {
            guard let all = Self.parseGroups(text[...], allowIPv4Tail: true), all.count == 8 else { return nil }
            head = all
            tail = []
        }
        let groups = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        var high: UInt64 = 0
        var low: UInt64 = 0
        for group in groups[0..<4] { high = high << 16 | UInt64(group) }
        for group in groups[4..<8] { low = low << 16 | UInt64(group) }
        self.init(high: high, low: low)
    }

    /// Groups of one side of "::" (empty text is no groups); a dotted IPv4 last part counts as two.
    private static func parseGroups(_ text: ArraySlice<UInt8>, allowIPv4Tail: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (position, part) in parts.enumerated() {
            if position == parts.count - 1, allowIPv4Tail, part.contains(UInt8(ascii: ".")) {
                guard let v4 = IPv4Address(String(decoding: part, as: UTF8.self)) else { return nil }
                groups.append(UInt16(truncatingIfNeeded: v4.value >> 16))
                groups.append(UInt16(truncatingIfNeeded: v4.value))
            } else {
                guard let group = Hex.parse(part, maxDigits: 4) else { return nil }
                groups.append(UInt16(group))
            }
        }
        return groups.count <= 8 ? groups : nil
    }

    /// RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups
    /// (the first on a tie) written as "::".
    public var description: String {
        let groups = self.groups
        var bestStart = -1
        var bestLength = 1
        var runStart = 0
        var runLength = 0
        for (index, group) in groups.enumerated() {
            if group == 0 {
                if runLength == 0 { runStart = index }
                runLength += 1
                if runLength > bestLength {
                    bestStart = runStart
                    bestLength = runLength
                }
            } else {
                runLength = 0
            }
        }
        let text = groups.map { Hex.compact(UInt64($0)) }
        guard bestStart >= 0 else { return text.joined(separator: ":") }
        let before = text[0..<bestStart].joined(separator: ":")
        let after = text[(bestStart + bestLength)...].joined(separator: ":")
        return before + "::" + after
    }
}
