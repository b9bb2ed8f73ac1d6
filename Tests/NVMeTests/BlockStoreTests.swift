import Testing

@testable import NVMe

@Suite("Memory block store placement")
struct BlockStoreTests {
    @Test("stores from 2 MiB to 1 GiB sit on a 2 MiB boundary (huge pages); others do not ask for them")
    func hugePagePlacement() throws {
        #expect(!BlockStore.wantsHugePages(1 << 20))
        #expect(BlockStore.wantsHugePages(2 << 20))
        #expect(BlockStore.wantsHugePages(1 << 30))
        #expect(!BlockStore.wantsHugePages((1 << 30) + 4096))
        let store = try BlockStore(memoryOf: 64 << 20)
        let base = try #require(store.memory)
        #expect(UInt(bitPattern: base) % UInt(BlockStore.hugePageSize) == 0)
    }

    @Test("a huge-page store is zero, keeps what is written at both ends, and reads zero after a discard")
    func hugePageStoreContents() throws {
        let size: UInt64 = 6 << 20
        let store = try BlockStore(memoryOf: size)
        let base = try #require(store.memory)
        let last = Int(size) - 8
        #expect(base.load(fromByteOffset: 0, as: UInt64.self) == 0)
        #expect(base.load(fromByteOffset: last, as: UInt64.self) == 0)
        base.storeBytes(of: 0x0123_4567_89ab_cdef, toByteOffset: 0, as: UInt64.self)
        base.storeBytes(of: 0xfeed_face_cafe_beef, toByteOffset: last, as: UInt64.self)
        base.storeBytes(of: 0x1111, toByteOffset: 3 << 20, as: UInt64.self)
        #expect(base.load(fromByteOffset: 0, as: UInt64.self) == 0x0123_4567_89ab_cdef)
        #expect(base.load(fromByteOffset: last, as: UInt64.self) == 0xfeed_face_cafe_beef)
        // Part of a huge page: the kernel splits it and the discarded pages read zero.
        store.discard(offset: 3 << 20, count: 4096)
        #expect(base.load(fromByteOffset: 3 << 20, as: UInt64.self) == 0)
        #expect(base.load(fromByteOffset: 0, as: UInt64.self) == 0x0123_4567_89ab_cdef)
    }
}
