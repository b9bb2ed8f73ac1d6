import Network
import PCIe

/// Identity and PCI shape of the Elastic Network Adapter as an EC2 guest sees it (1d0f:ec20).
///
/// Config space: class 02 00 00, BAR0 16 KiB of registers (32-bit, non-prefetchable), BAR2 1 MiB
/// prefetchable LLQ memory, BAR4 64 KiB holding the MSI-X table (offset 0) and PBA (0x2000);
/// capabilities PM at 0x40, PCI Express endpoint at 0x70 and MSI-X at 0xb0. Vector 0 serves the
/// admin and event queues, vectors 1...n the IO queue pairs.
public enum ENA {
    /// Amazon's PCI vendor id.
    public static let vendorID: UInt16 = 0x1d0f
    /// The ENA virtual function EC2 guests see.
    public static let deviceID: UInt16 = 0xec20
    /// Network controller, Ethernet.
    public static let classCode: UInt32 = 0x020000
    /// Registers and per-queue doorbells.
    public static let registerBAR = BARIndex(clamping: 0)
    /// Size of BAR0.
    public static let registerBARSize: UInt64 = 0x4000
    /// Low-latency queue memory (descriptors and inline headers written by the driver).
    public static let llqBAR = BARIndex(clamping: 2)
    /// Size of BAR2.
    public static let llqBARSize: UInt64 = 0x10_0000
    /// The BAR holding the MSI-X table and PBA.
    public static let msixBAR = BARIndex(clamping: 4)
    /// Size of BAR4.
    public static let msixBARSize: UInt64 = 0x1_0000
    /// Offset of the MSI-X table in BAR4.
    public static let msixTableOffset: UInt32 = 0
    /// Offset of the MSI-X PBA in BAR4.
    public static let msixPBAOffset: UInt32 = 0x2000
    /// Config-space offset of the MSI-X capability.
    public static let msixCapabilityOffset = 0xb0
    /// Most IO queue pairs (the per-queue register arrays hold 64 queues).
    public static let maximumQueuePairs = 32

    /// The PCI configuration of a function with `configuration.queuePairs` queue pairs.
    public static func functionConfiguration(_ configuration: ENAConfiguration) -> FunctionConfiguration {
        var pcie = PCIExpressProperties()
        pcie.maxLinkSpeed = 3
        pcie.maxLinkWidth = 8
        pcie.maxPayloadSupported = 1
        return FunctionConfiguration(
            identity: FunctionIdentity(
                vendorID: vendorID, deviceID: deviceID, revision: 0, classCode: classCode, subsystemVendorID: 0,
                subsystemID: 0, interruptPin: 1),
            bars: [
                BARDefinition(.memory32, size: registerBARSize), nil,
                BARDefinition(.memory32, size: llqBARSize, prefetchable: true), nil,
                BARDefinition(.memory32, size: msixBARSize),
            ],
            capabilities: [
                .init(.powerManagement, at: 0x40),
                .init(.pciExpress(pcie), at: 0x70),
                .init(
                    .msix(
                        vectors: configuration.queuePairs + 1, table: msixBAR, tableOffset: msixTableOffset, pba: msixBAR,
                        pbaOffset: msixPBAOffset), at: ConfigOffset(msixCapabilityOffset)),
            ])
    }

    /// Builds an ENA function ready to attach to a `PCIBus`; its model is an ``ENADevice``
    /// (`function.model as? ENADevice`). Frames it transmits go to `wire`; frames the wire's far
    /// side sends arrive at its receive queues.
    public static func makeFunction(
        at bdf: BDF, services: PlatformServices, configuration: ENAConfiguration = ENAConfiguration(), wire: Wire? = nil
    ) throws(ENASetupError) -> PCIFunction {
        try configuration.validate()
        let function: PCIFunction
        do {
            function = try PCIFunction(functionConfiguration(configuration), at: bdf, services: services)
        } catch {
            throw .configuration(error.description)
        }
        function.model = ENADevice(function: function, configuration: configuration, wire: wire)
        return function
    }
}
