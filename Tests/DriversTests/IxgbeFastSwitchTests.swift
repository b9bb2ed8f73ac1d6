import Drivers
import Intel82599
import Network
import PCIe
import TestSupport
import Testing

/// The 82599 model switches simple VF-to-VF frames on a batched fast path; everything it skips
/// must come out exactly as on the general path. These tests drive two identical benches, one
/// with the fast path off, through the same seeded traffic and compare everything a guest or the
/// wire can observe.
@Suite("82599 switch fast path: identical to the general path")
struct IxgbeFastSwitchTests {
    /// What one bench shows after a round: every frame and write-back status each function
    /// received, what reached the wire, drop counters, statistics and guest errors.
    struct Observation: Equatable {
        var received: [[ReceivedBuffer]]
        var pfReceived: [[UInt8]]
        var wire: [[UInt8]]
        var counters: Intel82599Counters
        var vfStatistics: [IxgbeVFStatistics]
        var pfStatistics: IxgbePFStatistics
        var guestErrors: [String]
    }

    /// Four VFs with different settings: two plain, one without anti-spoofing, one with a port
    /// VLAN (whose doorbells must take the general path). Rings of 64 so they fill up.
    static func makeBench(fastPath: Bool) throws -> IxgbeBench {
        var policy = IxgbeVFPolicy.sequentialMACs(count: 4)
        policy[2].spoofCheck = false
        policy[3].defaultVLAN = 7
        let bench = try IxgbeBench(vfCount: 4, policy: policy)
        try #require(bench.device).switchFastPath = fastPath
        return bench
    }

    /// One seeded frame of the kinds the switch tells apart.
    static func frame(
        kind: UInt64, sender: Int, to receiver: Int?, bench: IxgbeBench, rng: inout SplitMix64, seed: UInt64
    ) -> [UInt8] {
        let other = bench.mac(receiver ?? Int(rng.next() % 4))
        let length = 14 + Int(rng.next() % 200)
        switch kind {
        case 0, 1, 2, 3: return testFrame(from: bench.mac(sender), to: other, length: max(length, 60), seed: seed)
        case 4: return testFrame(from: bench.mac(sender), to: .broadcast, length: 64, seed: seed)
        case 5: return testFrame(from: bench.mac(sender), to: MACAddress(0x00_1b_21_00_00_42), length: length, seed: seed)
        case 6: return testFrame(from: MACAddress(0x02_66_66_66_66_66), to: other, length: 80, seed: seed)
        case 7:
            var f = testFrame(from: bench.mac(sender), to: other, length: 96, seed: seed)
            f.replaceSubrange(12..<14, with: [0x81, 0x00, 0x00, 0x07])
            return f
        case 8: return testFrame(from: bench.mac(sender), to: MACAddress(0x01_00_5e_00_00_01), length: 70, seed: seed)
        case 9: return Array(testFrame(from: bench.mac(sender), to: other, length: 60, seed: seed).prefix(10))
        default: return testFrame(from: bench.mac(sender), to: other, length: 1500 + length, seed: seed)
        }
    }

    /// Sends one batch of `frames` from VF `sender` with a single doorbell.
    static func sendBatch(_ frames: [[UInt8]], from sender: IxgbeVFDriver<BusDeviceAccess>) -> Int {
        guard let pool = sender.pool else { return 0 }
        var buffers: [PacketBuffer] = []
        for f in frames {
            guard var b = pool.allocate() else { break }
            b.length = f.count
            f.withUnsafeBytes { b.bytes.copyMemory(from: $0) }
            buffers.append(b)
        }
        let sent = buffers.withUnsafeBufferPointer { sender.transmitBatch(queue: 0, $0) }
        for b in buffers[sent...] { pool.free(b) }
        return sent
    }

    static func observe(_ bench: IxgbeBench, drain: [Bool]) throws -> Observation {
        Observation(
            received: zip(bench.vfs, drain).map { vf, d in d ? vf.drain() : [] },
            pfReceived: bench.pf.receiveFrames(), wire: bench.recorder.frames, counters: try bench.counters,
            vfStatistics: bench.vfs.map { $0.statistics() }, pfStatistics: bench.pf.statistics(),
            guestErrors: bench.guestErrors)
    }

    @Test("seeded mixed traffic: unicast, self, unknown, broadcast, multicast, spoofed, tagged, runt, jumbo, full rings")
    func mixedTrafficMatches() throws {
        let fast = try Self.makeBench(fastPath: true)
        let general = try Self.makeBench(fastPath: false)
        var rng = SplitMix64(seed: 2026)
        var switchedFast = 0
        for round in 0..<120 {
            let sender = Int(rng.next() % 4)
            let count = 1 + Int(rng.next() % 40)
            // A third of the rounds send only simple frames, all to one receiver.
            let simpleTo: Int? = rng.next() % 3 == 0 ? Int(rng.next() % 4) : nil
            var frames: [[UInt8]] = []
            for i in 0..<count {
                let kind = simpleTo != nil ? 0 : rng.next() % 11
                frames.append(
                    Self.frame(kind: kind, sender: sender, to: simpleTo, bench: fast, rng: &rng, seed: UInt64(round * 64 + i)))
            }
            // Some receivers are not drained this round, so their rings fill and drop.
            let drain = (0..<4).map { _ in rng.next() % 3 != 0 }
            let before = try fast.counters.switchedLocally
            #expect(Self.sendBatch(frames, from: fast.vfs[sender]) == Self.sendBatch(frames, from: general.vfs[sender]))
            let a = try Self.observe(fast, drain: drain)
            let b = try Self.observe(general, drain: drain)
            #expect(a == b, "round \(round)")
            switchedFast += Int(try fast.counters.switchedLocally - before)
        }
        // VF 1 is not drained while VF 0 sends it three batches of 32: its ring of 64 fills.
        for round in 0..<4 {
            let frames = (0..<32).map { testFrame(from: fast.mac(0), to: fast.mac(1), length: 60 + $0, seed: UInt64(round)) }
            #expect(Self.sendBatch(frames, from: fast.vfs[0]) == Self.sendBatch(frames, from: general.vfs[0]))
            let drain = [true, round == 3, true, true]
            #expect(try Self.observe(fast, drain: drain) == Self.observe(general, drain: drain), "fill round \(round)")
        }
        #expect(switchedFast > 500, "the traffic must exercise the fast path")
        #expect(try fast.counters.rxNoDescriptor > 0, "and fill receive rings")
    }

    @Test("a transmit buffer outside the domain in the middle of a fast batch: dropped, one fault, the rest switched")
    func transmitBufferOutsideTheDomain() throws {
        var observed: [Observation] = []
        var faults: [Int] = []
        for fastPath in [true, false] {
            let bench = try Self.makeBench(fastPath: fastPath)
            let pool = try #require(bench.vfs[0].pool)
            let foreign = try #require(bench.vfs[1].pool)
            var buffers: [PacketBuffer] = []
            for i in 0..<8 {
                var b = try #require(pool.allocate())
                let f = testFrame(from: bench.mac(0), to: bench.mac(1), length: 64, seed: UInt64(i))
                b.length = f.count
                f.withUnsafeBytes { b.bytes.copyMemory(from: $0) }
                if i == 3 { b.deviceAddress = foreign.id }
                buffers.append(b)
            }
            #expect(buffers.withUnsafeBufferPointer { bench.vfs[0].transmitBatch(queue: 0, $0) } == 8)
            observed.append(try Self.observe(bench, drain: [true, true, true, true]))
            faults.append(bench.bus.services.faults.faults(of: bench.pf.vfAddresses[0]).count)
        }
        #expect(observed[0] == observed[1])
        #expect(faults == [1, 1])
        #expect(observed[0].received[1].count == 7)
        #expect(observed[0].counters.txBufferFaults == 1)
    }

    @Test("one doorbell of frames with the same addresses: tagged, runt, oversize and spoofed ones among them")
    func repeatedAddressesMatch() throws {
        let fast = try Self.makeBench(fastPath: true)
        let general = try Self.makeBench(fastPath: false)
        // The fast path remembers the last addresses that passed its checks; everything else
        // about a frame (its tag, its length, a different source) must still be looked at.
        func frames(_ bench: IxgbeBench) -> [[UInt8]] {
            let plain = { (seed: UInt64) in testFrame(from: bench.mac(0), to: bench.mac(1), length: 64, seed: seed) }
            var tagged = plain(2)
            tagged.replaceSubrange(12..<14, with: [0x81, 0x00, 0x00, 0x07])
            let runt = Array(plain(4).prefix(13))
            let oversize = testFrame(from: bench.mac(0), to: bench.mac(1), length: 3000, seed: 6)
            let spoofed = testFrame(from: MACAddress(0x02_66_66_66_66_66), to: bench.mac(1), length: 64, seed: 8)
            let toSelf = testFrame(from: bench.mac(0), to: bench.mac(0), length: 64, seed: 10)
            return [plain(1), tagged, plain(3), runt, plain(5), oversize, plain(7), spoofed, plain(9), toSelf, plain(11)]
        }
        let sent = Self.sendBatch(frames(fast), from: fast.vfs[0])
        #expect(sent == Self.sendBatch(frames(general), from: general.vfs[0]))
        let drain = [true, true, true, true]
        let a = try Self.observe(fast, drain: drain)
        #expect(a == (try Self.observe(general, drain: drain)))
        // The six plain frames and the tagged one (a tag the general path forwards) reach VF 1.
        #expect(a.received[1].count >= 6)
        #expect(try fast.counters.switchedLocally >= 3, "the plain frames take the fast path")
    }
}
