import DMAEngine
import Intel82599
import Network
import PCIe
import Testing

@testable import Drivers

@Suite("82599 PF and VF bring-up")
struct IxgbeBringUpTests {
    @Test("PF reset reads the permanent MAC and the link comes up")
    func pfReset() throws {
        let bus = PCIBus()
        let bdf = BDF(bus: 0, device: 1, function: 0)
        try bus.attach(
            Intel82599.makePhysicalFunction(at: bdf, services: bus.services, permanentAddress: MACAddress(0x00a0_c9aa_bbcc)))
        Firmware(bus: bus).enumerateAndAssign()
        let pf = try PFDriver(access: bus.access(bdf))
        try pf.reset()
        #expect(pf.macAddress == MACAddress(0x00a0_c9aa_bbcc))
        #expect(pf.waitForLink(timeout: .milliseconds(50)))
        #expect(pf.linkUp)
    }

    @Test("the PF and VF drivers refuse functions that are not 82599s, and an empty slot")
    func probeRefusesOtherDevices() throws {
        let (bus, engine, _) = try driverBus()
        let engineError = IxgbeDriverError.notFound(vendorID: DMAEngine.vendorID, deviceID: DMAEngine.deviceID)
        #expect(throws: engineError) { try PFDriver(access: bus.access(engine)) }
        #expect(throws: engineError) { try VFDriver(access: bus.access(engine)) }
        // An empty slot reads all ones, like a VF's ids; its class code gives it away.
        #expect(throws: IxgbeDriverError.notFound(vendorID: 0xFFFF, deviceID: 0xFFFF)) {
            try VFDriver(access: bus.access(BDF(bus: 0, device: 9, function: 0)))
        }
    }

    @Test("each VF gets its assigned MAC, API 1.4 and the two queues of its pool")
    func vfsGetTheirConfiguration() throws {
        let bench = try IxgbeBench(vfCount: 4)
        for (i, vf) in bench.vfs.enumerated() {
            #expect(vf.macAddress == bench.mac(i))
            #expect(vf.api == .version14)
            #expect(vf.receiveQueueCount == 2)
            #expect(vf.transmitQueueCount == 2)
            #expect(vf.clearToSend)
            #expect(vf.linkUp)
            #expect(try vf.getLinkState())
            let state = try #require(bench.pf.vfState(i))
            #expect(state.clearToSend)
            #expect(state.api == .version14)
            #expect(state.macAddress == bench.mac(i))
        }
        #expect(bench.pf.pfPool == 4)
        #expect(bench.pf.queueBase == 8)
    }

    @Test("SR-IOV refuses 64 VFs (the PF needs a pool) and duplicate MACs")
    func sriovLimits() throws {
        let bus = PCIBus()
        let bdf = BDF(bus: 0, device: 1, function: 0)
        try bus.attach(Intel82599.makePhysicalFunction(at: bdf, services: bus.services))
        Firmware(bus: bus).enumerateAndAssign()
        let pf = try PFDriver(access: bus.access(bdf))
        try pf.reset()
        #expect(throws: IxgbeDriverError.self) { try pf.enableSRIOV(vfCount: 64, policy: .sequentialMACs(count: 64)) }
        var dup = IxgbeVFPolicy.sequentialMACs(count: 2)
        dup[1].macAddress = dup[0].macAddress
        #expect(throws: IxgbeDriverError.self) { try pf.enableSRIOV(vfCount: 2, policy: dup) }
        #expect(pf.vfCount == 0)
    }

    @Test("a VF without an assigned MAC gets RESET NACKed and a typed error")
    func vfWithoutMAC() throws {
        var policy = IxgbeVFPolicy.sequentialMACs(count: 2)
        policy[1].macAddress = nil
        let bench = try IxgbeBench(vfCount: 2, policy: policy, startVFs: false)
        try bench.vfs[0].start()
        #expect(throws: IxgbeDriverError.noMACAddress) { try bench.vfs[1].start() }
        #expect(bench.pf.vfState(1)?.counters.nacked == 1)
    }

    @Test("without the PF's mailbox service the VF's RESET times out instead of hanging")
    func mailboxTimeout() throws {
        let bench = try IxgbeBench(
            vfCount: 1, startVFs: false,
            configuration: { _ in VFDriver.Configuration(ringSize: 64, mailboxTimeout: .milliseconds(5)) })
        bench.pf.stopMailboxService()
        #expect(throws: IxgbeDriverError.mailboxTimeout(.reset)) { try bench.vfs[0].start() }
        bench.pf.startMailboxService()
        try bench.vfs[0].start()
        #expect(bench.vfs[0].macAddress == bench.mac(0))
    }

    @Test("PF without SR-IOV: its queue receives its MAC and broadcast from the wire, not other unicast, and transmits")
    func pfOwnTraffic() throws {
        let bus = PCIBus()
        let bdf = BDF(bus: 0, device: 1, function: 0)
        let wire = Wire()
        let recorder = FrameRecorder()
        wire.addFarEnd(recorder)
        try bus.attach(Intel82599.makePhysicalFunction(at: bdf, services: bus.services, totalVFs: 0, wire: wire))
        Firmware(bus: bus).enumerateAndAssign()
        let pf = try PFDriver(access: bus.access(bdf))
        try pf.reset()
        try pf.initialize(rxQueues: 2, txQueues: 2, ringSize: 32)
        #expect(pf.waitForLink(timeout: .milliseconds(100)))
        #expect(pf.queueBase == 0)
        let peer = MACAddress(0x00_1b_21_00_00_07)
        let mine = testFrame(from: peer, to: pf.macAddress, length: 300, seed: 1)
        let broadcast = testFrame(from: peer, to: .broadcast, length: 64, seed: 2)
        let other = testFrame(from: peer, to: MACAddress(0x00_1b_21_00_00_08), length: 64, seed: 3)
        for f in [mine, other, broadcast] { f.withUnsafeBytes { wire.transmitToPort($0) } }
        #expect(pf.receiveFrames() == [mine, broadcast])
        let reply = testFrame(from: pf.macAddress, to: peer, length: 128, seed: 4)
        let pool = try #require(pf.pool)
        var b = try #require(pool.allocate())
        b.length = reply.count
        reply.withUnsafeBytes { b.bytes.copyMemory(from: $0) }
        #expect(withUnsafePointer(to: b) { pf.transmitBatch(queue: 1, UnsafeBufferPointer(start: $0, count: 1)) } == 1)
        #expect(recorder.frames == [reply])
        #expect(pf.reclaimTransmitted(queue: 1) == 1)
        let stats = pf.statistics()
        #expect(stats.receivedPackets == 2)
        #expect(stats.transmittedPackets == 1)
        #expect(stats.transmittedBytes == UInt64(reply.count))
    }

    @Test("SET_LPE grows the port's MAXFRS; an oversized frame size is NACKed")
    func largestFrame() throws {
        let bench = try IxgbeBench(vfCount: 1)
        try bench.vfs[0].setMaxFrameSize(9018)
        #expect(Intel82599PFRegisters.MAXFRS.mfs.extract(from: bench.pf.register(Intel82599PFRegisters.MAXFRS.offset)) == 9018)
        #expect(bench.pf.vfState(0)?.maxFrameSize == 9018)
        #expect(try bench.vfs[0].sendRaw(IxgbeMailboxMessage(.setLPE, payload: [20000])).isNack)
        #expect(throws: IxgbeDriverError.self) { try bench.vfs[0].setMaxFrameSize(20000) }
    }

    @Test("VF statistics widen 32- and 36-bit counters across a wrap")
    func counterWrap() {
        var packets = IxgbeWrappingCounter(bits: 32, initial: 0xFFFF_FFF0)
        packets.update(0xFFFF_FFFF)
        packets.update(0x0000_0010)
        #expect(packets.total == 0x20)
        var octets = IxgbeWrappingCounter(bits: 36, initial: 0xF_FFFF_FF00)
        octets.update(0x0_0000_0100)
        #expect(octets.total == 0x200)
    }
}
