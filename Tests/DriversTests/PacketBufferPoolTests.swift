import Drivers
import PCIe
import Testing

@Suite("Packet buffer pool: batch allocation and release")
struct PacketBufferPoolTests {
    private static let blank = PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0)

    private func makePool(count: Int) throws -> (IxgbeBench, PacketBufferPool) {
        let bench = try IxgbeBench(vfCount: 1, startVFs: false)
        return (bench, try PacketBufferPool(access: bench.bus.access(bench.pfAddress), count: count))
    }

    @Test("a batch allocation hands out what single allocations would, in the same order")
    func batchAllocationMatchesSingle() throws {
        let (_, batched) = try makePool(count: 8)
        let (_, single) = try makePool(count: 8)
        var out = [PacketBuffer](repeating: Self.blank, count: 5)
        let n = out.withUnsafeMutableBufferPointer { batched.allocate(into: $0) }
        #expect(n == 5)
        #expect(batched.available == 3)
        for b in out {
            let s = try #require(single.allocate())
            #expect(b.index == s.index)
            #expect(b.deviceAddress &- batched.id == s.deviceAddress &- single.id)
            #expect(b.deviceAddress == batched.id + UInt64(Int(b.index) * batched.stride))
            #expect(b.hostAddress == UInt(bitPattern: batched.memory.host.baseAddress) + UInt(Int(b.index) * batched.stride))
            #expect(b.length == 0)
        }
        // Only what is left: three, then none.
        var more = [PacketBuffer](repeating: Self.blank, count: 5)
        #expect(more.withUnsafeMutableBufferPointer { batched.allocate(into: $0) } == 3)
        #expect(more.withUnsafeMutableBufferPointer { batched.allocate(into: $0) } == 0)
        #expect(batched.available == 0)
    }

    @Test("a batch release takes back its own buffers and counts foreign, repeated and unknown ones")
    func batchReleaseCountsBadFrees() throws {
        let (_, pool) = try makePool(count: 8)
        let (_, other) = try makePool(count: 8)
        var out = [PacketBuffer](repeating: Self.blank, count: 4)
        #expect(out.withUnsafeMutableBufferPointer { pool.allocate(into: $0) } == 4)
        let foreign = try #require(other.allocate())
        let outOfRange = PacketBuffer(index: 99, poolID: pool.id, deviceAddress: 0, hostAddress: 0, length: 0)
        let negative = PacketBuffer(index: -1, poolID: pool.id, deviceAddress: 0, hostAddress: 0, length: 0)
        // out[0] twice: the second is a double free.
        let lowest = PacketBuffer(index: Int32.min, poolID: pool.id, deviceAddress: 0, hostAddress: 0, length: 0)
        let released = [out[0], out[1], foreign, out[0], outOfRange, negative, lowest, out[2]]
        released.withUnsafeBufferPointer { pool.free($0) }
        #expect(pool.available == 4 + 3)
        #expect(pool.badFrees == 5)
        #expect(other.badFrees == 0)
        // LIFO: the last buffer given back is the next handed out.
        #expect(pool.allocate()?.index == out[2].index)
        #expect(pool.allocate()?.index == out[1].index)
        #expect(pool.allocate()?.index == out[0].index)
        // out[3] was never freed; freeing it now works once.
        [out[3]].withUnsafeBufferPointer { pool.free($0) }
        [out[3]].withUnsafeBufferPointer { pool.free($0) }
        #expect(pool.badFrees == 6)
        #expect(pool.available == 4 + 1)
    }

    @Test("a batch release of every buffer refills the pool exactly")
    func batchReleaseOfEverything() throws {
        let (_, pool) = try makePool(count: 16)
        var out = [PacketBuffer](repeating: Self.blank, count: 16)
        #expect(out.withUnsafeMutableBufferPointer { pool.allocate(into: $0) } == 16)
        out.withUnsafeBufferPointer { pool.free($0) }
        #expect(pool.available == 16)
        #expect(pool.badFrees == 0)
        var again = [PacketBuffer](repeating: Self.blank, count: 16)
        #expect(again.withUnsafeMutableBufferPointer { pool.allocate(into: $0) } == 16)
        #expect(Set(again.map(\.index)) == Set(0..<16))
    }
}
