import Drivers
import Network
import PCIe

/// The PF/VF mailbox message protocol (datasheet §7.10.3.2; messages as Linux ixgbe_mbx.h
/// defines them) driven end to end through the reference drivers: `IxgbePFDriver` enables the
/// VFs with assigned addresses and services the mailbox, `IxgbeVFDriver` resets each VF and
/// talks to it. Checks the device and both drivers together.
enum Intel82599MailboxProtocolSuite {
    static let name = "intel82599-mailbox-protocol"
    static let foreign = MACAddress(0x0299_0000_0001)

    static func run(_ f: Intel82599Fixture) -> [CheckResult] {
        [
            f.check(
                name,
                "§7.10.3.2 mailbox protocol: RESET gives each VF its MAC, API negotiated, GET_QUEUES, foreign SET_MAC_ADDR NACKed"
            ) { protocolRun(f, &$0) }
        ]
    }

    private static func protocolRun(_ f: Intel82599Fixture, _ r: inout CheckRecorder) -> Bool {
        let count = Intel82599Fixture.wantedVFs
        guard f.canHaveVFs(count) else { return false }
        f.forgetVFs()
        let pf: IxgbePFDriver<BusDeviceAccess>
        let policy = IxgbeVFPolicy.sequentialMACs(count: count)
        do {
            pf = try IxgbePFDriver(access: f.access)
            try pf.reset()
            try pf.enableSRIOV(vfCount: count, policy: policy)
        } catch {
            r.expect(false, "PF driver bring-up with \(count) VFs: \(error)")
            return true
        }
        pf.startMailboxService()
        defer { pf.stopMailboxService() }
        r.expect(pf.vfAddresses.count == count, "the PF driver enabled \(pf.vfAddresses.count) VFs, not \(count)")
        for (i, bdf) in pf.vfAddresses.enumerated() {
            let vf: IxgbeVFDriver<BusDeviceAccess>
            do {
                vf = try IxgbeVFDriver(access: f.bus.access(bdf), configuration: .init(ringSize: 64))
                try vf.start()
            } catch {
                r.expect(false, "VF \(i) (\(bdf)): reset and bring-up failed: \(error)")
                continue
            }
            r.expect(
                vf.macAddress == policy[i].macAddress,
                "VF \(i): RESET reply gave \(vf.macAddress.map { "\($0)" } ?? "no address"), the PF assigned \(policy[i].macAddress.map { "\($0)" } ?? "none")"
            )
            r.expect(
                vf.api?.includes(.version11) == true,
                "VF \(i): negotiated API \(vf.api.map { "\($0)" } ?? "none"), expected 1.1 or later")
            r.expect(
                vf.receiveQueueCount == 2 && vf.transmitQueueCount == 2,
                "VF \(i): GET_QUEUES gave \(vf.receiveQueueCount) RX / \(vf.transmitQueueCount) TX queues, expected the pool's 2")
            let others = [foreign] + (0..<count).filter { $0 != i }.compactMap { policy[$0].macAddress }
            for mac in others {
                do {
                    try vf.setMACAddress(mac)
                    r.expect(false, "VF \(i) (untrusted) was allowed SET_MAC_ADDR \(mac)")
                } catch .nacked(.setMACAddress) {
                    r.expect(vf.clearToSend, "VF \(i): the NACK for \(mac) did not keep the VF clear to send")
                } catch {
                    r.expect(false, "VF \(i): SET_MAC_ADDR \(mac) failed with \(error), expected a NACK")
                }
            }
            r.expect(vf.macAddress == policy[i].macAddress, "VF \(i): address changed after refused SET_MAC_ADDR")
            do {
                try vf.setMACAddress(policy[i].macAddress ?? foreign)
            } catch {
                r.expect(false, "VF \(i): SET_MAC_ADDR of its own address was refused: \(error)")
            }
        }
        return true
    }
}
