import ENA
import TestSupport
import Testing

/// `ENAAdminEntry.load`/`store` are inlined into the driver's module: the bytes they read and
/// write, and the bounds they keep, are checked here from outside the ENA module.
@Suite("ENA admin entry field access")
struct AdminEntryFieldTests {
    /// A 64-byte entry of random bytes, and the same bytes as an array.
    static func randomEntry(seed: UInt64) -> (ENAAdminEntry, [UInt8]) {
        var random = SplitMix64(seed: seed)
        let bytes = (0..<ENAAdminEntry.size).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        var entry = ENAAdminEntry()
        bytes.withUnsafeBytes { if let base = $0.baseAddress { entry = ENAAdminEntry(loadingFrom: base) } }
        return (entry, bytes)
    }

    /// The little-endian value of `width` bytes at `offset`, or 0 past the end.
    static func reference(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> UInt64 {
        guard offset >= 0, offset + width <= bytes.count else { return 0 }
        var value: UInt64 = 0
        for i in (0..<width).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
        return value
    }

    @Test("loads every width at every offset little-endian, and zero where it does not fit")
    func loadsEveryWidthAtEveryOffset() {
        let (entry, bytes) = Self.randomEntry(seed: 0xAD317)
        for offset in -9...72 {
            #expect(UInt64(entry.load(UInt8.self, at: offset)) == Self.reference(bytes, offset, 1), "u8 at \(offset)")
            #expect(UInt64(entry.load(UInt16.self, at: offset)) == Self.reference(bytes, offset, 2), "u16 at \(offset)")
            #expect(UInt64(entry.load(UInt32.self, at: offset)) == Self.reference(bytes, offset, 4), "u32 at \(offset)")
            #expect(entry.load(UInt64.self, at: offset) == Self.reference(bytes, offset, 8), "u64 at \(offset)")
            #expect(UInt64(bitPattern: Int64(entry.load(Int64.self, at: offset))) == Self.reference(bytes, offset, 8))
        }
    }

    @Test("stores change exactly the bytes they cover, and nothing where they do not fit")
    func storesChangeExactlyTheirBytes() {
        for width in [1, 2, 4, 8] {
            for offset in -9...72 {
                var (entry, bytes) = Self.randomEntry(seed: UInt64(width * 1000 + offset + 100))
                let value: UInt64 = 0x8877_6655_4433_2211
                switch width {
                case 1: entry.store(UInt8(truncatingIfNeeded: value), at: offset)
                case 2: entry.store(UInt16(truncatingIfNeeded: value), at: offset)
                case 4: entry.store(UInt32(truncatingIfNeeded: value), at: offset)
                default: entry.store(value, at: offset)
                }
                if offset >= 0, offset + width <= bytes.count {
                    for i in 0..<width { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
                }
                var stored = [UInt8](repeating: 0, count: ENAAdminEntry.size)
                stored.withUnsafeMutableBytes { if let base = $0.baseAddress { entry.store(to: base) } }
                #expect(stored == bytes, "\(width) bytes at \(offset)")
            }
        }
    }
}
