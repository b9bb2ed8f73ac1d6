import Network
import TestSupport
import Testing

@testable import ENA

@Suite("RSS lookup table")
struct RSSTableTests {
    @Test("every entry is the Toeplitz hash of its byte alone at its position, for the default and random keys")
    func entriesAreSingleByteHashes() throws {
        var random = SplitMix64(seed: 0x7AB1E)
        var keys: [ToeplitzKey] = [.microsoftVerification]
        for _ in 0..<2 {
            keys.append(
                try #require(
                    ToeplitzKey(bytes: (0..<ToeplitzKey.length).map { _ in UInt8(truncatingIfNeeded: random.next()) })))
        }
        for key in keys {
            let hasher = ToeplitzHasher(key: key)
            let table = RSSTable(hasher)
            var input = [UInt8](repeating: 0, count: RSSTable.positions)
            var mismatches = 0
            for position in 0..<RSSTable.positions {
                for byte in 0..<256 {
                    input[position] = UInt8(byte)
                    let expected = input.withUnsafeBytes { hasher.hash($0) }
                    if table.entries[position << 8 | byte] != expected { mismatches += 1 }
                }
                input[position] = 0
            }
            #expect(mismatches == 0)
        }
    }
}
