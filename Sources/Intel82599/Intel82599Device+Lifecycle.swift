import PCIe
import RegisterModel

extension Intel82599Device {
    /// Time the EEPROM auto-read and receive DMA initialisation take after a reset.
    static let resetCompletionDelay = VirtualDuration.milliseconds(1)
    /// Time auto-negotiation takes before the link is up.
    static let linkUpDelay = VirtualDuration.milliseconds(2)

    /// Global reset (datasheet §4.2.1.6): every register to its reset value, queues stopped, the
    /// receive address 0 loaded from the EEPROM; EEC.ARD and RDRXCTL.DMAIDONE set once the
    /// (virtual) initialisation time has passed. VFs see RSTI until the PF driver sets PFRSTD.
    func resetDevice(kind: ResetKind) {
        registers.reset()
        pending.clear(statistics)
        for q in 0..<rxQueues.count { rxQueues[q] = RxQueue() }
        for q in 0..<txQueues.count { txQueues[q] = TxQueue() }
        interrupts = InterruptCauses()
        interrupts.autoClear = ~UInt64(0xFFFF)
        otherCauses = 0
        otherEnabled = 0
        receiveEnabled = false
        transmitEnabled = false
        for vf in 0..<mailboxes.count {
            mailboxes[vf] = MailboxState()
            mailboxes[vf].resetInProgress = true
        }
        registers.set(R.RAL.offset, UInt64(permanentAddress.receiveAddressLow))
        registers.set(R.RAH.offset, UInt64(permanentAddress.receiveAddressHigh) | R.RAH.av.mask)
        registers.set(R.MPSAR_LO.offset, 1)
        var status = registers.value(at: R.STATUS.offset)
        status = R.STATUS.numVFs.insert(UInt64(enabledVirtualFunctions), into: status)
        status = R.STATUS.iovActive.insert(enabledVirtualFunctions > 0 ? 1 : 0, into: status)
        registers.set(R.STATUS.offset, status)
        registers.set(R.EEC.offset, R.EEC.present.mask)
        registers.set(R.RDRXCTL.offset, 0)
        filters.clear()
        filters.rebuildAddresses(registers)
        filters.rebuildPoolControls(registers)
        rss.reload(from: registers)
        updateQueueOwners()
        clock.schedule(after: Self.resetCompletionDelay) { [lifetime] in lifetime.object?.resetCompleted() }
    }

    private func resetCompleted() {
        registers.setBits(R.EEC.offset, R.EEC.autoReadDone.mask)
        registers.setBits(R.RDRXCTL.offset, R.RDRXCTL.dmaInitDone.mask)
        restartLink()
    }

    /// CTRL.RST: a software reset of the whole port.
    func softwareReset() { resetDevice(kind: .functionLevel) }

    /// CTRL_EXT.PFRSTD: the PF driver is ready; VFs see RSTD instead of RSTI.
    func pfResetDone() {
        for vf in 0..<mailboxes.count where mailboxes[vf].resetInProgress {
            mailboxes[vf].resetInProgress = false
            mailboxes[vf].resetDone = true
        }
    }

    /// Drops the link and brings it up again after auto-negotiation if a partner is present.
    func restartLink() {
        setLink(up: false)
        guard cablePlugged else { return }
        clock.schedule(after: Self.linkUpDelay) { [lifetime] in
            guard let self = lifetime.object, self.cablePlugged else { return }
            self.setLink(up: true)
        }
    }

    /// Link state as LINKS, STATUS and the VFs' VFLINKS show it; a change raises EICR.LSC.
    public var linkUp: Bool { R.LINKS.linkUp.isSet(in: registers.value(at: R.LINKS.offset)) }

    /// Changes the link state (a cable pulled or plugged); raises EICR.LSC on a change.
    public func setLink(up: Bool) {
        guard up != linkUp else { return }
        var links = registers.value(at: R.LINKS.offset)
        links = R.LINKS.linkUp.insert(up ? 1 : 0, into: links)
        links = R.LINKS.linkSpeed.insert(up ? R.LINKS.LinkSpeedValue.speed10G : 0, into: links)
        registers.set(R.LINKS.offset, links)
        var status = registers.value(at: R.STATUS.offset)
        status = R.STATUS.linkUp.insert(up ? 1 : 0, into: status)
        registers.set(R.STATUS.offset, status)
        raiseOther(UInt32(R.EICR.lsc.mask))
    }

    /// LINKS as VFs mirror it.
    var linksValue: UInt64 { registers.value(at: R.LINKS.offset) }
}
