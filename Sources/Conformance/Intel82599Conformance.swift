import Intel82599
import Network
import PCIe

/// The Intel 82599 conformance suites, run on one PF (and the VFs they enable) through
/// `BusDeviceAccess`, each check named after the datasheet section it checks.
///
/// The suites reset and reconfigure the port; VF checks enable three VFs through the SR-IOV
/// capability. When they are done the port is reset and the SR-IOV capability is put back the
/// way the host had it (with VT mode set again if the host had VFs).
public struct Intel82599Conformance {
    /// One suite.
    public enum Suite: String, CaseIterable, Sendable {
        /// PF register table: reset values, read-only bits, statistics, W1C causes (§8.2.3).
        case pfRegisters = "intel82599-pf-registers"
        /// VF register table and queue windows (§8.3.5).
        case vfRegisters = "intel82599-vf-registers"
        /// Reset, EEPROM auto-read, link-up sequence (§4.6.3).
        case reset = "intel82599-reset"
        /// Queue setup and teardown (§7.1, §7.2).
        case queues = "intel82599-queues"
        /// Receive-side scaling against Microsoft's verification vectors (§7.1.2.8).
        case rss = "intel82599-rss"
        /// Mailbox hardware (§7.10.3.2).
        case mailbox = "intel82599-mailbox"
        /// VEB switching between pools and the wire (§7.10.3.4).
        case switching = "intel82599-switch"
        /// MAC and VLAN anti-spoofing (§7.10.3.9.2).
        case antiSpoof = "intel82599-anti-spoof"
        /// The VF/PF mailbox message protocol through the reference drivers (§7.10.3.2).
        case mailboxProtocol = "intel82599-mailbox-protocol"
    }

    /// What the test rig knows about the port beyond its PCI functions.
    public struct Port {
        /// The cable (nil: none; checks that inject or capture frames are then not applicable).
        public var wire: Wire?
        /// The address flashed in the port's EEPROM (loaded into RAL/RAH(0) at reset).
        public var permanentAddress: MACAddress
        /// A link partner is on the cable, so auto-negotiation can bring the link up.
        public var linkPartner: Bool

        /// Describes a port.
        public init(wire: Wire?, permanentAddress: MACAddress, linkPartner: Bool = true) {
            self.wire = wire
            self.permanentAddress = permanentAddress
            self.linkPartner = linkPartner
        }
    }

    private let fixture: Intel82599Fixture

    /// The suites for the 82599 PF model at `bdf`, its port described by the model itself; nil
    /// if the function there is not an 82599 PF model.
    public init?(bus: PCIBus, bdf: BDF) {
        guard let f = bus.function(at: bdf), Self.applies(to: f), let device = f.model as? Intel82599Device else {
            return nil
        }
        self.init(
            bus: bus, bdf: bdf,
            port: Port(wire: device.wire, permanentAddress: device.permanentAddress, linkPartner: device.cablePlugged))
    }

    /// The suites for the 82599 PF at `bdf` (any function with the 82599's vendor and device id,
    /// whatever model is behind it) whose port is `port`; nil if the function there is not one.
    public init?(bus: PCIBus, bdf: BDF, port: Port) {
        guard let f = bus.function(at: bdf), !f.isVirtualFunction, f.vendorID == Intel82599.vendorID,
            f.deviceID == Intel82599.deviceID
        else { return nil }
        fixture = Intel82599Fixture(bus: bus, function: f, port: port)
    }

    /// Whether the function is an 82599 PF the suites apply to.
    public static func applies(to function: PCIFunction) -> Bool {
        !function.isVirtualFunction && function.model is Intel82599Device
    }

    /// Runs `suites` (all by default) in order, then restores the port.
    public func run(_ suites: [Suite] = Suite.allCases) -> [CheckResult] {
        var results: [CheckResult] = []
        for suite in suites {
            switch suite {
            case .pfRegisters: results += Intel82599RegisterSuite.run(fixture)
            case .vfRegisters: results += Intel82599VFRegisterSuite.run(fixture)
            case .reset: results += Intel82599ResetSuite.run(fixture)
            case .queues: results += Intel82599QueueSuite.run(fixture)
            case .rss: results += Intel82599RSSSuite.run(fixture)
            case .mailbox: results += Intel82599MailboxSuite.run(fixture)
            case .switching: results += Intel82599SwitchSuite.run(fixture)
            case .antiSpoof: results += Intel82599AntiSpoofSuite.run(fixture)
            case .mailboxProtocol: results += Intel82599MailboxProtocolSuite.run(fixture)
            }
        }
        fixture.restore()
        return results
    }
}
