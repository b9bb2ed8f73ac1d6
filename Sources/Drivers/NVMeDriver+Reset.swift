import NVMe
import PCIe

/// Controller reset, NVM Subsystem Reset and shutdown.
extension NVMeDriver {
    /// Controller Level Reset and recovery (NVMe Base §7.3.2): CC.EN=0, wait for CSTS.RDY=0,
    /// then the whole bring-up again on the same queue memory (admin queues, Identify, Number of
    /// Queues, I/O queues, namespaces, Asynchronous Event Requests). Commands in flight do not
    /// complete: ``reap(queue:into:)`` hands them out with ``NVMeCompletion/abortedByResetStatus``
    /// and blocking waits throw ``NVMeDriverError/abortedByReset(queue:commandID:)``. This is
    /// also how to recover from CSTS.CFS (``NVMeDriverError/controllerFatal(status:)``).
    public func reset() throws(NVMeDriverError) {
        isRunning = false
        resetCount += 1
        try disable()
        try bringUp()
    }

    /// NVM Subsystem Reset (NSSR = "NVMe", needs CAP.NSSRS): waits for the controller to drop
    /// CSTS.RDY, clears CSTS.NSSRO and recovers like ``reset()``.
    public func subsystemReset() throws(NVMeDriverError) {
        guard capabilities.subsystemResetSupported else { throw .unsupported("NVM Subsystem Reset (CAP.NSSRS)") }
        isRunning = false
        resetCount += 1
        access.write32(bar, NVMeRegister.nssr, NVMeRegister.nssrMagic)
        try waitReady(false)
        access.enableBusMaster()
        let csts = access.read32(bar, NVMeRegister.csts)
        if csts & NVMeRegister.cstsSubsystemReset != 0 {
            access.write32(bar, NVMeRegister.csts, NVMeRegister.cstsSubsystemReset)
        }
        try disable()
        try bringUp()
    }

    /// Whether CSTS.NSSRO is set (an NVM Subsystem Reset happened since it was last cleared).
    public var subsystemResetOccurred: Bool { controllerStatus & NVMeRegister.cstsSubsystemReset != 0 }

    /// Normal shutdown (NVMe Base §7.6.2): CC.SHN=01, then CSTS.SHST=10 within CAP.TO (at least
    /// one second). Commands in flight are failed as by a reset. ``start()`` brings the
    /// controller back.
    public func shutdown() throws(NVMeDriverError) {
        isRunning = false
        let cc = access.read32(bar, NVMeRegister.cc)
        guard cc & NVMeRegister.ccEnable != 0 else { return }
        access.write32(bar, NVMeRegister.cc, cc & ~NVMeRegister.ccShutdownMask | NVMeRegister.ccShutdownNormal)
        let timeout = VirtualDuration.milliseconds(500 * UInt64(max(capabilities.timeoutUnits, 2)))
        let deadline = access.clock.now.advanced(by: timeout)
        for q in ioQueues { q.abortOutstanding() }
        while true {
            let csts = access.read32(bar, NVMeRegister.csts)
            if csts == 0xFFFF_FFFF { throw .deviceRemoved }
            if csts & NVMeRegister.cstsShutdownMask == NVMeRegister.cstsShutdownComplete { return }
            guard access.clock.now < deadline else { throw .shutdownTimeout }
            access.sleep(configuration.pollInterval)
        }
    }
}
