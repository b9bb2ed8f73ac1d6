import PCIe

/// Identity and PCI shape of the DeviceBench DMA engine.
///
/// The PF mirrors the capability layout of an SR-IOV NIC (PM, MSI, MSI-X, PCIe, AER, DSN, ARI,
/// SR-IOV at the offsets an 82599 uses) so the platform's SR-IOV, MSI-X and IOMMU paths are
/// exercised by a device whose whole behaviour fits in one file.
public enum DMAEngine {
    /// Vendor ID used by the engine (the id QEMU's test devices use; pci.ids has no entry for
    /// it, so lspci prints `Device 1234:db01`).
    public static let vendorID: UInt16 = 0x1234
    /// PF device ID.
    public static let deviceID: UInt16 = 0xdb01
    /// VF device ID.
    public static let vfDeviceID: UInt16 = 0xdb02
    /// Class: system peripheral, DMA controller (08 01 00).
    public static let classCode: UInt32 = 0x080100
    /// MSI-X vectors of the PF.
    public static let pfVectors = 4
    /// MSI-X vectors of a VF.
    public static let vfVectors = 2
    /// Register BAR size.
    public static let registerBARSize: UInt64 = 0x4000
    /// MSI-X BAR size (table at 0, PBA at 0x2000).
    public static let msixBARSize: UInt64 = 0x4000

    /// PF configuration with up to `totalVFs` VFs (0: no SR-IOV capability).
    public static func physicalFunctionConfiguration(totalVFs: UInt16, serial: UInt64) -> FunctionConfiguration {
        var caps: [PlacedCapability] = [
            .init(.powerManagement, at: 0x40),
            .init(.msi(vectors: 1), at: 0x50),
            .init(
                .msix(
                    vectors: pfVectors, table: BARIndex(clamping: 3), tableOffset: 0, pba: BARIndex(clamping: 3),
                    pbaOffset: 0x2000), at: 0x70),
            .init(.pciExpress(PCIExpressProperties()), at: 0xa0),
            .init(.advancedErrorReporting, at: 0x100),
            .init(.deviceSerialNumber(serial), at: 0x140),
            .init(.ari(nextFunction: 0), at: 0x150),
        ]
        if totalVFs > 0 {
            let vfBAR = BARDefinition(.memory64, size: registerBARSize, prefetchable: true)
            let msixBAR = BARDefinition(.memory64, size: msixBARSize, prefetchable: true)
            caps.append(
                .init(
                    .sriov(
                        SRIOVProperties(
                            initialVFs: totalVFs, totalVFs: totalVFs, firstVFOffset: 0x80, vfStride: 2,
                            firstVFOffsetWithoutARI: 0x180, vfStrideWithoutARI: 2, vfDeviceID: vfDeviceID,
                            vfBARs: [vfBAR, nil, nil, msixBAR, nil, nil])), at: 0x160))
        }
        return FunctionConfiguration(
            identity: FunctionIdentity(
                vendorID: vendorID, deviceID: deviceID, revision: 1, classCode: classCode,
                subsystemVendorID: vendorID, subsystemID: 0x0001, interruptPin: 1),
            bars: [
                BARDefinition(.memory64, size: registerBARSize), nil, nil,
                BARDefinition(.memory64, size: msixBARSize), nil, nil,
            ],
            capabilities: caps)
    }

    /// VF configuration (config space ids read 0xffff; the OS sees 1234:db02).
    public static let virtualFunctionConfiguration: FunctionConfiguration = {
        var pcie = PCIExpressProperties()
        pcie.isVirtualFunction = true
        return .virtualFunction(
            identity: FunctionIdentity(
                vendorID: vendorID, deviceID: vfDeviceID, revision: 1, classCode: classCode,
                subsystemVendorID: vendorID, subsystemID: 0x0002),
            capabilities: [
                .init(
                    .msix(
                        vectors: vfVectors, table: BARIndex(clamping: 3), tableOffset: 0, pba: BARIndex(clamping: 3),
                        pbaOffset: 0x2000), at: 0x70),
                .init(.pciExpress(pcie), at: 0xa0),
                .init(.advancedErrorReporting, at: 0x100),
                .init(.ari(nextFunction: 0), at: 0x150),
            ])
    }()

    /// Builds a PF at `bdf` with its model attached.
    public static func makePhysicalFunction(
        at bdf: BDF, services: PlatformServices, totalVFs: UInt16 = 0,
        serial: UInt64 = 0x0012_34ff_ffdb_0100
    ) throws(ConfigurationError) -> PCIFunction {
        let f = try PCIFunction(physicalFunctionConfiguration(totalVFs: totalVFs, serial: serial), at: bdf, services: services)
        f.model = DMAEngineDevice(function: f)
        return f
    }
}
