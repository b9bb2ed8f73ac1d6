import DMAEngine
import Drivers
import ENA
import Intel82599
import NVMe
import Network
import PCIe

/// A virtual host built from a profile: bus, devices, firmware enumeration, drivers.
public final class VirtualHost {
    /// The profile it was built from.
    public let profile: HostProfile
    /// The bus.
    public let bus: PCIBus
    /// What firmware found and placed.
    public let enumeration: EnumerationReport
    /// Drivers bound to DMA engine functions (PFs and VFs), by function.
    public private(set) var dmaEngines: [(bdf: BDF, driver: DMAEngineDriver<BusDeviceAccess>)] = []
    /// The cable of each 82599 port and the peer host at its far end.
    public private(set) var networkPorts: [NetworkPort] = []
    /// 82599 PFs and VFs bound to the reference drivers.
    public internal(set) var nics: [BoundNIC] = []
    /// NVMe controllers bound to the reference driver.
    public internal(set) var storage: [BoundNVMe] = []
    /// The cable of each ENA.
    public internal(set) var enaPorts: [ENAPort] = []
    /// ENAs bound to the reference driver.
    public internal(set) var enas: [BoundENA] = []
    /// Ethernet segments joining ENA and 82599 ports (the host owns them; the wires do not).
    var segments: [EthernetSegment] = []
    /// Problems met during bring-up (a driver that failed to bind, VFs that did not appear).
    public private(set) var bringUpProblems: [String] = []

    /// Builds the host: creates every function, attaches it, runs firmware enumeration.
    public init(profile: HostProfile) throws(HostError) {
        let problems = profile.validate()
        guard problems.isEmpty else { throw .inconsistentProfile(problems) }
        self.profile = profile
        bus = PCIBus()
        for entry in profile.devices {
            guard let bdf = BDF(entry.slot) else { continue }
            let function: PCIFunction
            do {
                switch entry.kind {
                case .hostBridge:
                    function = try PCIFunction(HostBridge.configuration, at: bdf, services: bus.services)
                case .dmaEngine:
                    function = try DMAEngine.makePhysicalFunction(
                        at: bdf, services: bus.services, totalVFs: UInt16(entry.totalVFs ?? 0),
                        serial: entry.serial ?? 0x0012_3400_dbdb_0000 | UInt64(bdf.routingID))
                case .intel82599:
                    let port = NetworkPort(bdf: bdf)
                    function = try Intel82599.makePhysicalFunction(
                        at: bdf, services: bus.services, totalVFs: UInt16(entry.totalVFs ?? 0),
                        serial: entry.serial ?? 0x00a0_c9ff_ff00_0000 | UInt64(bdf.routingID), wire: port.wire,
                        permanentAddress: MACAddress(0x00a0_c900_0000 | UInt64(bdf.routingID) << 8))
                    networkPorts.append(port)
                case .nvmeEBS, .nvmeInstanceStore:
                    function = try NVMe.makeController(
                        at: bdf, services: bus.services, configuration: entry.nvmeConfiguration(at: bdf))
                case .ena:
                    let port = ENAPort(bdf: bdf)
                    function = try ENA.makeFunction(
                        at: bdf, services: bus.services, configuration: entry.enaConfiguration(at: bdf), wire: port.wire)
                    enaPorts.append(port)
                }
                try bus.attach(function)
            } catch {
                throw .platform("\(bdf): \(error)")
            }
        }
        enumeration = Firmware(bus: bus).enumerateAndAssign()
        joinSegments()
    }

    /// Binds drivers, enables the VFs the profile asks for and binds their drivers. Functions in
    /// `leavingUnbound` get no reference driver (someone else drives them: a vfio-user client);
    /// an 82599 PF listed there still has its VFs enabled only if it is not left unbound.
    public func bringUp(leavingUnbound: Set<BDF> = []) {
        for entry in profile.devices where entry.kind == .intel82599 {
            guard let bdf = BDF(entry.slot), !leavingUnbound.contains(bdf) else { continue }
            do {
                nics.append(try bringUpIntel82599(entry, at: bdf, leavingUnbound: leavingUnbound))
            } catch {
                bringUpProblems.append("\(bdf): \(error)")
            }
        }
        for entry in profile.devices where entry.kind.isNVMe {
            guard let bdf = BDF(entry.slot), !leavingUnbound.contains(bdf) else { continue }
            do {
                storage.append(try bringUpNVMe(entry, at: bdf))
            } catch {
                bringUpProblems.append("\(bdf): \(error)")
            }
        }
        for entry in profile.devices where entry.kind == .ena {
            guard let bdf = BDF(entry.slot), !leavingUnbound.contains(bdf) else { continue }
            do {
                enas.append(try bringUpENA(entry, at: bdf))
            } catch {
                bringUpProblems.append("\(bdf): \(error)")
            }
        }
        for entry in profile.devices where entry.kind == .dmaEngine {
            guard let bdf = BDF(entry.slot), !leavingUnbound.contains(bdf) else { continue }
            let access = bus.access(bdf)
            do {
                let driver = try DMAEngineDriver(device: access, ringEntries: 64)
                dmaEngines.append((bdf, driver))
                let vfs = entry.vfs ?? 0
                guard vfs > 0 else { continue }
                for vf in try access.enableVirtualFunctions(vfs) {
                    guard bus.function(at: vf) != nil else {
                        bringUpProblems.append("\(bdf): VF \(vf) did not appear")
                        continue
                    }
                    dmaEngines.append((vf, try DMAEngineDriver(device: bus.access(vf), ringEntries: 64)))
                }
            } catch {
                bringUpProblems.append("\(bdf): \(error)")
            }
        }
    }

    /// Every function as an inspector sees it, in bus order.
    public var snapshots: [FunctionSnapshot] { bus.functions.map { $0.snapshot() } }
}

/// An 82599 port's cable: a peer host that echoes what it receives, and a recorder of every
/// frame that left the port.
public final class NetworkPort {
    /// The PF whose port this is.
    public let bdf: BDF
    /// The cable.
    public let wire = Wire()
    /// The host at the far end (echoes frames addressed to it).
    public let peer: PeerHost
    /// Every frame that left the port.
    public let capture = FrameRecorder(capacity: 64)

    /// The peer's address on the wire of the PF at `bdf`.
    public static func peerAddress(_ bdf: BDF) -> MACAddress { MACAddress(0x0200_0000_0000 | UInt64(bdf.routingID) << 8 | 0xfe) }

    init(bdf: BDF) {
        self.bdf = bdf
        peer = PeerHost(address: Self.peerAddress(bdf), echo: true)
        peer.attach(to: wire)
        wire.addFarEnd(capture)
    }
}

/// The Intel 440FX host bridge EC2 instances show at 00:00.0: config space only.
public enum HostBridge {
    /// 8086:1237 rev 02, class 060000.
    public static let configuration = FunctionConfiguration(
        identity: FunctionIdentity(vendorID: 0x8086, deviceID: 0x1237, revision: 2, classCode: 0x060000),
        bars: [], capabilities: [])
}
