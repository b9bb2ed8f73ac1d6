import ENA
import Network
import PCIe

/// The ENA conformance suites, run on one Elastic Network Adapter through `BusDeviceAccess`,
/// each check named after the part of the ENA ABI (`ena_regs_defs.h`, `ena_admin_defs.h`,
/// `ena_eth_io_defs.h`) or the EC2 behaviour it checks.
///
/// Checks about the device's answer to bad input drive it at register and queue-entry level
/// (raw admin entries through the reference driver's admin queue, raw IO queues); checks about
/// normal operation go through the reference driver (`ENADriver`). The suites are destructive:
/// they reset the device many times. When done the device is left reset (READY, no queues).
public struct ENAConformance {
    /// One suite.
    public enum Suite: String, CaseIterable, Sendable {
        /// PCI identity, VERSION/CAPS, the DEV_CTL reset and AQ restart handshakes.
        case registers = "ena-registers"
        /// The readless register read mechanism (MMIO_REG_READ -> MMIO_RESP).
        case readless = "ena-readless"
        /// Admin commands and features, with the status codes of bad commands.
        case admin = "ena-admin"
        /// Asynchronous events: link change, keep-alive, hints, device-requested reset, head doorbell.
        case events = "ena-events"
        /// IO queues in host and LLQ placement, bad descriptors and doorbells.
        case io = "ena-io"
        /// RSS: indirection table and the indirection entry register.
        case rss = "ena-rss"
        /// The Nitro allowances: shaping and the ENI statistics.
        case allowances = "ena-allowances"
    }

    /// What the test rig knows about the device beyond its PCI function.
    public struct Rig {
        /// The cable the port transmits to and receives from (nil: IO checks do not apply).
        public var wire: Wire?
        /// The allowances the device enforces (nil: unknown; allowance checks do not apply).
        public var allowances: NitroAllowances?
        /// Makes the device ask for a reset with a DEVICE_REQUEST_RESET event (nil: not possible).
        public var requestReset: (() -> Void)?
        /// Makes the link go down (false) or up (true) (nil: not possible).
        public var setLink: ((Bool) -> Void)?
        /// Virtual time between keep-alive events the device promises (EC2: 1 s).
        public var keepAliveInterval: VirtualDuration

        /// Describes a rig.
        public init(
            wire: Wire? = nil, allowances: NitroAllowances? = nil, requestReset: (() -> Void)? = nil,
            setLink: ((Bool) -> Void)? = nil, keepAliveInterval: VirtualDuration = .seconds(1)
        ) {
            self.wire = wire
            self.allowances = allowances
            self.requestReset = requestReset
            self.setLink = setLink
            self.keepAliveInterval = keepAliveInterval
        }

        /// What the model behind `function` says about itself, if it is an `ENADevice`: its wire,
        /// its allowances and its device-side controls. The keep-alive interval is EC2's 1 s.
        public static func describing(_ function: PCIFunction) -> Rig {
            guard let model = function.model as? ENADevice else { return Rig() }
            return Rig(
                wire: model.wire, allowances: model.configuration.allowances,
                requestReset: { [weak model] in model?.requestReset() },
                setLink: { [weak model] up in model?.setLink(up: up) })
        }
    }

    private let fixture: ENAFixture

    /// The suites for the ENA at `bdf`, described by its model; nil if the function is not an ENA.
    public init?(bus: PCIBus, bdf: BDF) {
        guard let f = bus.function(at: bdf) else { return nil }
        self.init(bus: bus, bdf: bdf, rig: Rig.describing(f))
    }

    /// The suites for the ENA at `bdf` (any model answering as 1d0f:ec20-like with class
    /// 02:00:00) on a rig described by `rig`; nil if the function is not one.
    public init?(bus: PCIBus, bdf: BDF, rig: Rig) {
        guard let f = bus.function(at: bdf), Self.applies(to: f) else { return nil }
        fixture = ENAFixture(bus: bus, function: f, rig: rig)
    }

    /// Whether the function is an ENA: Amazon's vendor id, an ENA device id, class 02:00:00.
    public static func applies(to function: PCIFunction) -> Bool {
        let identity = function.configuration.identity
        return identity.vendorID == ENA.vendorID && [0x0ec2, 0x1ec2, 0xec20, 0xec21].contains(identity.deviceID)
            && identity.classCode == ENA.classCode
    }

    /// Runs `suites` (all by default) in order, then leaves the device reset.
    public func run(_ suites: [Suite] = Suite.allCases) -> [CheckResult] {
        var results: [CheckResult] = []
        for suite in suites {
            switch suite {
            case .registers: results += ENARegisterSuite.run(fixture)
            case .readless: results += ENAReadlessSuite.run(fixture)
            case .admin: results += ENAAdminSuite.run(fixture)
            case .events: results += ENAEventSuite.run(fixture)
            case .io: results += ENAIOSuite.run(fixture)
            case .rss: results += ENARSSSuite.run(fixture)
            case .allowances: results += ENAAllowanceSuite.run(fixture)
            }
        }
        fixture.restore()
        return results
    }
}
