import Drivers
import Intel82599
import Network
import PCIe
import Testing

@Suite("82599 PF/VF mailbox policy")
struct IxgbeMailboxTests {
    typealias V = Intel82599VFRegisters

    @Test("an untrusted VF may not take a foreign MAC; a spoofed source is dropped and counted, others keep working")
    func untrustedVFCannotSpoof() throws {
        let bench = try IxgbeBench(vfCount: 3)
        let foreign = MACAddress(0x02_99_00_00_00_01)
        #expect(throws: IxgbeDriverError.nacked(.setMACAddress)) { try bench.vfs[0].setMACAddress(foreign) }
        #expect(bench.vfs[0].macAddress == bench.mac(0))
        #expect(bench.vfs[0].clearToSend)

        let spoofed = testFrame(from: bench.mac(1), to: bench.mac(2), length: 100, seed: 1)
        #expect(bench.vfs[0].send(spoofed))
        #expect(bench.vfs[2].drain().isEmpty)
        #expect(bench.recorder.count == 0)
        #expect(try bench.counters.spoofedMAC == 1)
        #expect(bench.pf.statistics().spoofedPackets == 1)

        let honest = testFrame(from: bench.mac(0), to: bench.mac(2), length: 100, seed: 2)
        let other = testFrame(from: bench.mac(1), to: bench.mac(2), length: 100, seed: 3)
        #expect(bench.vfs[0].send(honest))
        #expect(bench.vfs[1].send(other))
        #expect(bench.vfs[2].receiveFrames() == [honest, other])
        #expect(bench.pf.statistics().spoofedPackets == 1)
    }

    @Test("a trusted VF may change its MAC: traffic follows the new address")
    func trustedVFChangesMAC() throws {
        var policy = IxgbeVFPolicy.sequentialMACs(count: 2)
        policy[0].trusted = true
        let bench = try IxgbeBench(vfCount: 2, policy: policy)
        let new = MACAddress(0x02_77_00_00_00_01)
        try bench.vfs[0].setMACAddress(new)
        #expect(bench.pf.vfState(0)?.macAddress == new)
        let toNew = testFrame(from: bench.mac(1), to: new, length: 80, seed: 4)
        let toOld = testFrame(from: bench.mac(1), to: bench.mac(0), length: 80, seed: 5)
        #expect(bench.vfs[1].send(toNew))
        #expect(bench.vfs[1].send(toOld))
        #expect(bench.vfs[0].receiveFrames() == [toNew])
        #expect(bench.recorder.frames == [toOld])
        let fromNew = testFrame(from: new, to: bench.mac(1), length: 80, seed: 6)
        #expect(bench.vfs[0].send(fromNew))
        #expect(bench.vfs[1].receiveFrames() == [fromNew])
        // Another function's address stays off limits even for a trusted VF.
        #expect(throws: IxgbeDriverError.nacked(.setMACAddress)) { try bench.vfs[0].setMACAddress(bench.mac(1)) }
    }

    @Test("malformed mailbox messages are NACKed and counted; the VF stays usable")
    func malformedMessages() throws {
        let bench = try IxgbeBench(vfCount: 2)
        let vf = bench.vfs[1]
        var tooManyHashes = IxgbeMailboxMessage(.setMulticast, info: 31)
        tooManyHashes.setHalfWord(0, 0x123)
        let bad: [IxgbeMailboxMessage] = [
            IxgbeMailboxMessage(words: [0x7f]),
            tooManyHashes,
            IxgbeMailboxMessage(.reset, info: 1),
            IxgbeMailboxMessage(words: [IxgbeMailboxFlags.ack | UInt32(IxgbeMailboxMessageID.getLinkState.rawValue)]),
            IxgbeMailboxMessage(.pfControl),
            IxgbeMailboxMessage(.updateXcastMode, payload: [9]),
        ]
        for m in bad {
            let reply = try vf.sendRaw(m)
            #expect(reply.isNack, "\(m)")
            #expect(!reply.isAck, "\(m)")
            #expect(reply.isClearToSend, "\(m)")
        }
        #expect(bench.pf.vfState(1)?.counters.malformed == UInt64(bad.count))
        #expect(bench.pf.vfState(0)?.counters.malformed == 0)
        #expect(try vf.getLinkState())
        let frame = testFrame(from: bench.mac(1), to: bench.mac(0), length: 70, seed: 8)
        #expect(vf.send(frame))
        #expect(bench.vfs[0].receiveFrames() == [frame])
    }

    @Test("API negotiation: unknown versions are refused; GET_RETA needs 1.2")
    func apiNegotiation() throws {
        let bench = try IxgbeBench(vfCount: 1)
        let vf = bench.vfs[0]
        #expect(try vf.sendRaw(IxgbeMailboxMessage(.apiNegotiate, payload: [42])).isNack)
        #expect(try vf.sendRaw(IxgbeMailboxMessage(.apiNegotiate, payload: [IxgbeMailboxAPI.version11.rawValue])).isAck)
        #expect(bench.pf.vfState(0)?.api == .version11)
        #expect(try vf.sendRaw(IxgbeMailboxMessage(.getRETA)).isNack)
        #expect(try vf.sendRaw(IxgbeMailboxMessage(.getQueues)).isAck)
        #expect(try vf.sendRaw(IxgbeMailboxMessage(.apiNegotiate, payload: [IxgbeMailboxAPI.version10.rawValue])).isAck)
        #expect(try vf.sendRaw(IxgbeMailboxMessage(.getQueues)).isNack)
    }

    @Test("a VF flooding its mailbox is throttled while another VF completes its RESET")
    func floodingIsThrottled() throws {
        var policy = IxgbeVFPolicy.sequentialMACs(count: 3)
        policy.mailboxRequestLimit = 16
        let bench = try IxgbeBench(vfCount: 3, policy: policy)
        let rogue = bench.bus.access(bench.pf.vfAddresses[0])
        let clock = bench.bus.services.clock
        // Every 5 us VF 0 writes a request and rings REQ, never reading the answers.
        func flood(_ remaining: Int) {
            rogue.write32(BARIndex(clamping: 0), UInt64(V.VFMAILBOX.offset), UInt32(truncatingIfNeeded: V.VFMAILBOX.vfu.mask))
            rogue.write32(BARIndex(clamping: 0), UInt64(V.VFMBMEM.offset), UInt32(IxgbeMailboxMessageID.getLinkState.rawValue))
            rogue.write32(BARIndex(clamping: 0), UInt64(V.VFMAILBOX.offset), UInt32(truncatingIfNeeded: V.VFMAILBOX.req.mask))
            if remaining > 0 { clock.schedule(after: .microseconds(5)) { flood(remaining - 1) } }
        }
        flood(2000)
        clock.advance(by: .milliseconds(2))
        #expect(bench.pf.vfState(0)?.counters.throttled ?? 0 > 0)
        try bench.vfs[1].start()
        #expect(bench.vfs[1].macAddress == bench.mac(1))
        #expect(bench.vfs[1].api == .version14)
        let rogueState = try #require(bench.pf.vfState(0))
        #expect(rogueState.counters.throttled > 0)
        #expect(rogueState.counters.requests > UInt64(policy.mailboxRequestLimit))
        #expect(bench.pf.vfState(1)?.counters.throttled == 0)
        #expect(bench.pf.vfState(2)?.counters.throttled == 0)
        #expect(try bench.vfs[2].getLinkState())
        clock.advance(by: .milliseconds(15))  // let the flood run out
        #expect(try bench.vfs[1].getLinkState())
    }

    @Test("VLANs: a VF joins allowed VLANs only and then receives that VLAN's tagged frames")
    func vlanPolicy() throws {
        var policy = IxgbeVFPolicy.sequentialMACs(count: 3)
        policy[0].allowedVLANs = [100]
        policy[2].defaultVLAN = 300
        let bench = try IxgbeBench(vfCount: 3, policy: policy)
        #expect(throws: IxgbeDriverError.nacked(.setVLAN)) { try bench.vfs[0].setVLAN(200, add: true) }
        #expect(throws: IxgbeDriverError.nacked(.setVLAN)) { try bench.vfs[2].setVLAN(100, add: true) }
        try bench.vfs[0].setVLAN(100, add: true)
        #expect(bench.pf.vfState(0)?.vlans == [100])
        let tagged = FrameBuilder.raw(
            source: MACAddress(0x00_1b_21_00_00_01), destination: bench.mac(0), vlan: 100, etherType: 0x88B5,
            payload: seededPayload(60, seed: 9))
        tagged.withUnsafeBytes { bench.wire.transmitToPort($0) }
        #expect(bench.vfs[0].receiveFrames() == [tagged])
        try bench.vfs[0].setVLAN(100, add: false)
        tagged.withUnsafeBytes { bench.wire.transmitToPort($0) }
        #expect(bench.vfs[0].receiveFrames().isEmpty)
        #expect(bench.vfs[2].transparentVLAN)
        #expect(!bench.vfs[0].transparentVLAN)
    }

    @Test("multicast: only the VF that registered a group receives it; ALLMULTI needs trust")
    func multicastAndXcast() throws {
        var policy = IxgbeVFPolicy.sequentialMACs(count: 3)
        policy[2].trusted = true
        let bench = try IxgbeBench(vfCount: 3, policy: policy)
        let group = MACAddress(0x01_00_5e_00_00_fb)
        try bench.vfs[0].addMulticast(group)
        let frame = testFrame(from: MACAddress(0x00_1b_21_00_00_01), to: group, length: 90, seed: 12)
        frame.withUnsafeBytes { bench.wire.transmitToPort($0) }
        #expect(bench.vfs[0].receiveFrames() == [frame])
        #expect(bench.vfs[1].drain().isEmpty)
        #expect(bench.vfs[2].drain().isEmpty)

        // ALLMULTI: the untrusted VF is held to MULTI, the trusted one gets every group, including
        // one nobody registered.
        #expect(try bench.vfs[1].setXcastMode(.allMulti) == .multi)
        #expect(try bench.vfs[2].setXcastMode(.allMulti) == .allMulti)
        #expect(throws: IxgbeDriverError.nacked(.updateXcastMode)) { try bench.vfs[2].setXcastMode(.promiscuous) }
        let unregistered = testFrame(
            from: MACAddress(0x00_1b_21_00_00_01), to: MACAddress(0x01_00_5e_00_00_01), length: 90, seed: 14)
        unregistered.withUnsafeBytes { bench.wire.transmitToPort($0) }
        #expect(bench.vfs[0].drain().isEmpty)
        #expect(bench.vfs[1].drain().isEmpty)
        #expect(bench.vfs[2].receiveFrames() == [unregistered])

        #expect(try bench.vfs[0].setXcastMode(.none) == IxgbeXcastMode.none)
        let broadcast = testFrame(from: bench.mac(1), to: .broadcast, length: 64, seed: 13)
        #expect(bench.vfs[1].send(broadcast))
        #expect(bench.vfs[0].drain().isEmpty)
        #expect(bench.vfs[2].receiveFrames() == [broadcast])
    }

    @Test("GET_RETA and GET_RSS_KEY return the PF's table (2 bits per entry) and key; refused without RSS query rights")
    func rssQueries() throws {
        var policy = IxgbeVFPolicy.sequentialMACs(count: 2)
        policy[1].rssQueryEnabled = false
        let bench = try IxgbeBench(vfCount: 2, policy: policy)
        let key = seededPayload(40, seed: 77)
        let table = (0..<128).map { UInt8(($0 * 7 + 3) % 16) }
        try bench.pf.configureRSS(key: key, redirectionTable: table)
        #expect(try bench.vfs[0].getRSSKey() == key)
        #expect(try bench.vfs[0].getRETA() == table.map { $0 & 3 })
        #expect(throws: IxgbeDriverError.nacked(.getRETA)) { try bench.vfs[1].getRETA() }
        #expect(throws: IxgbeDriverError.nacked(.getRSSKey)) { try bench.vfs[1].getRSSKey() }
    }

    @Test("the PF can take mailbox work from its MSI-X 'other' vector instead of polling")
    func mailboxInterrupt() throws {
        let bench = try IxgbeBench(vfCount: 2)
        bench.pf.stopMailboxService()
        #expect(bench.pf.enableMailboxInterrupt(vector: 1))
        // The VFs' last ACKs left the cause pending: it fires on unmask. Service and drain it.
        bench.pf.serviceMailbox()
        _ = bench.pf.waitForMailboxInterrupt(timeout: .microseconds(1))
        #expect(!bench.pf.waitForMailboxInterrupt(timeout: .microseconds(100)))
        let resets = try #require(bench.pf.vfState(1)).counters.resets
        let vf = bench.bus.access(bench.pf.vfAddresses[1])
        let bar = BARIndex(clamping: 0)
        vf.write32(bar, UInt64(V.VFMAILBOX.offset), UInt32(truncatingIfNeeded: V.VFMAILBOX.vfu.mask))
        vf.write32(bar, UInt64(V.VFMBMEM.offset), UInt32(IxgbeMailboxMessageID.getLinkState.rawValue))
        vf.write32(bar, UInt64(V.VFMAILBOX.offset), UInt32(truncatingIfNeeded: V.VFMAILBOX.req.mask))
        #expect(bench.pf.waitForMailboxInterrupt(timeout: .milliseconds(1)))
        #expect(bench.pf.serviceMailbox() == 1)
        let status = vf.read32(bar, UInt64(V.VFMAILBOX.offset))
        #expect(V.VFMAILBOX.pfsts.isSet(in: status))
        let reply = vf.read32(bar, UInt64(V.VFMBMEM.offset))
        #expect(
            reply == UInt32(IxgbeMailboxMessageID.getLinkState.rawValue) | IxgbeMailboxFlags.ack | IxgbeMailboxFlags.clearToSend)
        // A VF reset (VFCTRL.RST) raises the same vector; the PF sees it as a VFLR event.
        vf.write32(bar, UInt64(V.VFCTRL.offset), UInt32(truncatingIfNeeded: V.VFCTRL.resetField.mask))
        #expect(bench.pf.waitForMailboxInterrupt(timeout: .milliseconds(1)))
        #expect(bench.pf.serviceMailbox() == 1)
        #expect(bench.pf.vfState(1)?.counters.resets == resets + 1)
        #expect(bench.pf.vfState(1)?.clearToSend == false)
    }
}
