/// Which reset a function goes through.
public enum ResetKind: String, Sendable {
    /// Function Level Reset (PCIe Base §6.6.2): this function only.
    case functionLevel
    /// Conventional reset of the whole bus (hot reset / power on).
    case bus
}

/// The behaviour of a device behind one PCI function.
///
/// The platform owns config space, BAR decode and MSI-X; a model only sees BAR accesses that
/// are not the MSI-X table or PBA, plus reset and SR-IOV notifications. Models get DMA, MSI-X,
/// the clock and the error log from the ``FunctionServices`` of their function and never hold
/// host pointers to guest memory.
public protocol PCIDeviceModel: AnyObject {
    /// A guest read of `width` bytes at `offset` in `bar`. The access is inside the BAR and
    /// naturally aligned.
    func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64
    /// A guest write of `width` bytes at `offset` in `bar`.
    func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64)
    /// A write-combined burst of `bytes` at `offset` in `bar`, inside the BAR and clear of the
    /// MSI-X structures. The default replays it as naturally aligned
    /// ``barWrite(_:offset:width:value:)`` calls (``writeAsSeparateAccesses(_:offset:bytes:)``);
    /// a model that keeps the BAR as plain memory can take the block at once.
    func barWriteCombined(_ bar: BARIndex, offset: UInt64, bytes: UnsafeRawBufferPointer)
    /// Returns every register to its reset value. Config space has already been reset.
    func reset(_ kind: ResetKind)
    /// SR-IOV: builds virtual function `index` (0-based) when VF Enable is set. The platform
    /// places it at the routing id the SR-IOV capability gives.
    func makeVirtualFunction(index: Int, services: PlatformServices) -> PCIFunction?
    /// SR-IOV: the set of enabled VFs changed (0 after VF Enable is cleared).
    func virtualFunctionsChanged(count: Int)
    /// A guest config write landed (after the platform applied masks and side effects).
    func configWritten(_ offset: ConfigOffset, width: AccessWidth)
}

extension PCIDeviceModel {
    /// No VFs by default.
    public func makeVirtualFunction(index: Int, services: PlatformServices) -> PCIFunction? { nil }
    /// Nothing to do by default.
    public func virtualFunctionsChanged(count: Int) {}
    /// Nothing to do by default.
    public func configWritten(_ offset: ConfigOffset, width: AccessWidth) {}
}

/// Bus-wide services every function is created with.
public struct PlatformServices {
    /// Guest memory.
    public let memory: GuestMemory
    /// The shared virtual clock.
    public let clock: VirtualClock
    /// Where DMA faults are recorded.
    public let faults: DMAFaultLog
    /// Where guest errors are recorded.
    public let guestErrors: GuestErrorLog

    /// Bundles the services.
    public init(memory: GuestMemory, clock: VirtualClock, faults: DMAFaultLog, guestErrors: GuestErrorLog) {
        self.memory = memory
        self.clock = clock
        self.faults = faults
        self.guestErrors = guestErrors
    }
}
