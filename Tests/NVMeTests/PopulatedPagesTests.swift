import Testing

@testable import NVMe

#if canImport(Glibc)
    import Glibc
#endif

/// The page map tells which pages of a memory store may hold data; every other byte is zero.
@Suite("Populated pages of a memory store")
struct PopulatedPagesTests {
    /// Bytes of `store` outside `ranges` that are not zero.
    static func nonZeroOutside(_ ranges: [Range<UInt64>], _ store: BlockStore, _ base: UnsafeMutableRawPointer) -> Int {
        var count = 0
        var at: UInt64 = 0
        for r in ranges + [store.byteCount..<store.byteCount] {
            while at < r.lowerBound {
                if base.load(fromByteOffset: Int(at), as: UInt8.self) != 0 { count += 1 }
                at += 1
            }
            at = max(at, r.upperBound)
        }
        return count
    }

    @Test("the pages written through any pointer are listed, discarded ones are not, the rest read zero")
    func writtenPagesAreListed() throws {
        #if os(Linux)
            let store = try BlockStore(memoryOf: 1 << 20)
            let base = try #require(store.memory)
            #expect(store.rangesThatMayHoldData() == [])
            base.storeBytes(of: 0x5A, toByteOffset: 5000, as: UInt8.self)
            base.storeBytes(of: 0x5A, toByteOffset: 2 * 4096 + 9, as: UInt8.self)
            base.storeBytes(of: 0x5A, toByteOffset: 3 * 4096, as: UInt8.self)
            base.storeBytes(of: 0x5A, toByteOffset: (1 << 20) - 1, as: UInt8.self)
            #expect(store.rangesThatMayHoldData() == [4096..<16384, (1 << 20) - 4096..<(1 << 20)])
            store.discard(offset: 8192, count: 4096)
            #expect(store.rangesThatMayHoldData() == [4096..<8192, 12288..<16384, (1 << 20) - 4096..<(1 << 20)])
            #expect(Self.nonZeroOutside(store.rangesThatMayHoldData(), store, base) == 0)
        #endif
    }

    @Test("random writes over a huge-page store: every non-zero byte lies in a listed range")
    func randomWritesStayInsideTheRanges() throws {
        for size in [UInt64(256 << 10), UInt64(4 << 20)] {
            let store = try BlockStore(memoryOf: size)
            let base = try #require(store.memory)
            var state: UInt64 = 0x1234_5678
            for _ in 0..<40 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let at = Int((state >> 20) % size)
                base.storeBytes(of: UInt8(truncatingIfNeeded: state | 1), toByteOffset: at, as: UInt8.self)
            }
            let ranges = store.rangesThatMayHoldData()
            #expect(Self.nonZeroOutside(ranges, store, base) == 0)
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound < $1.lowerBound })
        }
    }

    @Test("a namespace lists the blocks on listed pages, by its block size")
    func namespaceBlocks() throws {
        #if os(Linux)
            let configuration = NVMeControllerConfiguration(
                kind: .ebs(volumeID: "vol-0123456789abcdef0", blockDeviceName: "/dev/sdf"), capacityBytes: 256 << 10,
                blockSize: 512)
            let namespace = try Namespace(configuration: configuration)
            let base = try #require(namespace.store.memory)
            #expect(namespace.blocksThatMayHoldData() == [])
            base.storeBytes(of: 1, toByteOffset: 4096 + 700, as: UInt8.self)
            base.storeBytes(of: 1, toByteOffset: (256 << 10) - 1, as: UInt8.self)
            #expect(namespace.blocksThatMayHoldData() == [8..<16, 504..<512])
        #endif
    }
}
