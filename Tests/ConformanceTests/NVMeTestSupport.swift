import Conformance
import NVMe
import PCIe
import Testing

/// One Nitro-style NVMe controller at 00:04.0 on its own bus, placed by firmware.
final class NVMeRig {
    let bus = PCIBus()
    let bdf = BDF(bus: 0, device: 4, function: 0)
    let function: PCIFunction
    let controller: NVMeController
    /// The rig as the model describes it (taken before any interposer is put in).
    let rig: NVMeConformance.Rig

    init(_ configuration: NVMeControllerConfiguration) throws {
        function = try NVMe.makeController(at: bdf, services: bus.services, configuration: configuration)
        controller = try #require(function.model as? NVMeController)
        rig = NVMeConformance.Rig.describing(function)
        try bus.attach(function)
        Firmware(bus: bus).enumerateAndAssign()
    }

    /// An EBS volume controller: 8 MiB, 512-byte blocks, 4 queue pairs, MDTS 128 KiB.
    static func ebs(encrypted: Bool = false, blockSize: Int = 512, readyDelay: VirtualDuration = .microseconds(0)) throws
        -> NVMeRig
    {
        try NVMeRig(
            NVMeControllerConfiguration(
                kind: .ebs(volumeID: "vol-0123456789abcdef0", blockDeviceName: "/dev/sdf"), capacityBytes: 8 << 20,
                blockSize: blockSize, encrypted: encrypted, ioQueuePairs: 4, maximumTransferPages: 5, readyDelay: readyDelay))
    }

    /// An instance-storage controller (always encrypted): 8 MiB, 4 KiB blocks unless told.
    static func instanceStore(blockSize: Int = 4096) throws -> NVMeRig {
        try NVMeRig(
            NVMeControllerConfiguration(
                kind: .instanceStore(serial: "AWS1234567890ABCDEF0"), capacityBytes: 8 << 20, blockSize: blockSize,
                ioQueuePairs: 4, maximumTransferPages: 5))
    }

    /// Runs `suites` on the controller through `rig` (the model's own description by default).
    func run(_ suites: [NVMeConformance.Suite], rig: NVMeConformance.Rig? = nil) throws -> [CheckResult] {
        try #require(NVMeConformance(bus: bus, bdf: bdf, rig: rig ?? self.rig)).run(suites)
    }

    /// Puts an interposer between the bus and the controller model; returns it to configure.
    @discardableResult
    func interpose(_ configure: (NVMeInterposer) -> Void = { _ in }) -> NVMeInterposer {
        let i = NVMeInterposer(controller, function: function)
        configure(i)
        function.model = i
        return i
    }
}
