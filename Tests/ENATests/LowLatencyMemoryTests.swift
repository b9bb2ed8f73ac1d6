import Network
import TestSupport
import Testing

@testable import ENA

@Suite("the LLQ BAR's written bitmap")
struct LowLatencyMemoryTests {
    /// `span`'s one-word check and consume agree with the general loops, for every entry size
    /// and every entry position of the first 8 KiB, after random qword and burst writes (a burst
    /// marks what dword writes of the dwords it covers entirely mark).
    @Test("one-word spans agree with the general loops")
    func spansAgree() {
        var random = SplitMix64(seed: 0x11C)
        for size in [128, 192, 256] {
            let a = LowLatencyMemory(size: 8192)
            let b = LowLatencyMemory(size: 8192)
            var spans = 0
            for _ in 0..<40 {
                for _ in 0..<64 {
                    let offset = Int(random.next() % 1024) * 8
                    a.write(offset: offset, width: 8, value: 1)
                    b.write(offset: offset, width: 8, value: 1)
                }
                let start = Int(random.next() % 8000)
                let bytes = [UInt8](repeating: 1, count: Int(random.next() % 300))
                bytes.withUnsafeBytes { a.write(offset: start, bytes: $0) }
                // The dwords the burst covers entirely, as dword writes.
                let end = min(start + bytes.count, 8192)
                for dword in stride(from: (start + 3) / 4 * 4, to: end / 4 * 4, by: 4) {
                    b.write(offset: dword, width: 4, value: 1)
                }
                for offset in stride(from: 0, to: 8192 - size + 1, by: size) {
                    let general = b.isComplete(offset: offset, count: size)
                    if let span = a.span(offset: offset, count: size) {
                        spans += 1
                        #expect(a.isComplete(span) == general, "\(size) at \(offset)")
                        if random.next() % 3 == 0 {
                            a.consume(span)
                            b.consume(offset: offset, count: size)
                        }
                    } else {
                        // 192-byte entries that straddle a 256-byte boundary.
                        #expect(size == 192 && (offset / 4) % 64 + size / 4 > 64, "\(size) at \(offset)")
                        #expect(a.isComplete(offset: offset, count: size) == general)
                    }
                }
            }
            for offset in stride(from: 0, to: 8192, by: 4) {
                #expect(a.isComplete(offset: offset, count: 4) == b.isComplete(offset: offset, count: 4), "\(size) \(offset)")
            }
            #expect(spans > 0)
        }
    }

    /// A burst of several entries (several bitmap words, from any dword or byte) marks what dword
    /// writes of the dwords it covers entirely mark, over a bitmap with other dwords written and
    /// consumed.
    @Test("a burst over several bitmap words marks exactly the dwords it covers")
    func longBursts() {
        var random = SplitMix64(seed: 0x1B0)
        let a = LowLatencyMemory(size: 16384)
        let b = LowLatencyMemory(size: 16384)
        for round in 0..<200 {
            for _ in 0..<16 {
                let offset = Int(random.next() % 2048) * 8
                a.write(offset: offset, width: 8, value: 1)
                b.write(offset: offset, width: 8, value: 1)
            }
            // Aligned to an entry, a dword or nothing; up to 4 KiB (32 entries of 128 bytes).
            let alignment = [256, 128, 4, 1][round % 4]
            let start = Int(random.next() % UInt64(12288 / alignment)) * alignment
            let bytes = [UInt8](repeating: 1, count: Int(random.next() % 4097))
            bytes.withUnsafeBytes { a.write(offset: start, bytes: $0) }
            for dword in stride(from: (start + 3) / 4 * 4, to: (start + bytes.count) / 4 * 4, by: 4) {
                b.write(offset: dword, width: 4, value: 1)
            }
            let consumed = Int(random.next() % 64) * 256
            a.consume(offset: consumed, count: 256)
            b.consume(offset: consumed, count: 256)
        }
        for offset in stride(from: 0, to: 16384, by: 4) {
            #expect(a.isComplete(offset: offset, count: 4) == b.isComplete(offset: offset, count: 4), "\(offset)")
        }
        #expect(a.isComplete(offset: 0, count: 16384) == b.isComplete(offset: 0, count: 16384))
    }

    /// A queue's entry spans, where every entry lies in one bitmap word, are `span(offset:count:)`'s;
    /// where some entry would straddle two words there are none.
    @Test("entry spans of a queue are the spans of its entries")
    func entrySpans() {
        let m = LowLatencyMemory(size: 16384)
        for size in [128, 192, 256] {
            for start in stride(from: 0, to: 8192, by: 64) {
                let spans = EntrySpans(offset: start, entrySize: size)
                let fits = (0..<32).allSatisfy { m.span(offset: start + $0 * size, count: size) != nil }
                #expect((spans != nil) == (fits && (start / 4) % (size / 4) == 0), "\(size) from \(start)")
                guard let spans else { continue }
                for i in 0..<32 {
                    let expected = m.span(offset: start + i * size, count: size)
                    #expect(spans.span(i).word == expected?.word && spans.span(i).mask == expected?.mask, "\(size) \(start) \(i)")
                }
            }
        }
    }

    /// An aligned burst marks its whole dwords in one bitmap word; the general loop does the same.
    @Test("an aligned burst marks exactly the dwords it covers")
    func alignedBurst() {
        let m = LowLatencyMemory(size: 4096)
        let bytes = [UInt8](repeating: 7, count: 130)
        bytes.withUnsafeBytes { m.write(offset: 256, bytes: $0) }
        #expect(m.isComplete(offset: 256, count: 128))
        #expect(!m.isComplete(offset: 256, count: 132))
        #expect(!m.isComplete(offset: 252, count: 4))
        let straddling = [UInt8](repeating: 7, count: 192)
        straddling.withUnsafeBytes { m.write(offset: 192, bytes: $0) }
        #expect(m.isComplete(offset: 192, count: 192))
        #expect(!m.isComplete(offset: 384, count: 4))
    }
}
