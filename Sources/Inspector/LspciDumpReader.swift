import PCIe

/// Reads lspci's hex dump format (`lspci -xxx`/`-xxxx` output; what `lspci -F FILE` reads)
/// the way libpci's `dump` method does: a line `BB:DD.F ...` or `DDDD:BB:DD.F ...` starts a
/// function, `XX: hh hh ...` lines fill its config bytes, and the function's config length is
/// the highest offset written (gaps read as 0xff).
///
/// lspci stops at the first malformed line; this reader reports it with its line number, skips
/// it and goes on, so one bad line does not hide the rest of the bus.
public struct LspciDumpReader: Sendable {
    /// The name problems are reported under.
    public let fileName: String

    /// Creates a reader; `fileName` names the input in problem reports.
    public init(fileName: String) { self.fileName = fileName }

    private struct Partial {
        var domain: UInt16
        var bdf: BDF
        var bytes: [UInt8] = [UInt8](repeating: 0xff, count: 4096)
        var length = 0
        var line: Int
    }

    /// What a read has gathered so far.
    private struct State {
        var problems: [ListingProblem] = []
        var partials: [Partial] = []
        /// The function data lines go to (nil after a blank line or before any header).
        var current: Int?
    }

    /// Parses the dump text. Lines end with LF or CR LF.
    ///
    /// Lines of ASCII text (every line lspci writes) are parsed byte by byte, and so are lines
    /// whose other characters cannot change the outcome (``readsAlikeByBytes(_:)``); any other line
    /// goes through the same rules on its characters.
    public func read(_ text: String) -> ListingInput { read(text, byCharacters: false) }

    /// ``read(_:)`` of the text the bytes decode to as UTF-8 (`String(decoding: bytes, as:
    /// UTF8.self)`: invalid sequences read as U+FFFD), without making that `String`: lines that
    /// are ASCII are read from the bytes as they are, and only the other lines are decoded.
    /// (A newline is never part of an invalid sequence, so decoding line by line gives the same
    /// lines as decoding the whole text.)
    public func read(utf8 bytes: [UInt8]) -> ListingInput {
        var state = State()
        bytes.withUnsafeBufferPointer { bytes in
            Self.forEachLine(of: bytes) { line, lineNumber in
                if Self.isASCII(line) {
                    readAnyLine(line, lineNumber, byCharacters: false, &state)
                } else {
                    var decoded = String(decoding: line, as: UTF8.self)
                    decoded.withUTF8 { readAnyLine($0, lineNumber, byCharacters: false, &state) }
                }
            }
        }
        return finish(&state)
    }

    /// ``read(_:)``; with `byCharacters` every line takes the character rules (tests compare
    /// the two).
    func read(_ text: String, byCharacters: Bool) -> ListingInput {
        var state = State()
        var utf8Text = text
        utf8Text.withUTF8 { bytes in
            Self.forEachLine(of: bytes) { line, lineNumber in
                readAnyLine(line, lineNumber, byCharacters: byCharacters, &state)
            }
        }
        return finish(&state)
    }

    /// Calls `body` with each line (LF or CR LF removed) and its number.
    private static func forEachLine(
        of bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, Int) -> Void
    ) {
        var start = 0
        var lineNumber = 0
        while true {
            lineNumber += 1
            var newline = start
            while newline < bytes.count, bytes[newline] != 0x0A { newline += 1 }
            var end = newline
            if end > start, bytes[end - 1] == 0x0D { end -= 1 }
            body(UnsafeBufferPointer(rebasing: bytes[start..<end]), lineNumber)
            if newline == bytes.count { break }
            start = newline + 1
        }
    }

    /// One line of valid UTF-8, by the byte rules when they read it alike, else by characters.
    private func readAnyLine(
        _ line: UnsafeBufferPointer<UInt8>, _ lineNumber: Int, byCharacters: Bool, _ state: inout State
    ) {
        if !byCharacters, Self.isASCIIOrReplacement(line) || Self.readsAlikeByBytes(line) {
            readLineByBytes(line, lineNumber, &state)
        } else {
            readLine(Substring(String(decoding: line, as: UTF8.self)), lineNumber, &state)
        }
    }

    /// Whether every byte is ASCII.
    static func isASCII(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var any: UInt8 = 0
        for byte in line { any |= byte }
        return any < 0x80
    }

    /// The functions and problems gathered.
    private func finish(_ state: inout State) -> ListingInput {
        var functions: [ListedFunction] = []
        for partial in state.partials {
            guard partial.length >= 64 else {
                state.problems.append(
                    problem(
                        partial.line,
                        "\(partial.bdf): \(partial.length) config bytes, shorter than the 64-byte standard header; skipped"))
                continue
            }
            let config = Array(partial.bytes[0..<partial.length])
            let view = ConfigView(config)
            functions.append(
                ListedFunction(
                    snapshot: FunctionSnapshot(bdf: partial.bdf, config: config, resources: []),
                    irq: UInt32(view.byte(Header.interruptLine)), domain: partial.domain, hasSizes: false))
        }
        return ListingInput(functions: functions, problems: state.problems)
    }

    /// One line of any text, by characters.
    private func readLine(_ line: Substring, _ lineNumber: Int, _ state: inout State) {
        if line.isEmpty {
            state.current = nil
            return
        }
        if let (domain, bdf) = Self.header(line) {
            state.partials.append(Partial(domain: domain, bdf: bdf, line: lineNumber))
            state.current = state.partials.count - 1
            return
        }
        guard let at = state.current, let (offset, rest) = Self.dataPrefix(line) else {
            if state.current != nil || Self.looksLikeData(line) { state.problems.append(notALine(lineNumber)) }
            return
        }
        var position = offset
        for token in rest.split(separator: " ", omittingEmptySubsequences: false) {
            guard token.count == 2, let value = UInt8(token, radix: 16) else {
                state.problems.append(notAHexByte(lineNumber, token))
                return
            }
            guard store(value, at: position, in: at, lineNumber, &state) else { return }
            position += 1
        }
    }

    /// Whether the line is ASCII apart from replacement characters (U+FFFD, what invalid UTF-8
    /// became when the text was decoded): a replacement character never joins a neighbour into one
    /// character and is not a hex digit, so such a line reads the same by bytes as by characters
    /// without looking for character boundaries. The text is a `String`, so its bytes are valid UTF-8.
    static func isASCIIOrReplacement(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < line.count {
            if line[i] < 0x80 {
                i += 1
                continue
            }
            guard i + 2 < line.count, line[i] == 0xEF, line[i + 1] == 0xBF, line[i + 2] == 0xBD else { return false }
            i += 3
        }
        return true
    }

    /// Whether a line with non-ASCII text reads the same by bytes as by characters.
    ///
    /// It does when every ASCII byte is a character of its own (no combining mark or other
    /// extender joined to it, no prepended mark before it) and no non-ASCII character is a hex
    /// digit (the fullwidth forms `Character.isHexDigit` accepts). Then the separators (space,
    /// colon) split both views at the same places, ASCII fields have as many bytes as
    /// characters, and a field with non-ASCII text fails both rule sets alike, since only ASCII
    /// parses as a number. Invalid UTF-8 is read as its replacement characters either way.
    static func readsAlikeByBytes(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        for character in String(decoding: line, as: UTF8.self) where character.utf8.count > 1 {
            if character.isHexDigit || character.utf8.contains(where: { $0 < 0x80 }) { return false }
        }
        return true
    }

    /// One line by bytes (ASCII, or ``readsAlikeByBytes(_:)``): the same rules as ``readLine(_:_:_:)``.
    private func readLineByBytes(_ line: UnsafeBufferPointer<UInt8>, _ lineNumber: Int, _ state: inout State) {
        if line.isEmpty {
            state.current = nil
            return
        }
        // A header's address (before the first space) is 7, 12 or 13 characters long; data lines'
        // never are, so only those few lines take the character rules.
        if let space = line.firstIndex(of: 0x20), space == 7 || space == 12 || space == 13,
            let (domain, bdf) = Self.headerByBytes(line, space: space)
        {
            state.partials.append(Partial(domain: domain, bdf: bdf, line: lineNumber))
            state.current = state.partials.count - 1
            return
        }
        guard let at = state.current, let (offset, restStart) = Self.asciiDataPrefix(line) else {
            let looksLikeData = HexDigits.value(of: line[0]) != nil && line.contains(0x3A)
            if state.current != nil || looksLikeData { state.problems.append(notALine(lineNumber)) }
            return
        }
        var position = offset
        var tokenStart = restStart
        while true {
            var tokenEnd = tokenStart
            while tokenEnd < line.count, line[tokenEnd] != 0x20 { tokenEnd += 1 }
            let token = UnsafeBufferPointer(rebasing: line[tokenStart..<tokenEnd])
            let value: UInt8?
            if token.count == 2, let high = HexDigits.value(of: token[0]), let low = HexDigits.value(of: token[1]) {
                value = high << 4 | low
            } else {
                // Not two hex digits; the character rules still take a signed digit ("+f").
                value = token.count == 2 ? UInt8(String(decoding: token, as: UTF8.self), radix: 16) : nil
            }
            guard let value else {
                state.problems.append(notAHexByte(lineNumber, String(decoding: token, as: UTF8.self)))
                return
            }
            guard store(value, at: position, in: at, lineNumber, &state) else { return }
            position += 1
            if tokenEnd == line.count { return }
            tokenStart = tokenEnd + 1
        }
    }

    /// Stores one config byte of function `at`; false (with a problem) past 4096 bytes.
    private func store(_ value: UInt8, at position: Int, in at: Int, _ lineNumber: Int, _ state: inout State) -> Bool {
        guard position < 4096 else {
            state.problems.append(problem(lineNumber, "offset 0x\(String(position, radix: 16)) is past 4096 bytes; skipped"))
            return false
        }
        state.partials[at].bytes[position] = value
        state.partials[at].length = max(state.partials[at].length, position + 1)
        return true
    }

    private func notALine(_ line: Int) -> ListingProblem {
        problem(line, "neither a 'BB:DD.F' header nor an 'XX: hh ...' data line; skipped")
    }

    private func notAHexByte(_ line: Int, _ token: some StringProtocol) -> ListingProblem {
        problem(line, "'\(token)' is not a hex byte; rest of the line skipped")
    }

    private func problem(_ line: Int, _ message: String) -> ListingProblem {
        ListingProblem(file: fileName, location: "line \(line)", message: message)
    }

    /// `BB:DD.F ` or `DDDD:BB:DD.F ` (lspci requires the space after the address).
    static func header(_ line: Substring) -> (UInt16, BDF)? {
        guard let space = line.firstIndex(of: " ") else { return nil }
        let address = line[..<space]
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        let domainText: Substring
        let busDevFn: Substring
        switch parts.count {
        case 2 where address.count == 7:
            domainText = "0"
            busDevFn = address
        case 3 where (12...13).contains(address.count):
            domainText = parts[0]
            busDevFn = address[address.index(after: parts[0].endIndex)...]
        default: return nil
        }
        guard domainText.allSatisfy(\.isHexDigit), let domain = UInt16(domainText, radix: 16),
            let bdf = BDF(busDevFn)
        else { return nil }
        return (domain, bdf)
    }

    /// ``header(_:)`` of a line read by bytes whose first space is at `space`. An ASCII address
    /// is parsed here; one with another character, or with a sign before a number (which
    /// `BDF`'s integer parsing takes), goes to the character rules.
    static func headerByBytes(_ line: UnsafeBufferPointer<UInt8>, space: Int) -> (UInt16, BDF)? {
        let address = UnsafeBufferPointer(rebasing: line[0..<space])
        guard isASCII(address) else { return header(Substring(String(decoding: line, as: UTF8.self))) }
        var colons = 0
        var firstColon = 0
        var lastColon = 0
        for index in address.indices where address[index] == 0x3A {
            colons += 1
            if colons == 1 { firstColon = index }
            lastColon = index
        }
        let domain: UInt16
        switch colons {
        case 1 where space == 7: domain = 0
        case 2 where space == 12 || space == 13:
            guard let value = HexDigits.number(UnsafeBufferPointer(rebasing: address[0..<firstColon]), limit: 0xffff) else {
                return nil
            }
            domain = UInt16(value)
        default: return nil
        }
        let busDevFn = UnsafeBufferPointer(rebasing: address[(colons == 1 ? 0 : firstColon + 1)...])
        if let decided = bdfByBytes(busDevFn, colon: lastColon - (colons == 1 ? 0 : firstColon + 1)) {
            return decided.map { (domain, $0) }
        }
        guard let bdf = BDF(String(decoding: busDevFn, as: UTF8.self)) else { return nil }
        return (domain, bdf)
    }

    /// `BDF(text)` for ASCII `BB:DD.F` text whose only colon is at `colon`: `.some` when decided
    /// by bytes, `nil` when a number has a character other than a hex digit (`BDF` decides).
    private static func bdfByBytes(_ text: UnsafeBufferPointer<UInt8>, colon: Int) -> BDF?? {
        // `BDF` splits at ':' and then '.', dropping empty pieces.
        guard colon > 0, colon + 1 < text.count else { return .some(nil) }
        var pieces: [Range<Int>] = []
        var start = colon + 1
        for index in (colon + 1)...text.count where index == text.count || text[index] == 0x2E {
            if index > start { pieces.append(start..<index) }
            start = index + 1
        }
        guard pieces.count == 2 else { return .some(nil) }
        let texts = [0..<colon, pieces[0], pieces[1]].map { UnsafeBufferPointer(rebasing: text[$0]) }
        guard texts.allSatisfy({ $0.allSatisfy { HexDigits.value(of: $0) != nil } }) else { return nil }
        guard let bus = HexDigits.number(texts[0], limit: 0xff), let device = HexDigits.number(texts[1], limit: 0xff),
            device < 32,
            let function = HexDigits.number(texts[2], limit: 0xff), function < 8
        else { return .some(nil) }
        return .some(BDF(bus: UInt8(bus), device: UInt8(device), function: UInt8(function)))
    }

    /// `XX: ` (2 to 8 hex digits, colon, space): the offset and the text after the space.
    static func dataPrefix(_ line: Substring) -> (Int, Substring)? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let digits = line[..<colon]
        guard (2...8).contains(digits.count), digits.allSatisfy(\.isHexDigit), let offset = Int(digits, radix: 16)
        else { return nil }
        let afterColon = line.index(after: colon)
        guard afterColon < line.endIndex, line[afterColon] == " " else { return nil }
        return (offset, line[line.index(after: afterColon)...])
    }

    /// ``dataPrefix(_:)`` on ASCII bytes: the offset and where the text after the space starts.
    static func asciiDataPrefix(_ line: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
        guard let colon = line.firstIndex(of: 0x3A), (2...8).contains(colon) else { return nil }
        var offset = 0
        for i in 0..<colon {
            guard let digit = HexDigits.value(of: line[i]) else { return nil }
            offset = offset << 4 | Int(digit)
        }
        guard colon + 1 < line.count, line[colon + 1] == 0x20 else { return nil }
        return (offset, colon + 2)
    }

    private static func looksLikeData(_ line: Substring) -> Bool {
        line.first?.isHexDigit == true && line.contains(":")
    }
}
