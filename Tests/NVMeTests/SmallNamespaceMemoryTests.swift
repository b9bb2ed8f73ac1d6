import PCIe
import Testing

@testable import NVMe

/// A small namespace keeps its allocation map on the heap and takes its store from the recycled
/// mappings; both must behave exactly as the mapped ones do.
@Suite("Small namespace memory")
struct SmallNamespaceMemoryTests {
    /// The same operations on a map on the heap and on a mapped one, compared block by block.
    @Test("an allocation map on the heap and a mapped one agree, across resets over the limit")
    func heapMapAgreesWithMappedMap() throws {
        let small = UInt64(AllocationMap.heapWordLimit * 64)
        let large = small + 64 * 3
        let heap = try AllocationMap(blockCount: small)
        let mapped = try AllocationMap(blockCount: large)
        #expect(AllocationMap.onHeap(AllocationMap.heapWordLimit))
        #expect(!AllocationMap.onHeap(AllocationMap.heapWordLimit + 1))
        var state: UInt64 = 77
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for round in 0..<4 {
            for _ in 0..<500 {
                let lba = next() % (small - 200)
                let count = next() % 200
                switch next() % 3 {
                case 0:
                    heap.markAllocated(lba)
                    mapped.markAllocated(lba)
                case 1:
                    heap.markAllocated(lba, count: count)
                    mapped.markAllocated(lba, count: count)
                default:
                    heap.deallocate(lba, count: count)
                    mapped.deallocate(lba, count: count)
                }
            }
            #expect(heap.allocatedCount == mapped.allocatedCount)
            #expect(heap.allocatedCount > 0)
            #expect((0..<small).allSatisfy { heap.isAllocated($0) == mapped.isAllocated($0) }, "round \(round)")
            if round == 1 {
                heap.deallocateAll()
                mapped.deallocateAll()
                #expect(heap.allocatedCount == 0)
                #expect(!(0..<small).contains { heap.isAllocated($0) })
            }
        }
        // A format moves a map over the limit and back; each starts empty.
        try heap.reset(blockCount: large)
        #expect(heap.allocatedCount == 0 && !(0..<large).contains { heap.isAllocated($0) })
        heap.markAllocated(large - 1)
        try heap.reset(blockCount: 64)
        #expect(heap.allocatedCount == 0 && !(0..<64).contains { heap.isAllocated($0) })
    }

    @Test(
        "a store of a recycled size is zero with no populated page, after an earlier one was written all over",
        .enabled(if: ZeroFillMemory.recycles))
    func recycledStoreStartsZero() throws {
        let size: UInt64 = 256 << 10
        for _ in 0..<3 {
            let earlier = try BlockStore(memoryOf: size)
            let base = try #require(earlier.memory)
            base.initializeMemory(as: UInt8.self, repeating: 0xA5, count: Int(size))
        }
        let store = try BlockStore(memoryOf: size)
        let base = try #require(store.memory)
        #expect(store.rangesThatMayHoldData() == [])
        #expect((0..<Int(size)).allSatisfy { base.load(fromByteOffset: $0, as: UInt8.self) == 0 })
        base.storeBytes(of: 1, toByteOffset: 4096, as: UInt8.self)
        store.discard(offset: 0, count: size)
        #expect((0..<Int(size)).allSatisfy { base.load(fromByteOffset: $0, as: UInt8.self) == 0 })
    }
}
