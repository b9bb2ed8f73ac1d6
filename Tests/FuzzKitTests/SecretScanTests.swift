import Testing

@testable import FuzzKit

/// The one-pass scanner the NVMe store scan uses finds exactly what searching each needle on its
/// own finds (`containsRun`, `memchr` + `memcmp`).
@Suite struct SecretScanTests {
    /// Bits of the needles `containsRun` finds in `bytes`.
    static func reference(_ needles: [[UInt8]], _ bytes: [UInt8]) -> UInt64 {
        var bits: UInt64 = 0
        for (k, needle) in needles.enumerated() where bytes.containsRun(needle) { bits |= 1 << UInt64(k) }
        return bits
    }

    static func scan(_ scanner: RunScanner, _ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { scanner.presence(in: $0) }
    }

    @Test func aNeedleIsFoundAtEveryOffsetAndCutOffAtTheEdges() {
        let needles = [FuzzHarness.plaintextMarker, NVMeFuzzTarget.keyHalves.0, NVMeFuzzTarget.keyHalves.1]
        let scanner = RunScanner(needles)
        var random = SplitMix64(seed: 3)
        for (k, needle) in needles.enumerated() {
            for at in -needle.count...(512 - needle.count + needle.count) {
                var block = (0..<512).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                // Planted whole (0 ... 480) or cut off by either edge of the block.
                for (j, byte) in needle.enumerated() where at + j >= 0 && at + j < block.count { block[at + j] = byte }
                let expected = Self.reference(needles, block)
                let whole = at >= 0 && at + needle.count <= block.count
                #expect(expected & (1 << UInt64(k)) != 0 || !whole)
                #expect(Self.scan(scanner, block) == expected, "needle \(k) at \(at)")
            }
        }
    }

    @Test func nearMissesAndMixedLengthsAgreeWithTheReference() {
        // Needles of different lengths sharing prefixes, in blocks made of their own bytes, so
        // most probes have candidates and most candidates fail late.
        let needles: [[UInt8]] = [[1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 9, 9, 9], [7, 8, 1], [2, 2, 2, 2, 2]]
        let scanner = RunScanner(needles)
        #expect(scanner.stride == 3)
        var random = SplitMix64(seed: 9)
        var seen: UInt64 = 0
        for length in [0, 1, 2, 3, 7, 64, 100, 512] {
            for _ in 0..<300 {
                var block = (0..<length).map { _ in UInt8(1 + random.next() % 9) }
                if length > 0, random.next() % 2 == 0 {
                    // A needle planted at a random place, possibly cut off by the end.
                    let needle = needles[Int(random.next() % UInt64(needles.count))]
                    let at = Int(random.next() % UInt64(length))
                    for (j, byte) in needle.enumerated() where at + j < length { block[at + j] = byte }
                }
                let expected = Self.reference(needles, block)
                seen |= expected
                #expect(Self.scan(scanner, block) == expected, "\(block)")
            }
        }
        #expect(seen == 0b1111)  // every needle was present somewhere, and absent elsewhere
    }

    @Test func zeroBytesHoldOnlyZeroNeedlesThatFit() {
        let scanner = RunScanner([[0, 0, 0, 0], [1, 2, 3, 4, 5], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 7, 0, 0]])
        for length in [0, 3, 4, 9, 10, 512, 4096, 4097, 9000] {
            let zero = [UInt8](repeating: 0, count: length)
            #expect(Self.scan(scanner, zero) == Self.reference(scanner.needles, zero), "\(length)")
            for spot in [0, length / 2, length - 1] where length > 0 {
                // One non-zero byte anywhere, past the first page too, and the scan runs.
                var one = zero
                one[spot] = 7
                #expect(RunScanner.allZero(zero, length) || length == 0)
                #expect(!RunScanner.allZero(one, length))
                #expect(Self.scan(scanner, one) == Self.reference(scanner.needles, one), "\(length) \(spot)")
            }
        }
    }

    @Test func theStoreScanNamesKeyBytesAndPrefersThePlaintextReport() throws {
        let plain = try NVMeFuzzTarget(encrypted: false)
        plain.bench.arena.host.copyBytes(from: NVMeFuzzTarget.keyHalves.1 + [0, 0, 0])
        try plain.writeArenaToBlock(9)
        #expect(plain.storeLeak()?.invariant == "no key bytes in the store")
        #expect(plain.storeLeak()?.detail == "block 9 holds half of the key")
        plain.bench.arena.host.copyBytes(from: NVMeFuzzTarget.keyHalves.0 + FuzzHarness.plaintextMarker)
        try plain.writeArenaToBlock(4)
        #expect(plain.storeLeak()?.detail == "block 4 holds the marker in clear")
    }
}
