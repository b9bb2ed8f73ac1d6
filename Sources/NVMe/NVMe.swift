import PCIe

/// Identity and PCI shape of the Nitro NVMe controllers EC2 gives an instance: one for each EBS
/// volume (1d0f:8061) and one for each instance-storage device (1d0f:cd01).
///
/// Config space: class 01 08 02 (NVM Express), BAR0 16 KiB of controller registers (32-bit,
/// non-prefetchable), instance storage also BAR2 8 KiB prefetchable (decoded, reads zero);
/// capabilities PM at 0x40, PCI Express endpoint at 0x70 and MSI-X at 0xb0 with the table at
/// BAR0 + 0x2000 and the PBA at BAR0 + 0x3000, above the doorbells. One vector per I/O queue pair
/// plus one for the admin queue.
public enum NVMe {
    /// Amazon's PCI vendor id.
    public static let vendorID: UInt16 = 0x1d0f
    /// EBS volume controller.
    public static let ebsDeviceID: UInt16 = 0x8061
    /// Instance storage controller.
    public static let instanceStoreDeviceID: UInt16 = 0xcd01
    /// Mass storage, non-volatile memory controller, NVM Express.
    public static let classCode: UInt32 = 0x010802
    /// Controller registers and doorbells (16 KiB).
    public static let registerBAR = BARIndex(clamping: 0)
    /// Size of BAR0.
    public static let registerBARSize: UInt64 = 0x4000
    /// Bytes of a memory store's block the controller asks the cache for when it fetches a
    /// command that reads or writes it (and, for an encrypted read, twice as many more just
    /// before the cipher starts): see `Namespace.prefetch(_:forWriting:)`.
    public static let prefetchBytes = 512
    /// The instance-storage controller's second window (8 KiB, prefetchable, not used by drivers).
    public static let auxiliaryBAR = BARIndex(clamping: 2)
    /// Size of the instance-storage controller's BAR2.
    public static let auxiliaryBARSize: UInt64 = 0x2000
    /// Offset of the MSI-X table in BAR0.
    public static let msixTableOffset: UInt32 = 0x2000
    /// Offset of the MSI-X PBA in BAR0.
    public static let msixPBAOffset: UInt32 = 0x3000
    /// Most I/O queue pairs a controller offers (the MSI-X table holds 256 vectors).
    public static let maximumIOQueuePairs = 255

    /// The PCI configuration of a controller described by `configuration`.
    public static func functionConfiguration(_ configuration: NVMeControllerConfiguration) -> FunctionConfiguration {
        let isEBS = configuration.isEBS
        let deviceID = isEBS ? ebsDeviceID : instanceStoreDeviceID
        var pcie = PCIExpressProperties()
        pcie.maxLinkSpeed = 3
        pcie.maxLinkWidth = 4
        let vectors = configuration.ioQueuePairs + 1
        var bars: [BARDefinition?] = [BARDefinition(.memory32, size: registerBARSize)]
        if !isEBS { bars += [nil, BARDefinition(.memory32, size: auxiliaryBARSize, prefetchable: true)] }
        return FunctionConfiguration(
            identity: FunctionIdentity(
                vendorID: vendorID, deviceID: deviceID, revision: 0, classCode: classCode,
                subsystemVendorID: vendorID, subsystemID: deviceID, interruptPin: 1),
            bars: bars,
            capabilities: [
                .init(.powerManagement, at: 0x40),
                .init(.pciExpress(pcie), at: 0x70),
                .init(
                    .msix(
                        vectors: vectors, table: registerBAR, tableOffset: msixTableOffset, pba: registerBAR,
                        pbaOffset: msixPBAOffset), at: 0xb0),
            ])
    }

    /// Builds a controller function ready to attach to a `PCIBus`; its model is an
    /// ``NVMeController`` (`function.model as? NVMeController`).
    ///
    /// - Throws: ``NVMeSetupError`` when the configuration is invalid, the backing store cannot be
    ///   created, or the cipher cannot get a key.
    public static func makeController(
        at bdf: BDF, services: PlatformServices, configuration: NVMeControllerConfiguration
    ) throws(NVMeSetupError) -> PCIFunction {
        try configuration.validate()
        let function: PCIFunction
        do {
            function = try PCIFunction(functionConfiguration(configuration), at: bdf, services: services)
        } catch {
            throw .configuration(error.description)
        }
        function.model = try NVMeController(function: function, configuration: configuration)
        return function
    }
}

/// Why a controller could not be built (a bench or profile problem, never a guest's).
public enum NVMeSetupError: Error, Equatable, CustomStringConvertible {
    /// The configuration is inconsistent (sizes, counts, names).
    case configuration(String)
    /// The backing store (memory mapping or file) could not be set up; `errno` as reported.
    case backingStore(String, errno: Int32)
    /// The XTS cipher could not be created.
    case cipher(String)

    public var description: String {
        switch self {
        case .configuration(let s): "invalid NVMe controller configuration: \(s)"
        case .backingStore(let s, let e): "NVMe backing store: \(s) (errno \(e))"
        case .cipher(let s): "NVMe cipher: \(s)"
        }
    }
}
