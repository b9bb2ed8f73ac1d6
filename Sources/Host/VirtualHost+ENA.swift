import Drivers
import ENA
import Network
import PCIe

/// An ENA's cable: a wire of its own with a peer host (echoing, like a VPC neighbour) and, when
/// the profile says so, membership in the Ethernet segment of an 82599's port.
public final class ENAPort {
    /// The ENA.
    public let bdf: BDF
    /// The ENA's wire.
    public let wire = Wire()
    /// A host on the ENA's own wire (echoes frames addressed to it).
    public let peer: PeerHost
    /// The 82599 whose port shares the segment, if any.
    public internal(set) var partner: BDF?

    /// The peer's address on the wire of the ENA at `bdf`.
    public static func peerAddress(_ bdf: BDF) -> MACAddress { MACAddress(0x0200_0000_0000 | UInt64(bdf.routingID) << 8 | 0xfd) }

    init(bdf: BDF) {
        self.bdf = bdf
        peer = PeerHost(address: Self.peerAddress(bdf), echo: true)
        peer.attach(to: wire)
    }
}

/// An ENA bound to the reference driver.
public struct BoundENA {
    /// The ENA's function.
    public let bdf: BDF
    /// The driver (queues created, RSS programmed).
    public let driver: ENADriver<BusDeviceAccess>
    /// The device model, for what the Nitro card (not the instance) shows: its allowance counters.
    public let device: ENADevice
    /// Its cable.
    public let port: ENAPort
}

extension HostProfile {
    /// What is wrong with ENA entry `d` at `bdf`.
    func enaProblems(_ d: DeviceEntry, at bdf: BDF) -> [String] {
        var problems: [String] = []
        if (d.totalVFs ?? 0) > 0 { problems.append("\(bdf): an ENA has no SR-IOV here") }
        if let q = d.queues, !(1...ENA.maximumQueuePairs).contains(q) {
            problems.append("\(bdf): queues \(q) outside 1...\(ENA.maximumQueuePairs)")
        }
        if let mac = d.mac, MACAddress(mac).map({ $0.isMulticast || $0.value == 0 }) ?? true {
            problems.append("\(bdf): mac '\(mac)' is not a unicast address")
        }
        if d.allowancePPS.map({ $0 > 0 }) ?? false, d.allowanceBurst == 0 {
            problems.append("\(bdf): a pps allowance needs a burst of at least 1")
        }
        if let slot = d.wire {
            let partner = BDF(slot).flatMap { s in devices.first { BDF($0.slot) == s } }
            if partner?.kind != .intel82599 { problems.append("\(bdf): wire '\(slot)' is not the slot of an intel-82599") }
        }
        return problems
    }
}

extension DeviceEntry {
    /// The ENA configuration this entry asks for (MAC derived from `bdf` when not given).
    func enaConfiguration(at bdf: BDF) -> ENAConfiguration {
        var allowances = NitroAllowances.default
        if let pps = allowancePPS { allowances.packetsPerSecond = pps }
        if let burst = allowanceBurst { allowances.packetBurst = burst }
        if let mbps = allowanceMbps {
            allowances.inboundBitsPerSecond = mbps &* 1_000_000
            allowances.outboundBitsPerSecond = mbps &* 1_000_000
        }
        let address = mac.flatMap { MACAddress($0) } ?? MACAddress(0x0600_0000_0000 | UInt64(bdf.routingID))
        return ENAConfiguration(macAddress: address, queuePairs: queues ?? 2, allowances: allowances)
    }
}

extension VirtualHost {
    /// Driver bring-up: the Linux order (reset, admin queues, features, LLQ when asked, queues,
    /// RSS), one queue pair per `queues`.
    func bringUpENA(_ entry: DeviceEntry, at bdf: BDF) throws -> BoundENA {
        guard let device = bus.function(at: bdf)?.model as? ENADevice, let port = enaPorts.first(where: { $0.bdf == bdf })
        else {
            throw HostError.platform("\(bdf): no ENA")
        }
        let driver = try ENADriver(
            access: bus.access(bdf),
            configuration: .init(
                queuePairs: entry.queues ?? 2, ringSize: 256, placement: entry.llq == true ? .lowLatency : .host))
        try driver.start()
        return BoundENA(bdf: bdf, driver: driver, device: device, port: port)
    }

    /// Joins each ENA whose entry names an 82599 to that port's Ethernet segment.
    func joinSegments() {
        for entry in profile.devices where entry.kind == .ena {
            guard let bdf = BDF(entry.slot), let port = enaPorts.first(where: { $0.bdf == bdf }),
                let partner = entry.wire.flatMap({ BDF($0) }), let nic = networkPorts.first(where: { $0.bdf == partner }),
                let device = bus.function(at: bdf)?.model as? ENADevice
            else { continue }
            let segment = EthernetSegment()
            let own = device.configuration.macAddress
            segment.join(nic.wire)
            segment.join(port.wire) { $0 == own || $0.isMulticast }
            port.partner = partner
            segments.append(segment)
        }
    }
}
