import PCIe
import RegisterModel

extension NVMeController {
    /// The NVMe Subsystem Reset magic, "NVMe".
    static let subsystemResetMagic: UInt64 = 0x4E56_4D65

    /// CC written: enable, disable (controller reset) or shutdown (NVMe Base §7.6).
    func configurationWritten(previous: UInt64) {
        let current = registers.value(at: R.CC.offset)
        let wasEnabled = R.CC.en.isSet(in: previous)
        let isEnabled = R.CC.en.isSet(in: current)
        if !wasEnabled, isEnabled {
            enable(current)
        } else if wasEnabled, !isEnabled {
            controllerReset()
        } else if isEnabled {
            let frozen = R.CC.css.mask | R.CC.mps.mask | R.CC.ams.mask
            if (previous ^ current) & frozen != 0 {
                report(.device, "CC.CSS/MPS/AMS changed while CC.EN=1 (0x\(hex(previous)) -> 0x\(hex(current))); kept")
                registers.set(R.CC.offset, (current & ~frozen) | (previous & frozen))
            }
            if R.CC.shn.extract(from: previous) == 0, R.CC.shn.extract(from: current) != 0 { shutdown() }
        }
    }

    /// CC.EN 0 -> 1: checks the admin queue setup and the selected page size, command set and
    /// arbitration; anything unsupported sets CSTS.CFS and the controller stays not ready.
    private func enable(_ cc: UInt64) {
        let cap = registers.value(at: R.CAP.offset)
        let aqa = registers.value(at: R.AQA.offset)
        let asq = registers.value(at: R.ASQ.offset)
        let acq = registers.value(at: R.ACQ.offset)
        let mps = R.CC.mps.extract(from: cc)
        let sqEntries = UInt32(R.AQA.asqs.extract(from: aqa)) + 1
        let cqEntries = UInt32(R.AQA.acqs.extract(from: aqa)) + 1
        let problem: String? =
            if mps < R.CAP.mpsmin.extract(from: cap) || mps > R.CAP.mpsmax.extract(from: cap) {
                "CC.MPS \(mps) outside CAP.MPSMIN...MPSMAX"
            } else if R.CC.css.extract(from: cc) != 0 {
                "CC.CSS \(R.CC.css.extract(from: cc)) is not the NVM command set"
            } else if R.CC.ams.extract(from: cc) != 0 {
                "CC.AMS \(R.CC.ams.extract(from: cc)) is not round robin"
            } else if R.CC.iosqes.extract(from: cc) != 0 && R.CC.iosqes.extract(from: cc) != 6
                || R.CC.iocqes.extract(from: cc) != 0 && R.CC.iocqes.extract(from: cc) != 4
            {
                "CC.IOSQES/IOCQES \(R.CC.iosqes.extract(from: cc))/\(R.CC.iocqes.extract(from: cc)) are not 6/4"
            } else if sqEntries < 2 || cqEntries < 2 {
                "AQA sizes \(sqEntries)/\(cqEntries): an admin queue needs at least 2 entries"
            } else if asq == 0 || acq == 0 {
                "admin queue address 0 (ASQ 0x\(hex(asq)), ACQ 0x\(hex(acq)))"
            } else if asq & 0xFFF != 0 || acq & 0xFFF != 0 {
                "admin queues not page aligned (ASQ 0x\(hex(asq)), ACQ 0x\(hex(acq)))"
            } else {
                nil
            }
        if let problem {
            controllerFatal("enable refused: " + problem)
            return
        }
        transfer.pageSize = 4096 << mps
        queues.submission[0] = SubmissionQueueState(
            exists: true, base: asq, entries: sqEntries, head: 0, tail: 0, completionQueue: 0, priority: 0)
        var admin = CompletionQueueState()
        admin.exists = true
        admin.base = acq
        admin.entries = cqEntries
        admin.interruptsEnabled = true
        admin.attachedSubmissionQueues = 1
        queues.completion[0] = admin
        setReady(true)
    }

    /// CSTS.RDY follows CC.EN now or after ``NVMeControllerConfiguration/readyDelay``.
    private func setReady(_ ready: Bool) {
        readinessGeneration &+= 1
        let generation = readinessGeneration
        let apply = { [timerTarget] in
            guard let self = timerTarget.object, self.readinessGeneration == generation else { return }
            self.updateStatus { R.CSTS.rdy.insert(ready ? 1 : 0, into: $0) }
            self.processing = ready
        }
        processing = false
        if configuration.readyDelay.nanoseconds == 0 {
            apply()
        } else {
            clock.schedule(after: configuration.readyDelay, apply)
        }
    }

    func updateStatus(_ change: (UInt64) -> UInt64) {
        registers.set(R.CSTS.offset, change(registers.value(at: R.CSTS.offset)))
    }

    /// CC.EN 1 -> 0 (NVMe Base §7.3.2): queues deleted, outstanding asynchronous event requests
    /// dropped, features and registers back to defaults except AQA, ASQ, ACQ and CC; RDY clears
    /// (after the ready delay), CFS and SHST clear.
    func controllerReset() {
        let keep = [R.AQA.offset, R.ASQ.offset, R.ACQ.offset, R.CC.offset].map { ($0, registers.value(at: $0)) }
        let subsystemResetOccurred = R.CSTS.nssro.isSet(in: registers.value(at: R.CSTS.offset))
        let wasReady = isReady
        resetControllerState()
        for (offset, value) in keep { registers.set(offset, value) }
        if subsystemResetOccurred { updateStatus { $0 | R.CSTS.nssro.mask } }
        if wasReady { updateStatus { $0 | R.CSTS.rdy.mask } }
        setReady(false)
    }

    /// Power-on state: every register at reset, NSSRO set after an NVM subsystem reset.
    func powerOnReset(subsystem: Bool) {
        if isReady, R.CSTS.shst.extract(from: registers.value(at: R.CSTS.offset)) != R.CSTS.SHSTValue.complete {
            counters.unsafeShutdowns &+= 1
        }
        resetControllerState()
        if subsystem { updateStatus { $0 | R.CSTS.nssro.mask } }
    }

    private func resetControllerState() {
        readinessGeneration &+= 1
        processing = false
        registers.reset()
        interruptMask = 0
        queues.removeAll()
        features = FeatureState()
        events = AsyncEventState()
        grantedIOQueues = configuration.ioQueuePairs
        transfer.pageSize = 4096
        stopKeepAliveTimer()
    }

    /// NSSR written: the magic value resets the whole subsystem (NVMe Base §7.3.1); anything else
    /// does nothing.
    func subsystemResetWritten() {
        let value = registers.value(at: R.NSSR.offset)
        registers.set(R.NSSR.offset, 0)
        guard value == Self.subsystemResetMagic else {
            report(.device, "NSSR write of 0x\(hex(value)) is not \"NVMe\" (0x4E564D65); ignored")
            return
        }
        powerOnReset(subsystem: true)
    }

    /// CC.SHN set: the namespace is flushed and SHST reads complete; commands stop until a reset.
    private func shutdown() {
        processing = false
        _ = namespace.flush()
        updateStatus { R.CSTS.shst.insert(R.CSTS.SHSTValue.complete, into: $0) }
    }

    /// Sets CSTS.CFS: the controller stops processing until the host resets it (CC.EN 1 -> 0).
    func controllerFatal(_ why: String) {
        processing = false
        counters.fatalErrors &+= 1
        updateStatus { $0 | R.CSTS.cfs.mask }
        report(.device, "controller fatal status: " + why)
    }

    // MARK: Keep alive

    /// Starts (or restarts) the keep-alive timer when a timeout is set; expiry is fatal.
    func restartKeepAliveTimer() {
        stopKeepAliveTimer()
        let timeout = features.keepAliveTimeout
        guard timeout > 0 else { return }
        let generation = readinessGeneration
        keepAliveTimer = clock.schedule(after: .milliseconds(UInt64(timeout))) { [timerTarget] in
            guard let self = timerTarget.object, self.readinessGeneration == generation, self.processing else { return }
            self.keepAliveTimer = nil
            self.controllerFatal("keep alive timeout of \(timeout) ms expired")
        }
    }

    func stopKeepAliveTimer() {
        if let t = keepAliveTimer { clock.cancel(t) }
        keepAliveTimer = nil
    }
}

/// Lower-case hex without prefix.
func hex<T: BinaryInteger>(_ v: T) -> String { String(v, radix: 16) }
