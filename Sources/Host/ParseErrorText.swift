import Yams

/// A Yams parse error that prints exactly as `YamlError.description` does, found faster.
///
/// `YamlError.description` quotes the line at fault, and finds it with Foundation's
/// `getLineStart` once per line from the top of the document (bridging to `NSString` each
/// time): for a reader error (a control character, most errors of an edited profile) that was a
/// fifth of the host-profile fuzz target's time. This finds the same line in one pass over the
/// UTF-8 bytes, with Foundation's line ends (LF, CR, CR LF, NEL, LS, PS), and builds the same
/// text; errors that quote no line print through Yams. `ParseErrorTextTests` holds the two to
/// the same text on random documents, offsets and marks.
struct ParseErrorText: Error, CustomStringConvertible {
    /// The parse error.
    let error: YamlError

    var description: String {
        switch error {
        case .reader(let problem, let offset?, _, let yaml):
            guard let index = Self.characterIndex(offset, in: yaml) else {
                return error.description
            }
            let (number, line) = Self.line(containing: index, in: yaml)
            let column = Self.utf16Count(yaml.utf8[line.lowerBound..<index])
            return "\(number + 1):\(column + 1): error: reader: \(problem):\n"
                + Self.endingWithNewLine(yaml[line]) + Self.caret(after: column)
        case .scanner(let context, let problem, let mark, let yaml):
            return "\(mark): error: scanner: \(context?.description ?? "")\(problem):\n" + Self.snippet(mark, yaml)
        case .parser(let context, let problem, let mark, let yaml):
            return "\(mark): error: parser: \(context?.description ?? "")\(problem):\n" + Self.snippet(mark, yaml)
        case .composer(let context, let problem, let mark, let yaml):
            return "\(mark): error: composer: \(context?.description ?? "")\(problem):\n" + Self.snippet(mark, yaml)
        default:
            return error.description
        }
    }

    /// `Mark.snippet(from:)`: the mark's line (line `mark.line`, counted from 1; the last line
    /// when there are fewer), then a caret under its column (counted in Unicode scalars from 1,
    /// indented in UTF-16 code units).
    static func snippet(_ mark: Mark, _ yaml: String) -> String {
        let line = self.line(number: mark.line - 1, in: yaml)
        let scalars = yaml.unicodeScalars[line]
        let columnEnd =
            scalars.index(scalars.startIndex, offsetBy: mark.column - 1, limitedBy: scalars.endIndex) ?? scalars.endIndex
        let indent = utf16Count(yaml.utf8[line.lowerBound..<columnEnd])
        return endingWithNewLine(yaml[line]) + caret(after: indent)
    }

    /// `String(repeating: " ", count: spaces) + "^"`, made from bytes (`String(repeating:)`
    /// appends its string once per space).
    static func caret(after spaces: Int) -> String {
        var bytes = [UInt8](repeating: UInt8(ascii: " "), count: max(spaces, 0) + 1)
        bytes[bytes.count - 1] = UInt8(ascii: "^")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The line (its terminator included) numbered `number` from 0, or the last line.
    static func line(number: Int, in text: String) -> Range<String.Index> {
        let (start, end) = bytes(of: text) { bytes in
            var start = 0
            var end = lineEnd(from: 0, bytes)
            var current = 0
            while current < number, end < bytes.count {
                current += 1
                start = end
                end = lineEnd(from: start, bytes)
            }
            return (start, end)
        }
        return index(start, in: text)..<index(end, in: text)
    }

    /// The number (from 0) and range of the first line that ends after `index`, or of the last
    /// line: `String.lineNumberColumnAndContents(at:)` in Yams.
    static func line(containing index: String.Index, in text: String) -> (Int, Range<String.Index>) {
        let offset = text.utf8.distance(from: text.startIndex, to: index)
        let (number, start, end) = bytes(of: text) { bytes in
            var start = 0
            var end = lineEnd(from: 0, bytes)
            var number = 0
            while end <= offset, end < bytes.count {
                number += 1
                start = end
                end = lineEnd(from: start, bytes)
            }
            return (number, start, end)
        }
        return (number, self.index(start, in: text)..<self.index(end, in: text))
    }

    /// `text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex)` (in
    /// `Character`s), with the leading ASCII text counted by bytes: a byte below 0x80 other than
    /// CR is one `Character`, and one ends before any ASCII byte (CR LF is the only ASCII pair
    /// that does not break), so the walk by `Character`s starts from the last such boundary.
    static func characterIndex(_ offset: Int, in text: String) -> String.Index? {
        guard offset >= 0 else { return text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex) }
        let known = bytes(of: text) { bytes in
            var count = 0
            while count < min(offset, bytes.count), bytes[count] < 0x80, bytes[count] != 0x0D { count += 1 }
            // A byte above 0x7f next may be a mark that joins the last ASCII byte's Character.
            if count < bytes.count, bytes[count] >= 0x80, count > 0 { count -= 1 }
            return count
        }
        return text.index(index(known, in: text), offsetBy: offset - known, limitedBy: text.endIndex)
    }

    private static func bytes<R>(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var text = text
        return text.withUTF8(body)
    }

    private static func index(_ offset: Int, in text: String) -> String.Index {
        text.utf8.index(text.utf8.startIndex, offsetBy: offset)
    }

    /// Where the line starting at `start` ends: after its terminator (LF, CR, CR LF, U+0085,
    /// U+2028 or U+2029), or at the end of the text.
    static func lineEnd(from start: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var i = start
        while i < bytes.count {
            let byte = bytes[i]
            i += 1
            switch byte {
            case 0x0A:
                return i
            case 0x0D:
                return i < bytes.count && bytes[i] == 0x0A ? i + 1 : i
            case 0xC2:  // U+0085 is C2 85
                if i < bytes.count, bytes[i] == 0x85 { return i + 1 }
            case 0xE2:  // U+2028 and U+2029 are E2 80 A8 and E2 80 A9
                if i + 1 < bytes.count, bytes[i] == 0x80, bytes[i + 1] == 0xA8 || bytes[i + 1] == 0xA9 { return i + 2 }
            default:
                break
            }
        }
        return i
    }

    /// UTF-16 code units of whole scalars' UTF-8 bytes: one per scalar, two for a scalar of
    /// four bytes.
    static func utf16Count(_ bytes: Substring.UTF8View) -> Int {
        var count = 0
        for byte in bytes where byte & 0xC0 != 0x80 { count += byte >= 0xF0 ? 2 : 1 }
        return count
    }

    /// Yams' `endingWithNewLine`: the text as it is when its last scalar is in
    /// `CharacterSet.newlines` (U+000A to U+000D, U+0085, U+2028, U+2029), else with "\n" added.
    static func endingWithNewLine(_ text: Substring) -> String {
        switch text.unicodeScalars.last?.value ?? 0 {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: String(text)
        default: text + "\n"
        }
    }
}
