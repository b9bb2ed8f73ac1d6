import PCIe
import TestSupport
import Testing

@testable import Inspector

/// `LspciDumpReader.read(utf8:)` must read what `read(String(decoding:as:))` reads, and the
/// byte parser of header addresses must agree with the character rules on every address.
@Suite("lspci dump reader: bytes in, and headers by bytes")
struct LspciDumpReaderBytesTests {
    /// Byte runs that stress decoding: invalid UTF-8 (lone continuation bytes, truncated and
    /// overlong sequences, surrogates), valid multi-byte characters, marks, CR and LF.
    static let oddBytes: [[UInt8]] = [
        [0x80], [0xbf], [0xc3], [0xc3, 0xa9], [0xe2, 0x80], [0xe2, 0x80, 0x94], [0xf0, 0x9f, 0x98], [0xf0, 0x9f, 0x98, 0x80],
        [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff], [0xfe], [0xcc, 0x81], [0xef, 0xbf, 0xbd], [0x0d], [0x0a], [0x0d, 0x0a],
        [0xef, 0xbc, 0x90], [0xe2, 0x80, 0x8d], [0xd8, 0x80],
    ]

    static func sameReading(_ bytes: [UInt8]) -> Bool {
        let reader = LspciDumpReader(fileName: "t")
        let fromBytes = reader.read(utf8: bytes)
        let fromText = reader.read(String(decoding: bytes, as: UTF8.self))
        return fromBytes.functions == fromText.functions && fromBytes.problems == fromText.problems
    }

    @Test("random dumps with invalid and non-ASCII bytes read the same from bytes as from their text")
    func bytesReadAsText() {
        var rng = SplitMix64(seed: 29)
        var functionsSeen = 0
        var nonASCII = 0
        for _ in 0..<500 {
            var bytes = Array("00:0\(rng.next() % 8).0 dev\n".utf8)
            for row in 0..<(3 + Int(rng.next() % 3)) {
                bytes += Array(String(format2: row * 16).utf8) + [0x3a]
                for _ in 0..<16 { bytes += Array(" \(String(format2: Int(rng.next() % 256)))".utf8) }
                bytes.append(0x0a)
            }
            // Splice odd bytes and edge lines in at random places.
            for _ in 0..<Int(rng.next() % 8) {
                let piece =
                    rng.next() % 2 == 0
                    ? Self.oddBytes[Int(rng.next() % UInt64(Self.oddBytes.count))]
                    : Array(
                        (LspciDumpReaderTests.pieces[Int(rng.next() % UInt64(LspciDumpReaderTests.pieces.count))] + "\n").utf8)
                bytes.insert(contentsOf: piece, at: Int(rng.next() % UInt64(bytes.count + 1)))
            }
            if bytes.contains(where: { $0 >= 0x80 }) { nonASCII += 1 }
            #expect(Self.sameReading(bytes), "\(bytes)")
            functionsSeen += LspciDumpReader(fileName: "t").read(utf8: bytes).functions.count
        }
        #expect(Self.sameReading([]))
        #expect(functionsSeen > 100)
        #expect(nonASCII > 200)
    }

    @Test("header addresses parse by bytes as by characters")
    func headersByBytes() {
        let alphabet = Array("0123456789abcdefABCDEF0000::..+-gx ".utf8)
        var rng = SplitMix64(seed: 31)
        var headersSeen = 0
        var samples: [[UInt8]] = [
            "00:04.0", "0000:03:00.1", "10000:00:01.0", "+1:00.0", "00:1f.7", "00:20.0", "00:1f.8", "ffff:ff:1f.7",
            "00:04..0", ".00:04.0", "00:.04.0", "00:04.0.", "0:004.00", "-0:00.0", "00:+4.0", ":01:00.0", "0000::00.0",
            "0000:00:.0",
            "00000:0:0.0", "0:0000:00.0", "fffff:0:00.0", "100:000.0",
        ].map { Array($0.utf8) }
        let hexDigits = Array("0123456789abcdefABCDEF".utf8)
        for _ in 0..<20_000 {
            // A well-formed address of random digits, then none to three random characters changed.
            var address = Array(["00:00.0", "0000:00:00.0", "00000:00:00.0"][Int(rng.next() % 3)].utf8)
            for index in address.indices where address[index] == UInt8(ascii: "0") {
                address[index] = hexDigits[Int(rng.next() % UInt64(hexDigits.count))]
            }
            for _ in 0..<Int(rng.next() % 4) {
                address[Int(rng.next() % UInt64(address.count))] = alphabet[Int(rng.next() % UInt64(alphabet.count - 1))]
            }
            samples.append(address)
        }
        for address in samples {
            let line = address + Array(" x".utf8)
            guard let space = line.firstIndex(of: 0x20) else { continue }
            let byBytes = line.withUnsafeBufferPointer { LspciDumpReader.headerByBytes($0, space: space) }
            let byCharacters = LspciDumpReader.header(Substring(String(decoding: line, as: UTF8.self)))
            #expect(byBytes?.0 == byCharacters?.0 && byBytes?.1 == byCharacters?.1, "\(String(decoding: address, as: UTF8.self))")
            if byCharacters != nil { headersSeen += 1 }
        }
        #expect(headersSeen > 200)
    }
}

extension String {
    /// Two lowercase hex digits at least.
    fileprivate init(format2 value: Int) {
        let digits = String(value, radix: 16)
        self = digits.count >= 2 ? digits : "0" + digits
    }
}
