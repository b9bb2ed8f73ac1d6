import Testing

@testable import FuzzKit
@testable import PCIe

/// Guest memory of medium size is recycled within the process (``ZeroFillMemory``): a fixture's
/// packet pools and the ENA's LLQ aperture reuse the mappings an earlier fixture released. These
/// tests show that nothing an earlier input wrote reaches a later fixture.
@Suite struct RecycledMemoryTests {
    /// Every byte of a block, checked.
    static func allZero(_ p: UnsafeMutableRawPointer, _ count: Int) -> Bool {
        UnsafeRawBufferPointer(start: p, count: count).allSatisfy { $0 == 0 }
    }

    /// Only where blocks are recycled (Linux without ASan); elsewhere regions zero their memory.
    @Test(.enabled(if: ZeroFillMemory.recycles))
    func aReleasedBlockComesBackZeroWhateverItsOwnerWrote() throws {
        // A size no fixture uses, so the block this test releases is the one it gets back.
        let size = 1_900 * 1024 + 100
        let first = try #require(ZeroFillMemory.allocate(byteCount: size))
        #expect(Self.allZero(first, size))
        first.initializeMemory(as: UInt8.self, repeating: 0xA5, count: size)
        ZeroFillMemory.release(first, byteCount: size)
        let second = try #require(ZeroFillMemory.allocate(byteCount: size))
        #expect(second == first, "the mapping is reused, so this test exercises recycling")
        #expect(Self.allZero(second, size))
        ZeroFillMemory.release(second, byteCount: size)
    }

    /// Other threads' releases can fill the pool; the block released last is still kept (others
    /// are unmapped to make room), so a size in use keeps being served from the pool.
    @Test(.enabled(if: ZeroFillMemory.recycles))
    func theBlockReleasedLastIsKeptWhenThePoolIsFull() throws {
        let filler = 1_800 * 1024
        let blocks = (0..<(ZeroFillMemory.retainedLimit / filler + 2)).compactMap { _ in
            ZeroFillMemory.allocate(byteCount: filler)
        }
        for p in blocks { ZeroFillMemory.release(p, byteCount: filler) }
        #expect(ZeroFillMemory.retainedBytes <= ZeroFillMemory.retainedLimit)
        let size = 1_700 * 1024 + 100
        let first = try #require(ZeroFillMemory.allocate(byteCount: size))
        first.initializeMemory(as: UInt8.self, repeating: 0x3C, count: size)
        ZeroFillMemory.release(first, byteCount: size)
        #expect(ZeroFillMemory.retains(first), "kept although the pool was full")
        #expect(ZeroFillMemory.retainedBytes <= ZeroFillMemory.retainedLimit)
        let second = try #require(ZeroFillMemory.allocate(byteCount: size))
        #expect(second == first)
        #expect(Self.allZero(second, size))
        ZeroFillMemory.release(second, byteCount: size)
    }

    @Test func sizesOutsideTheRecycledRangeAreLeftToTheCaller() {
        #expect(ZeroFillMemory.allocate(byteCount: ZeroFillMemory.recycledSizes.lowerBound - 4096) == nil)
        #expect(ZeroFillMemory.allocate(byteCount: ZeroFillMemory.recycledSizes.upperBound) == nil)
    }

    @Test func aGuestRegionOfRecycledSizeStartsZeroAfterAnEarlierOneWasScribbledOver() {
        let size = 300 * 1024
        do {
            let dirty = GuestMemoryRegion(base: GuestPhysicalAddress(0x1000_0000), allocating: size)
            dirty.host.initializeMemory(as: UInt8.self, repeating: 0x5A, count: size)
        }
        let clean = GuestMemoryRegion(base: GuestPhysicalAddress(0x1000_0000), allocating: size)
        #expect(Self.allZero(clean.host, size))
    }

    /// A target whose final check writes 0xA5 over every byte of every guest memory region of
    /// its fixture (rings, packet pools, arena, canaries) and reports a broken invariant: the
    /// worst an input can leave behind in memory that is recycled.
    final class Scribbler<Inner: FuzzTarget>: FuzzTarget {
        static var name: String { "scribbler" }
        static var summary: String { "test double" }
        let inner: Inner
        var harness: FuzzHarness? { inner.harness }
        var surface: FuzzSurface { inner.surface }
        init() throws { inner = try Inner() }
        func apply(_ op: FuzzOperation) { inner.apply(op) }
        func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? {
            inner.violatedInvariant(after: op)
        }
        func finalCheck() -> (invariant: String, detail: String)? {
            _ = inner.finalCheck()
            for region in inner.harness?.bus.services.memory.regions ?? [] where region.remote == nil {
                region.host.initializeMemory(as: UInt8.self, repeating: 0xA5, count: Int(region.size))
            }
            return ("scribbled", "every guest byte overwritten")
        }
    }

    /// Input B alone, then inputs A (generated ones with resets, rings, doorbells, time and VF
    /// enables; one that breaks an invariant after scribbling over all guest memory), then B
    /// again: the same outcome and the same state, guest memory byte for byte included.
    static func sameAfterOthers<T: FuzzTarget>(_: T.Type) throws -> Bool {
        let surface = try T().surface
        var probes = FuzzGenerator(seed: 41, surface: surface)
        let b = probes.program(maximumLength: 32)
        let alone = try T()
        let outcomeAlone = FuzzRunner.run(alone, b, canaries: .everyOperation)
        let seenAlone = FuzzRunnerTests.observe(alone)
        var others = FuzzGenerator(seed: 43, surface: surface)
        let scribbled = FuzzRunner.run(Scribbler<T>.self, others.program(maximumLength: 24))
        guard scribbled.violation?.invariant == "scribbled" else { return false }
        for _ in 0..<4 { _ = FuzzRunner.run(T.self, others.program(maximumLength: 48)) }
        let resets = FuzzProgram([
            .setVirtualFunctions(count: 2), .reset(.device), .reinitialize, .setVirtualFunctions(count: 0),
        ])
        _ = FuzzRunner.run(Scribbler<T>.self, resets)
        let after = try T()
        let outcomeAfter = FuzzRunner.run(after, b, canaries: .everyOperation)
        return outcomeAlone.operations == outcomeAfter.operations && outcomeAlone.violation == outcomeAfter.violation
            && seenAlone == FuzzRunnerTests.observe(after)
    }

    @Test func anENAInputSeesNothingOfEarlierInputs() throws { #expect(try Self.sameAfterOthers(ENAFuzzTarget.self)) }
    @Test func anENADriverInputSeesNothingOfEarlierInputs() throws {
        #expect(try Self.sameAfterOthers(ENADriverFuzzTarget.self))
    }
    @Test func an82599PFInputSeesNothingOfEarlierInputs() throws {
        #expect(try Self.sameAfterOthers(Intel82599PFFuzzTarget.self))
    }
    @Test func an82599VFInputSeesNothingOfEarlierInputs() throws {
        #expect(try Self.sameAfterOthers(Intel82599VFFuzzTarget.self))
    }
    @Test func anIxgbeVFDriverInputSeesNothingOfEarlierInputs() throws {
        #expect(try Self.sameAfterOthers(IxgbeVFDriverFuzzTarget.self))
    }
    @Test func anNVMeInputSeesNothingOfEarlierInputs() throws { #expect(try Self.sameAfterOthers(NVMeFuzzTarget.self)) }
}
