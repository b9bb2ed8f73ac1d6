import Network
import PCIe
import RegisterModel

/// The Intel 82599 behind its physical function: the PF register file and everything the
/// functions of the port share (queues, the internal switch, RSS, statistics, mailboxes).
///
/// VFs are thin windows (``Intel82599VFDevice``) onto this model: their queue registers are the
/// PF's queue registers of their pool, their mailbox memory is PFMBMEM. Every value a guest
/// writes is checked where it is used; bad rings, descriptors and mailbox use end as a counted
/// drop, a recorded guest error or a DMA fault, and every other function keeps working.
public final class Intel82599Device: PCIDeviceModel {
    typealias R = Intel82599PFRegisters

    /// The register file at reset values, built once per process (building one from the
    /// descriptors is most of a device's construction); each device starts from a copy.
    static let registersAtReset = RegisterFile(Intel82599PFRegisters.block)
    @exclusivity(unchecked) var registers = Intel82599Device.registersAtReset
    /// Where the frame path counts, resolved once per process (slots depend only on the layout).
    static let statisticSlots = StatisticSlots(registersAtReset)
    /// Where the frame path counts (slots of `registers`).
    let statistics: StatisticSlots
    /// Frame-path counts not yet folded into `registers` (see ``statistic(at:)``).
    let pending: PendingStatistics
    /// Where each queue's tail doorbells live in `registers`, resolved once per process.
    static let queueTailSlots = QueueTailSlots.all(in: registersAtReset)
    /// Where each queue's tail doorbells live in `registers`.
    let tailSlots = QueueTable(Intel82599Device.queueTailSlots)
    let rxQueues = QueueTable(count: Intel82599.queueCount, initial: RxQueue())
    let txQueues = QueueTable(count: Intel82599.queueCount, initial: TxQueue())
    @exclusivity(unchecked) var interrupts = InterruptCauses()
    /// EICR bits 30:16 (causes other than queues) and their enables.
    @exclusivity(unchecked) var otherCauses: UInt32 = 0
    @exclusivity(unchecked) var otherEnabled: UInt32 = 0
    @exclusivity(unchecked) var mailboxes = [MailboxState](repeating: MailboxState(), count: Intel82599.poolCount)
    @exclusivity(unchecked) var filters = SwitchFilters()
    @exclusivity(unchecked) var layout = PoolLayout()
    @exclusivity(unchecked) var rss = RSSState()
    /// The VF models by VF index (pool), nil where the VF is not enabled.
    @exclusivity(unchecked) var virtualFunctionDevices = [Intel82599VFDevice?](repeating: nil, count: Intel82599.poolCount) {
        didSet { refreshQueueOwners() }
    }
    /// Unretained view of the function behind each queue owner (0 the PF, n VF n-1) for the frame
    /// path, which must not retain and release per frame; the owning references are `dma` and
    /// `virtualFunctionDevices`, and this table follows every change to them.
    let queueOwners: UnsafeMutablePointer<QueueOwner>
    /// Enabled VFs.
    public internal(set) var enabledVirtualFunctions = 0
    /// RX queues (0-63, 64-127) that received frames whose interrupt is not raised yet.
    @exclusivity(unchecked) var rxInterruptsPendingLow: UInt64 = 0
    @exclusivity(unchecked) var rxInterruptsPendingHigh: UInt64 = 0
    @exclusivity(unchecked) var receiveEnabled = false
    @exclusivity(unchecked) var transmitEnabled = false
    /// Gather buffer for frames that span several transmit descriptors or get a VLAN tag inserted.
    let frameScratch: UnsafeMutableRawBufferPointer
    /// Drops and errors the model counts beyond the datasheet's statistics registers.
    @exclusivity(unchecked) public internal(set) var counters = Intel82599Counters()

    let dma: DMAPort
    let msix: MSIXController?
    let clock: VirtualClock
    let report: (GuestErrorKind, String) -> Void
    /// Where frames leaving the port go (nil: the port has no cable; frames are counted and dropped).
    public let wire: Wire?
    /// The address in the EEPROM, loaded into receive address 0 at reset.
    public let permanentAddress: MACAddress
    /// What timers and the wire port hold instead of weak references (see `LifetimeTarget`).
    let lifetime = LifetimeTarget<Intel82599Device>()
    /// The link partner is present: the link comes up after reset and auto-negotiation.
    public var cablePlugged = true
    /// Whether TX doorbells may switch simple VF-to-VF frames on the batched fast path (see
    /// `switchSimpleFrames`). The results are the same either way; tests turn it off to compare
    /// the two paths.
    @exclusivity(unchecked) public var switchFastPath = true

    /// Largest frame the port handles, in bytes (without FCS).
    public static let maxFrameSize = 16 * 1024 - 4

    /// Creates the model for `function`; frames leaving the port go to `wire`.
    public init(function: PCIFunction, wire: Wire?, permanentAddress: MACAddress) {
        statistics = Intel82599Device.statisticSlots
        pending = PendingStatistics(registers)
        queueOwners = .allocate(capacity: Intel82599.poolCount + 1)
        queueOwners.initialize(repeating: QueueOwner(), count: Intel82599.poolCount + 1)
        queueOwners[0].port = Unmanaged.passUnretained(function.dma)
        dma = function.dma
        msix = function.msix
        clock = function.services.clock
        self.wire = wire
        self.permanentAddress = permanentAddress
        report = { [unowned function] kind, detail in function.recordGuestError(kind, detail) }
        frameScratch = .allocate(byteCount: Self.maxFrameSize + 8, alignment: 64)
        frameScratch.initializeMemory(as: UInt8.self, repeating: 0)
        lifetime.object = self
        wire?.connectPort(WirePort(lifetime))
        resetDevice(kind: .bus)
    }

    deinit {
        lifetime.object = nil
        frameScratch.deallocate()
        queueOwners.deallocate()
        pending.deallocate()
        rxQueues.deallocate()
        txQueues.deallocate()
        tailSlots.deallocate()
    }

    private func refreshQueueOwners() {
        for (i, vf) in virtualFunctionDevices.enumerated() {
            queueOwners[i + 1] = QueueOwner(port: vf.map { .passUnretained($0.dma) }, vf: vf.map { .passUnretained($0) })
        }
    }

    // MARK: PCIDeviceModel

    public func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 {
        guard bar == Intel82599.registerBAR else {
            report(.badMMIOAccess, "read of \(bar)+0x\(String(offset, radix: 16)): the I/O BAR is not modelled")
            return 0
        }
        let o = Self.canonical(Int(offset))
        if let v = specialRead(o) { return v }
        registers.fold(pending, statistics.octetCounterBySlot, at: o)
        guard let v = registers.guestRead(o, width: width.rawValue) else {
            report(.badMMIOAccess, "\(width.rawValue)-byte read of BAR0+0x\(String(o, radix: 16)): no register there")
            return 0
        }
        return v
    }

    public func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        guard bar == Intel82599.registerBAR else {
            report(.badMMIOAccess, "write of \(bar)+0x\(String(offset, radix: 16)): the I/O BAR is not modelled; dropped")
            return
        }
        let o = Self.canonical(Int(offset))
        // Tail doorbells first: every batch of every PF queue writes one.
        if width == .dword, let (q, tx) = QueueOffsets.decodeTail(o) {
            queueTailWritten(q, tx: tx, value: value)
            return
        }
        if specialWrite(o, UInt32(truncatingIfNeeded: value)) { return }
        guard let register = registers.guestWrite(o, width: width.rawValue, value: value) else {
            report(.badMMIOAccess, "\(width.rawValue)-byte write of BAR0+0x\(String(o, radix: 16)): no register there; dropped")
            return
        }
        registerWritten(register, UInt32(truncatingIfNeeded: value))
    }

    public func reset(_ kind: ResetKind) { resetDevice(kind: kind) }

    public func makeVirtualFunction(index: Int, services: PlatformServices) -> PCIFunction? {
        guard index >= 0, index < Intel82599.poolCount,
            let vf = try? PCIFunction(Intel82599.virtualFunctionConfiguration, at: BDF(routingID: 0), services: services)
        else { return nil }
        let device = Intel82599VFDevice(function: vf, controller: self, index: index)
        vf.model = device
        virtualFunctionDevices[index] = device
        return vf
    }

    public func virtualFunctionsChanged(count: Int) {
        // Only where a VF goes away: each assignment rebuilds the queue owners' table.
        for i in count..<Intel82599.poolCount where virtualFunctionDevices[i] != nil { virtualFunctionDevices[i] = nil }
        enabledVirtualFunctions = count
        var status = registers.value(at: R.STATUS.offset)
        status = R.STATUS.numVFs.insert(UInt64(count), into: status)
        status = R.STATUS.iovActive.insert(count > 0 ? 1 : 0, into: status)
        registers.set(R.STATUS.offset, status)
        updateQueueOwners()
    }

    // MARK: Decode

    /// Folds register aliases onto the offsets the register file uses: SRRCTL(0-15) at 0x02100
    /// and RAL/RAH(0-15) at 0x05400.
    static func canonical(_ o: Int) -> Int {
        switch o {
        case 0x02100..<0x02140: QueueOffsets.rx((o - 0x02100) >> 2, .splitControl)
        case 0x05400..<0x05480: R.RAL.offset + (o - 0x05400)
        default: o
        }
    }

    /// Registers whose reads the model computes.
    private func specialRead(_ o: Int) -> UInt64? {
        if let (q, r) = QueueOffsets.decodeRx(o), r == .head { return UInt64(rxQueues[q].head) }
        if let (q, r) = QueueOffsets.decodeTx(o), r == .head { return UInt64(txQueues[q].head) }
        switch o {
        // EICS reads give the causes without clearing them (Linux's ixgbe reads EICS, not EICR,
        // for that reason); EICR reads are not clear-on-read in this model.
        case R.EICR.offset, R.EICS.offset:
            return UInt64(UInt32(truncatingIfNeeded: interrupts.pending & 0xFFFF) | otherCauses)
        case R.EIMS.offset: return UInt64(UInt32(truncatingIfNeeded: interrupts.enabled & 0xFFFF) | otherEnabled)
        case R.EIMS_EX.offset(0): return interrupts.enabled & 0xFFFF_FFFF
        case R.EIMS_EX.offset(1): return interrupts.enabled >> 32
        case R.VFLRE0.offset: return registers.value(at: R.VFLREC.offset(0))
        case R.VFLRE1.offset: return registers.value(at: R.VFLREC.offset(1))
        case R.PFMAILBOX.offset..<(R.PFMAILBOX.offset + 4 * R.PFMAILBOX.count):
            return UInt64(mailboxes[(o - R.PFMAILBOX.offset) >> 2].readByPF())
        default: return nil
        }
    }

    /// Registers whose writes the model applies itself; returns true if `o` was one.
    private func specialWrite(_ o: Int, _ v: UInt32) -> Bool {
        let bits = UInt64(v)
        switch o {
        case R.EICR.offset:
            interrupts.clear(bits & 0xFFFF)
            otherCauses &= ~(v & 0x7FFF_0000)
        case R.EICS.offset:
            signal(interrupts.raise(bits & 0xFFFF))
            raiseOther(v & 0x7FFF_0000)
        case R.EIMS.offset:
            signal(interrupts.enable(bits & 0xFFFF))
            let newly = v & 0x7FFF_0000 & ~otherEnabled
            otherEnabled |= v & 0x7FFF_0000
            if otherCauses & newly != 0 { signalOtherVector() }
        case R.EIMC.offset:
            interrupts.disable(bits & 0xFFFF)
            otherEnabled &= ~(v & 0x7FFF_0000)
        case R.EIAC.offset:
            interrupts.autoClear = (interrupts.autoClear & ~0xFFFF) | (bits & 0xFFFF)
            registers.set(o, bits & 0xFFFF)
        case R.EIAM.offset:
            interrupts.autoMask = (interrupts.autoMask & ~0xFFFF) | (bits & 0xFFFF)
            registers.set(o, bits & R.EIAM.mask.mask)
        case R.EICS_EX.offset(0): signal(interrupts.raise(bits))
        case R.EICS_EX.offset(1): signal(interrupts.raise(bits << 32))
        case R.EIMS_EX.offset(0): signal(interrupts.enable(bits))
        case R.EIMS_EX.offset(1): signal(interrupts.enable(bits << 32))
        case R.EIMC_EX.offset(0): interrupts.disable(bits)
        case R.EIMC_EX.offset(1): interrupts.disable(bits << 32)
        case R.EIAM_EX.offset(0):
            interrupts.autoMask = (interrupts.autoMask & ~0xFFFF_FFFF) | bits
            registers.set(o, bits)
        case R.EIAM_EX.offset(1):
            interrupts.autoMask = (interrupts.autoMask & 0xFFFF_FFFF) | bits << 32
            registers.set(o, bits)
        case R.PFMAILBOX.offset..<(R.PFMAILBOX.offset + 4 * R.PFMAILBOX.count):
            pfMailboxWritten(vf: (o - R.PFMAILBOX.offset) >> 2, v)
        case R.PFMBMEM.offset..<(R.PFMBMEM.offset + 4 * R.PFMBMEM.count):
            pfMailboxMemoryWritten(o, v)
        default:
            return false
        }
        return true
    }

    /// Side effects of a write the register file stored.
    private func registerWritten(_ o: Int, _ v: UInt32) {
        if let (q, r) = QueueOffsets.decodeRx(o) {
            rxRegisterWritten(q, r)
            return
        }
        if let (q, r) = QueueOffsets.decodeTx(o) {
            txRegisterWritten(q, r)
            return
        }
        switch o {
        case R.CTRL.offset:
            if R.CTRL.resetField.isSet(in: UInt64(v)) {
                softwareReset()
            } else if R.CTRL.linkReset.isSet(in: UInt64(v)) {
                restartLink()
            }
        case R.CTRL_EXT.offset:
            if R.CTRL_EXT.pfResetDone.isSet(in: UInt64(v)) { pfResetDone() }
        case R.AUTOC.offset:
            if R.AUTOC.restartAN.isSet(in: UInt64(v)) { restartLink() }
        case R.RXCTRL.offset:
            receiveEnabled = R.RXCTRL.rxen.isSet(in: UInt64(v))
        case R.DMATXCTL.offset:
            transmitEnabled = R.DMATXCTL.te.isSet(in: UInt64(v))
            if transmitEnabled { for q in 0..<txQueues.count where txQueues[q].enabled { transmit(queue: q) } }
        case R.QDE.offset:
            queueDropEnableWritten(v)
        case R.GCR_EXT.offset, R.PFVTCTL.offset:
            updateQueueOwners()
        case R.MRQC.offset, R.RETA.offset..<(R.RETA.offset + 4 * R.RETA.count),
            R.RSSRK.offset..<(R.RSSRK.offset + 4 * R.RSSRK.count):
            rss.reload(from: registers)
        case R.RAL.offset..<(R.RAL.offset + 8 * R.RAL.count), R.MPSAR_LO.offset..<(R.MPSAR_LO.offset + 8 * R.MPSAR_LO.count):
            filters.receiveAddressWritten(at: o) { registers.value(at: $0) }
        case R.VLVF.offset..<(R.VLVF.offset + 4 * R.VLVF.count), R.VLVFB.offset..<(R.VLVFB.offset + 4 * R.VLVFB.count):
            filters.rebuildVLANs(registers)
        case R.MTA.offset..<(R.MTA.offset + 4 * R.MTA.count):
            // One table word changed (drivers rewrite all 128 in a row): no full rebuild.
            filters.multicastTable[(o - R.MTA.offset) / 4] = UInt32(truncatingIfNeeded: registers.value(at: o))
        case R.VMOLR.offset..<(R.VMOLR.offset + 4 * R.VMOLR.count), R.VMVIR.offset..<(R.VMVIR.offset + 4 * R.VMVIR.count),
            R.PFVFRE.offset, R.PFVFRE.offset(1), R.PFVFTE.offset, R.PFVFTE.offset(1),
            R.PFVFSPOOF.offset..<(R.PFVFSPOOF.offset + 4 * R.PFVFSPOOF.count), R.PFDTXGSWC.offset,
            R.MCSTCTRL.offset, R.FCTRL.offset:
            filters.poolControlWritten(at: o) { registers.value(at: $0) }
            if o == R.PFVFTE.offset || o == R.PFVFTE.offset(1) {
                for q in 0..<txQueues.count where txQueues[q].enabled { transmit(queue: q) }
            }
        default:
            break
        }
    }

    /// Signals every vector set in `vectors`.
    /// The raw value of the statistics register at `offset` with the frame path's pending count
    /// folded in (hardware view, no clear-on-read).
    func statistic(at offset: Int) -> UInt64 {
        registers.fold(pending, statistics.octetCounterBySlot, at: offset)
        return registers.value(at: offset)
    }

    @inline(__always) func signal(_ vectors: UInt64) {
        if vectors != 0 { msix?.signal(vectors: vectors) }
    }

    /// Sets causes in EICR 30:16 and signals the "other" vector if one of them is enabled.
    func raiseOther(_ causes: UInt32) {
        guard causes != 0 else { return }
        otherCauses |= causes
        if causes & otherEnabled != 0 { signalOtherVector() }
    }

    private func signalOtherVector() {
        let entry = R.IVAR_MISC.other.extract(from: registers.value(at: R.IVAR_MISC.offset))
        if let v = VectorAllocation.vector(entry, vectorMask: 0x3F) { msix?.signal(v) }
    }

    /// Raises the queue interrupt of RX (or TX) queue `q` for the function that owns it.
    @inline(__always) func queueInterrupt(_ q: Int, tx: Bool) {
        let owner = tx ? txQueues[q].owner : rxQueues[q].owner
        if owner > 0 {
            let first = layout.firstQueue(ofPool: owner - 1)
            queueOwners[owner].vf?._withUnsafeGuaranteedRef { $0.queueInterrupt(q - first, tx: tx) }
            return
        }
        let entry = VectorAllocation.entry(in: registers.value(at: R.IVAR.offset(q >> 1)), queue: q, tx: tx)
        guard let v = VectorAllocation.vector(entry, vectorMask: 0x3F) else { return }
        signal(interrupts.raise(UInt64(1) << UInt64(v)))
    }
}

/// The function that owns a queue, unretained (see ``Intel82599Device/queueOwners``).
struct QueueOwner {
    var port: Unmanaged<DMAPort>?
    var vf: Unmanaged<Intel82599VFDevice>?
}

/// The port's end of the wire: frames from the far side enter the receive path (nothing once
/// the device is gone).
final class WirePort: FrameSink {
    let target: LifetimeTarget<Intel82599Device>
    init(_ target: LifetimeTarget<Intel82599Device>) { self.target = target }
    func receive(_ frame: UnsafeRawBufferPointer) { target.object?.receiveFromWire(frame) }
}
