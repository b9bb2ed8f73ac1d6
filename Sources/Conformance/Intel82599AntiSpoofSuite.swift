import Network
import PCIe

/// Anti-spoofing (datasheet §7.10.3.9.2, PFVFSPOOF §8.2.3.27.9): a pool that sends a frame with a
/// source address or VLAN that is not its own has it dropped before the switch and counted in
/// SSVPC; the same frame goes through once the protection is off.
enum Intel82599AntiSpoofSuite {
    static let name = "intel82599-anti-spoof"

    static func run(_ f: Intel82599Fixture) -> [CheckResult] {
        [
            f.checkWithVFs(name, "§7.10.3.9.2 MAC anti-spoofing drops a foreign source address and counts it in SSVPC") {
                r in
                guard let p = PoolSetup(f, &r) else { return }
                macSpoofing(p, &r)
            },
            f.checkWithVFs(name, "§7.10.3.9.2 VLAN anti-spoofing drops a VLAN the pool is not a member of and counts it in SSVPC")
            {
                r in
                guard let p = PoolSetup(f, &r) else { return }
                vlanSpoofing(p, &r)
            },
        ]
    }

    /// Writes PFVFSPOOF(0): MACAS (bits 7:0) or VLANAS (15:8) for the VF pools.
    private static func protect(_ p: PoolSetup, mac: Bool, vlan: Bool) {
        let vfPools = UInt32(1 << (p.pools - 1)) - 1
        p.fixture.write(PFR.PFVFSPOOF.offset(0), (mac ? vfPools : 0) | (vlan ? vfPools << 8 : 0))
    }

    /// Sends from `pool`, expects delivery to `to` (and nothing on the wire), and `dropped` in SSVPC.
    private static func expect(
        _ p: PoolSetup, from pool: Int, _ frame: [UInt8], to: Set<Int>, dropped: UInt32, _ what: String,
        _ r: inout CheckRecorder
    ) {
        _ = p.fixture.read(PFR.SSVPC.offset)
        let wire = p.fixture.capturingWire { recorder in
            p.tx[pool].send(frame)
            return recorder?.frames ?? []
        }
        p.expectDelivery(of: frame, to: to, switched: true, what, &r)
        r.expect(!wire.contains(frame), "\(what): the frame left through the wire")
        let counted = p.fixture.read(PFR.SSVPC.offset)
        r.expect(counted == dropped, "\(what): SSVPC counted \(counted), expected \(dropped)")
    }

    private static func macSpoofing(_ p: PoolSetup, _ r: inout CheckRecorder) {
        protect(p, mac: true, vlan: false)
        let spoofed = SuiteFrames.make(from: p.macs[1], to: p.macs[2], seed: 50)
        expect(p, from: 0, spoofed, to: [], dropped: 1, "VF 0 sending as VF 1 with MACAS", &r)
        let honest = SuiteFrames.make(from: p.macs[0], to: p.macs[2], seed: 51)
        expect(p, from: 0, honest, to: [2], dropped: 0, "VF 0 sending as itself with MACAS", &r)
        let broadcast = SuiteFrames.make(from: p.macs[2], to: .broadcast, seed: 52)
        expect(p, from: 0, broadcast, to: [], dropped: 1, "VF 0 broadcasting as VF 2 with MACAS", &r)
        protect(p, mac: false, vlan: false)
        expect(p, from: 0, spoofed, to: [2], dropped: 0, "VF 0 sending as VF 1 without MACAS", &r)
    }

    private static func vlanSpoofing(_ p: PoolSetup, _ r: inout CheckRecorder) {
        let f = p.fixture
        // VLAN 100: VF 0 and VF 2; VLAN 200: VF 1 only.
        f.write(PFR.VLVF.offset(0), 100 | UInt32(PFR.VLVF.enable.mask))
        f.write(PFR.VLVFB.offset(0), 0b101)
        f.write(PFR.VLVF.offset(1), 200 | UInt32(PFR.VLVF.enable.mask))
        f.write(PFR.VLVFB.offset(2), 0b010)
        protect(p, mac: true, vlan: true)
        let member = SuiteFrames.make(from: p.macs[0], to: p.macs[2], vlan: 100, seed: 60)
        expect(p, from: 0, member, to: [2], dropped: 0, "VF 0 on its VLAN 100 with VLANAS", &r)
        let foreign = SuiteFrames.make(from: p.macs[0], to: p.macs[1], vlan: 200, seed: 61)
        expect(p, from: 0, foreign, to: [], dropped: 1, "VF 0 on VF 1's VLAN 200 with VLANAS", &r)
        let untagged = SuiteFrames.make(from: p.macs[0], to: p.macs[2], seed: 62)
        expect(p, from: 0, untagged, to: [2], dropped: 0, "VF 0 untagged with VLANAS", &r)
        protect(p, mac: true, vlan: false)
        expect(p, from: 0, foreign, to: [1], dropped: 0, "VF 0 on VF 1's VLAN 200 without VLANAS", &r)
    }
}
