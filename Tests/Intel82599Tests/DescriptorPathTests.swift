import Intel82599
import Network
import PCIe
import TestSupport
import Testing

@Suite("82599 advanced descriptors: receive and transmit paths (datasheet §7.1.6, §7.2.3)")
struct DescriptorPathTests {
    func payload(_ n: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    func unicast(_ length: Int, seed: UInt64 = 1) -> [UInt8] {
        FrameBuilder.raw(source: peerMAC, destination: localMAC, etherType: 0x88b5, payload: payload(length - 14, seed: seed))
    }

    @Test func frameLargerThanOneBufferSpansDescriptorsWithEOPOnTheLast() throws {
        let nic = try NICBench()
        nic.settle()
        let ring = try nic.receiveRing(queue: 0, entries: 8, bufferKiB: 1)
        nic.write(R.HLREG0.offset, nic.read(R.HLREG0.offset) | UInt32(R.HLREG0.jumboen.mask))
        let frame = unicast(2500)
        nic.inject(frame)
        let parts = [ring.writeBack(0), ring.writeBack(1), ring.writeBack(2)]
        #expect(parts.map(\.length) == [1024, 1024, 452])
        #expect(parts.map { $0.status & 0x3 } == [0x1, 0x1, 0x3], "DD on all, EOP only on the last")
        #expect(ring.bytes(0, count: 1024) + ring.bytes(1, count: 1024) + ring.bytes(2, count: 452) == frame)
        #expect(nic.rxHead(0) == 3)
    }

    @Test func noFreeDescriptorDropsTheFrameAndCountsIt() throws {
        let nic = try NICBench()
        nic.settle()
        _ = try nic.receiveRing(queue: 0, entries: 8)
        for i in 0..<9 { nic.inject(unicast(60, seed: UInt64(i))) }
        #expect(nic.rxHead(0) == 7, "hardware stops one short of the tail")
        #expect(nic.read(R.MPC.offset(0)) == 2)
        #expect(nic.read(R.QPRDC.offset(0)) == 2)
        #expect(nic.read(R.GPRC.offset) == 7)
        #expect(try nic.device.counters.rxNoDescriptor == 2)
    }

    @Test func receiveBufferOutsideTheDomainIsWrittenBackWithRXEAndTheQueueGoesOn() throws {
        let nic = try NICBench()
        nic.settle()
        let ring = try nic.receiveRing(queue: 0, entries: 8)
        ring.descriptors.host.storeBytes(of: UInt64(0xdead_0000_0000), toByteOffset: 0, as: UInt64.self)
        nic.inject(unicast(100, seed: 1))
        let bad = ring.writeBack(0)
        #expect(bad.status & AdvancedRxDescriptor.errorRXE != 0)
        #expect(bad.length == 0)
        #expect(nic.bus.services.faults.total >= 1)
        let frame = unicast(100, seed: 2)
        nic.inject(frame)
        #expect(ring.writeBack(1).length == 100)
        #expect(ring.bytes(1, count: 100) == frame)
    }

    @Test func ringLengthNotAMultipleOf128IsRefused() throws {
        let nic = try NICBench()
        nic.settle()
        let ring = try RxRing(access: nic.access, entries: 8, bufferSize: 2048)
        nic.write(0x01000, UInt32(truncatingIfNeeded: ring.descriptors.deviceAddress.value))
        nic.write(0x01008, 100)
        nic.write(0x01028, UInt32(R.RXDCTL.enable.mask))
        #expect(nic.read(0x01028) & UInt32(R.RXDCTL.enable.mask) == 0, "enable does not latch")
        #expect(nic.bus.services.guestErrors.total == 1)
        nic.write(0x01008, 128)
        nic.write(0x01028, UInt32(R.RXDCTL.enable.mask))
        #expect(nic.read(0x01028) & UInt32(R.RXDCTL.enable.mask) != 0)
    }

    @Test func tailBeyondTheRingIsIgnored() throws {
        let nic = try NICBench()
        nic.settle()
        _ = try nic.receiveRing(queue: 0, entries: 8)
        nic.write(0x01018, 8)
        #expect(try nic.device.counters.badTailWrites == 1)
        nic.inject(unicast(60))
        #expect(nic.read(R.GPRC.offset) == 1, "the ring still works with the previous tail")
    }

    @Test func vlanTagIsStrippedIntoTheDescriptorWhenVMEIsSet() throws {
        let nic = try NICBench()
        nic.settle()
        let ring = try nic.receiveRing(queue: 0, entries: 8)
        nic.write(0x01028, UInt32(R.RXDCTL.enable.mask | R.RXDCTL.vme.mask))
        let tagged = FrameBuilder.raw(source: peerMAC, destination: localMAC, etherType: 0x88b5, payload: payload(60, seed: 3))
        var withTag = Array(tagged[0..<12]) + [0x81, 0x00, 0x00, 0x2a] + Array(tagged[12...])
        withTag[14] = 0x20  // priority 1
        nic.inject(withTag)
        let wb = ring.writeBack(0)
        #expect(wb.status & AdvancedRxDescriptor.statusVP != 0)
        #expect(wb.vlan & 0xFFF == 42)
        #expect(wb.length == tagged.count)
        #expect(ring.bytes(0, count: tagged.count) == tagged)
    }

    @Test func transmitWritesDDAndSendsTheFrameOutOfThePort() throws {
        let nic = try NICBench()
        nic.settle()
        let tx = try nic.transmitRing(queue: 0, entries: 8)
        let frame = FrameBuilder.raw(source: localMAC, destination: peerMAC, etherType: 0x88b5, payload: payload(100, seed: 4))
        tx.post(0, frame)
        tx.post(1, frame, rs: false)
        nic.txTail(0, 2)
        #expect(tx.done(0))
        #expect(!tx.done(1), "no RS, no write-back")
        #expect(nic.txHead(0) == 2)
        #expect(nic.farEnd.frames == [frame, frame])
        #expect(nic.read(R.GPTC.offset) == 2)
        #expect(nic.read(R.GOTCL.offset) == UInt32(2 * frame.count))
    }

    @Test func frameGatheredFromSeveralDescriptorsWaitsForEOP() throws {
        let nic = try NICBench()
        nic.settle()
        let tx = try nic.transmitRing(queue: 0, entries: 8)
        let frame = FrameBuilder.raw(source: localMAC, destination: peerMAC, etherType: 0x88b5, payload: payload(300, seed: 5))
        tx.post(0, Array(frame[0..<100]), eop: false, rs: false)
        tx.post(1, Array(frame[100..<250]), eop: false, rs: false)
        nic.txTail(0, 2)
        #expect(nic.farEnd.count == 0, "no EOP yet")
        #expect(nic.txHead(0) == 0)
        tx.post(2, Array(frame[250...]))
        nic.txTail(0, 3)
        #expect(nic.farEnd.frames == [frame])
        #expect(tx.done(2))
    }

    @Test func zeroLengthAndUnmappedBuffersDropTheFrameAndTheRingGoesOn() throws {
        let nic = try NICBench()
        nic.settle()
        let tx = try nic.transmitRing(queue: 0, entries: 8)
        let frame = FrameBuilder.raw(source: localMAC, destination: peerMAC, etherType: 0x88b5, payload: payload(80, seed: 6))
        tx.post(0, frame, length: 0)
        tx.post(1, frame, address: 0x7777_0000_0000)
        tx.post(2, frame)
        nic.txTail(0, 3)
        #expect(nic.farEnd.frames == [frame])
        #expect(tx.done(0) && tx.done(1) && tx.done(2), "bad descriptors still complete")
        let counters = try nic.device.counters
        #expect(counters.txMalformedDescriptors == 2)
        #expect(counters.txBufferFaults == 1)
        #expect(nic.bus.services.faults.total == 1)
        #expect(nic.bus.services.guestErrors.total == 2)
    }

    @Test func unreadableRingDisablesOnlyThatQueue() throws {
        let nic = try NICBench()
        nic.settle()
        let good = try nic.transmitRing(queue: 1, entries: 8)
        let base = 0x06000
        nic.write(base + 0x00, 0x0)
        nic.write(base + 0x04, 0x99)
        nic.write(base + 0x08, 128)
        nic.write(base + 0x28, UInt32(R.TXDCTL.enable.mask))
        nic.txTail(0, 1)
        #expect(nic.read(base + 0x28) & UInt32(R.TXDCTL.enable.mask) == 0)
        #expect(try nic.device.counters.ringFaults == 1)
        let frame = FrameBuilder.raw(source: localMAC, destination: peerMAC, etherType: 0x88b5, payload: payload(50, seed: 7))
        good.post(0, frame)
        nic.txTail(1, 1)
        #expect(nic.farEnd.frames == [frame])
    }

    @Test func headWriteBackReplacesDD() throws {
        let nic = try NICBench()
        nic.settle()
        let tx = try nic.transmitRing(queue: 0, entries: 8)
        let slot = try nic.access.allocateDMA(64)
        nic.write(0x06038, UInt32(truncatingIfNeeded: slot.deviceAddress.value) | 1)
        nic.write(0x0603C, UInt32(truncatingIfNeeded: slot.deviceAddress.value >> 32))
        let frame = unicast(64)
        tx.post(0, frame)
        tx.post(1, frame)
        nic.txTail(0, 2)
        #expect(slot.host.load(as: UInt32.self) == 2)
        #expect(!tx.done(0))
    }
}
