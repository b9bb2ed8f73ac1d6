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

    /// Parses the dump text.
    public func read(_ text: String) -> ListingInput {
        var problems: [ListingProblem] = []
        var partials: [Partial] = []
        var current: Int?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine[...]
            if line.isEmpty {
                current = nil
                continue
            }
            if let (domain, bdf) = Self.header(line) {
                partials.append(Partial(domain: domain, bdf: bdf, line: lineNumber))
                current = partials.count - 1
                continue
            }
            guard let at = current, let (offset, rest) = Self.dataPrefix(line) else {
                if current != nil || Self.looksLikeData(line) {
                    problems.append(problem(lineNumber, "neither a 'BB:DD.F' header nor an 'XX: hh ...' data line; skipped"))
                }
                continue
            }
            var position = offset
            for token in rest.split(separator: " ", omittingEmptySubsequences: false) {
                guard token.count == 2, let value = UInt8(token, radix: 16) else {
                    problems.append(problem(lineNumber, "'\(token)' is not a hex byte; rest of the line skipped"))
                    break
                }
                guard position < 4096 else {
                    problems.append(problem(lineNumber, "offset 0x\(String(position, radix: 16)) is past 4096 bytes; skipped"))
                    break
                }
                partials[at].bytes[position] = value
                position += 1
                partials[at].length = max(partials[at].length, position)
            }
        }
        var functions: [ListedFunction] = []
        for partial in partials {
            guard partial.length >= 64 else {
                problems.append(
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
        return ListingInput(functions: functions, problems: problems)
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

    private static func looksLikeData(_ line: Substring) -> Bool {
        line.first?.isHexDigit == true && line.contains(":")
    }
}
