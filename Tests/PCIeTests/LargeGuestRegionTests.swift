import Testing

@testable import PCIe

/// Guest regions of 2 MiB or more are anonymous mappings the kernel zeroes as they are touched
/// (``AnonymousMapping``), not `malloc` plus `memset`.
@Suite struct LargeGuestRegionTests {
    @Test("a large region is 2 MiB aligned and reads zero everywhere, also where an earlier region was written")
    func zeroAndAligned() {
        let size = 2 * AnonymousMapping.hugePageSize + 12_345
        for round in 0..<3 {
            let region = GuestMemoryRegion(base: GuestPhysicalAddress(0x1_0000_0000), allocating: size)
            #expect(UInt(bitPattern: region.host) % UInt(AnonymousMapping.hugePageSize) == 0)
            #expect(region.size == UInt64(size))
            // Every 4 KiB page, the last byte included, reads zero.
            var nonZero = 0
            for offset in stride(from: 0, to: size, by: 4096) where region.host.load(fromByteOffset: offset, as: UInt8.self) != 0
            {
                nonZero += 1
            }
            if region.host.load(fromByteOffset: size - 1, as: UInt8.self) != 0 { nonZero += 1 }
            #expect(nonZero == 0, "round \(round): \(nonZero) pages not zero")
            // Dirty it all before it goes, so a reused address would show.
            region.host.initializeMemory(as: UInt8.self, repeating: 0xA5, count: size)
        }
    }

    @Test("a mapping that asks for no huge pages is zero and needs no alignment; a zero-byte request is refused")
    func plainMapping() throws {
        #expect(AnonymousMapping.map(byteCount: 0, hugePages: true) == nil)
        let p = try #require(AnonymousMapping.map(byteCount: 3 * 4096, hugePages: false))
        defer { AnonymousMapping.unmap(p, byteCount: 3 * 4096) }
        #expect(UInt(bitPattern: p) % 4096 == 0)
        #expect((0..<3 * 4096).allSatisfy { p.load(fromByteOffset: $0, as: UInt8.self) == 0 })
    }
}
