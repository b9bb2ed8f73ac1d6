import TestSupport
import Testing

@testable import ENA

/// `LowLatencyMemory.clear()` zeroes only what was stored since the last clear; afterwards the
/// BAR must be indistinguishable from a fresh one (every byte zero, no dword written).
@Suite("LLQ memory clear")
struct LowLatencyMemoryClearTests {
    static let size = 64 * 1024

    /// Every byte reads zero and no dword counts as written, as in a fresh memory.
    func expectFresh(_ memory: LowLatencyMemory, _ round: Int) {
        var nonZero = 0
        for offset in 0..<Self.size where memory.bytes.load(fromByteOffset: offset, as: UInt8.self) != 0 {
            nonZero += 1
        }
        #expect(nonZero == 0, "round \(round): \(nonZero) bytes survived the clear")
        var written = 0
        for offset in stride(from: 0, to: Self.size, by: 4) where memory.isComplete(offset: offset, count: 4) {
            written += 1
        }
        #expect(written == 0, "round \(round): \(written) dwords still count as written")
    }

    @Test("after random narrow, wide and burst writes anywhere (edges included), clear leaves a fresh BAR")
    func clearLeavesAFreshBAR() {
        let memory = LowLatencyMemory(size: Self.size)
        var random = SplitMix64(seed: 0x11C)
        for round in 0..<40 {
            for _ in 0..<Int(random.next() % 20) {
                let kind = random.next() % 5
                let widths = [1, 2, 4, 8]
                if kind < 4 {
                    let width = widths[Int(kind)]
                    let offset = round % 3 == 0 ? Self.size - width : Int(random.next() % UInt64(Self.size))
                    memory.write(offset: offset, width: width, value: random.next() | 1)
                } else {
                    let count = 1 + Int(random.next() % 300)
                    let offset = round % 4 == 1 ? 0 : Int(random.next() % UInt64(Self.size))
                    let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 | 1) }
                    bytes.withUnsafeBytes { memory.write(offset: offset, bytes: $0) }
                }
            }
            if round % 5 == 2 { memory.clear(from: 128, count: 256) }
            memory.clear()
            expectFresh(memory, round)
        }
    }

    @Test("the clear still zeroes a write at the first and at the last byte of the BAR")
    func clearReachesBothEnds() {
        let memory = LowLatencyMemory(size: Self.size)
        memory.write(offset: 0, width: 8, value: UInt64.max)
        memory.write(offset: Self.size - 8, width: 8, value: UInt64.max)
        #expect(memory.isComplete(offset: 0, count: 8))
        #expect(memory.isComplete(offset: Self.size - 8, count: 8))
        memory.clear()
        expectFresh(memory, 0)
        memory.clear()
        expectFresh(memory, 1)
    }
}
