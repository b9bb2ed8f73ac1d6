import Network
import TestSupport
import Testing

@testable import ENA

@Suite("checksum offload's word sum")
struct WordSumTests {
    @Test("agrees with InternetChecksum for every length 0...200 and pseudo-header words")
    func agreesWithReference() {
        var random = SplitMix64(seed: 0xC0FFEE)
        for length in 0...200 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let word = UInt16(truncatingIfNeeded: random.next())
            let double = UInt32(truncatingIfNeeded: random.next())
            var fast = WordSum()
            var reference = InternetChecksum()
            fast.add(word: word)
            reference.add(word: word)
            fast.add(doubleWord: double)
            reference.add(doubleWord: double)
            bytes.withUnsafeBytes { fast.add($0) }
            reference.add(bytes)
            #expect(fast.value == reference.value, "length \(length)")
        }
    }

    @Test("agrees with InternetChecksum over several even-length runs and words in between")
    func agreesOverRuns() {
        var random = SplitMix64(seed: 0xBEEF)
        for _ in 0..<500 {
            var fast = WordSum()
            var reference = InternetChecksum()
            for run in 0..<Int(random.next() % 5 + 1) {
                let length = Int(random.next() % 40) * 2 + (run == 4 ? 1 : 0)
                let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                bytes.withUnsafeBytes { fast.add($0) }
                reference.add(bytes)
                if run < 4 {
                    let word = UInt16(truncatingIfNeeded: random.next())
                    fast.add(word: word)
                    reference.add(word: word)
                }
            }
            #expect(fast.value == reference.value)
        }
    }
}
