import Testing

@testable import Inspector

/// The formatter's byte buffer writes numbers exactly as the `String` code it replaced did.
struct LspciTextTests {
    /// Boundary values and a spread of others, for each integer type the decoders interpolate.
    static let samples: [UInt64] = {
        var values: [UInt64] = [0, 1, 9, 10, 15, 16, 99, 100, 255, 256, 0xffff, 0x1_0000, 0xffff_ffff, 0x1_0000_0000]
        values += [UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64.max]
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        for _ in 0..<500 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(state >> (state % 64))
        }
        return values
    }()

    @Test func decimalInterpolationMatchesStringInterpolation() {
        for value in Self.samples {
            #expect(("\(value)" as LspciText).bytes == Array("\(value)".utf8))
            let signed = Int64(bitPattern: value)
            #expect(("[\(signed)]" as LspciText).bytes == Array("[\(signed)]".utf8))
            #expect(("\(Int(truncatingIfNeeded: value))x" as LspciText).bytes == Array("\(Int(truncatingIfNeeded: value))x".utf8))
            #expect(
                ("\(UInt8(truncatingIfNeeded: value))" as LspciText).bytes == Array("\(UInt8(truncatingIfNeeded: value))".utf8))
            #expect(
                ("\(Int32(truncatingIfNeeded: value))" as LspciText).bytes == Array("\(Int32(truncatingIfNeeded: value))".utf8))
        }
        #expect(("\(Int64.min)" as LspciText).bytes == Array("\(Int64.min)".utf8))
    }

    @Test func hexMatchesPaddedRadixString() {
        for value in Self.samples {
            for digits in [0, 1, 2, 3, 4, 8, 16, 17, 20] {
                let reference = String(value, radix: 16)
                let padded = String(repeating: "0", count: max(0, digits - reference.count)) + reference
                #expect(Fmt.hex(value, digits) == padded)
                var out = LspciText()
                out.append(hex: value, digits: digits)
                #expect(out.bytes == Array(padded.utf8))
                let narrow = UInt16(truncatingIfNeeded: value)
                let narrowReference = String(narrow, radix: 16)
                #expect(
                    Fmt.hex(narrow, digits) == String(repeating: "0", count: max(0, digits - narrowReference.count))
                        + narrowReference)
            }
        }
        // Negative values keep the old `String(_:radix:)` spelling.
        #expect(Fmt.hex(-5, 4) == "00-5")
    }

    @Test func textsAndStringsAppendTheirUTF8() {
        let raw = LspciOutput.encode("\u{F7E9}")
        var out: LspciText = "a\("é")\(LspciText(stringLiteral: "b"))"
        out.append("\u{F7E9}")
        out += "c"
        #expect(out.string == "aéb\u{F7E9}c")
        #expect(LspciOutput.encode(out.string).suffix(2) == raw + [UInt8(ascii: "c")])
    }

    /// Pieces of every length around the inline tail's capacity, appended in every way the
    /// formatter appends them, give the bytes of the same pieces joined as a `String`.
    @Test func piecesAcrossTheInlineTailKeepTheirOrder() {
        let capacity = LspciText.tailCapacity
        var out = LspciText()
        var reference = ""
        var seed: UInt64 = 7
        for round in 0..<400 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = [0, 1, capacity - 1, capacity, capacity + 1, 2 * capacity + 3, Int(seed >> 58)][round % 7]
            let piece = String((0..<length).map { Character(UnicodeScalar(UInt8(97 + ($0 + round) % 26))) })
            switch (seed >> 40) % 4 {
            case 0: out.append(piece)
            case 1: out += "\(piece)|\(round)"
            case 2:
                let text: LspciText = "\(piece)"
                out = out + text
            default:
                var inner = LspciText()
                inner.append(piece)
                inner.append(byte: UInt8(ascii: "#"))
                out += "<\(inner)>"
            }
            switch (seed >> 40) % 4 {
            case 0, 2: reference += piece
            case 1: reference += "\(piece)|\(round)"
            default: reference += "<\(piece)#>"
            }
            #expect(out.bytes.count == reference.utf8.count)
        }
        #expect(out.string == reference)
        #expect(out.bytes == Array(reference.utf8))
        #expect(!out.isEmpty)
        #expect(LspciText().isEmpty && LspciText().string.isEmpty)
    }
}
