import Network
import PCIe

/// The embedded VEB switch (datasheet §7.10.3.4) with three VFs and the PF in 64-pool mode:
/// which pools and whether the wire get a frame a pool sends, or a frame from the wire.
enum Intel82599SwitchSuite {
    static let name = "intel82599-switch"
    static let stranger = MACAddress(0x0200_0000_9999)
    static let remote = MACAddress(0x0200_0000_0d0e)

    static func run(_ f: Intel82599Fixture) -> [CheckResult] {
        [
            f.checkWithVFs(name, "§7.10.3.4 unicast from a VF reaches only the pool owning the address, not the wire") {
                withPools(f, &$0, unicast)
            },
            f.checkWithVFs(name, "§7.10.3.4 broadcast from a VF reaches every other pool and the wire") {
                withPools(f, &$0, broadcast)
            },
            f.checkWithVFs(name, "§7.10.3.4 unicast to no local address leaves only through the wire") {
                withPools(f, &$0, unknownUnicast)
            },
            f.checkWithVFs(name, "§7.10.3.4 frames from the wire reach the owning pool; unmatched go to the default pool") {
                withPools(f, &$0, fromWire)
            },
            f.checkWithVFs(name, "§8.2.3.27.5 PFVFRE: a pool with receive disabled gets nothing") {
                withPools(f, &$0, receiveDisabled)
            },
            f.checkWithVFs(name, "§8.2.3.27.6 PFVFTE: a pool with transmit disabled sends nothing") {
                withPools(f, &$0, transmitDisabled)
            },
        ]
    }

    private static func withPools(
        _ f: Intel82599Fixture, _ r: inout CheckRecorder, _ body: (PoolSetup, inout CheckRecorder) -> Void
    ) {
        guard let p = PoolSetup(f, &r) else { return }
        body(p, &r)
    }

    /// Sends `frame` from `pool` and returns the frames that left the port (nil: no cable).
    private static func send(_ p: PoolSetup, from pool: Int, _ frame: [UInt8]) -> [[UInt8]]? {
        p.fixture.capturingWire { wire in
            p.tx[pool].send(frame)
            return wire?.frames
        }
    }

    private static func expectWire(_ seen: [[UInt8]]?, _ frame: [UInt8], copies: Int, _ what: String, _ r: inout CheckRecorder) {
        guard let seen else { return }
        let n = seen.filter { $0 == frame }.count
        r.expect(n == copies, "\(what): the wire saw \(n) copies, expected \(copies)")
    }

    private static func unicast(_ p: PoolSetup, _ r: inout CheckRecorder) {
        let frame = SuiteFrames.make(from: p.macs[0], to: p.macs[2], seed: 1)
        let wire = send(p, from: 0, frame)
        p.expectDelivery(of: frame, to: [2], switched: true, "VF 0 -> VF 2", &r)
        expectWire(wire, frame, copies: 0, "VF 0 -> VF 2", &r)
        let toPF = SuiteFrames.make(from: p.macs[1], to: p.macs[p.pfPool], seed: 2)
        let wire2 = send(p, from: 1, toPF)
        p.expectDelivery(of: toPF, to: [p.pfPool], switched: true, "VF 1 -> PF", &r)
        expectWire(wire2, toPF, copies: 0, "VF 1 -> PF", &r)
        // Without VT_LBEN the same frame is not switched locally.
        p.fixture.write(PFR.PFDTXGSWC.offset, 0)
        let wire3 = send(p, from: 0, frame)
        p.expectDelivery(of: frame, to: [], switched: true, "VF 0 -> VF 2 with VT_LBEN clear", &r)
        expectWire(wire3, frame, copies: 1, "VF 0 -> VF 2 with VT_LBEN clear", &r)
    }

    private static func broadcast(_ p: PoolSetup, _ r: inout CheckRecorder) {
        let frame = SuiteFrames.make(from: p.macs[1], to: .broadcast, seed: 3)
        let wire = send(p, from: 1, frame)
        p.expectDelivery(of: frame, to: Set(0..<p.pools).subtracting([1]), switched: true, "broadcast from VF 1", &r)
        expectWire(wire, frame, copies: 1, "broadcast from VF 1", &r)
        let fromPF = SuiteFrames.make(from: p.macs[p.pfPool], to: .broadcast, seed: 4)
        let wire2 = send(p, from: p.pfPool, fromPF)
        p.expectDelivery(of: fromPF, to: Set(0..<p.pfPool), switched: true, "broadcast from the PF", &r)
        expectWire(wire2, fromPF, copies: 1, "broadcast from the PF", &r)
    }

    private static func unknownUnicast(_ p: PoolSetup, _ r: inout CheckRecorder) {
        let frame = SuiteFrames.make(from: p.macs[0], to: stranger, seed: 5)
        let wire = send(p, from: 0, frame)
        p.expectDelivery(of: frame, to: [], switched: true, "VF 0 -> unknown unicast", &r)
        expectWire(wire, frame, copies: 1, "VF 0 -> unknown unicast", &r)
    }

    private static func fromWire(_ p: PoolSetup, _ r: inout CheckRecorder) {
        guard p.fixture.wire != nil else {
            r.expect(false, "the port has no cable to inject frames from")
            return
        }
        let cases: [(MACAddress, Set<Int>, String)] = [
            (p.macs[2], [2], "wire -> VF 2"), (p.macs[p.pfPool], [p.pfPool], "wire -> PF"),
            (.broadcast, Set(0..<p.pools), "broadcast from the wire"),
            (stranger, [p.pfPool], "unknown unicast from the wire (default pool)"),
        ]
        for (i, (to, pools, what)) in cases.enumerated() {
            let frame = SuiteFrames.make(from: remote, to: to, seed: 10 + UInt64(i))
            p.fixture.inject(frame)
            p.expectDelivery(of: frame, to: pools, switched: false, what, &r)
        }
        let vtctl = p.fixture.read(PFR.PFVTCTL.offset)
        p.fixture.write(PFR.PFVTCTL.offset, vtctl | UInt32(PFR.PFVTCTL.disableDefaultPool.mask))
        let frame = SuiteFrames.make(from: remote, to: stranger, seed: 20)
        p.fixture.inject(frame)
        p.expectDelivery(of: frame, to: [], switched: false, "unknown unicast from the wire with DIS_DEFPL", &r)
        p.fixture.write(PFR.PFVTCTL.offset, vtctl)
    }

    private static func receiveDisabled(_ p: PoolSetup, _ r: inout CheckRecorder) {
        p.setEnabled(1, receive: true, false)
        let frame = SuiteFrames.make(from: p.macs[0], to: .broadcast, seed: 30)
        _ = send(p, from: 0, frame)
        p.expectDelivery(
            of: frame, to: Set(0..<p.pools).subtracting([0, 1]), switched: true, "broadcast with VF 1's VFRE clear", &r)
        if p.fixture.wire != nil {
            let direct = SuiteFrames.make(from: remote, to: p.macs[1], seed: 31)
            p.fixture.inject(direct)
            p.expectDelivery(of: direct, to: [], switched: false, "wire -> VF 1 with its VFRE clear", &r)
        }
        let local = SuiteFrames.make(from: p.macs[2], to: p.macs[1], seed: 32)
        _ = send(p, from: 2, local)
        p.expectDelivery(of: local, to: [], switched: true, "VF 2 -> VF 1 with VF 1's VFRE clear", &r)
        p.setEnabled(1, receive: true, true)
        let again = SuiteFrames.make(from: p.macs[0], to: .broadcast, seed: 33)
        _ = send(p, from: 0, again)
        p.expectDelivery(of: again, to: Set(0..<p.pools).subtracting([0]), switched: true, "broadcast with VFRE set again", &r)
    }

    private static func transmitDisabled(_ p: PoolSetup, _ r: inout CheckRecorder) {
        p.setEnabled(0, receive: false, false)
        let frame = SuiteFrames.make(from: p.macs[0], to: p.macs[2], seed: 40)
        let wire = send(p, from: 0, frame)
        p.expectDelivery(of: frame, to: [], switched: true, "VF 0 -> VF 2 with VF 0's VFTE clear", &r)
        expectWire(wire, frame, copies: 0, "VF 0 -> VF 2 with VF 0's VFTE clear", &r)
        r.expect(p.tx[0].head == 0, "VF 0's TX head moved to \(p.tx[0].head) with its VFTE clear")
        let other = SuiteFrames.make(from: p.macs[1], to: p.macs[2], seed: 41)
        _ = send(p, from: 1, other)
        p.expectDelivery(of: other, to: [2], switched: true, "VF 1 -> VF 2 while VF 0's VFTE is clear", &r)
        p.setEnabled(0, receive: false, true)
        p.tx[0].doorbell()
        p.expectDelivery(of: frame, to: [2], switched: true, "VF 0's pending frame once VFTE is set", &r)
    }
}
