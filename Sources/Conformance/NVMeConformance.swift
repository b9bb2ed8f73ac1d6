@_spi(KeyInjection) import NVMe
import PCIe

/// The NVMe conformance suites, run on one controller through `BusDeviceAccess`, organised like
/// the public NVMe checklists (the UNH-IOL NVMe conformance test plan and tnvme's groups) and
/// each check named after the NVMe Base 1.4 section it checks.
///
/// Checks about the controller's answer to bad input drive it at register and queue-entry level
/// (the suites build their own admin and I/O queues); checks about normal operation go through
/// the reference driver (`NVMeDriver`). The suites are destructive: they reset, format and
/// sanitize the namespace. When done the controller is put back in its original LBA format and
/// left disabled (CC.EN=0), as after a reset, with its BARs and Command register as they were.
public struct NVMeConformance {
    /// One suite.
    public enum Suite: String, CaseIterable, Sendable {
        /// Controller registers: CAP, VS, reset values, read-only bits, handshakes, CFS, NSSR (§3.1, §7.6).
        case registers = "nvme-registers"
        /// Admin and I/O queues: creation and deletion status codes, doorbells, phase tags (§4.1, §5.3-§5.6).
        case queues = "nvme-queues"
        /// PRP and SGL data pointers: offsets, lists, chaining, bad entries, foreign memory (§4.3, §4.4).
        case dataPointers = "nvme-prp-sgl"
        /// Illegal opcodes, reserved fields and namespace identifiers (§4.6.1.2, §6).
        case illegalCommands = "nvme-illegal-commands"
        /// LBA ranges and MDTS (NVM Command Set §3.2, NVMe Base §5.15.2.1).
        case lbaRanges = "nvme-lba-ranges"
        /// Controller, NVM subsystem and function level resets (§7.3).
        case resets = "nvme-resets"
        /// MSI-X vectors per completion queue, INTMS/INTMC (§7.5, §3.1.3).
        case interrupts = "nvme-interrupts"
        /// Format NVM and Sanitize (§5.23, §5.24, §8.15).
        case formatSanitize = "nvme-format-sanitize"
        /// The EC2 identity: PCI ids, Identify strings, the vendor area and log page 0xD0.
        case ec2Identity = "nvme-ec2-identity"
        /// Key handling of encrypted namespaces: ciphertext at rest, cryptographic erase.
        case keyHandling = "nvme-key-handling"
    }

    /// What the test rig knows about the controller beyond its PCI function.
    public struct Rig {
        /// Reads the bytes the backing store holds for a logical block (nil: the store cannot be
        /// observed, and checks that inspect it do not apply).
        public var storedBlock: ((UInt64) -> [UInt8])?
        /// Whether the namespace is encrypted at rest (nil: unknown; the checks then go by what
        /// the controller advertises: instance storage, or cryptographic erase in FNA/SANICAP).
        public var encrypted: Bool?
        /// The block device name an EBS controller must report in the vendor-specific Identify
        /// area (nil: any non-empty, space-padded ASCII name).
        public var blockDeviceName: String?

        /// Describes a rig.
        public init(storedBlock: ((UInt64) -> [UInt8])? = nil, encrypted: Bool? = nil, blockDeviceName: String? = nil) {
            self.storedBlock = storedBlock
            self.encrypted = encrypted
            self.blockDeviceName = blockDeviceName
        }

        /// What the model behind `function` says about itself, if it is an `NVMeController`: the
        /// backing store (through the model's inspection seam), encryption and block device name.
        public static func describing(_ function: PCIFunction) -> Rig {
            guard let model = function.model as? NVMeController else { return Rig() }
            let name = model.configuration.blockDeviceName
            return Rig(
                storedBlock: { [weak model] lba in model?.storedBytes(ofBlock: lba) ?? [] }, encrypted: model.isEncrypted,
                blockDeviceName: name.isEmpty ? nil : name)
        }
    }

    private let fixture: NVMeFixture

    /// The suites for the NVMe controller at `bdf`, described by its model; nil if the function
    /// there is not an NVM Express controller.
    public init?(bus: PCIBus, bdf: BDF) {
        guard let f = bus.function(at: bdf) else { return nil }
        self.init(bus: bus, bdf: bdf, rig: Rig.describing(f))
    }

    /// The suites for the NVM Express controller at `bdf` (any function with class code 01:08:02,
    /// whatever model is behind it) on a rig described by `rig`; nil if the function is not one.
    public init?(bus: PCIBus, bdf: BDF, rig: Rig) {
        guard let f = bus.function(at: bdf), Self.applies(to: f) else { return nil }
        fixture = NVMeFixture(bus: bus, function: f, rig: rig)
    }

    /// Whether the function is an NVM Express controller (class code 01:08:02, not a VF).
    public static func applies(to function: PCIFunction) -> Bool {
        !function.isVirtualFunction && function.configuration.identity.classCode == NVMe.classCode
    }

    /// Runs `suites` (all by default) in order, then restores the controller.
    public func run(_ suites: [Suite] = Suite.allCases) -> [CheckResult] {
        var results: [CheckResult] = []
        for suite in suites {
            switch suite {
            case .registers: results += NVMeRegisterSuite.run(fixture)
            case .queues: results += NVMeQueueSuite.run(fixture)
            case .dataPointers: results += NVMeDataPointerSuite.run(fixture)
            case .illegalCommands: results += NVMeIllegalCommandSuite.run(fixture)
            case .lbaRanges: results += NVMeLBARangeSuite.run(fixture)
            case .resets: results += NVMeResetSuite.run(fixture)
            case .interrupts: results += NVMeInterruptSuite.run(fixture)
            case .formatSanitize: results += NVMeEraseSuite.run(fixture)
            case .ec2Identity: results += NVMeIdentitySuite.run(fixture)
            case .keyHandling: results += NVMeKeySuite.run(fixture)
            }
        }
        fixture.restore()
        return results
    }
}
