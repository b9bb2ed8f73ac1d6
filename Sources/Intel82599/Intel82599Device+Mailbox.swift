import PCIe
import RegisterModel

extension Intel82599Device {
    /// Offset in the PF register file of dword `word` of VF `vf`'s mailbox memory.
    @inline(__always) static func mailboxWord(vf: Int, _ word: Int) -> Int { R.PFMBMEM.offset(vf * 16 + word) }

    /// PFMAILBOX(vf) write (datasheet §7.10.3.2.1): take or release the lock, send a message
    /// (STS) or an acknowledgement (ACK) to the VF, release the VF's lock (RVFU).
    func pfMailboxWritten(vf: Int, _ v: UInt32) {
        if v & PFMailboxBits.resetVFLock != 0 { mailboxes[vf].vfLocked = false }
        if v & PFMailboxBits.pfLock != 0 {
            if !mailboxes[vf].vfLocked { mailboxes[vf].pfLocked = true }
        } else {
            mailboxes[vf].pfLocked = false
        }
        var notify = false
        if v & PFMailboxBits.status != 0 {
            mailboxes[vf].pfStatus = true
            notify = true
        }
        if v & PFMailboxBits.ack != 0 {
            mailboxes[vf].pfAck = true
            notify = true
        }
        if notify { virtualFunctionDevices[vf]?.mailboxInterrupt() }
    }

    /// PFMBMEM write: only while the PF holds the lock of that VF's buffer.
    func pfMailboxMemoryWritten(_ o: Int, _ v: UInt32) {
        let vf = (o - R.PFMBMEM.offset) >> 6
        guard mailboxes[vf].pfLocked else {
            counters.mailboxLockViolations &+= 1
            report(.device, "PF wrote VF \(vf)'s mailbox memory without holding PFU; dropped")
            return
        }
        registers.set(o, UInt64(v))
    }

    /// VFMAILBOX write by VF `vf`: lock, REQ and ACK (the PF sees them in PFMBICR and EICR).
    func vfMailboxWritten(vf: Int, _ v: UInt32) {
        if v & VFMailboxBits.vfLock != 0 {
            if !mailboxes[vf].pfLocked { mailboxes[vf].vfLocked = true }
        } else {
            mailboxes[vf].vfLocked = false
        }
        let icr = R.PFMBICR.offset(vf >> 4)
        let bit = UInt64(1) << UInt64(vf & 15)
        var cause: UInt64 = 0
        if v & VFMailboxBits.request != 0 {
            if registers.value(at: icr) & bit != 0 {
                counters.mailboxOverruns &+= 1
                virtualFunctionDevices[vf]?.report(.device, "VF \(vf) sent a mailbox request before the PF read the previous one")
            }
            cause |= bit
        }
        if v & VFMailboxBits.ack != 0 { cause |= bit << 16 }
        guard cause != 0 else { return }
        registers.setBits(icr, cause)
        if registers.value(at: R.PFMBIMR.offset(vf >> 4)) & bit != 0 { raiseOther(UInt32(R.EICR.mailbox.mask)) }
    }

    /// VFMBMEM write by VF `vf`: only while the VF holds the lock.
    func vfMailboxMemoryWritten(vf: Int, word: Int, _ v: UInt32) {
        guard mailboxes[vf].vfLocked else {
            counters.mailboxLockViolations &+= 1
            virtualFunctionDevices[vf]?.report(.device, "VF \(vf) wrote its mailbox memory without holding VFU; dropped")
            return
        }
        registers.set(Self.mailboxWord(vf: vf, word), UInt64(v))
    }

    /// VF `vf` reset itself (VFCTRL.RST) or went through FLR (datasheet §7.10.2.7): its queues
    /// stop, its pool's receive and transmit enables clear, the PF sees the event in VFLREC and
    /// EICR.Mailbox, and the VF sees RSTD once the reset is done.
    func virtualFunctionReset(vf: Int) {
        stopQueues(ofPool: vf)
        let half = vf >> 5
        let bit = UInt64(1) << UInt64(vf & 31)
        for reg in [R.PFVFRE.offset(half), R.PFVFTE.offset(half)] { registers.set(reg, registers.value(at: reg) & ~bit) }
        filters.poolControlWritten(at: R.PFVFRE.offset(half)) { registers.value(at: $0) }
        registers.setBits(R.VFLREC.offset(half), bit)
        mailboxes[vf].vfLocked = false
        mailboxes[vf].pfStatus = false
        mailboxes[vf].pfAck = false
        mailboxes[vf].resetDone = true
        raiseOther(UInt32(R.EICR.mailbox.mask))
    }

    /// VFMAILBOX as VF `vf` reads it.
    func vfMailboxRead(vf: Int) -> UInt32 { mailboxes[vf].readByVF() }

    /// VFMBMEM dword `word` of VF `vf`.
    func vfMailboxMemory(vf: Int, word: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: registers.value(at: Self.mailboxWord(vf: vf, word)))
    }
}
