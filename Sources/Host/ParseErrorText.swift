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
            guard let index = yaml.index(yaml.startIndex, offsetBy: offset, limitedBy: yaml.endIndex) else {
                return error.description
            }
            let (number, line) = Self.line(containing: index, in: yaml)
            let column = Self.utf16Count(yaml.utf8[line.lowerBound..<index])
            return "\(number + 1):\(column + 1): error: reader: \(problem):\n"
                + Self.endingWithNewLine(yaml[line]) + String(repeating: " ", count: column) + "^"
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
        return endingWithNewLine(yaml[line]) + String(repeating: " ", count: indent) + "^"
    }

    /// The line (its terminator included) numbered `number` from 0, or the last line.
    static func line(number: Int, in text: String) -> Range<String.Index> {
        var start = text.startIndex
        var end = lineEnd(from: start, in: text)
        var current = 0
        while current < number, end < text.endIndex {
            current += 1
            start = end
            end = lineEnd(from: start, in: text)
        }
        return start..<end
    }

    /// The number (from 0) and range of the first line that ends after `index`, or of the last
    /// line: `String.lineNumberColumnAndContents(at:)` in Yams.
    static func line(containing index: String.Index, in text: String) -> (Int, Range<String.Index>) {
        var start = text.startIndex
        var end = lineEnd(from: start, in: text)
        var number = 0
        while end <= index, end < text.endIndex {
            number += 1
            start = end
            end = lineEnd(from: start, in: text)
        }
        return (number, start..<end)
    }

    /// Where the line starting at `start` ends: after its terminator (LF, CR, CR LF, U+0085,
    /// U+2028 or U+2029), or at the end of the text.
    static func lineEnd(from start: String.Index, in text: String) -> String.Index {
        let utf8 = text.utf8
        var i = start
        while i < utf8.endIndex {
            let byte = utf8[i]
            utf8.formIndex(after: &i)
            switch byte {
            case 0x0A:
                return i
            case 0x0D:
                if i < utf8.endIndex, utf8[i] == 0x0A { utf8.formIndex(after: &i) }
                return i
            case 0xC2:  // U+0085 is C2 85
                if i < utf8.endIndex, utf8[i] == 0x85 {
                    utf8.formIndex(after: &i)
                    return i
                }
            case 0xE2:  // U+2028 and U+2029 are E2 80 A8 and E2 80 A9
                guard i < utf8.endIndex, utf8[i] == 0x80 else { break }
                let third = utf8.index(after: i)
                if third < utf8.endIndex, utf8[third] == 0xA8 || utf8[third] == 0xA9 { return utf8.index(after: third) }
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
