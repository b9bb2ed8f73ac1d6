import Network
import PCIe

/// Identity and PCI shape of the Intel 82599 10 GbE controller (82599ES, X520 adapters).
///
/// The PF lays out config space as a real 82599ES does (datasheet §9): BAR0 128 KiB registers,
/// BAR2 32 bytes of I/O, BAR4 16 KiB MSI-X; capabilities PM 0x40, MSI 0x50, MSI-X 0x70 (64
/// vectors), PCI Express 0xa0, AER 0x100, DSN 0x140, ARI 0x150, SR-IOV 0x160 (64 VFs, VF offset
/// 0x80 / stride 2 with ARI, 0x180 / 2 without, VF BAR0 and BAR3 of 16 KiB each). The VPD
/// capability at 0xe0 is not modelled.
public enum Intel82599 {
    /// Intel's vendor id.
    public static let vendorID: UInt16 = 0x8086
    /// 82599ES SFI/SFP+ PF device id.
    public static let deviceID: UInt16 = 0x10fb
    /// 82599 Virtual Function device id.
    public static let vfDeviceID: UInt16 = 0x10ed
    /// Class: network controller, Ethernet (02 00 00).
    public static let classCode: UInt32 = 0x020000
    /// Subsystem of the PF: "Ethernet Server Adapter X520-2".
    public static let subsystemID: UInt16 = 0x0003
    /// MSI-X vectors of the PF.
    public static let pfVectors = 64
    /// MSI-X vectors of a VF (two queue vectors and the mailbox).
    public static let vfVectors = 3
    /// VFs the SR-IOV capability offers.
    public static let totalVFs: UInt16 = 64
    /// RX and TX queues of the port.
    public static let queueCount = 128
    /// Pools (VMDq pools, one per VF plus the PF's) in 64-pool mode.
    public static let poolCount = 64
    /// Size of BAR0 (registers).
    public static let registerBARSize: UInt64 = 0x20000
    /// Size of the PF MSI-X BAR (BAR4) and of each VF BAR.
    public static let msixBARSize: UInt64 = 0x4000
    /// Size of a VF's register BAR.
    public static let vfRegisterBARSize: UInt64 = 0x4000
    /// Register BAR of the PF and of every VF.
    public static let registerBAR = BARIndex(clamping: 0)
    /// PF MSI-X BAR.
    public static let pfMSIXBAR = BARIndex(clamping: 4)
    /// VF MSI-X BAR.
    public static let vfMSIXBAR = BARIndex(clamping: 3)

    /// PF configuration; `totalVFs` 0 leaves out the SR-IOV capability.
    public static func physicalFunctionConfiguration(totalVFs: UInt16 = totalVFs, serial: UInt64) -> FunctionConfiguration {
        var pcie = PCIExpressProperties()
        pcie.maxPayloadSupported = 2
        pcie.maxLinkSpeed = 2
        pcie.maxLinkWidth = 8
        var caps: [PlacedCapability] = [
            .init(.powerManagement, at: 0x40),
            .init(.msi(vectors: 1), at: 0x50),
            .init(.msix(vectors: pfVectors, table: pfMSIXBAR, tableOffset: 0, pba: pfMSIXBAR, pbaOffset: 0x2000), at: 0x70),
            .init(.pciExpress(pcie), at: 0xa0),
            .init(.advancedErrorReporting, at: 0x100),
            .init(.deviceSerialNumber(serial), at: 0x140),
            .init(.ari(nextFunction: 0), at: 0x150),
        ]
        if totalVFs > 0 {
            let vfBAR = BARDefinition(.memory64, size: vfRegisterBARSize, prefetchable: true)
            let vfMSIX = BARDefinition(.memory64, size: msixBARSize, prefetchable: true)
            caps.append(
                .init(
                    .sriov(
                        SRIOVProperties(
                            initialVFs: totalVFs, totalVFs: totalVFs, firstVFOffset: 0x80, vfStride: 2,
                            firstVFOffsetWithoutARI: 0x180, vfStrideWithoutARI: 2, vfDeviceID: vfDeviceID,
                            vfBARs: [vfBAR, nil, nil, vfMSIX, nil, nil])), at: 0x160))
        }
        return FunctionConfiguration(
            identity: FunctionIdentity(
                vendorID: vendorID, deviceID: deviceID, revision: 1, classCode: classCode,
                subsystemVendorID: vendorID, subsystemID: subsystemID, interruptPin: 1),
            bars: [
                BARDefinition(.memory64, size: registerBARSize), nil,
                BARDefinition(.io, size: 32), nil,
                BARDefinition(.memory64, size: msixBARSize), nil,
            ],
            capabilities: caps)
    }

    /// VF configuration: MSI-X (3 vectors in BAR3), PCI Express endpoint, AER and ARI.
    public static let virtualFunctionConfiguration: FunctionConfiguration = {
        var pcie = PCIExpressProperties()
        pcie.isVirtualFunction = true
        return .virtualFunction(
            identity: FunctionIdentity(
                vendorID: vendorID, deviceID: vfDeviceID, revision: 1, classCode: classCode,
                subsystemVendorID: vendorID, subsystemID: subsystemID),
            capabilities: [
                .init(.msix(vectors: vfVectors, table: vfMSIXBAR, tableOffset: 0, pba: vfMSIXBAR, pbaOffset: 0x2000), at: 0x70),
                .init(.pciExpress(pcie), at: 0xa0),
                .init(.advancedErrorReporting, at: 0x100),
                .init(.ari(nextFunction: 0), at: 0x150),
            ])
    }()

    /// Builds a PF at `bdf` with its model attached; frames leaving the port go to `wire`.
    public static func makePhysicalFunction(
        at bdf: BDF, services: PlatformServices, totalVFs: UInt16 = totalVFs,
        serial: UInt64 = 0x00a0_c9ff_ff00_0001, wire: Wire? = nil,
        permanentAddress: MACAddress = MACAddress(0x00a0_c900_0001)
    ) throws(ConfigurationError) -> PCIFunction {
        let f = try PCIFunction(physicalFunctionConfiguration(totalVFs: totalVFs, serial: serial), at: bdf, services: services)
        f.model = Intel82599Device(function: f, wire: wire, permanentAddress: permanentAddress)
        return f
    }
}
