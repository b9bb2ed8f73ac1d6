import Drivers
import Intel82599
import Network
import PCIe
import Testing

@Suite("82599 VFs misbehaving and resetting")
struct IxgbeRobustnessTests {
    typealias V = Intel82599VFRegisters
    let bar = BARIndex(clamping: 0)

    @Test("VF FLR mid-traffic: the PF sees the reset, that VF must renegotiate, the others keep working")
    func flrInTheMiddleOfTraffic() throws {
        let bench = try IxgbeBench(vfCount: 3)
        for n in 0..<5 {
            #expect(bench.vfs[0].send(testFrame(from: bench.mac(0), to: bench.mac(2), seed: UInt64(n))))
            #expect(bench.vfs[1].send(testFrame(from: bench.mac(1), to: bench.mac(2), seed: UInt64(100 + n))))
        }
        #expect(bench.vfs[2].receiveFrames().count == 10)
        let resets = try #require(bench.pf.vfState(1)).counters.resets

        #expect(bench.bus.access(bench.pf.vfAddresses[1]).functionLevelReset())
        let state = try #require(bench.pf.vfState(1))
        #expect(state.counters.resets == resets + 1)
        #expect(!state.clearToSend)
        #expect(state.api == .version10)
        #expect(throws: IxgbeDriverError.notClearToSend(.getLinkState)) { try bench.vfs[1].getLinkState() }
        #expect(!bench.vfs[1].clearToSend)
        _ = bench.vfs[1].send(testFrame(from: bench.mac(1), to: bench.mac(2), seed: 200))
        let fromVF0 = testFrame(from: bench.mac(0), to: bench.mac(2), seed: 201)
        #expect(bench.vfs[0].send(fromVF0))
        #expect(bench.vfs[2].receiveFrames() == [fromVF0])
        let toVF0 = testFrame(from: bench.mac(2), to: bench.mac(0), seed: 202)
        #expect(bench.vfs[2].send(toVF0))
        #expect(bench.vfs[0].receiveFrames() == [toVF0])
        #expect(bench.pf.vfState(0)?.clearToSend == true)

        try bench.vfs[1].start()
        #expect(bench.vfs[1].api == .version14)
        #expect(bench.pf.vfState(1)?.clearToSend == true)
        let again = testFrame(from: bench.mac(1), to: bench.mac(2), seed: 203)
        #expect(bench.vfs[1].send(again))
        #expect(bench.vfs[2].receiveFrames() == [again])
    }

    @Test("a ring length that is not a multiple of 128 bytes is refused: enable stays clear, guest error recorded")
    func badRingLengthRefused() throws {
        let bench = try IxgbeBench(vfCount: 2)
        let vf = bench.bus.access(bench.pf.vfAddresses[0])
        let ring = try vf.allocateDMA(4096)
        let rxBefore = try bench.counters.badRingLengths
        vf.write32(bar, UInt64(V.VFRXDCTL.offset(1)), 0)
        vf.write32(bar, UInt64(V.VFRDBAL.offset(1)), UInt32(truncatingIfNeeded: ring.deviceAddress.value))
        vf.write32(bar, UInt64(V.VFRDBAH.offset(1)), UInt32(truncatingIfNeeded: ring.deviceAddress.value >> 32))
        vf.write32(bar, UInt64(V.VFRDLEN.offset(1)), 100)
        vf.write32(bar, UInt64(V.VFRXDCTL.offset(1)), UInt32(truncatingIfNeeded: V.VFRXDCTL.enable.mask))
        #expect(!V.VFRXDCTL.enable.isSet(in: vf.read32(bar, UInt64(V.VFRXDCTL.offset(1)))))
        vf.write32(bar, UInt64(V.VFTXDCTL.offset(1)), 0)
        vf.write32(bar, UInt64(V.VFTDLEN.offset(1)), 144)
        vf.write32(bar, UInt64(V.VFTXDCTL.offset(1)), UInt32(truncatingIfNeeded: V.VFTXDCTL.enable.mask))
        #expect(!V.VFTXDCTL.enable.isSet(in: vf.read32(bar, UInt64(V.VFTXDCTL.offset(1)))))
        #expect(try bench.counters.badRingLengths == rxBefore + 2)
        #expect(bench.guestErrors.contains { $0.contains("ring length 100") })
        #expect(bench.guestErrors.contains { $0.contains("ring length 144") })
        // Queue 0 is untouched.
        let frame = testFrame(from: bench.mac(1), to: bench.mac(0), seed: 1)
        #expect(bench.vfs[1].send(frame))
        #expect(bench.vfs[0].receiveFrames() == [frame])
        // The driver never asks for such a ring.
        #expect(throws: IxgbeDriverError.self) {
            try VFDriver(access: bench.bus.access(bench.pf.vfAddresses[1]), configuration: .init(ringSize: 100))
        }
    }

    @Test(
        "bad TX descriptors (zero length, buffer outside the VF's IOMMU domain) are dropped and counted; the queue keeps working")
    func badTransmitDescriptors() throws {
        let bench = try IxgbeBench(vfCount: 2)
        let sender = bench.vfs[0]
        let pool = try #require(sender.pool)
        let foreign = try #require(bench.vfs[1].pool)
        let before = try bench.counters
        let faultsBefore = bench.bus.services.faults.faults(of: bench.pf.vfAddresses[0]).count

        var empty = try #require(pool.allocate())
        empty.length = 0
        var elsewhere = try #require(pool.allocate())
        elsewhere.length = 64
        testFrame(from: bench.mac(0), to: bench.mac(1), length: 64).withUnsafeBytes { elsewhere.bytes.copyMemory(from: $0) }
        elsewhere.deviceAddress = foreign.id
        var good = try #require(pool.allocate())
        let frame = testFrame(from: bench.mac(0), to: bench.mac(1), length: 64, seed: 9)
        good.length = frame.count
        frame.withUnsafeBytes { good.bytes.copyMemory(from: $0) }
        let queued = [empty, elsewhere, good].withUnsafeBufferPointer { sender.transmitBatch(queue: 0, $0) }
        #expect(queued == 3)

        #expect(bench.vfs[1].receiveFrames() == [frame])
        let after = try bench.counters
        #expect(after.txMalformedDescriptors == before.txMalformedDescriptors + 2)
        #expect(after.txBufferFaults == before.txBufferFaults + 1)
        let faults = bench.bus.services.faults.faults(of: bench.pf.vfAddresses[0])
        #expect(faults.count == faultsBefore + 1)
        #expect(faults.last.map { $0.address == IOVA(foreign.id) } == true)
        #expect(bench.guestErrors.contains { $0.contains("zero-length") })
        #expect(sender.reclaimTransmitted(queue: 0) == 3)
        #expect(sender.transmitInFlight(queue: 0) == 0)
        let next = testFrame(from: bench.mac(0), to: bench.mac(1), length: 80, seed: 10)
        #expect(sender.send(next))
        #expect(bench.vfs[1].receiveFrames() == [next])
    }

    @Test("an RX tail beyond the ring is ignored with a guest error; the queue keeps its old tail")
    func receiveTailBeyondRing() throws {
        let bench = try IxgbeBench(vfCount: 2)
        let vf = bench.bus.access(bench.pf.vfAddresses[1])
        let tail = vf.read32(bar, UInt64(V.VFRDT.offset(0)))
        let before = try bench.counters.badTailWrites
        vf.write32(bar, UInt64(V.VFRDT.offset(0)), 64 + 5)
        #expect(try bench.counters.badTailWrites == before + 1)
        #expect(bench.guestErrors.contains { $0.contains("RDT 69 beyond a ring of 64") })
        #expect(tail == 63)
        let frames = (0..<10).map { testFrame(from: bench.mac(0), to: bench.mac(1), seed: UInt64($0)) }
        for f in frames { #expect(bench.vfs[0].send(f)) }
        #expect(bench.vfs[1].receiveFrames() == frames)
    }

    @Test("a VF cannot make the device DMA into another VF's memory; the write-back says RXE")
    func receiveIntoForeignMemoryFaults() throws {
        let bench = try IxgbeBench(vfCount: 3)
        let victim = try #require(bench.vfs[1].pool)
        let victimBytes = Array(victim.memory.host[0..<4096])
        let attacker = bench.bus.access(bench.pf.vfAddresses[2])
        let ring = try attacker.allocateDMA(8 * 16)
        for i in 0..<8 {
            ring.host.storeBytes(of: (victim.id + UInt64(i * 2048)).littleEndian, toByteOffset: i * 16, as: UInt64.self)
            ring.host.storeBytes(of: UInt64(0), toByteOffset: i * 16 + 8, as: UInt64.self)
        }
        attacker.write32(bar, UInt64(V.VFRXDCTL.offset(0)), 0)
        attacker.write32(bar, UInt64(V.VFRDBAL.offset(0)), UInt32(truncatingIfNeeded: ring.deviceAddress.value))
        attacker.write32(bar, UInt64(V.VFRDBAH.offset(0)), UInt32(truncatingIfNeeded: ring.deviceAddress.value >> 32))
        attacker.write32(bar, UInt64(V.VFRDLEN.offset(0)), 128)
        attacker.write32(bar, UInt64(V.VFRDH.offset(0)), 0)
        attacker.write32(bar, UInt64(V.VFRDT.offset(0)), 0)
        attacker.write32(bar, UInt64(V.VFRXDCTL.offset(0)), UInt32(truncatingIfNeeded: V.VFRXDCTL.enable.mask))
        attacker.write32(bar, UInt64(V.VFRDT.offset(0)), 7)
        let faultsBefore = bench.bus.services.faults.faults(of: bench.pf.vfAddresses[2]).count

        #expect(bench.vfs[0].send(testFrame(from: bench.mac(0), to: bench.mac(2), length: 200, seed: 4)))
        let status = UInt32(littleEndian: ring.host.load(fromByteOffset: 8, as: UInt32.self))
        #expect(status & AdvancedRxDescriptorStatus.descriptorDone != 0)
        #expect(status & AdvancedRxDescriptorStatus.receiveError != 0)
        #expect(Array(victim.memory.host[0..<4096]) == victimBytes)
        #expect(bench.bus.services.faults.faults(of: bench.pf.vfAddresses[2]).count == faultsBefore + 1)
        #expect(try bench.counters.rxBufferFaults == 1)

        // The attacker's driver recovers with a restart; the victim never noticed.
        try bench.vfs[2].start()
        let frame = testFrame(from: bench.mac(0), to: bench.mac(2), seed: 5)
        #expect(bench.vfs[0].send(frame))
        #expect(bench.vfs[2].receiveFrames() == [frame])
        let toVictim = testFrame(from: bench.mac(0), to: bench.mac(1), seed: 6)
        #expect(bench.vfs[0].send(toVictim))
        #expect(bench.vfs[1].receiveFrames() == [toVictim])
    }

    @Test("interrupt mode: waitForReceive sleeps until the queue's MSI-X vector fires")
    func receiveInterrupt() throws {
        let bench = try IxgbeBench(vfCount: 2) { i in VFDriver.Configuration(ringSize: 64, interrupts: i == 1) }
        let clock = bench.bus.services.clock
        let receiver = bench.vfs[1]
        let start = clock.now
        #expect(!receiver.waitForReceive(queue: 0, timeout: .milliseconds(1)))
        #expect(clock.now.nanoseconds - start.nanoseconds >= 1_000_000)

        let frame = testFrame(from: bench.mac(0), to: bench.mac(1), seed: 21)
        let sendAt = clock.now.advanced(by: .microseconds(330))
        clock.schedule(after: .microseconds(330)) { _ = bench.vfs[0].send(frame) }
        let delivered = bench.bus.function(at: bench.pf.vfAddresses[1])?.msix?.delivered[0] ?? 0
        #expect(receiver.waitForReceive(queue: 0, timeout: .milliseconds(50)))
        #expect(clock.now == sendAt)
        #expect((bench.bus.function(at: bench.pf.vfAddresses[1])?.msix?.delivered[0] ?? 0) == delivered + 1)
        #expect(receiver.receiveFrames() == [frame])
    }
}

@Suite("82599 reference drivers facing a hostile device")
struct IxgbeHostileDeviceTests {
    typealias V = Intel82599VFRegisters

    /// Host view of VF 0's receive descriptor 0, found through the ring base the driver programmed.
    private func firstReceiveDescriptor(of bench: IxgbeBench) throws -> UnsafeMutableRawPointer {
        let vf = bench.bus.access(bench.pf.vfAddresses[0])
        let bar = BARIndex(clamping: 0)
        let ring =
            UInt64(vf.read32(bar, UInt64(V.VFRDBAL.offset(0))))
            | UInt64(vf.read32(bar, UInt64(V.VFRDBAH.offset(0)))) << 32
        return try #require(bench.bus.services.memory.host(GuestPhysicalAddress(ring), length: 16))
    }

    @Test("an RX write-back longer than its buffer is dropped and counted, never handed out; a restart resyncs")
    func oversizedWriteBackIsDropped() throws {
        let bench = try IxgbeBench(vfCount: 2)
        let descriptor = try firstReceiveDescriptor(of: bench)
        // Write-back format: DD | EOP, length 4000 (the buffers are 2 KiB).
        descriptor.storeBytes(of: UInt32(0x3).littleEndian, toByteOffset: 8, as: UInt32.self)
        descriptor.storeBytes(of: UInt16(4000).littleEndian, toByteOffset: 12, as: UInt16.self)
        let before = bench.vfs[0].receiveCounters(queue: 0)
        #expect(bench.vfs[0].receiveFrames().isEmpty)
        let after = bench.vfs[0].receiveCounters(queue: 0)
        #expect(after.errors == before.errors + 1)
        #expect(after.packets == before.packets)
        // The forged descriptor put the driver one ahead of the device; a restart resyncs.
        try bench.vfs[0].start()
        let frame = testFrame(from: bench.mac(1), to: bench.mac(0), seed: 9)
        #expect(bench.vfs[1].send(frame))
        #expect(bench.vfs[0].receiveFrames() == [frame])
    }

    @Test("an RX write-back with RXE is counted and its descriptor re-armed with the same buffer, never handed out")
    func receiveErrorKeepsTheBuffer() throws {
        let bench = try IxgbeBench(vfCount: 2)
        let descriptor = try firstReceiveDescriptor(of: bench)
        let armed = UInt64(littleEndian: descriptor.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        #expect(armed != 0)
        let available = try #require(bench.vfs[0].pool).available
        // Write-back format: DD | EOP with RXE, length 60.
        let status =
            AdvancedRxDescriptorStatus.descriptorDone | AdvancedRxDescriptorStatus.endOfPacket
            | AdvancedRxDescriptorStatus.receiveError
        descriptor.storeBytes(of: UInt64(0), toByteOffset: 0, as: UInt64.self)
        descriptor.storeBytes(of: status.littleEndian, toByteOffset: 8, as: UInt32.self)
        descriptor.storeBytes(of: UInt16(60).littleEndian, toByteOffset: 12, as: UInt16.self)
        let before = bench.vfs[0].receiveCounters(queue: 0)
        #expect(bench.vfs[0].receiveFrames().isEmpty)
        let after = bench.vfs[0].receiveCounters(queue: 0)
        #expect(after.errors == before.errors + 1)
        #expect(after.packets == before.packets)
        #expect(after.bytes == before.bytes)
        // Read format again with the buffer it held; no buffer came from or went back to the pool.
        #expect(UInt64(littleEndian: descriptor.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) == armed)
        #expect(descriptor.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == 0)
        #expect(try #require(bench.vfs[0].pool).available == available)
    }
}
