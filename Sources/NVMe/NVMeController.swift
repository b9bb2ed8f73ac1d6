@_spi(KeyInjection) import BlockCrypto
import PCIe
import RegisterModel

/// One Nitro-style NVMe controller behind its PCI function: the BAR0 registers, the admin and
/// I/O queues, and namespace 1 on its backing store.
///
/// Commands run synchronously when the host writes a submission queue tail doorbell (like the
/// 82599 transmit path): each queue is processed from head to tail, at most one lap per doorbell,
/// and each completion is posted before the next command is fetched. A full completion queue
/// stops fetching from the queues that feed it until the host moves its head. Every guest value is
/// checked where it is used; bad commands get the spec's status, bad doorbells and setup are
/// recorded guest errors, and what the spec calls fatal sets CSTS.CFS. DMA goes only through the
/// function's `DMAPort`, which cannot reach MMIO, so a command can never re-enter the controller.
///
/// The host profile (not the guest) uses ``cryptoErase()`` on instance stop/terminate.
public final class NVMeController: PCIDeviceModel {
    typealias R = NVMeRegisters

    /// What the controller was built from.
    public let configuration: NVMeControllerConfiguration
    /// What it has done since it was built.
    @exclusivity(unchecked) public internal(set) var counters = NVMeControllerCounters()

    /// The register file at reset values, built once per process (building one from the
    /// descriptors is most of a device's construction); each device starts from a copy.
    static let registersAtReset = RegisterFile(NVMeRegisters.block)
    @exclusivity(unchecked) var registers = NVMeController.registersAtReset
    let namespace: Namespace
    let queues: QueueTable
    let transfer: DataTransfer
    let dma: DMAPort
    let msix: MSIXController?
    let clock: VirtualClock
    let report: (GuestErrorKind, String) -> Void
    /// MDTS in bytes.
    let maximumTransferBytes: Int
    /// Serial and model numbers, NQN and namespace identifiers, derived once.
    let identity: ControllerIdentity

    /// RDY set, CFS clear, no shutdown: doorbells are accepted.
    @exclusivity(unchecked) var processing = false
    /// I/O queue pairs granted by Number of Queues (the highest usable I/O queue id).
    @exclusivity(unchecked) var grantedIOQueues: Int
    @exclusivity(unchecked) var features = FeatureState()
    @exclusivity(unchecked) var events = AsyncEventState()
    @exclusivity(unchecked) var errorLog = ErrorLog()
    @exclusivity(unchecked) var sanitize = SanitizeState()
    /// INTMS/INTMC mask (pin-based and MSI interrupts only; not modelled beyond the register).
    @exclusivity(unchecked) var interruptMask: UInt32 = 0
    /// Bumped whenever CC.EN or a reset changes state, so stale RDY timers do nothing.
    @exclusivity(unchecked) var readinessGeneration: UInt64 = 0
    @exclusivity(unchecked) var keepAliveTimer: VirtualClock.TimerID?
    /// What the clock's timers capture instead of `[weak self]` (see `LifetimeTarget`).
    let timerTarget = LifetimeTarget<NVMeController>()

    /// Builds the controller model for `function`.
    init(function: PCIFunction, configuration: NVMeControllerConfiguration) throws(NVMeSetupError) {
        self.configuration = configuration
        identity = ControllerIdentity(configuration)
        namespace = try Namespace(configuration: configuration)
        queues = QueueTable(count: configuration.ioQueuePairs + 1)
        maximumTransferBytes = 4096 << configuration.maximumTransferPages
        dma = function.dma
        msix = function.msix
        clock = function.services.clock
        transfer = DataTransfer(dma: function.dma, maximumBytes: maximumTransferBytes)
        grantedIOQueues = configuration.ioQueuePairs
        if namespace.allocation.allocatedCount > 0 { sanitize.writesAtLastErase = .max }
        report = { [unowned function] kind, detail in function.recordGuestError(kind, detail) }
        timerTarget.object = self
    }

    deinit { timerTarget.object = nil }

    // MARK: Host profile API

    /// Whether blocks are stored encrypted.
    public var isEncrypted: Bool { namespace.isEncrypted }
    /// How many keys the namespace has had (1 after creation when encrypted, +1 per crypto erase;
    /// 0 when unencrypted). Never the key itself.
    public var keyGeneration: UInt64 { namespace.keyGeneration }
    /// Current logical block size.
    public var blockSize: Int { namespace.blockSize }
    /// Current number of logical blocks (NSZE).
    public var blockCount: UInt64 { namespace.blockCount }
    /// Blocks holding written data (NUSE).
    public var allocatedBlocks: UInt64 { namespace.allocation.allocatedCount }
    /// CSTS.RDY.
    public var isReady: Bool { R.CSTS.rdy.isSet(in: registers.value(at: R.CSTS.offset)) }

    /// Cryptographic erase by the host (instance stop or terminate): every block is deallocated and
    /// the key destroyed and replaced, so nothing written before can be read back; the store keeps
    /// only ciphertext under a key that no longer exists. Unencrypted namespaces are erased.
    /// - Throws: the cipher's error if no new key could be drawn (the old key is gone regardless).
    public func cryptoErase() throws(BlockCryptoError) {
        try namespace.cryptoErase()
    }

    /// Test seam: replaces the key with `key` (64 bytes, IEEE 1619 order) and deallocates every
    /// block, so tests can check stored ciphertext against an independent XTS implementation.
    /// Encrypted namespaces only. Not reachable through the device interface.
    @_spi(KeyInjection) public func installTestKey(_ key: [UInt8]) throws(BlockCryptoError) {
        try namespace.installTestKey(key)
    }

    /// Test seam: the bytes the backing store holds for block `lba` (ciphertext when encrypted).
    @_spi(KeyInjection) public func storedBytes(ofBlock lba: UInt64) -> [UInt8] { namespace.storedBytes(lba) }

    // MARK: PCIDeviceModel

    public func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 {
        guard bar == NVMe.registerBAR else {
            if bar == NVMe.auxiliaryBAR { return 0 }
            report(.badMMIOAccess, "read of \(bar)+0x\(String(offset, radix: 16)): not a controller BAR")
            return 0
        }
        if offset >= UInt64(R.SQ0TDBL.offset) { return 0 }
        guard let v = registers.guestRead(Int(offset), width: width.rawValue) else {
            report(.badMMIOAccess, "\(width.rawValue)-byte read of BAR0+0x\(String(offset, radix: 16)): no register there")
            return 0
        }
        return v
    }

    public func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        guard bar == NVMe.registerBAR else {
            report(.badMMIOAccess, "write of \(bar)+0x\(String(offset, radix: 16)): not a controller BAR; dropped")
            return
        }
        if offset >= UInt64(R.SQ0TDBL.offset) {
            doorbellWritten(offset - UInt64(R.SQ0TDBL.offset), width: width, value: value)
            return
        }
        let previousConfiguration = registers.value(at: R.CC.offset)
        guard let register = registers.guestWrite(Int(offset), width: width.rawValue, value: value) else {
            report(
                .badMMIOAccess, "\(width.rawValue)-byte write of BAR0+0x\(String(offset, radix: 16)): no register there; dropped")
            return
        }
        switch register {
        case R.CC.offset: configurationWritten(previous: previousConfiguration)
        case R.NSSR.offset: subsystemResetWritten()
        case R.INTMS.offset: updateInterruptMask(interruptMask | UInt32(truncatingIfNeeded: value))
        case R.INTMC.offset: updateInterruptMask(interruptMask & ~UInt32(truncatingIfNeeded: value))
        default: break
        }
    }

    public func reset(_ kind: ResetKind) { powerOnReset(subsystem: false) }

    private func updateInterruptMask(_ mask: UInt32) {
        interruptMask = mask
        registers.set(R.INTMS.offset, UInt64(mask))
        registers.set(R.INTMC.offset, UInt64(mask))
    }
}
