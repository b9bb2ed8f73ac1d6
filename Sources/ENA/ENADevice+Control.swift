import PCIe
import RegisterModel

extension ENADevice {
    /// Power-on (PCI reset, FLR): every register at reset, no queues, DEV_STS.READY.
    func powerOnReset() {
        resetDeviceState()
        updateStatus { _ in R.DEV_STS.ready.mask }
    }

    /// Forgets everything the driver set up: queues, admin and event queues, features, the
    /// readless response address (MMIO_RESP), LLQ contents. CAPS comes from the configuration.
    func resetDeviceState() {
        generation &+= 1
        registers.reset()
        refreshOperational()
        var caps = R.CAPS.resetTimeout.insert(UInt64(configuration.resetTimeoutUnits), into: UInt64(0))
        caps = R.CAPS.dmaAddrWidth.insert(UInt64(configuration.dmaAddressWidth), into: caps)
        caps = R.CAPS.adminCmdTo.insert(UInt64(configuration.adminCommandTimeoutUnits), into: caps)
        registers.set(R.CAPS.offset, caps)
        queues.removeAll()
        admin = AdminQueueState()
        events = EventQueueState()
        backlog = EventBacklog()
        features = FeatureState(configuration)
        hints = configuration.hints
        transmitQueueCount = 0
        receiveQueueCount = 0
        llqSlotsInUse = 0
        adminInterruptPending = false
        hostInfo = nil
        llq.clear()
    }

    func updateStatus(_ change: (UInt64) -> UInt64) {
        registers.set(R.DEV_STS.offset, change(registers.value(at: R.DEV_STS.offset)))
        refreshOperational()
    }

    /// Recomputes ``operational`` from DEV_STS (after every change of DEV_STS).
    func refreshOperational() {
        isOperational =
            registers.value(at: R.DEV_STS.offset) & (R.DEV_STS.ready.mask | R.DEV_STS.fatalError.mask) == R.DEV_STS.ready.mask
    }

    /// READY, no reset in progress, no fatal error: doorbells are served. Cached from DEV_STS so
    /// the packet path does not look the register up per packet.
    @inline(__always) var operational: Bool { isOperational }

    /// DEV_CTL written: the reset handshake (DEV_RESET 1 starts it, 0 finishes it) and the admin
    /// queue restart handshake (AQ_RESTART 1, then 0).
    func deviceControlWritten(previous: UInt64) {
        let control = registers.value(at: R.DEV_CTL.offset)
        let resetNow = R.DEV_CTL.devReset.isSet(in: control)
        let resetBefore = R.DEV_CTL.devReset.isSet(in: previous)
        if resetNow, !resetBefore {
            let reason =
                UInt8(truncatingIfNeeded: R.DEV_CTL.resetReason.extract(from: control))
                | UInt8(truncatingIfNeeded: R.DEV_CTL.resetReasonExt.extract(from: control)) << 4
            lastResetReason = reason
            counters.resets &+= 1
            resetDeviceState()
            registers.set(R.DEV_CTL.offset, control)
            updateStatus { _ in R.DEV_STS.resetInProgress.mask }
            return
        }
        if !resetNow, resetBefore {
            updateStatus { _ in R.DEV_STS.ready.mask | R.DEV_STS.resetFinished.mask }
            return
        }
        let restartNow = R.DEV_CTL.aqRestart.isSet(in: control)
        let restartBefore = R.DEV_CTL.aqRestart.isSet(in: previous)
        if restartNow, !restartBefore {
            admin = AdminQueueState()
            updateStatus { ($0 | R.DEV_STS.aqRestartInProgress.mask) & ~R.DEV_STS.aqRestartFinished.mask }
        } else if !restartNow, restartBefore {
            updateStatus { ($0 & ~R.DEV_STS.aqRestartInProgress.mask) | R.DEV_STS.aqRestartFinished.mask }
        }
        let unmodelled = R.DEV_CTL.quiescent.mask | R.DEV_CTL.ioResume.mask
        if control & unmodelled != 0, previous & unmodelled != control & unmodelled {
            report(.device, "DEV_CTL 0x\(hex(control)): QUIESCENT and IO_RESUME are not modelled; ignored")
        }
    }

    /// Sets DEV_STS.FATAL_ERROR: the device stops serving doorbells until a DEV_CTL reset.
    func deviceFatal(_ why: String) {
        counters.fatalErrors &+= 1
        updateStatus { $0 | R.DEV_STS.fatalError.mask }
        report(.device, "device fatal error: " + why)
    }

    /// MMIO_REG_READ written: the device DMAs the register's value to the MMIO_RESP buffer,
    /// `reg_off` and `reg_val` first and `req_id` last, so a driver polling `req_id` never sees
    /// a stale value. Served even while a reset is in progress (the driver reads DEV_STS that way).
    func readlessReadRequested() {
        let request = registers.value(at: R.MMIO_REG_READ.offset)
        registers.set(R.MMIO_REG_READ.offset, 0)
        let requestID = UInt16(truncatingIfNeeded: R.MMIO_REG_READ.reqID.extract(from: request))
        let offset = Int(R.MMIO_REG_READ.regOff.extract(from: request))
        let address = registers.value(at: R.MMIO_RESP_LO.offset) | registers.value(at: R.MMIO_RESP_HI.offset) << 32
        guard address != 0 else {
            report(.device, "MMIO_REG_READ of 0x\(hex(offset)) with no MMIO_RESP buffer programmed; ignored")
            return
        }
        var value: UInt32 = 0xFFFF_FFFF
        if offset & 3 == 0, offset < R.SQ_DB.offset, let v = registers.guestRead(offset, width: 4) {
            value = UInt32(truncatingIfNeeded: v)
        } else {
            report(.device, "MMIO_REG_READ of 0x\(hex(offset)): no register there; replied 0xffffffff")
        }
        do throws(DMAError) {
            let response = try dma.hostPointer(IOVA(address), length: 8, access: .write)
            response.storeBytes(of: UInt16(truncatingIfNeeded: offset).littleEndian, toByteOffset: 2, as: UInt16.self)
            response.storeBytes(of: value.littleEndian, toByteOffset: 4, as: UInt32.self)
            response.storeBytes(of: requestID.littleEndian, as: UInt16.self)
            counters.readlessReads &+= 1
        } catch {
            report(.device, "MMIO_REG_READ: cannot write the response at 0x\(hex(address)): \(error)")
        }
    }

    /// INTR_MASK written: unmasking delivers an admin interrupt held back while masked.
    func adminInterruptMaskWritten() {
        guard adminInterruptPending, !R.INTR_MASK.adminIntrMask.isSet(in: registers.value(at: R.INTR_MASK.offset)) else {
            return
        }
        adminInterruptPending = false
        signal(vector: 0)
    }

    /// Requests an MSI-X message.
    @inline(__always) func signal(vector: Int) {
        guard let msix else { return }
        counters.interrupts &+= 1
        msix.signal(vector)
    }
}
