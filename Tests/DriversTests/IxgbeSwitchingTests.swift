import Drivers
import Intel82599
import Network
import PCIe
import TestSupport
import Testing

@Suite("82599 VF traffic through the embedded switch")
struct IxgbeSwitchingTests {
    @Test("VF-to-VF unicast arrives byte-exact with DD, EOP, loopback and its length, and stays off the wire")
    func unicastThroughVEB() throws {
        let bench = try IxgbeBench(vfCount: 3)
        let frame = testFrame(from: bench.mac(0), to: bench.mac(1), length: 300, seed: 7)
        #expect(bench.vfs[0].send(frame))
        let got = bench.vfs[1].drain()
        try #require(got.count == 1)
        #expect(got[0].bytes == frame)
        #expect(got[0].descriptorDone)
        #expect(got[0].endOfPacket)
        #expect(got[0].status & AdvancedRxDescriptorStatus.loopback != 0)
        #expect(bench.vfs[2].drain().isEmpty)
        #expect(bench.vfs[0].drain().isEmpty)
        #expect(bench.pf.receiveFrames().isEmpty)
        #expect(bench.recorder.count == 0)
    }

    @Test("broadcast from a VF reaches every other VF, the PF and the wire, but not the sender")
    func broadcastReachesEveryone() throws {
        let bench = try IxgbeBench(vfCount: 4)
        let frame = testFrame(from: bench.mac(2), to: .broadcast, length: 90, seed: 11)
        #expect(bench.vfs[2].send(frame))
        for i in [0, 1, 3] { #expect(bench.vfs[i].receiveFrames() == [frame], "VF \(i)") }
        #expect(bench.vfs[2].receiveFrames().isEmpty)
        #expect(bench.pf.receiveFrames() == [frame])
        #expect(bench.recorder.frames == [frame])
    }

    @Test("a frame to an unknown unicast MAC goes to the wire only")
    func unknownUnicastGoesToWire() throws {
        let bench = try IxgbeBench(vfCount: 3)
        let frame = testFrame(from: bench.mac(0), to: MACAddress(0x00_1b_21_00_00_99), length: 64, seed: 3)
        #expect(bench.vfs[0].send(frame))
        #expect(bench.recorder.frames == [frame])
        for vf in bench.vfs { #expect(vf.drain().isEmpty) }
        #expect(bench.pf.receiveFrames().isEmpty)
    }

    @Test("frames from the wire reach the VF that owns the destination MAC only")
    func wireToVF() throws {
        let bench = try IxgbeBench(vfCount: 3)
        let frame = testFrame(from: MACAddress(0x00_1b_21_00_00_01), to: bench.mac(2), length: 200, seed: 5)
        frame.withUnsafeBytes { bench.wire.transmitToPort($0) }
        #expect(bench.vfs[2].receiveFrames() == [frame])
        #expect(bench.vfs[0].drain().isEmpty)
        #expect(bench.vfs[1].drain().isEmpty)
    }

    @Test("a frame larger than one receive buffer is split over descriptors with EOP only on the last")
    func largeFrameSplits() throws {
        let bench = try IxgbeBench(vfCount: 2) { i in
            VFDriver.Configuration(ringSize: 64, bufferSize: i == 0 ? 4096 : 1024)
        }
        let frame = testFrame(from: bench.mac(0), to: bench.mac(1), length: 3000, seed: 99)
        #expect(bench.vfs[0].send(frame))
        let pieces = bench.vfs[1].drain()
        #expect(pieces.map(\.bytes.count) == [1024, 1024, 952])
        #expect(pieces.map(\.endOfPacket) == [false, false, true])
        #expect(pieces.allSatisfy { $0.descriptorDone })
        #expect(pieces.flatMap(\.bytes) == frame)
    }

    @Test("a VF never receives another VF's unicast, whatever it sends")
    func unicastIsolation() throws {
        let bench = try IxgbeBench(vfCount: 3)
        var rng = SplitMix64(seed: 42)
        var sent: [[UInt8]] = []
        for n in 0..<50 {
            let length = 60 + Int(rng.next() % 1400)
            let frame = testFrame(from: bench.mac(0), to: bench.mac(1), length: length, seed: UInt64(n))
            #expect(bench.vfs[0].send(frame))
            sent.append(frame)
        }
        #expect(bench.vfs[1].receiveFrames() == sent)
        #expect(bench.vfs[2].drain().isEmpty)
        #expect(bench.recorder.count == 0)
    }

    @Test("per-VF statistics on both sides match the frames sent and received")
    func statisticsMatch() throws {
        let bench = try IxgbeBench(vfCount: 2)
        var rng = SplitMix64(seed: 2024)
        var bytes: UInt64 = 0
        let count = 40
        for n in 0..<count {
            let frame = testFrame(from: bench.mac(0), to: bench.mac(1), length: 60 + Int(rng.next() % 1000), seed: UInt64(n))
            bytes += UInt64(frame.count)
            #expect(bench.vfs[0].send(frame))
        }
        #expect(bench.vfs[1].receiveFrames().count == count)
        let tx = bench.vfs[0].statistics()
        let rx = bench.vfs[1].statistics()
        #expect(tx.transmittedPackets == UInt64(count))
        #expect(tx.transmittedBytes == bytes)
        #expect(rx.receivedPackets == UInt64(count))
        #expect(rx.receivedBytes == bytes)
        #expect(tx.receivedPackets == 0)
        #expect(bench.pf.vfStatistics(0) == IxgbeVFStatistics(transmittedPackets: UInt64(count), transmittedBytes: bytes))
        #expect(bench.pf.vfStatistics(1) == IxgbeVFStatistics(receivedPackets: UInt64(count), receivedBytes: bytes))
        let port = bench.pf.statistics()
        #expect(port.transmittedPackets == UInt64(count))
    }

    @Test("ring indices wrap: thousands of frames through 64-entry rings in batches")
    func ringsWrap() throws {
        let bench = try IxgbeBench(vfCount: 2)
        let sender = bench.vfs[0]
        let receiver = bench.vfs[1]
        let pool = try #require(sender.pool)
        let frame = testFrame(from: bench.mac(0), to: bench.mac(1), length: 64, seed: 1)
        var received = 0
        var out = [PacketBuffer](
            repeating: PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0), count: 32)
        for _ in 0..<200 {
            var batch: [PacketBuffer] = []
            for _ in 0..<16 {
                guard var b = pool.allocate() else { break }
                b.length = frame.count
                frame.withUnsafeBytes { b.bytes.copyMemory(from: $0) }
                batch.append(b)
            }
            let queued = batch.withUnsafeBufferPointer { sender.transmitBatch(queue: 0, $0) }
            for b in batch[queued...] { pool.free(b) }
            let n = out.withUnsafeMutableBufferPointer { receiver.receiveBatch(queue: 0, into: $0) }
            for b in out[0..<n] {
                #expect(b.length == frame.count)
                receiver.pool?.free(b)
            }
            received += n
        }
        #expect(received == 200 * 16)
        #expect(receiver.statistics().receivedPackets == UInt64(received))
        // No buffer leaked: every buffer is free, on a receive ring or in flight on the transmit ring.
        let onRings = sender.receiveQueueCount * sender.configuration.ringSize + sender.transmitInFlight(queue: 0)
        #expect(pool.available + onRings == pool.count)
        #expect(pool.badFrees == 0)
    }
}

@Suite("82599 VF queue interrupts")
struct IxgbeVFInterruptTests {
    @Test("a frame for a VF in interrupt mode raises the MSI-X vector its VTIVAR gives receive queue 0, once per doorbell")
    func receiveRaisesTheMappedVector() throws {
        let bench = try IxgbeBench(vfCount: 2) { i in VFDriver.Configuration(ringSize: 64, interrupts: i == 1) }
        let msix = try #require(bench.bus.function(at: bench.pf.vfAddresses[1])?.msix)
        // Nothing yet: the wait unmasks vector 0 (VTEIMS) and times out.
        #expect(!bench.vfs[1].waitForReceive(queue: 0, timeout: .microseconds(20)))
        let before = msix.delivered
        let frames = (0..<3).map { testFrame(from: bench.mac(0), to: bench.mac(1), length: 64, seed: UInt64($0)) }
        var buffers: [PacketBuffer] = []
        for f in frames {
            var b = try #require(bench.vfs[0].pool?.allocate())
            b.length = f.count
            f.withUnsafeBytes { b.bytes.copyMemory(from: $0) }
            buffers.append(b)
        }
        #expect(buffers.withUnsafeBufferPointer { bench.vfs[0].transmitBatch(queue: 0, $0) } == 3)
        #expect(msix.delivered[0] == before[0] + 1, "one RX interrupt for the doorbell's three frames")
        #expect(msix.delivered[1] == before[1])
        #expect(bench.vfs[1].waitForReceive(queue: 0, timeout: .microseconds(20)))
        #expect(bench.vfs[1].receiveFrames() == frames)
    }
}
