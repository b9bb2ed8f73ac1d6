import Testing
import Yams

@testable import Host

/// `ParseErrorText` finds the line a parse error quotes in one pass over the bytes; Yams finds
/// it with Foundation's `getLineStart`. The texts must be the same for any document, offset and
/// mark, whatever line ends (LF, CR, CR LF, NEL, LS, PS, and VT and FF, which end no line) and
/// scalars (combining marks, four-byte scalars) the document holds.
@Suite("parse error text: the same as YamlError's")
struct ParseErrorTextTests {
    static let pieces = [
        "a", "b", " ", "-", ":", "\n", "\r", "\r\n", "\u{85}", "\u{2028}", "\u{2029}", "\u{B}", "\u{C}", "é", "e\u{301}",
        "😀", "\u{1}", "\t", "\n\u{301}", "\r\u{85}",
    ]

    struct Random {
        var state: UInt64
        mutating func below(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(max(n, 1)))
        }
    }

    static func document(_ random: inout Random) -> String {
        (0..<(1 + random.below(30))).map { _ in pieces[random.below(pieces.count)] }.joined()
    }

    /// Marks at lines 1-12 and columns 1-40 (Yams makes a `Mark` only while parsing): the
    /// start marks of the scalars of a grid of flow sequences.
    static let marks: [Mark] = {
        let rows = (0..<12).map { row in
            "- " + String(repeating: " ", count: row % 3) + "[" + String(repeating: "x,", count: 14) + "x]"
        }
        guard let node = try? Yams.compose(yaml: rows.joined(separator: "\n")) else { return [] }
        return node.sequence?.flatMap { $0.sequence?.compactMap(\.mark) ?? [] } ?? []
    }()

    @Test("reader errors: the same text at every offset")
    func readerErrors() {
        var random = Random(state: 7)
        var compared = 0
        for _ in 0..<400 {
            let yaml = Self.document(&random)
            // (Yams asserts the offset is inside the text, as libyaml's always is: a debug build
            // traps at `yaml.count`. Past the end, there is no line to quote.)
            for offset in [0, yaml.count - 1, yaml.count + 1, random.below(yaml.count), random.below(yaml.count)] {
                let error = YamlError.reader(problem: "control characters are not allowed", offset: offset, value: 1, yaml: yaml)
                #expect(ParseErrorText(error: error).description == error.description, "\(yaml.debugDescription) at \(offset)")
                compared += 1
            }
            let unplaced = YamlError.reader(problem: "invalid", offset: nil, value: 3, yaml: yaml)
            #expect(ParseErrorText(error: unplaced).description == unplaced.description)
        }
        #expect(compared == 2000)
    }

    @Test("scanner, parser and composer errors: the same snippet for every mark")
    func markedErrors() throws {
        try #require(Self.marks.count > 100)
        var random = Random(state: 11)
        for _ in 0..<300 {
            let yaml = Self.document(&random)
            let mark = Self.marks[random.below(Self.marks.count)]
            #expect(ParseErrorText.snippet(mark, yaml) == mark.snippet(from: yaml), "\(yaml.debugDescription) at \(mark)")
            // (A context, "while scanning ... in line L, column C", comes only from the parser:
            // the edited documents of ProfileDecodingTests have them.)
            for error in [
                YamlError.scanner(context: nil, problem: "p", mark, yaml: yaml),
                .parser(context: nil, problem: "q", mark, yaml: yaml), .composer(context: nil, problem: "r", mark, yaml: yaml),
            ] {
                #expect(ParseErrorText(error: error).description == error.description)
            }
        }
    }

    @Test("a line end the scan missed would show")
    func lineEndsMatter() throws {
        // Each of Foundation's line ends puts the caret on a later line; the text must follow.
        for end in ["\n", "\r", "\r\n", "\u{85}", "\u{2028}", "\u{2029}"] {
            let yaml = "ab" + end + "cd" + end + "ef"
            let error = YamlError.reader(problem: "x", offset: yaml.count - 1, value: 0, yaml: yaml)
            let text = ParseErrorText(error: error).description
            #expect(text == error.description)
            #expect(text.hasPrefix("3:2: error: reader: x:\nef\n"), "\(text.debugDescription)")
        }
    }
}
