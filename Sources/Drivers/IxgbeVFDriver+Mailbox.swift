import Intel82599
import PCIe
import RegisterModel

extension IxgbeVFDriver {
    /// VFMAILBOX bits that clear when read (PFSTS, PFACK, RSTD).
    static var readToClearBits: UInt32 {
        UInt32(truncatingIfNeeded: V.VFMAILBOX.pfsts.mask | V.VFMAILBOX.pfack.mask | V.VFMAILBOX.rstd.mask)
    }

    /// Reads VFMAILBOX, keeping the read-to-clear bits it saw until they are consumed (ixgbevf's
    /// `read_v2p_mailbox`); returns the register with the kept bits.
    func readMailbox() -> UInt32 {
        let v = read(V.VFMAILBOX.offset)
        mailboxBits |= v & Self.readToClearBits
        return v | mailboxBits
    }

    /// Consumes a kept read-to-clear bit; returns whether it was set.
    private func consume(_ bit: UInt64) -> Bool {
        let b = UInt32(truncatingIfNeeded: bit)
        _ = readMailbox()
        guard mailboxBits & b != 0 else { return false }
        mailboxBits &= ~b
        return true
    }

    /// Polls until `done` or the mailbox timeout.
    private func waitFor(_ done: () -> Bool) -> Bool {
        let deadline = access.clock.now.advanced(by: configuration.mailboxTimeout)
        while !done() {
            guard access.clock.now < deadline else { return false }
            access.sleep(configuration.pollInterval)
        }
        return true
    }

    /// Takes the VF lock (VFU, read back).
    private func lock() throws(IxgbeDriverError) {
        let vfu = UInt32(truncatingIfNeeded: V.VFMAILBOX.vfu.mask)
        let got = waitFor {
            write(V.VFMAILBOX.offset, vfu)
            return readMailbox() & vfu != 0
        }
        guard got else { throw .mailboxBusy }
    }

    /// Sends `request` and returns the PF's reply (ixgbevf's `write_posted` + `read_posted`):
    /// lock, flush stale PFSTS/PFACK, write the 16 words, REQ (drops VFU), wait for PFACK, wait for
    /// PFSTS, lock, read, ACK (drops VFU). PF control messages in between are skipped.
    func exchange(_ request: IxgbeMailboxMessage) throws(IxgbeDriverError) -> IxgbeMailboxMessage {
        let id = request.id ?? .pfControl
        try lock()
        _ = consume(V.VFMAILBOX.pfsts.mask)
        _ = consume(V.VFMAILBOX.pfack.mask)
        for i in 0..<IxgbeMailboxLayout.words { write(V.VFMBMEM.offset(i), request[i]) }
        write(V.VFMAILBOX.offset, UInt32(truncatingIfNeeded: V.VFMAILBOX.req.mask))
        guard waitFor({ consume(V.VFMAILBOX.pfack.mask) }) else { throw .mailboxTimeout(id) }
        while true {
            guard waitFor({ consume(V.VFMAILBOX.pfsts.mask) }) else { throw .mailboxTimeout(id) }
            try lock()
            var words = [UInt32](repeating: 0, count: IxgbeMailboxLayout.words)
            for i in 0..<words.count { words[i] = read(V.VFMBMEM.offset(i)) }
            write(V.VFMAILBOX.offset, UInt32(truncatingIfNeeded: V.VFMAILBOX.ack.mask))
            let reply = IxgbeMailboxMessage(words: words)
            if reply.rawID == request.rawID { return reply }
            guard reply.id == .pfControl else { throw .unexpectedReply(reply) }
            if !reply.isClearToSend { clearToSend = false }
        }
    }

    /// Sends a request that needs CTS and returns the ACKed reply; a NACK becomes
    /// ``IxgbeDriverError/nacked(_:)`` or, without CTS, ``IxgbeDriverError/notClearToSend(_:)``.
    func transact(_ request: IxgbeMailboxMessage) throws(IxgbeDriverError) -> IxgbeMailboxMessage {
        let id = request.id ?? .pfControl
        let reply = try exchange(request)
        clearToSend = reply.isClearToSend
        if reply.isAck { return reply }
        guard reply.isNack else { throw .unexpectedReply(reply) }
        if !reply.isClearToSend { throw .notClearToSend(id) }
        throw .nacked(id)
    }

    /// Sends raw words through the mailbox and returns the PF's reply unchanged (for tests and
    /// tools that need to send what a well-behaved driver would not).
    public func sendRaw(_ message: IxgbeMailboxMessage) throws(IxgbeDriverError) -> IxgbeMailboxMessage {
        try exchange(message)
    }
}
