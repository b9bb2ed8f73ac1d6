import PCIe
import RegisterModel

/// An 82599 virtual function: its own control, interrupt and mailbox registers, and windows onto
/// the PF's queues and per-pool statistics of its pool (datasheet §8.3.5).
///
/// VF queue n is PF queue `pool * queuesPerPool + n`; queues beyond what the pool layout gives the
/// VF read 0 and ignore writes (recorded as guest errors). DMA for those queues goes through
/// this VF's own IOMMU domain, so a VF can never reach another function's memory.
public final class Intel82599VFDevice: PCIDeviceModel {
    typealias V = Intel82599VFRegisters
    typealias R = Intel82599PFRegisters

    /// The register file at reset values, built once per process (building one from the
    /// descriptors is most of a device's construction); each device starts from a copy.
    static let registersAtReset = RegisterFile(Intel82599VFRegisters.block)
    @exclusivity(unchecked) var registers = Intel82599VFDevice.registersAtReset
    /// VTIVAR 0-3 as last written (kept beside the register file so raising a queue interrupt,
    /// once per doorbell, reads a field instead of looking the register up).
    @exclusivity(unchecked) var queueVectorAllocation = SIMD4<UInt64>(repeating: 0)
    @exclusivity(unchecked) var interrupts = InterruptCauses()
    // unowned(unsafe): the PF model owns its VF models (`virtualFunctionDevices`) and drops them
    // when VFs are disabled, so a VF never outlives it; a checked unowned reference would cost an
    // atomic retain/release on every doorbell.
    unowned(unsafe) let controller: Intel82599Device
    /// VF index, which is also its pool.
    public let index: Int
    let dma: DMAPort
    let msix: MSIXController?
    let clock: VirtualClock
    let report: (GuestErrorKind, String) -> Void

    /// Creates VF `index` of `controller` behind `function`.
    init(function: PCIFunction, controller: Intel82599Device, index: Int) {
        self.controller = controller
        self.index = index
        dma = function.dma
        msix = function.msix
        clock = function.services.clock
        report = { [unowned function] kind, detail in function.recordGuestError(kind, detail) }
        refreshQueueVectorAllocation()
    }

    // MARK: PCIDeviceModel

    public func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 {
        guard bar == Intel82599.registerBAR else {
            report(.badMMIOAccess, "read of \(bar)+0x\(String(offset, radix: 16)): not a register BAR")
            return 0
        }
        let o = Int(offset)
        if let (i, r, tx) = Self.decodeQueue(o) {
            guard let q = pfQueue(i, tx: tx, access: "read") else { return 0 }
            if r == .head { return UInt64(tx ? controller.txQueues[q].head : controller.rxQueues[q].head) }
            let pfOffset = tx ? QueueOffsets.tx(q, r) : QueueOffsets.rx(q, r)
            return controller.registers.guestRead(pfOffset, width: width.rawValue) ?? 0
        }
        switch o {
        case V.VFSTATUS.offset:
            let up = controller.linkUp ? V.VFSTATUS.linkUp.mask : 0
            return registers.value(at: o) | up
        case V.VFLINKS.offset: return controller.linksValue
        case V.VFFRTIMER.offset: return (clock.now.nanoseconds / 1000) & 0xFFFF_FFFF
        case V.VTEICR.offset: return interrupts.pending
        case V.VTEIMS.offset: return interrupts.enabled
        case V.VFMAILBOX.offset: return UInt64(controller.vfMailboxRead(vf: index))
        case V.VFMBMEM.offset..<(V.VFMBMEM.offset + 4 * V.VFMBMEM.count):
            return UInt64(controller.vfMailboxMemory(vf: index, word: (o - V.VFMBMEM.offset) >> 2))
        case V.VFGPRC.offset: return controller.statistic(at: R.PVFGPRC.offset(index))
        case V.VFGORC_LSB.offset: return controller.statistic(at: R.PVFGORC_LSB.offset(index))
        case V.VFGORC_MSB.offset: return controller.statistic(at: R.PVFGORC_MSB.offset(index))
        case V.VFMPRC.offset: return controller.statistic(at: R.PVFMPRC.offset(index))
        case V.VFGPTC.offset: return controller.statistic(at: R.PVFGPTC.offset(index))
        case V.VFGOTC_LSB.offset: return controller.statistic(at: R.PVFGOTC_LSB.offset(index))
        case V.VFGOTC_MSB.offset: return controller.statistic(at: R.PVFGOTC_MSB.offset(index))
        default:
            guard let v = registers.guestRead(o, width: width.rawValue) else {
                report(.badMMIOAccess, "\(width.rawValue)-byte read of VF BAR0+0x\(String(o, radix: 16)): no register there")
                return 0
            }
            return v
        }
    }

    public func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        guard bar == Intel82599.registerBAR else {
            report(.badMMIOAccess, "write of \(bar)+0x\(String(offset, radix: 16)): not a register BAR; dropped")
            return
        }
        let o = Int(offset)
        let v = UInt32(truncatingIfNeeded: value)
        // Tail doorbells first: every batch of every queue writes one.
        if width == .dword, let (i, tx) = Self.decodeTail(o) {
            guard let q = pfQueue(i, tx: tx, access: "write") else { return }
            Unmanaged.passUnretained(controller)._withUnsafeGuaranteedRef { $0.queueTailWritten(q, tx: tx, value: value) }
            return
        }
        if let (i, r, tx) = Self.decodeQueue(o) {
            guard let q = pfQueue(i, tx: tx, access: "write") else { return }
            let pfOffset = tx ? QueueOffsets.tx(q, r) : QueueOffsets.rx(q, r)
            // Borrowed, not retained: the PF model outlives its VFs, and a doorbell is the hot path.
            Unmanaged.passUnretained(controller)._withUnsafeGuaranteedRef { pf in
                pf.registers.guestWrite(pfOffset, width: width.rawValue, value: value)
                if tx { pf.txRegisterWritten(q, r) } else { pf.rxRegisterWritten(q, r) }
            }
            return
        }
        let bits = UInt64(v) & 0x7
        switch o {
        case V.VTEICR.offset: interrupts.clear(bits)
        case V.VTEICS.offset: signal(interrupts.raise(bits))
        case V.VTEIMS.offset: signal(interrupts.enable(bits))
        case V.VTEIMC.offset: interrupts.disable(bits)
        case V.VTEIAC.offset:
            interrupts.autoClear = bits
            registers.set(o, bits)
        case V.VTEIAM.offset:
            interrupts.autoMask = bits
            registers.set(o, bits)
        case V.VFMAILBOX.offset: controller.vfMailboxWritten(vf: index, v)
        case V.VFMBMEM.offset..<(V.VFMBMEM.offset + 4 * V.VFMBMEM.count):
            controller.vfMailboxMemoryWritten(vf: index, word: (o - V.VFMBMEM.offset) >> 2, v)
        default:
            guard registers.guestWrite(o, width: width.rawValue, value: value) != nil else {
                report(
                    .badMMIOAccess,
                    "\(width.rawValue)-byte write of VF BAR0+0x\(String(o, radix: 16)): no register there; dropped")
                return
            }
            if o >= V.VTIVAR.offset(0), o < V.VTIVAR.offset(V.VTIVAR.count) { refreshQueueVectorAllocation() }
            if o == V.VFCTRL.offset, V.VFCTRL.resetField.isSet(in: value) { resetVF() }
        }
    }

    public func reset(_ kind: ResetKind) { resetVF() }

    // MARK: Queues and interrupts

    /// Decodes a VF offset in the RX (0x1000) or TX (0x2000) queue windows.
    static func decodeQueue(_ o: Int) -> (index: Int, register: QueueRegister, tx: Bool)? {
        let tx: Bool
        switch o {
        case 0x1000..<0x1200: tx = false
        case 0x2000..<0x2200: tx = true
        default: return nil
        }
        guard let r = QueueRegister(rawValue: o & 0x3F) else { return nil }
        if tx, r == .splitControl { return nil }
        if !tx, r == .writeBackLow || r == .writeBackHigh { return nil }
        return ((o & 0xFFF) >> 6, r, tx)
    }

    /// VF queue and direction of a VFRDT (0x1018 + 0x40 n) or VFTDT (0x2018 + 0x40 n) offset
    /// (datasheet §8.3.5.2), nil for any other offset.
    @inline(__always) static func decodeTail(_ o: Int) -> (index: Int, tx: Bool)? {
        guard o & 0x3F == QueueRegister.tail.rawValue else { return nil }
        switch o & ~0x1FF {
        case 0x1000: return ((o & 0x1FF) >> 6, false)
        case 0x2000: return ((o & 0x1FF) >> 6, true)
        default: return nil
        }
    }

    /// Queues the pool layout gives this VF.
    /// None unless virtualization gives this VF a pool of its own.
    public var queueCount: Int {
        let layout = controller.layout
        guard layout.pools > 1, index < layout.pools else { return 0 }
        return min(layout.queuesPerPool, 8)
    }

    /// The PF queue behind VF queue `i`, or nil (with a guest error) past the VF's queues.
    private func pfQueue(_ i: Int, tx: Bool, access: String) -> Int? {
        guard i < queueCount else {
            report(.badMMIOAccess, "\(access) of VF \(tx ? "TX" : "RX") queue \(i): the pool has \(queueCount) queues")
            return nil
        }
        return controller.layout.firstQueue(ofPool: index) + i
    }

    @inline(__always) private func signal(_ vectors: UInt64) {
        if vectors != 0 { msix?.signal(vectors: vectors) }
    }

    /// Raises the interrupt VTIVAR gives VF queue `i`.
    func queueInterrupt(_ i: Int, tx: Bool) {
        guard i >= 0, i < 8 else { return }
        let entry = VectorAllocation.entry(in: queueVectorAllocation[(i >> 1) & 3], queue: i, tx: tx)
        guard let v = VectorAllocation.vector(entry, vectorMask: 0x3), v < 3 else { return }
        signal(interrupts.raise(UInt64(1) << UInt64(v)))
    }

    /// Raises the mailbox interrupt (VTIVAR_MISC).
    func mailboxInterrupt() {
        let entry = V.VTIVAR_MISC.mailbox.extract(from: registers.value(at: V.VTIVAR_MISC.offset))
        guard let v = VectorAllocation.vector(entry, vectorMask: 0x3), v < 3 else { return }
        signal(interrupts.raise(UInt64(1) << UInt64(v)))
    }

    /// Re-reads VTIVAR 0-3 into ``queueVectorAllocation``.
    private func refreshQueueVectorAllocation() {
        for n in 0..<V.VTIVAR.count { queueVectorAllocation[n] = registers.value(at: V.VTIVAR.offset(n)) }
    }

    /// VFCTRL.RST or FLR: VF registers to reset values, the pool's queues stop, the PF is told.
    private func resetVF() {
        registers.reset()
        refreshQueueVectorAllocation()
        interrupts = InterruptCauses()
        controller.virtualFunctionReset(vf: index)
    }
}
