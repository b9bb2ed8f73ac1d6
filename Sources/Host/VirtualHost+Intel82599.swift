import Drivers
import Intel82599
import Network
import PCIe

/// An 82599 PF bound to the reference PF driver, with its VFs bound to the VF driver.
public struct BoundNIC {
    /// The PF.
    public let bdf: BDF
    /// The PF driver (serves the VFs' mailboxes on a virtual-time timer).
    public let pf: IxgbePFDriver<BusDeviceAccess>
    /// The VF drivers, by VF index.
    public let vfs: [(bdf: BDF, driver: IxgbeVFDriver<BusDeviceAccess>)]
    /// The port's cable and peer.
    public let port: NetworkPort
}

extension VirtualHost {
    /// Address the PF's policy assigns to VF `index` of the PF at `bdf` (locally administered).
    public static func vfAddress(pf bdf: BDF, index: Int) -> MACAddress {
        MACAddress(0x0200_0000_0000 | UInt64(bdf.routingID) << 16 | UInt64(index + 1))
    }

    /// PF driver: reset, link, SR-IOV with `vfs` VFs (each assigned an address, untrusted, MAC
    /// anti-spoofing on), mailbox service; then a VF driver per VF (reset, API negotiation,
    /// queues, rings), except for VFs in `leavingUnbound`.
    func bringUpIntel82599(_ entry: DeviceEntry, at bdf: BDF, leavingUnbound: Set<BDF> = []) throws -> BoundNIC {
        guard let port = networkPorts.first(where: { $0.bdf == bdf }) else {
            throw HostError.platform("\(bdf): no network port")
        }
        let pf = try IxgbePFDriver(access: bus.access(bdf))
        try pf.reset()
        guard pf.waitForLink() else { throw HostError.platform("\(bdf): link did not come up") }
        let count = entry.vfs ?? 0
        var bound: [(bdf: BDF, driver: IxgbeVFDriver<BusDeviceAccess>)] = []
        if count > 0 {
            let policy = IxgbeVFPolicy(vfs: (0..<count).map { .init(macAddress: Self.vfAddress(pf: bdf, index: $0)) })
            let addresses = try pf.enableSRIOV(vfCount: count, policy: policy)
            pf.startMailboxService()
            for vf in addresses where !leavingUnbound.contains(vf) {
                let driver = try IxgbeVFDriver(access: bus.access(vf))
                try driver.start()
                bound.append((vf, driver))
            }
        }
        return BoundNIC(bdf: bdf, pf: pf, vfs: bound, port: port)
    }
}
