import CSpeedOfLight
import Testing

@Suite("Speed-of-light C loops")
struct SpeedOfLightTests {
    /// Runs post, copy and reclaim over `count` descriptors from `head` in a ring of `entries`.
    private func cycle(entries: UInt32, head: UInt32, count: UInt32, length: UInt32) -> (
        ring: [UInt8], source: [UInt8], destination: [UInt8], next: UInt32, copied: UInt64, done: UInt32
    ) {
        let bytes = Int(count * length)
        var ring = [UInt8](repeating: 0xee, count: Int(entries) * Int(SOL_DESCRIPTOR_SIZE))
        let source = (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        var destination = [UInt8](repeating: 0, count: bytes)
        var next: UInt32 = 0
        var copied: UInt64 = 0
        var done: UInt32 = 0
        ring.withUnsafeMutableBytes { r in
            source.withUnsafeBytes { s in
                destination.withUnsafeMutableBytes { d in
                    next = sol_ring_post(r.baseAddress, entries, head, count, s.baseAddress, d.baseAddress, length)
                    copied = sol_ring_copy(r.baseAddress, entries, head, count)
                    done = sol_ring_reclaim(r.baseAddress, entries, head, count)
                }
            }
        }
        return (ring, source, destination, next, copied, done)
    }

    private func word32(_ ring: [UInt8], _ offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(ring[offset + $1]) << (8 * UInt32($1)) }
    }

    @Test func ringCopyMovesEveryPayloadAndWritesStatusDone() {
        let r = cycle(entries: 8, head: 0, count: 4, length: 64)
        #expect(r.destination == r.source)
        #expect(r.copied == 4 * 64)
        #expect(r.done == 4)
        #expect(r.next == 4)
        for i in 0..<4 {
            let d = i * Int(SOL_DESCRIPTOR_SIZE)
            #expect(word32(r.ring, d + 0x10) == 64, "length of descriptor \(i)")
            #expect(word32(r.ring, d + 0x18) == SOL_STATUS_DONE, "status of descriptor \(i)")
        }
        // Descriptors past the batch are untouched.
        let rest = r.ring.dropFirst(4 * Int(SOL_DESCRIPTOR_SIZE))
        #expect(rest.allSatisfy { $0 == 0xee })
    }

    @Test func ringWrapsAtItsSize() {
        let r = cycle(entries: 4, head: 3, count: 3, length: 16)
        #expect(r.destination == r.source)
        #expect(r.next == 2)
        #expect(r.done == 3)
        for slot in [3, 0, 1] { #expect(word32(r.ring, slot * Int(SOL_DESCRIPTOR_SIZE) + 0x18) == SOL_STATUS_DONE) }
        #expect(word32(r.ring, 2 * Int(SOL_DESCRIPTOR_SIZE) + 0x18) == 0xeeee_eeee)
    }

    @Test func reclaimCountsOnlyDoneDescriptors() {
        var ring = [UInt8](repeating: 0, count: 4 * Int(SOL_DESCRIPTOR_SIZE))
        ring[1 * Int(SOL_DESCRIPTOR_SIZE) + 0x18] = 1
        let done = ring.withUnsafeBytes { sol_ring_reclaim($0.baseAddress, 4, 0, 4) }
        #expect(done == 1)
    }

    @Test func registerRoundTripStoresAndLoadsTheWord() {
        var registers = [UInt32](repeating: 0xffff_ffff, count: 16)
        let sum = registers.withUnsafeMutableBufferPointer { sol_register_roundtrip($0.baseAddress, 11, 100) }
        #expect(sum == (0..<100).reduce(0, +))
        #expect(registers[11] == 99)
        #expect(registers[10] == 0xffff_ffff)
        let reads = registers.withUnsafeBufferPointer { sol_register_read($0.baseAddress, 11, 10) }
        #expect(reads == 990)
    }

    @Test func heapProbeIsAvailableOnGlibc() {
        #if canImport(Glibc)
            #expect(sol_heap_bytes_in_use() > 0)
        #endif
    }
}
