import Intel82599
import PCIe
import RegisterModel

extension IxgbePFDriver {
    /// Handles everything the VFs asked for since the last call (ixgbe's `ixgbe_msg_task`):
    /// VF resets from VFLRE first (the VF's state is cleared and it must reset through the
    /// mailbox again), then one request per VF from PFMBICR, VFs taken round robin. A request is
    /// read under the PF lock, acknowledged, answered with ACK or NACK (plus CTS once the VF has
    /// reset) and announced with PFMAILBOX.STS. Returns the number of resets and requests handled.
    @discardableResult
    public func serviceMailbox() -> Int { serviceMailbox(resetScanOnlyOnCause: true) }

    /// ``serviceMailbox()``; with `resetScanOnlyOnCause` false every round clears EICR.Mailbox
    /// and reads VFLRE, as before that shortcut (the reference its tests compare against).
    @discardableResult
    func serviceMailbox(resetScanOnlyOnCause: Bool) -> Int {
        guard vfCount > 0 else { return 0 }
        guard read(R.STATUS.offset) != 0xFFFF_FFFF else {
            unresponsiveServices &+= 1
            return 0
        }
        var handled = 0
        // A VF level reset sets its VFLREC bit and raises EICR.Mailbox together (datasheet
        // §7.10.2.7), and a round clears the cause just before it takes the VFLREC bits: with
        // the cause clear there is no reset to take, and clearing it again would change nothing.
        // Most rounds find it clear (an idle mailbox), so they skip that write and both reads.
        // The cause is read through EICS, which does not clear it (as Linux's ixgbe does).
        let mailboxCause = UInt32(truncatingIfNeeded: R.EICR.mailbox.mask)
        if !resetScanOnlyOnCause || read(R.EICS.offset) & mailboxCause != 0 {
            write(R.EICR.offset, mailboxCause)
            handled = takeVirtualFunctionResets()
        }
        for n in 0..<R.PFMBICR.count where n * 16 < vfCount {
            let causes = read(R.PFMBICR.offset(n))
            guard causes != 0 else { continue }
            write(R.PFMBICR.offset(n), causes)
            let requests = UInt32(truncatingIfNeeded: R.PFMBICR.vfreq.extract(from: UInt64(causes)))
            for bit in 0..<16 where requests & (UInt32(1) << UInt32(bit)) != 0 {
                let vf = n * 16 + bit
                if vf < vfCount { vfs[vf].pendingRequest = true }
            }
        }
        for i in 0..<vfCount {
            let vf = (serviceStart + i) % vfCount
            if let reply = vfs[vf].pendingReply {
                guard send(reply, to: vf) else { continue }
                vfs[vf].pendingReply = nil
            }
            guard vfs[vf].pendingRequest else { continue }
            guard let request = receive(from: vf) else { continue }
            vfs[vf].pendingRequest = false
            let reply = handle(request, from: vf)
            if reply.isAck { vfs[vf].counters.acked &+= 1 } else { vfs[vf].counters.nacked &+= 1 }
            if !send(reply, to: vf) { vfs[vf].pendingReply = reply }
            handled += 1
        }
        serviceStart = (serviceStart + 1) % vfCount
        return handled
    }

    /// Takes the VF level resets in VFLRE (clearing them in VFLREC) and resets each VF's state;
    /// returns how many.
    private func takeVirtualFunctionResets() -> Int {
        var handled = 0
        for half in 0..<R.VFLREC.count {
            // VFLRE(0) at 0x600 covers VFs 0-31, VFLRE(1) at 0x1C0 VFs 32-63; VFLREC clears them.
            let events = read(half == 0 ? R.VFLRE0.offset : R.VFLRE1.offset)
            guard events != 0 else { continue }
            write(R.VFLREC.offset(half), events)
            for bit in 0..<32 where events & (UInt32(1) << UInt32(bit)) != 0 {
                let vf = half * 32 + bit
                guard vf < vfCount else { continue }
                virtualFunctionReset(vf)
                handled += 1
            }
        }
        return handled
    }

    /// Runs ``serviceMailbox()`` every `interval` of virtual time from a clock timer, the way the
    /// ixgbe PF services its mailbox interrupt while VF drivers wait for replies.
    public func startMailboxService(interval: VirtualDuration = .microseconds(100)) {
        stopMailboxService()
        serviceInterval = interval
        scheduleService()
    }

    /// Runs ``serviceTick`` once `serviceInterval` has passed.
    func scheduleService() {
        serviceTimer = access.clock.schedule(after: serviceInterval, serviceTick)
    }

    /// Stops the background service.
    public func stopMailboxService() {
        if let timer = serviceTimer { access.clock.cancel(timer) }
        serviceTimer = nil
    }

    /// Whether the background service is running.
    public var isMailboxServiceRunning: Bool { serviceTimer != nil }

    /// Routes the "other" causes (mailbox, VFLR, link) to MSI-X vector `vector` (IVAR_MISC),
    /// unmasks the mailbox cause (EIMS) and programs the vector. Returns false without MSI-X.
    @discardableResult
    public func enableMailboxInterrupt(vector: Int = 0) -> Bool {
        guard vector >= 0, vector < 64, access.enableMSIXVector(vector, data: UInt32(access.bdf.routingID) << 8 | UInt32(vector))
        else { return false }
        var misc = UInt64(read(R.IVAR_MISC.offset))
        misc = R.IVAR_MISC.other.insert(UInt64(vector) | 0x80, into: misc)
        write(R.IVAR_MISC.offset, UInt32(truncatingIfNeeded: misc))
        write(R.EIMS.offset, UInt32(truncatingIfNeeded: R.EICR.mailbox.mask))
        mailboxVector = vector
        return true
    }

    /// Waits (virtual time) for the mailbox interrupt; returns whether it came. Without
    /// ``enableMailboxInterrupt(vector:)`` this only lets `timeout` pass.
    public func waitForMailboxInterrupt(timeout: VirtualDuration) -> Bool {
        guard let vector = mailboxVector else {
            access.sleep(timeout)
            return false
        }
        return access.waitForInterrupt(vector: vector, timeout: timeout)
    }

    // MARK: Transport

    /// Takes the PF lock of VF `vf`'s buffer (PFMAILBOX.PFU, read back): false if the VF holds it.
    private func lock(_ vf: Int) -> Bool {
        write(R.PFMAILBOX.offset(vf), UInt32(truncatingIfNeeded: R.PFMAILBOX.pfu.mask))
        if R.PFMAILBOX.pfu.isSet(in: read(R.PFMAILBOX.offset(vf))) { return true }
        vfs[vf].counters.lockContention &+= 1
        return false
    }

    /// Reads VF `vf`'s request and acknowledges it (PFMAILBOX.ACK, which also drops PFU).
    private func receive(from vf: Int) -> IxgbeMailboxMessage? {
        guard lock(vf) else { return nil }
        var words = [UInt32](repeating: 0, count: IxgbeMailboxLayout.words)
        for i in 0..<words.count { words[i] = read(R.PFMBMEM.offset(vf * IxgbeMailboxLayout.words + i)) }
        write(R.PFMAILBOX.offset(vf), UInt32(truncatingIfNeeded: R.PFMAILBOX.ack.mask))
        vfs[vf].counters.requests &+= 1
        return IxgbeMailboxMessage(words: words)
    }

    /// Writes `message` to VF `vf`'s buffer and signals it (PFMAILBOX.STS, which drops PFU).
    func send(_ message: IxgbeMailboxMessage, to vf: Int) -> Bool {
        guard lock(vf) else { return false }
        for i in 0..<IxgbeMailboxLayout.words { write(R.PFMBMEM.offset(vf * IxgbeMailboxLayout.words + i), message[i]) }
        write(R.PFMAILBOX.offset(vf), UInt32(truncatingIfNeeded: R.PFMAILBOX.sts.mask))
        return true
    }

    /// A VF reset (FLR or VFCTRL.RST, seen in VFLREC; ixgbe's `ixgbe_vf_reset_event`): its
    /// VLANs, multicast hashes, extra MAC filters and offload settings go back to defaults, its
    /// API to 1.0, and it is no longer clear to send until it sends RESET.
    func virtualFunctionReset(_ vf: Int) {
        var s = vfs[vf]
        for vid in s.vlans { _ = setVLANMembership(vid, pool: vf, member: false) }
        for (index, _) in s.extraAddresses { clearReceiveAddress(index) }
        s.vlans = []
        s.extraAddresses = [:]
        s.multicastHashes = []
        s.clearToSend = false
        s.api = .version10
        s.xcastMode = .multi
        s.pendingRequest = false
        s.pendingReply = nil
        s.counters.resets &+= 1
        vfs[vf] = s
        setPoolEnabled(vf, false)
        rebuildMulticastTable()
        configurePool(ofVF: vf)
        restoreSpoofCheck(vf)
    }

    /// PFVFSPOOF of VF `vf` as the policy wants it.
    func restoreSpoofCheck(_ vf: Int) {
        let reg = R.PFVFSPOOF.offset(vf / 8)
        let mac = UInt64(1) << UInt64(R.PFVFSPOOF.macas.lsb + vf % 8)
        let vlan = UInt64(1) << UInt64(R.PFVFSPOOF.vlanas.lsb + vf % 8)
        clearBits(reg, mac | vlan)
        if policy[vf].spoofCheck { setBits(reg, policy[vf].defaultVLAN != nil ? mac | vlan : mac) }
    }
}
