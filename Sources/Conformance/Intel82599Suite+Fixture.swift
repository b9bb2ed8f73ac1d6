import Drivers
import Intel82599
import Network
import PCIe
import RegisterModel

typealias PFR = Intel82599PFRegisters
typealias VFR = Intel82599VFRegisters

/// The 82599 port under test as a driver sees it: config space and BAR0 of the PF and its VFs
/// through `BusDeviceAccess`, DMA memory in each function's IOMMU domain, and the cable's far
/// end (frames injected into the port, frames captured leaving it), like a test rig with a
/// traffic generator on the link.
///
/// Checks reset the port before they start and configure what they need; `restore()` puts the
/// SR-IOV capability back the way the host had it.
final class Intel82599Fixture {
    /// VFs the VF, mailbox, switch and anti-spoofing checks use.
    static let wantedVFs = 3
    /// Longest a reset may take before EEC.ARD (the driver bring-up waits 10 ms, §4.6.3).
    static let resetTimeout = VirtualDuration.milliseconds(10)
    /// Longest auto-negotiation may take.
    static let linkTimeout = VirtualDuration.seconds(1)

    let bus: PCIBus
    let pf: PCIFunction
    let access: BusDeviceAccess
    /// The cable of the port (nil: no cable, frames leaving the port go nowhere).
    let wire: Wire?
    /// The address in the port's EEPROM (the rig knows what it flashed).
    let permanentAddress: MACAddress
    /// A link partner is present, so auto-negotiation can bring the link up.
    let cablePlugged: Bool
    /// Drivers' views of the VFs enabled by `ensureVFs`.
    private(set) var vfs: [BusDeviceAccess] = []
    /// Why VFs are not available, if they are not.
    private(set) var vfProblem: String?
    private let sriov: ConfigOffset?
    private let savedSRIOV: (control: UInt32, numVFs: UInt32)

    /// A fixture for the 82599 PF `function` on `bus`, whose port is `port`.
    init(bus: PCIBus, function f: PCIFunction, port: Intel82599Conformance.Port) {
        self.bus = bus
        pf = f
        access = bus.access(f.bdf)
        wire = port.wire
        permanentAddress = port.permanentAddress
        cablePlugged = port.linkPartner
        sriov = f.capabilities.sriov
        if let sriov {
            let c = SRIOVCapability.self
            savedSRIOV = (
                bus.configRead(f.bdf, sriov.advanced(by: c.SRIOVControl.offset), width: .word),
                bus.configRead(f.bdf, sriov.advanced(by: c.NumVFs.offset), width: .word)
            )
        } else {
            savedSRIOV = (0, 0)
        }
        access.enableBusMaster()
    }

    // MARK: Registers

    /// Reads a PF register.
    func read(_ offset: Int) -> UInt32 { access.read32(Intel82599.registerBAR, UInt64(offset)) }
    /// Writes a PF register.
    func write(_ offset: Int, _ value: UInt32) { access.write32(Intel82599.registerBAR, UInt64(offset), value) }
    /// Whether `field` is set in PF register `offset`.
    func isSet(_ offset: Int, _ field: BitField) -> Bool { field.isSet(in: read(offset)) }
    /// Reads a register of VF `n`.
    func vfRead(_ n: Int, _ offset: Int) -> UInt32 { vfs[n].read32(BARIndex(clamping: 0), UInt64(offset)) }
    /// Writes a register of VF `n`.
    func vfWrite(_ n: Int, _ offset: Int, _ value: UInt32) { vfs[n].write32(BARIndex(clamping: 0), UInt64(offset), value) }

    /// The virtual clock.
    var clock: VirtualClock { bus.services.clock }

    /// Advances virtual time in `step`s until `condition` holds; the time it took, or nil.
    func poll(every step: VirtualDuration = .microseconds(50), timeout: VirtualDuration, _ condition: () -> Bool)
        -> VirtualDuration?
    {
        let start = clock.now
        while true {
            if condition() { return VirtualDuration(nanoseconds: clock.now.nanoseconds - start.nanoseconds) }
            guard clock.now.nanoseconds - start.nanoseconds < timeout.nanoseconds else { return nil }
            clock.advance(by: step)
        }
    }

    // MARK: Reset

    /// What a PF driver does first (§4.6.3): reset the VFs' registers (VFCTRL.RST) and the port
    /// (CTRL.RST), wait for EEC.ARD, tell the VFs the PF is done (CTRL_EXT.PFRSTD), consume
    /// their RSTD and clear EICR; with `link`, also wait for the link. False (with a failure) if
    /// the reset or the link does not complete.
    @discardableResult
    func resetPort(_ r: inout CheckRecorder, link: Bool = false) -> Bool {
        if !vfs.isEmpty {
            // A VF's queues are only defined while VT mode gives it a pool.
            poolMode()
            for n in vfs.indices { vfWrite(n, VFR.VFCTRL.offset, UInt32(VFR.VFCTRL.resetField.mask)) }
        }
        write(PFR.CTRL.offset, UInt32(PFR.CTRL.resetField.mask))
        guard poll(timeout: Self.resetTimeout, { isSet(PFR.EEC.offset, PFR.EEC.autoReadDone) }) != nil else {
            r.expect(false, "EEC.ARD not set \(Self.resetTimeout) after CTRL.RST")
            return false
        }
        write(PFR.CTRL_EXT.offset, UInt32(PFR.CTRL_EXT.pfResetDone.mask))
        for n in vfs.indices { _ = vfRead(n, VFR.VFMAILBOX.offset) }
        if link {
            guard cablePlugged, poll(timeout: Self.linkTimeout, { isSet(PFR.LINKS.offset, PFR.LINKS.linkUp) }) != nil else {
                r.expect(false, "link not up \(Self.linkTimeout) after reset")
                return false
            }
        }
        write(PFR.EICR.offset, 0xFFFF_FFFF)
        return true
    }

    /// Puts the port in VT mode with `pools` pools (GCR_EXT.VT_Mode, PFVTCTL.VT_Ena, the PF's
    /// default pool right after the VFs'), as a PF driver does before its VFs use their queues.
    func poolMode(_ pools: Int = 64) {
        let mode: UInt64
        switch pools {
        case 16: mode = PFR.GCR_EXT.VTModeValue.pools16
        case 32: mode = PFR.GCR_EXT.VTModeValue.pools32
        default: mode = PFR.GCR_EXT.VTModeValue.pools64
        }
        write(PFR.GCR_EXT.offset, UInt32(mode))
        write(PFR.PFVTCTL.offset, UInt32(PFR.PFVTCTL.vtEnable.mask) | UInt32(vfs.count) << 7)
    }

    /// Queues per pool in `pools`-pool mode (§7.10.2.2).
    static func queuesPerPool(_ pools: Int) -> Int { 128 / pools }

    // MARK: SR-IOV

    /// Enables `count` VFs (the way Linux's sriov_numvfs does) unless exactly that many already
    /// are; false (with the reason in `vfProblem`) when the PF cannot.
    func ensureVFs(_ count: Int = Intel82599Fixture.wantedVFs) -> Bool {
        if vfs.count == count, pf.virtualFunctions.count == count { return true }
        guard canHaveVFs(count) else {
            vfProblem = "the PF offers \(sriov == nil ? 0 : pf.totalVFs) VFs, \(count) needed"
            return false
        }
        let bdfs: [BDF]
        do {
            bdfs = try access.enableVirtualFunctions(count)
        } catch {
            vfProblem = "enabling \(count) VFs: \(error)"
            return false
        }
        vfs = bdfs.compactMap { bus.function(at: $0) != nil ? bus.access($0) : nil }
        guard vfs.count == count else {
            vfProblem = "\(count) VFs enabled, \(vfs.count) appeared on the bus"
            vfs = []
            return false
        }
        for vf in vfs { vf.setCommand([PCIType0Header.Command.busMasterEnable]) }
        return true
    }

    /// Forgets the VFs (another driver re-created them); the next `ensureVFs` enables its own.
    func forgetVFs() { vfs = [] }

    /// Puts the SR-IOV capability back as it was when the fixture was made and resets the port.
    /// If the host had VFs they are re-created and the port is left in 64-pool VT mode, as a PF
    /// driver with SR-IOV leaves it, so every VF has a pool its queue registers map to.
    func restore() {
        var r = CheckRecorder()
        resetPort(&r)
        vfs = []
        guard let sriov else { return }
        let c = SRIOVCapability.self
        let control = sriov.advanced(by: c.SRIOVControl.offset)
        let ari = UInt32(truncatingIfNeeded: c.SRIOVControl.ariCapableHierarchy.mask)
        bus.configWrite(pf.bdf, control, width: .word, value: 0)
        bus.configWrite(pf.bdf, control, width: .word, value: savedSRIOV.control & ari)
        bus.configWrite(pf.bdf, sriov.advanced(by: c.NumVFs.offset), width: .word, value: savedSRIOV.numVFs)
        bus.configWrite(pf.bdf, control, width: .word, value: savedSRIOV.control)
        if c.SRIOVControl.vfEnable.isSet(in: savedSRIOV.control) {
            write(PFR.GCR_EXT.offset, UInt32(PFR.GCR_EXT.VTModeValue.pools64))
            write(PFR.PFVTCTL.offset, UInt32(PFR.PFVTCTL.vtEnable.mask) | savedSRIOV.numVFs << 7)
            write(PFR.CTRL_EXT.offset, UInt32(PFR.CTRL_EXT.pfResetDone.mask))
        }
    }

    // MARK: Guest errors

    /// A mark to count guest errors from.
    var guestErrorMark: Int { bus.services.guestErrors.total }

    /// Guest errors recorded against `bdf` since `mark`.
    func guestErrors(since mark: Int, on bdf: BDF) -> [GuestError] {
        let log = bus.services.guestErrors
        let new = min(max(log.total - mark, 0), log.entries.count)
        return log.entries.suffix(new).filter { $0.function == bdf }
    }

    // MARK: Wire

    /// Runs `body` with a recorder on the far end of the cable; nil recorder without a cable.
    func capturingWire<T>(_ body: (FrameRecorder?) -> T) -> T {
        guard let wire else { return body(nil) }
        let recorder = FrameRecorder(capacity: 64)
        wire.addFarEnd(recorder)
        defer { wire.removeFarEnd(recorder) }
        return body(recorder)
    }

    /// Sends `frame` into the port from the far end of the cable (dropped without a cable).
    func inject(_ frame: [UInt8]) {
        frame.withUnsafeBytes { wire?.transmitToPort($0) }
    }
}

extension Intel82599Fixture {
    /// Runs one check and wraps its outcome.
    func check(
        _ suite: String, _ name: String, on function: BDF? = nil, _ body: (inout CheckRecorder) -> Bool
    ) -> CheckResult {
        var r = CheckRecorder()
        let applicable = body(&r)
        return CheckResult(
            suite: suite, name: name, function: function ?? pf.bdf, failures: r.failures, applicable: applicable)
    }

    /// Whether the PF offers `count` VFs (an SR-IOV capability with TotalVFs >= `count`).
    func canHaveVFs(_ count: Int = Intel82599Fixture.wantedVFs) -> Bool { sriov != nil && pf.totalVFs >= count }

    /// A check that needs `count` VFs: not applicable when the PF does not offer them, a failure
    /// when it does but they do not come up.
    func checkWithVFs(
        _ suite: String, _ name: String, count: Int = Intel82599Fixture.wantedVFs, _ body: (inout CheckRecorder) -> Void
    ) -> CheckResult {
        check(suite, name) { r in
            guard canHaveVFs(count) else { return false }
            guard ensureVFs(count) else {
                r.expect(false, vfProblem ?? "VFs did not come up")
                return true
            }
            body(&r)
            return true
        }
    }
}
