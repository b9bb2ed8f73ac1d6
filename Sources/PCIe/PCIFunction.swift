import RegisterModel

/// One PCI function on the virtual bus: its config space, BARs, MSI-X and MSI, DMA port and the device
/// model behind them.
///
/// Guest config accesses enter through ``guestConfigRead(_:width:)`` and
/// ``guestConfigWrite(_:width:value:)`` (the bus calls them); the function applies the masks and
/// the side effects the PCI, PCIe and SR-IOV specs define, and tells the bus what changed.
public final class PCIFunction {
    /// Where the function sits.
    public internal(set) var bdf: BDF
    /// What it was built from.
    public let configuration: FunctionConfiguration
    /// Current config space. Devices update hardware-owned bits through ``updateConfig(_:)``.
    public internal(set) var config: ConfigSpace
    private let resetConfig: ConfigSpace
    /// Where each capability lives.
    public let capabilities: CapabilityOffsets
    /// The function's DMA port (its IOMMU domain inside).
    public let dma: DMAPort
    /// MSI-X state, if the function has the capability.
    public let msix: MSIXController?
    /// Bit n set when BAR n holds the MSI-X table or PBA: an access to any other BAR skips the
    /// MSI-X controller without touching it (one cache line less per doorbell).
    let msixBARs: Int
    /// The offsets from the lower start to the higher end of the table and the PBA, whichever BARs
    /// they are in: an access outside it (a doorbell below the table, say) skips the MSI-X
    /// controller's own check, a call per register access.
    let msixSpan: Range<UInt64>
    /// MSI state, if the function has the capability.
    public let msi: MSIController?
    /// Bus-wide services.
    public let services: PlatformServices
    /// The device model; nil for a function with no behaviour beyond config space. Set it
    /// before the function serves accesses; it must not be replaced from inside one of its
    /// own calls (accesses reach it unretained).
    public var model: (any PCIDeviceModel)? {
        get { modelReference?.model }
        set {
            modelReference = newValue.map(ModelReference.init)
            unretainedModel = modelReference.map { Unmanaged.passUnretained($0) }
        }
    }
    /// ``model`` in an immutable box the function owns (the only strong reference to it).
    @exclusivity(unchecked) private var modelReference: ModelReference?
    /// The box, reached without reference counting by the access paths: its `let` can be
    /// borrowed for a call, where loading the `var` above would retain and release the model.
    @exclusivity(unchecked) var unretainedModel: Unmanaged<ModelReference>?
    /// For a VF: its physical function.
    public internal(set) weak var physicalFunction: PCIFunction?
    /// For a VF: its 0-based index.
    public internal(set) var virtualFunctionIndex: Int?
    /// For a PF: the VFs currently enabled, in index order.
    public internal(set) var virtualFunctions: [PCIFunction] = []

    /// Builds a function; `domain` is its IOMMU address space (empty: every DMA faults).
    public init(
        _ configuration: FunctionConfiguration, at bdf: BDF, services: PlatformServices, domain: IOMMUDomain = IOMMUDomain()
    ) throws(ConfigurationError) {
        let (space, offsets) = try ConfigSpaceBuilder.cachedBuild(configuration)
        self.bdf = bdf
        self.configuration = configuration
        self.config = space
        self.resetConfig = space
        self.capabilities = offsets
        self.services = services
        self.dma = DMAPort(function: bdf, domain: domain, memory: services.memory, faults: services.faults)
        if let m = configuration.msix {
            msix = MSIXController(
                vectorCount: m.vectors, table: (m.table, UInt64(m.tableOffset)), pba: (m.pba, UInt64(m.pbaOffset)),
                source: bdf, clock: services.clock)
        } else {
            msix = nil
        }
        msixBARs = msix.map { 1 << $0.tableBAR.value | 1 << $0.pbaBAR.value } ?? 0
        msixSpan =
            msix.map { min($0.tableOffset, $0.pbaOffset)..<max($0.tableOffset + $0.tableSize, $0.pbaOffset + $0.pbaSize) }
            ?? 0..<0
        msi = configuration.msiVectors.map { MSIController(vectorCount: $0, source: bdf, clock: services.clock) }
        msix?.messageSignalledFallback = msi
        if let msi, let at = offsets.msi {
            let pending = at.advanced(by: MSICapability.PendingBits.offset)
            msi.pendingChanged = { [unowned self] bits in config.set(pending, width: .dword, value: UInt64(bits)) }
        }
    }

    /// Vendor ID as the OS reports it (for a VF: the PF's).
    public var vendorID: UInt16 { configuration.identity.vendorID }
    /// Device ID as the OS reports it (for a VF: the PF's VF Device ID).
    public var deviceID: UInt16 { configuration.identity.deviceID }
    /// Whether this is a VF.
    public var isVirtualFunction: Bool { configuration.isVirtualFunction }

    /// Lets a device change hardware-owned config bits (status bits, link state, ...).
    public func updateConfig(_ change: (inout ConfigSpace) -> Void) { change(&config) }

    /// Records a guest error against this function.
    public func recordGuestError(_ kind: GuestErrorKind, _ detail: String) {
        services.guestErrors.record(GuestError(function: bdf, kind: kind, detail: detail, time: services.clock.now))
    }

    // MARK: Command register

    private var command: UInt16 { config.read16(ConfigOffset(PCIType0Header.Command.offset)) }
    /// Command.MemorySpaceEnable (for a VF: the PF's SR-IOV VF MSE).
    public var memoryDecodeEnabled: Bool {
        if let pf = physicalFunction { return pf.vfMemoryDecodeEnabled }
        return PCIType0Header.Command.memorySpaceEnable.isSet(in: command)
    }
    /// Command.BusMasterEnable.
    public var busMasterEnabled: Bool { PCIType0Header.Command.busMasterEnable.isSet(in: command) }

    // MARK: Guest config access

    /// A guest config read. Out-of-range or misaligned reads return all ones and are recorded.
    public func guestConfigRead(_ offset: ConfigOffset, width: AccessWidth) -> UInt32 {
        guard ConfigSpace.isValidAccess(offset, width: width) else {
            recordGuestError(.badConfigAccess, "config read of \(width.rawValue) bytes at \(offset)")
            return UInt32(truncatingIfNeeded: width.allOnes)
        }
        return config.guestRead(offset, width: width)
    }

    /// A guest config write: masks, then side effects. Returns what the bus must act on.
    public func guestConfigWrite(_ offset: ConfigOffset, width: AccessWidth, value: UInt32) -> ConfigWriteEffects {
        guard ConfigSpace.isValidAccess(offset, width: width) else {
            recordGuestError(
                .badConfigAccess, "config write of \(width.rawValue) bytes at \(offset) value 0x\(String(value, radix: 16))")
            return []
        }
        let touched = offset.value..<(offset.value + width.rawValue)
        let before = SideEffectState(self, watching: touched)
        recordIfReadOnlyWrite(offset, width: width, value: value)
        config.guestWrite(offset, width: width, value: value)
        if let at = capabilities.powerManagement {
            keepSupportedPowerState(at, touched, previous: before.powerState)
        }
        var effects = ConfigWriteEffects()
        let after = SideEffectState(self, watching: touched)
        if before.command != after.command {
            dma.busMasterEnabled = busMasterEnabled
            if before.memoryDecode != after.memoryDecode { effects.insert(.decodeChanged) }
        }
        if touches(touched, PCIType0Header.BAR.offset, PCIType0Header.BAR.stride * PCIType0Header.BAR.count) {
            effects.insert(.decodeChanged)
        }
        if let at = capabilities.msix, touches(touched, at.value + MSIXCapability.MessageControl.offset, 2) {
            let control = config.read16(at.advanced(by: MSIXCapability.MessageControl.offset))
            msix?.update(
                enabled: MSIXCapability.MessageControl.msixEnable.isSet(in: control),
                functionMasked: MSIXCapability.MessageControl.functionMask.isSet(in: control))
        }
        if let at = capabilities.msi, touches(touched, at.value, MSICapability.block.size) { updateMSI(at) }
        if let at = capabilities.pciExpress {
            let control = at.advanced(by: PCIExpressCapability.DeviceControl.offset)
            if touches(touched, control.value, 2),
                PCIExpressCapability.DeviceControl.initiateFunctionLevelReset.isSet(in: config.read16(control))
            {
                config.set(control, width: .word, field: PCIExpressCapability.DeviceControl.initiateFunctionLevelReset, to: 0)
                if configuration.capabilities.contains(where: {
                    if case .pciExpress(let p) = $0.request { return p.functionLevelReset } else { return false }
                }) {
                    effects.insert(.functionLevelReset)
                }
            }
        }
        if let at = capabilities.sriov, touches(touched, at.value, SRIOVCapability.block.size) {
            effects.formUnion(sriovWritten(at, touched, before))
        }
        model?.configWritten(offset, width: width)
        return effects
    }

    /// Mirrors the MSI capability's registers into the MSI controller.
    private func updateMSI(_ at: ConfigOffset) {
        typealias M = MSICapability
        let low = UInt64(config.read(at.advanced(by: M.MessageAddress.offset), width: .dword))
        let high = UInt64(config.read(at.advanced(by: M.MessageUpperAddress.offset), width: .dword))
        msi?.update(
            control: config.read16(at.advanced(by: M.MessageControl.offset)), address: high << 32 | low,
            data: config.read16(at.advanced(by: M.MessageData.offset)),
            maskBits: UInt32(truncatingIfNeeded: config.read(at.advanced(by: M.MaskBits.offset), width: .dword)))
    }

    /// A write of an unsupported power state (D1/D2 without support) completes but changes
    /// nothing (PCI PM 1.2 §7.1.3, PMCSR PowerState).
    private func keepSupportedPowerState(_ at: ConfigOffset, _ touched: Range<Int>, previous: UInt16) {
        typealias PM = PowerManagementCapability
        let pmcsr = at.advanced(by: PM.PMCSR.offset)
        guard touches(touched, pmcsr.value, 2) else { return }
        let pmc = config.read16(at.advanced(by: PM.PMC.offset))
        let state = PM.PMCSR.powerState.extract(from: config.read16(pmcsr))
        let supported =
            state == 0 || state == 3 || (state == 1 && PM.PMC.d1Support.isSet(in: pmc))
            || (state == 2 && PM.PMC.d2Support.isSet(in: pmc))
        if !supported { config.set(pmcsr, width: .word, field: PM.PMCSR.powerState, to: UInt64(previous)) }
    }

    /// Records a write that tries to change a register with no guest-writable bit at all
    /// (an id, a capability pointer, TotalVFs...). The write is still ignored, as hardware does;
    /// rewriting the same value (a read-modify-write of a wider register) is not an error, and
    /// BARs are exempt because sizing writes all ones to unimplemented ones.
    private func recordIfReadOnlyWrite(_ offset: ConfigOffset, width: AccessWidth, value: UInt32) {
        let bars = PCIType0Header.BAR.offset..<(PCIType0Header.ExpansionROMBase.offset + 4)
        if bars.contains(offset.value) { return }
        if let at = capabilities.sriov {
            let vfBARs = at.value + SRIOVCapability.VFBAR.offset
            if (vfBARs..<(vfBARs + SRIOVCapability.VFBAR.stride * SRIOVCapability.VFBAR.count)).contains(offset.value) { return }
        }
        guard config.writableMask(offset, width: width) == 0, config.writeOneToClearMask(offset, width: width) == 0,
            UInt64(value) != config.read(offset, width: width)
        else { return }
        recordGuestError(
            .readOnlyWrite,
            "write of 0x\(String(value, radix: 16)) to read-only config \(offset) (holds 0x\(String(config.read(offset, width: width), radix: 16)))"
        )
    }

    private func touches(_ range: Range<Int>, _ start: Int, _ length: Int) -> Bool {
        range.overlaps(start..<(start + length))
    }

    /// Restores config space, MSI-X and the model to reset state.
    func reset(_ kind: ResetKind) {
        let routing = bdf
        config = resetConfig
        bdf = routing
        msix?.reset()
        msi?.reset()
        dma.busMasterEnabled = false
        model?.reset(kind)
    }
}

/// What a config write changed that the bus must act on.
public struct ConfigWriteEffects: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// BAR addresses or memory decode of the function itself changed: remap its windows.
    public static let decodeChanged = ConfigWriteEffects(rawValue: 1)
    /// VF Enable changed: add or remove VFs.
    public static let virtualFunctionsChanged = ConfigWriteEffects(rawValue: 2)
    /// Initiate Function Level Reset was written.
    public static let functionLevelReset = ConfigWriteEffects(rawValue: 4)
    /// VF MSE or a VF BAR of the SR-IOV capability changed: remap the VFs' windows. (A VF's
    /// windows depend on nothing else of its PF's, so ``decodeChanged`` leaves them alone.)
    public static let virtualFunctionDecodeChanged = ConfigWriteEffects(rawValue: 8)
}

/// Values compared before and after a config write.
///
/// A guest write changes only the bytes it covers (the masks, W1C and the power-state rule act
/// on those bytes alone), so a register the write does not touch cannot differ between the two
/// states: it is not read, and holds 0 in both. Memory decode follows Command (for a VF, its
/// PF's VF MSE, which a write to the VF cannot change), so it is read with Command. BAR sizing
/// writes touch none of them.
struct SideEffectState {
    let command: UInt16
    let memoryDecode: Bool
    let sriovControl: UInt16
    let numVFs: UInt16
    let powerState: UInt16

    init(_ f: PCIFunction, watching touched: Range<Int>) {
        let commandAt = PCIType0Header.Command.offset
        if touched.overlaps(commandAt..<(commandAt + 2)) {
            command = f.config.read16(ConfigOffset(commandAt))
            memoryDecode = f.memoryDecodeEnabled
        } else {
            command = 0
            memoryDecode = false
        }
        if let at = f.capabilities.powerManagement,
            touched.overlaps(at.value..<(at.value + PowerManagementCapability.block.size))
        {
            let pmcsr = f.config.read16(at.advanced(by: PowerManagementCapability.PMCSR.offset))
            powerState = PowerManagementCapability.PMCSR.powerState.extract(from: pmcsr)
        } else {
            powerState = 0
        }
        if let at = f.capabilities.sriov, touched.overlaps(at.value..<(at.value + SRIOVCapability.block.size)) {
            sriovControl = f.config.read16(at.advanced(by: SRIOVCapability.SRIOVControl.offset))
            numVFs = f.config.read16(at.advanced(by: SRIOVCapability.NumVFs.offset))
        } else {
            sriovControl = 0
            numVFs = 0
        }
    }
}

/// A device model held by a constant, so a call through it borrows the model (see
/// ``PCIFunction/unretainedModel``).
final class ModelReference {
    let model: any PCIDeviceModel
    init(_ model: any PCIDeviceModel) { self.model = model }
}
