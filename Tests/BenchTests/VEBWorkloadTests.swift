import CSpeedOfLight
import Drivers
import Testing

@testable import Bench

@Suite("82599 VEB bench workloads")
struct VEBWorkloadTests {
    @Test func theVFCountsAndTheRingSizeControlsAreRegistered() {
        let names = BenchWorkload.matching("veb-").map(\.name)
        #expect(names == ["veb-64B-1vf", "veb-64B-8vf", "veb-64B-63vf", "veb-64B-1vf-ring4096", "veb-64B-63vf-ring64"])
    }

    @Test(arguments: [(3, 64), (1, 4096)])
    func everyFrameArrivesAndTheCLoopDoesTheSameWork(vfCount: Int, ringSize: Int) throws {
        let workload = BenchWorkload.vebForwarding(vfCount: vfCount, ringSize: ringSize)
        let instance = try workload.make()
        // Enough batches to wrap every ring twice.
        let batches = 2 * ringSize / BenchWorkload.vebBatch * vfCount
        #expect(instance.emulated(batches) == UInt64(batches * BenchWorkload.vebBatch))
        #expect(instance.failures() == 0)
        let frameBytes = UInt64(BenchWorkload.vebBatch * VEBFixture.frameLength)
        #expect(instance.speedOfLight(batches) == UInt64(batches) * frameBytes)
    }

    /// The C loop uses one ring pair per function in turn: sender i's frames land in ring i+1's
    /// buffers, one pool stride apart, and nowhere else.
    @Test func theCLoopFillsTheNeighboursRingAtThePoolStride() throws {
        let batch = 4
        let frame = VEBFixture.frameLength
        let reference = SwitchReference(rings: 3, entries: 8, batch: batch, frameLength: frame)
        #expect(reference.run(batch: batch, frameLength: frame) == UInt64(batch * frame))
        let stride = SwitchReference.bufferStride
        let ring1 = reference.rxBuffers.pointer + reference.bufferBytes
        let destination: [UInt8] = [0x02, 0, 0, 0, 0x10, 0x01]
        for slot in 0..<8 {
            let first = Array(UnsafeRawBufferPointer(start: ring1 + slot * stride, count: 6))
            #expect(first == (slot < batch ? destination : [0, 0, 0, 0, 0, 0]), "ring 1, slot \(slot)")
        }
        for ring in [0, 2] {
            let buffers = UnsafeRawBufferPointer(
                start: reference.rxBuffers.pointer + ring * reference.bufferBytes, count: reference.bufferBytes)
            #expect(buffers.allSatisfy { $0 == 0 }, "ring \(ring) untouched")
        }
        // The next batch is sender 1's, into ring 2.
        #expect(reference.run(batch: batch, frameLength: frame) == UInt64(batch * frame))
        let ring2 = reference.rxBuffers.pointer + 2 * reference.bufferBytes
        #expect(Array(UnsafeRawBufferPointer(start: ring2 + stride, count: 6)) == destination)
    }
}
