import RegisterModel

/// Where each capability landed in a function's config space.
public struct CapabilityOffsets: Sendable, Equatable {
    /// Power Management.
    public var powerManagement: ConfigOffset?
    /// MSI.
    public var msi: ConfigOffset?
    /// MSI-X.
    public var msix: ConfigOffset?
    /// PCI Express.
    public var pciExpress: ConfigOffset?
    /// Advanced Error Reporting.
    public var aer: ConfigOffset?
    /// Device Serial Number.
    public var deviceSerialNumber: ConfigOffset?
    /// ARI.
    public var ari: ConfigOffset?
    /// SR-IOV.
    public var sriov: ConfigOffset?

    /// None placed.
    public init() {}
}

/// Errors in a function configuration (a bench bug, not a guest error).
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// Two capabilities overlap, or one leaves its config region.
    case capabilityPlacement(String, ConfigOffset)
    /// A BAR definition does not fit (64-bit BAR in slot 5, or a slot taken by a 64-bit BAR).
    case barLayout(Int)

    public var description: String {
        switch self {
        case .capabilityPlacement(let name, let at): "capability \(name) cannot be placed at \(at)"
        case .barLayout(let i): "BAR\(i) does not fit the BAR layout"
        }
    }
}

/// Builds a Type 0 config space from a ``FunctionConfiguration`` using the generated register
/// tables for the header and every capability, so reset values and access masks come from
/// DeviceSpecs/pci/*.yaml.
public struct ConfigSpaceBuilder {
    /// The space built so far.
    public private(set) var space = ConfigSpace()
    /// Where capabilities went.
    public private(set) var offsets = CapabilityOffsets()
    private var used = [Bool](repeating: false, count: ConfigSpace.size)
    private var lastClassicNext: ConfigOffset = ConfigOffset(PCIType0Header.CapabilitiesPointer.offset)
    private var lastExtendedHeader: ConfigOffset?
    private var nextClassic = 0x40
    private var nextExtended = 0x100

    /// Builds the space for `configuration`.
    public static func build(_ configuration: FunctionConfiguration) throws(ConfigurationError) -> (
        ConfigSpace, CapabilityOffsets
    ) {
        var b = ConfigSpaceBuilder()
        try b.header(configuration)
        for placed in configuration.capabilities { try b.add(placed) }
        return (b.space, b.offsets)
    }

    private mutating func header(_ c: FunctionConfiguration) throws(ConfigurationError) {
        typealias H = PCIType0Header
        space.install(H.block, at: 0)
        for i in 0..<0x40 { used[i] = true }
        let id = c.identity
        space.set(ConfigOffset(H.VendorID.offset), width: .word, value: UInt64(id.vendorID))
        space.set(ConfigOffset(H.DeviceID.offset), width: .word, value: UInt64(id.deviceID))
        space.set(ConfigOffset(H.RevisionID.offset), width: .byte, value: UInt64(id.revision))
        space.set(ConfigOffset(H.ProgIF.offset), width: .byte, value: UInt64(id.classCode & 0xff))
        space.set(ConfigOffset(H.SubClass.offset), width: .byte, value: UInt64(id.classCode >> 8 & 0xff))
        space.set(ConfigOffset(H.BaseClass.offset), width: .byte, value: UInt64(id.classCode >> 16 & 0xff))
        space.set(ConfigOffset(H.SubsystemVendorID.offset), width: .word, value: UInt64(id.subsystemVendorID))
        space.set(ConfigOffset(H.SubsystemID.offset), width: .word, value: UInt64(id.subsystemID))
        space.set(ConfigOffset(H.InterruptPin.offset), width: .byte, value: UInt64(id.interruptPin))
        space.set(ConfigOffset(H.HeaderType.offset), width: .byte, value: c.multiFunction ? 0x80 : 0)
        try Self.programBARs(&space, c.isVirtualFunction ? [] : c.bars, at: ConfigOffset(H.BAR.offset))
        space.setMasks(ConfigOffset(H.ExpansionROMBase.offset), width: .dword, writable: 0)
        if c.isVirtualFunction {
            space.set(ConfigOffset(H.VendorID.offset), width: .word, value: 0xffff)
            space.set(ConfigOffset(H.DeviceID.offset), width: .word, value: 0xffff)
            let command = ConfigOffset(H.Command.offset)
            let fixed = H.Command.memorySpaceEnable.mask | H.Command.ioSpaceEnable.mask
            space.setMasks(command, width: .word, writable: space.writableMask(command, width: .word) & ~fixed)
        }
        // The spec's reset value has Capabilities List set; a function without capabilities must clear it.
        space.set(
            ConfigOffset(H.Status.offset), width: .word, field: H.Status.capabilitiesList,
            to: c.capabilities.isEmpty ? 0 : 1)
    }

    /// Sets BAR flag bits and sizing masks for six consecutive BAR registers at `base`
    /// (the header's BARs, or SR-IOV's VF BARs).
    static func programBARs(_ space: inout ConfigSpace, _ bars: [BARDefinition?], at base: ConfigOffset)
        throws(ConfigurationError)
    {
        var i = 0
        while i < 6 {
            let at = base.advanced(by: 4 * i)
            guard i < bars.count, let bar = bars[i] else {
                space.set(at, width: .dword, value: 0)
                space.setMasks(at, width: .dword, writable: 0)
                i += 1
                continue
            }
            let addressMask = ~(bar.size - 1)
            space.set(at, width: .dword, value: UInt64(bar.flagBits))
            space.setMasks(at, width: .dword, writable: addressMask & (bar.kind == .io ? 0xffff_fffc : 0xffff_fff0))
            if bar.kind == .memory64 {
                guard i < 5, i + 1 >= bars.count || bars[i + 1] == nil else { throw .barLayout(i) }
                space.set(at.advanced(by: 4), width: .dword, value: 0)
                space.setMasks(at.advanced(by: 4), width: .dword, writable: addressMask >> 32)
                i += 1
            }
            i += 1
        }
    }

    private mutating func add(_ placed: PlacedCapability) throws(ConfigurationError) {
        switch placed.request {
        case .powerManagement:
            let at = try placeClassic(PowerManagementCapability.block, id: PowerManagementCapability.capabilityID, placed.offset)
            offsets.powerManagement = at
            // Version 3, DSI, PME from D0 and D3hot.
            space.set(at.advanced(by: PowerManagementCapability.PMC.offset), width: .word, value: 0x4823)
        case .msi(let vectors):
            let at = try placeClassic(MSICapability.block, id: MSICapability.capabilityID, placed.offset)
            offsets.msi = at
            typealias C = MSICapability.MessageControl
            let log2 = UInt64(max(0, min(5, Int.bitWidth - 1 - max(1, vectors).leadingZeroBitCount)))
            var control = C.multipleMessageCapable.insert(log2, into: UInt64(0))
            control = C.is64BitCapable.insert(1, into: control)
            control = C.perVectorMaskingCapable.insert(1, into: control)
            space.set(at.advanced(by: C.offset), width: .word, value: control)
        case .msix(let vectors, let table, let tableOffset, let pba, let pbaOffset):
            let at = try placeClassic(MSIXCapability.block, id: MSIXCapability.capabilityID, placed.offset)
            offsets.msix = at
            let n = UInt64(max(1, min(vectors, 2048)) - 1)
            space.set(at.advanced(by: MSIXCapability.MessageControl.offset), width: .word, value: n)
            space.set(
                at.advanced(by: MSIXCapability.TableOffsetBIR.offset), width: .dword,
                value: UInt64(tableOffset & ~7) | UInt64(table.value))
            space.set(
                at.advanced(by: MSIXCapability.PBAOffsetBIR.offset), width: .dword,
                value: UInt64(pbaOffset & ~7) | UInt64(pba.value))
        case .pciExpress(let p):
            let at = try placeClassic(PCIExpressCapability.block, id: PCIExpressCapability.capabilityID, placed.offset)
            offsets.pciExpress = at
            programPCIExpress(at, p)
        case .advancedErrorReporting:
            offsets.aer = try placeExtended(
                AERCapability.block, id: AERCapability.capabilityID,
                version: AERCapability.capabilityVersion, placed.offset)
        case .deviceSerialNumber(let serial):
            let at = try placeExtended(
                DeviceSerialNumberCapability.block, id: DeviceSerialNumberCapability.capabilityID,
                version: DeviceSerialNumberCapability.capabilityVersion, placed.offset)
            offsets.deviceSerialNumber = at
            space.set(
                at.advanced(by: DeviceSerialNumberCapability.SerialNumberLow.offset), width: .dword, value: serial & 0xffff_ffff)
            space.set(at.advanced(by: DeviceSerialNumberCapability.SerialNumberHigh.offset), width: .dword, value: serial >> 32)
        case .ari(let next):
            let at = try placeExtended(
                ARICapability.block, id: ARICapability.capabilityID,
                version: ARICapability.capabilityVersion, placed.offset)
            offsets.ari = at
            space.set(
                at.advanced(by: ARICapability.ARICapabilityRegister.offset), width: .word,
                field: ARICapability.ARICapabilityRegister.nextFunctionNumber, to: UInt64(next))
        case .sriov(let p):
            let at = try placeExtended(
                SRIOVCapability.block, id: SRIOVCapability.capabilityID,
                version: SRIOVCapability.capabilityVersion, placed.offset)
            offsets.sriov = at
            try programSRIOV(at, p)
        }
    }

    private mutating func programPCIExpress(_ at: ConfigOffset, _ p: PCIExpressProperties) {
        typealias C = PCIExpressCapability
        // Version 2, device/port type 0 (PCI Express Endpoint).
        space.set(at.advanced(by: C.PCIeCapabilities.offset), width: .word, value: 0x0002)
        // Start from the spec's reset value (Role-Based Error Reporting must stay set, PCIe Base §7.5.3.3).
        let devcapAt = at.advanced(by: C.DeviceCapabilities.offset)
        var devcap = C.DeviceCapabilities.maxPayloadSizeSupported.insert(
            UInt64(p.maxPayloadSupported), into: UInt64(space.read32(devcapAt)))
        devcap = C.DeviceCapabilities.functionLevelResetCapability.insert(p.functionLevelReset ? 1 : 0, into: devcap)
        space.set(devcapAt, width: .dword, value: devcap)
        guard !p.isVirtualFunction else { return }
        var link = C.LinkCapabilities.maxLinkSpeed.insert(UInt64(p.maxLinkSpeed), into: UInt64(0))
        link = C.LinkCapabilities.maximumLinkWidth.insert(UInt64(p.maxLinkWidth), into: link)
        link = C.LinkCapabilities.portNumber.insert(UInt64(p.portNumber), into: link)
        space.set(at.advanced(by: C.LinkCapabilities.offset), width: .dword, value: link)
        var status = C.LinkStatus.currentLinkSpeed.insert(UInt64(p.maxLinkSpeed), into: UInt64(0))
        status = C.LinkStatus.negotiatedLinkWidth.insert(UInt64(p.maxLinkWidth), into: status)
        space.set(at.advanced(by: C.LinkStatus.offset), width: .word, value: status)
        let speeds = (UInt64(1) << UInt64(min(p.maxLinkSpeed, 7))) - 1
        space.set(
            at.advanced(by: C.LinkCapabilities2.offset), width: .dword,
            field: C.LinkCapabilities2.supportedLinkSpeedsVector, to: speeds)
        space.set(
            at.advanced(by: C.LinkControl2.offset), width: .word,
            field: C.LinkControl2.targetLinkSpeed, to: UInt64(p.maxLinkSpeed))
    }

    private mutating func programSRIOV(_ at: ConfigOffset, _ p: SRIOVProperties) throws(ConfigurationError) {
        typealias C = SRIOVCapability
        space.set(at.advanced(by: C.InitialVFs.offset), width: .word, value: UInt64(p.initialVFs))
        space.set(at.advanced(by: C.TotalVFs.offset), width: .word, value: UInt64(p.totalVFs))
        space.set(at.advanced(by: C.FirstVFOffset.offset), width: .word, value: UInt64(p.firstVFOffsetWithoutARI))
        space.set(at.advanced(by: C.VFStride.offset), width: .word, value: UInt64(p.vfStrideWithoutARI))
        space.set(at.advanced(by: C.VFDeviceID.offset), width: .word, value: UInt64(p.vfDeviceID))
        space.set(at.advanced(by: C.SupportedPageSizes.offset), width: .dword, value: UInt64(p.supportedPageSizes))
        space.set(at.advanced(by: C.SystemPageSize.offset), width: .dword, value: 1)
        try Self.programBARs(&space, p.vfBARs, at: at.advanced(by: C.VFBAR.offset))
    }

    private mutating func placeClassic(_ block: RegisterBlock, id: UInt16, _ fixed: ConfigOffset?) throws(ConfigurationError)
        -> ConfigOffset
    {
        let at = fixed ?? ConfigOffset((nextClassic + 3) & ~3)
        try claim(block, at, limit: 0x100)
        space.install(block, at: at)
        space.set(at, width: .byte, value: UInt64(id))
        space.set(at.advanced(by: 1), width: .byte, value: 0)
        space.set(lastClassicNext, width: .byte, value: UInt64(at.value))
        lastClassicNext = at.advanced(by: 1)
        nextClassic = max(nextClassic, at.value + block.size)
        return at
    }

    private mutating func placeExtended(_ block: RegisterBlock, id: UInt16, version: UInt8, _ fixed: ConfigOffset?)
        throws(ConfigurationError) -> ConfigOffset
    {
        let at = fixed ?? ConfigOffset((nextExtended + 3) & ~3)
        guard at.value >= 0x100 else { throw .capabilityPlacement(block.name, at) }
        try claim(block, at, limit: ConfigSpace.size)
        space.install(block, at: at)
        space.set(at, width: .dword, value: UInt64(id) | UInt64(version & 0xf) << 16)
        if let previous = lastExtendedHeader {
            let header = space.read32(previous) & 0x000f_ffff
            space.set(previous, width: .dword, value: UInt64(header) | UInt64(at.value) << 20)
        }
        lastExtendedHeader = at
        nextExtended = max(nextExtended, at.value + block.size)
        return at
    }

    private mutating func claim(_ block: RegisterBlock, _ at: ConfigOffset, limit: Int) throws(ConfigurationError) {
        guard at.value >= 0x40, at.value % 4 == 0, at.value + block.size <= limit else {
            throw .capabilityPlacement(block.name, at)
        }
        for i in at.value..<(at.value + block.size) {
            if used[i] { throw .capabilityPlacement(block.name, at) }
            used[i] = true
        }
    }
}
