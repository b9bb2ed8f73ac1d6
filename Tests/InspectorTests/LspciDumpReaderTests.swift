import PCIe
import TestSupport
import Testing

@testable import Inspector

/// `LspciDumpReader` parses ASCII lines by bytes and other lines by characters; both rule sets
/// must agree on every line.
@Suite("lspci dump reader: byte and character rules agree")
struct LspciDumpReaderTests {
    /// Lines near the grammar's edges: headers with and without a domain, data lines with 2-8
    /// offset digits, signed and odd tokens, non-ASCII digits and marks, stray colons and spaces.
    static let pieces: [String] = [
        "00:04.0 Ethernet", "0000:03:00.1 x", "10000:00:01.0 x", "+1:00.0 x", "00:1f.7 ", "00:20.0 x", "zz:00.0 x",
        "00:", "00: ", "00: 86", "00: 86 80", "00: 86 80 ", "40: ff ff ff", "0ff: 01", "0fff: 02 03", "00000000: 04",
        "000000000: 05", "0: 06", "f00: 07", "00:  08", "00: +f -0", "00: 8", "00: 866", "00: g0", "30: \u{FF10}1",
        "\u{FF10}0: 11", "00: 1\u{301}2", "00\u{301}: 13", "é0:00.0 x", "ab", "a:b", ": 14", "00:ff", "\r", "x\ry",
        "", "", "10: 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24",
        // Non-ASCII text that leaves the ASCII separate (read by bytes) and that joins it (by characters).
        "00:04.0 Ethernet \u{2014} \u{FC}n\u{EF}code", "20: 86 \u{E9} 80", "\u{E9}\u{E9}: 01", "00: \u{1F600}",
        "\u{600}00: 11", "00: 8\u{200D}6", "30: 1\u{301}", "00:0\u{301}4.0 x", "00:04.0\u{301} x", "40: ff\u{FFFD}",
        "\u{FF21}0: 12", "50: \u{FF41}", "00: \u{301}86", "00:\u{301} 12", "00:04.0 \u{301}x", "60: \u{FFFD}1 02",
        "\u{FFFD}0: 03", "00:04.\u{FFFD} x", "70: 0\u{FFFD}\u{301}",
    ]

    static func agree(_ text: String) -> Bool {
        let reader = LspciDumpReader(fileName: "t")
        let bytes = reader.read(text, byCharacters: false)
        let characters = reader.read(text, byCharacters: true)
        return bytes.functions == characters.functions && bytes.problems == characters.problems
    }

    @Test("random documents of edge lines read the same by bytes and by characters")
    func randomDocuments() {
        var rng = SplitMix64(seed: 11)
        var functionsSeen = 0
        var problemsSeen = 0
        for _ in 0..<400 {
            var lines: [String] = []
            // Full functions now and then, so documents also reach the 64-byte minimum.
            if rng.next() % 3 == 0 {
                lines.append("00:0\(rng.next() % 8).0 dev")
                for row in 0..<(4 + Int(rng.next() % 4)) {
                    lines.append(
                        String(row * 16, radix: 16).leftPadded(to: 2) + ":"
                            + (0..<16).map { _ in " " + String(rng.next() % 256, radix: 16).leftPadded(to: 2) }.joined())
                }
            }
            for _ in 0..<Int(rng.next() % 12) {
                let piece = Self.pieces[Int(rng.next() % UInt64(Self.pieces.count))]
                lines.insert(piece, at: Int(rng.next() % UInt64(lines.count + 1)))
            }
            let text = lines.joined(separator: "\n") + (rng.next() % 2 == 0 ? "\n" : "")
            #expect(Self.agree(text), "\(text.debugDescription)")
            let input = LspciDumpReader(fileName: "t").read(text)
            functionsSeen += input.functions.count
            problemsSeen += input.problems.count
        }
        #expect(functionsSeen > 50)
        #expect(problemsSeen > 200)
    }

    @Test("each edge line alone, after a header, reads the same both ways")
    func edgeLines() {
        for piece in Self.pieces {
            #expect(Self.agree(piece), "\(piece.debugDescription)")
            #expect(Self.agree("00:01.0 x\n" + piece + "\n"), "\(piece.debugDescription)")
        }
    }

    @Test("non-ASCII lines whose ASCII characters stand alone take the byte rules")
    func byteRulesForSeparateASCII() {
        func alike(_ line: String) -> Bool {
            var line = line
            return line.withUTF8 { LspciDumpReader.readsAlikeByBytes($0) }
        }
        for line in ["00:04.0 Ethernet \u{2014} \u{FC}n\u{EF}code", "20: 86 \u{E9} 80", "\u{E9}\u{E9}: 01", "00: \u{1F600}"] {
            #expect(alike(line), "\(line.debugDescription)")
        }
        for line in ["\u{600}00: 11", "00: 8\u{200D}6", "30: 1\u{301}", "00:04.0\u{301} x", "\u{FF21}0: 12", "50: \u{FF41}"] {
            #expect(!alike(line), "\(line.debugDescription)")
        }
        func plain(_ line: String) -> Bool {
            var line = line
            return line.withUTF8 { LspciDumpReader.isASCIIOrReplacement($0) }
        }
        #expect(plain("") && plain("00: 86 80") && plain("00: \u{FFFD}6 8\u{FFFD}\u{FFFD}") && plain("\u{FFFD}"))
        #expect(!plain("00: \u{E9}") && !plain("\u{FFFD}\u{301}") && !plain("00: \u{FFFE}"))
    }

    @Test("CR LF line ends read as LF ones")
    func crlf() throws {
        let rows = (0..<4).map { row in
            String(row * 16, radix: 16).leftPadded(to: 2) + ":"
                + (0..<16).map { " " + String(row * 16 + $0, radix: 16).leftPadded(to: 2) }.joined()
        }
        let lf = (["00:05.0 dev"] + rows).joined(separator: "\n") + "\n"
        let crlf = (["00:05.0 dev"] + rows).joined(separator: "\r\n") + "\r\n"
        let reader = LspciDumpReader(fileName: "t")
        let expected = reader.read(lf)
        #expect(expected.problems.isEmpty)
        #expect(expected.functions.count == 1)
        let got = reader.read(crlf)
        #expect(got.functions == expected.functions)
        #expect(got.problems == expected.problems)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
