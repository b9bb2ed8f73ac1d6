import Intel82599
import Network
import PCIe
import RegisterModel

extension IxgbePFDriver {
    /// The answer to one request from VF `vf` (ixgbe's `ixgbe_rcv_msg_from_vf`).
    func handle(_ request: IxgbeMailboxMessage, from vf: Int) -> IxgbeMailboxMessage {
        var reply = request
        let now = access.clock.now
        if now.nanoseconds &- vfs[vf].windowStart.nanoseconds >= policy.mailboxWindow.nanoseconds {
            vfs[vf].windowStart = now
            vfs[vf].requestsInWindow = 0
        }
        vfs[vf].requestsInWindow += 1
        if vfs[vf].requestsInWindow > policy.mailboxRequestLimit {
            vfs[vf].counters.throttled &+= 1
            reply.setResult(ack: false, clearToSend: vfs[vf].clearToSend)
            return reply
        }
        let flags = IxgbeMailboxFlags.ack | IxgbeMailboxFlags.nack | IxgbeMailboxFlags.clearToSend
        guard request[0] & flags == 0, request[0] & 0xFF00_0000 == 0, let id = request.id, id != .pfControl else {
            return malformed(reply, vf)
        }
        if id == .reset {
            guard request.info == 0 else { return malformed(reply, vf) }
            return resetRequest(vf)
        }
        guard vfs[vf].clearToSend else {
            reply.setResult(ack: false, clearToSend: false)
            return reply
        }
        let result: Result
        switch id {
        case .setMACAddress: result = setMACAddress(request, &reply, vf)
        case .setMulticast: result = setMulticast(request, vf)
        case .setVLAN: result = setVLAN(request, vf)
        case .setLPE: result = setMaxFrame(request, vf)
        case .setMACVLAN: result = setMACFilter(request, vf)
        case .apiNegotiate: result = negotiate(request, vf)
        case .getQueues: result = queues(request, &reply, vf)
        case .getRETA: result = redirectionTable(request, &reply, vf)
        case .getRSSKey: result = rssKey(request, &reply, vf)
        case .updateXcastMode: result = xcastMode(request, &reply, vf)
        case .getLinkState: result = linkState(request, &reply, vf)
        case .reset, .pfControl: result = .malformed
        }
        switch result {
        case .ack: reply.setResult(ack: true, clearToSend: true)
        case .nack: reply.setResult(ack: false, clearToSend: true)
        case .malformed: return malformed(reply, vf)
        }
        return reply
    }

    /// How a handler judged a request.
    enum Result {
        case ack
        case nack
        case malformed
    }

    private func malformed(_ request: IxgbeMailboxMessage, _ vf: Int) -> IxgbeMailboxMessage {
        vfs[vf].counters.malformed &+= 1
        var reply = request
        reply.setResult(ack: false, clearToSend: vfs[vf].clearToSend)
        return reply
    }

    /// RESET (ixgbe's `ixgbe_vf_reset_msg`): defaults for the VF's filters, its MAC back in its
    /// receive address, transmit and receive enabled for its pool, drop enable on its queues, CTS.
    /// The reply is RESET|ACK with the MAC and the multicast filter type, or RESET|NACK without a MAC.
    private func resetRequest(_ vf: Int) -> IxgbeMailboxMessage {
        let resets = vfs[vf].counters.resets
        virtualFunctionReset(vf)
        vfs[vf].counters.resets = resets
        setPoolEnabled(vf, true)
        enableQueueDrop(ofPool: vf)
        vfs[vf].clearToSend = true
        var reply = IxgbeMailboxMessage(.reset)
        if let mac = vfs[vf].macAddress {
            reply[0] |= IxgbeMailboxFlags.ack
            reply.macAddress = mac
        } else {
            reply[0] |= IxgbeMailboxFlags.nack
        }
        reply[IxgbeMailboxLayout.multicastFilterTypeWord] = UInt32(
            truncatingIfNeeded: R.MCSTCTRL.mo.extract(from: UInt64(read(R.MCSTCTRL.offset))))
        return reply
    }

    /// SET_MAC_ADDR: a valid unicast address not used by another function; an untrusted VF may
    /// only (re)set the address it was assigned.
    private func setMACAddress(_ m: IxgbeMailboxMessage, _ reply: inout IxgbeMailboxMessage, _ vf: Int) -> Result {
        guard m.info == 0 else { return .malformed }
        let mac = m.macAddress
        guard mac.isUnicast, mac.value != 0 else { return .nack }
        if let assigned = policy[vf].macAddress, !policy[vf].trusted, mac != assigned { return .nack }
        guard !addressInUse(mac, except: vf) else { return .nack }
        vfs[vf].macAddress = mac
        writeReceiveAddress(receiveAddressIndex(ofVF: vf), mac, pools: UInt64(1) << UInt64(vf))
        return .ack
    }

    /// Whether another function (the PF or another VF, or one of their extra filters) owns `mac`.
    private func addressInUse(_ mac: MACAddress, except vf: Int) -> Bool {
        if mac == macAddress { return true }
        for (other, s) in vfs.enumerated() where other != vf {
            if s.macAddress == mac || s.extraAddresses.values.contains(mac) { return true }
        }
        return false
    }

    /// SET_MULTICAST: up to 30 hashes in half-words from word 1; MTA bits, and VMOLR.ROMPE while
    /// the list is not empty. The MTA is shared: a pool with ROMPE gets every group in it.
    private func setMulticast(_ m: IxgbeMailboxMessage, _ vf: Int) -> Result {
        let count = Int(m.info)
        guard count <= IxgbeMailboxLayout.maxMulticastEntries else { return .malformed }
        vfs[vf].multicastHashes = (0..<count).map { m.halfWord($0) & 0xFFF }
        rebuildMulticastTable()
        if count > 0 {
            setBits(R.VMOLR.offset(vf), R.VMOLR.rompe.mask)
        } else {
            clearBits(R.VMOLR.offset(vf), R.VMOLR.rompe.mask)
        }
        return .ack
    }

    /// SET_VLAN: MSGINFO 1 adds, 0 removes VLAN `word 1 & 0xfff`; refused under a port VLAN or
    /// when the policy does not allow the VLAN; removing VLAN 0 is a no-op.
    private func setVLAN(_ m: IxgbeMailboxMessage, _ vf: Int) -> Result {
        guard m.info <= 1 else { return .malformed }
        let add = m.info == 1
        let vid = UInt16(truncatingIfNeeded: m[1] & 0xFFF)
        guard policy[vf].defaultVLAN == nil else { return .nack }
        if !add {
            if vid != 0 {
                _ = setVLANMembership(vid, pool: vf, member: false)
                vfs[vf].vlans.remove(vid)
            }
            return .ack
        }
        guard policy[vf].allows(vlan: vid), setVLANMembership(vid, pool: vf, member: true) else { return .nack }
        vfs[vf].vlans.insert(vid)
        return .ack
    }

    /// SET_LPE: the largest frame the VF wants; MAXFRS grows to fit (the port has one limit).
    private func setMaxFrame(_ m: IxgbeMailboxMessage, _ vf: Int) -> Result {
        guard m.info == 0 else { return .malformed }
        let frame = m[1]
        guard frame >= IxgbeMailboxLayout.minFrameSize, frame <= IxgbeMailboxLayout.maxFrameSize else { return .nack }
        vfs[vf].maxFrameSize = frame
        let current = R.MAXFRS.mfs.extract(from: UInt64(read(R.MAXFRS.offset)))
        if current < UInt64(frame) {
            write(
                R.MAXFRS.offset,
                UInt32(truncatingIfNeeded: R.MAXFRS.mfs.insert(UInt64(frame), into: UInt64(read(R.MAXFRS.offset)))))
        }
        return .ack
    }

    /// SET_MACVLAN: index 0 removes the VF's extra filters; index > 0 adds one (trusted VFs, or
    /// VFs without an assigned MAC). MAC anti-spoofing goes off for a VF with extra filters.
    private func setMACFilter(_ m: IxgbeMailboxMessage, _ vf: Int) -> Result {
        let index = Int(m.info)
        if index == 0 {
            for (n, _) in vfs[vf].extraAddresses { clearReceiveAddress(n) }
            vfs[vf].extraAddresses = [:]
            restoreSpoofCheck(vf)
            return .ack
        }
        if policy[vf].macAddress != nil, !policy[vf].trusted { return .nack }
        let mac = m.macAddress
        guard mac.isUnicast, mac.value != 0, !addressInUse(mac, except: vf), vfs[vf].macAddress != mac else { return .nack }
        let used = Set(vfs.flatMap { $0.extraAddresses.keys })
        guard let n = (receiveAddressIndex(ofVF: vfCount)..<R.RAL.count).reversed().first(where: { !used.contains($0) }) else {
            return .nack
        }
        writeReceiveAddress(n, mac, pools: UInt64(1) << UInt64(vf))
        vfs[vf].extraAddresses[n] = mac
        clearBits(R.PFVFSPOOF.offset(vf / 8), UInt64(1) << UInt64(R.PFVFSPOOF.macas.lsb + vf % 8))
        return .ack
    }

    /// API_NEGOTIATE: 1.0 to 1.4.
    private func negotiate(_ m: IxgbeMailboxMessage, _ vf: Int) -> Result {
        guard m.info == 0 else { return .malformed }
        guard let api = IxgbeMailboxAPI(rawValue: m[1]), api != .version20 else { return .nack }
        vfs[vf].api = api
        return .ack
    }

    /// GET_QUEUES (API 1.1+): queues per pool for TX and RX, transparent VLAN, default queue 0.
    private func queues(_ m: IxgbeMailboxMessage, _ reply: inout IxgbeMailboxMessage, _ vf: Int) -> Result {
        guard m.info == 0 else { return .malformed }
        guard vfs[vf].api.includes(.version11) else { return .nack }
        reply[IxgbeMailboxLayout.transmitQueuesWord] = 2
        reply[IxgbeMailboxLayout.receiveQueuesWord] = 2
        reply[IxgbeMailboxLayout.transparentVLANWord] = policy[vf].defaultVLAN == nil ? 0 : 1
        reply[IxgbeMailboxLayout.defaultQueueWord] = 0
        return .ack
    }

    /// GET_RETA (API 1.2+, RSS query allowed): the 128 RETA entries, 2 bits each, 16 per word
    /// in words 1-8 (the 82599's VFs use at most 4 RSS queues).
    private func redirectionTable(_ m: IxgbeMailboxMessage, _ reply: inout IxgbeMailboxMessage, _ vf: Int) -> Result {
        guard m.info == 0 else { return .malformed }
        guard vfs[vf].api.includes(.version12), vfs[vf].api != .version20, policy[vf].rssQueryEnabled else { return .nack }
        var entries = [UInt8](repeating: 0, count: IxgbeMailboxLayout.redirectionEntries)
        for n in 0..<R.RETA.count {
            let v = read(R.RETA.offset(n))
            for b in 0..<4 { entries[4 * n + b] = UInt8(truncatingIfNeeded: v >> UInt32(8 * b)) }
        }
        for w in 0..<(entries.count / 16) {
            var packed: UInt32 = 0
            for j in 0..<16 { packed |= UInt32(entries[16 * w + j] & 0x3) << UInt32(2 * j) }
            reply[1 + w] = packed
        }
        return .ack
    }

    /// GET_RSS_KEY (API 1.2+, RSS query allowed): RSSRK(0-9) in words 1-10.
    private func rssKey(_ m: IxgbeMailboxMessage, _ reply: inout IxgbeMailboxMessage, _ vf: Int) -> Result {
        guard m.info == 0 else { return .malformed }
        guard vfs[vf].api.includes(.version12), vfs[vf].api != .version20, policy[vf].rssQueryEnabled else { return .nack }
        for n in 0..<R.RSSRK.count { reply[1 + n] = read(R.RSSRK.offset(n)) }
        return .ack
    }

    /// UPDATE_XCAST_MODE (API 1.2+; PROMISC 1.3+): an untrusted VF gets at most MULTI; the
    /// 82599 has no per-pool unicast promiscuous mode, so PROMISC is refused. The reply carries
    /// the mode in effect.
    private func xcastMode(_ m: IxgbeMailboxMessage, _ reply: inout IxgbeMailboxMessage, _ vf: Int) -> Result {
        guard m.info == 0, var mode = IxgbeXcastMode(rawValue: m[1]) else { return .malformed }
        let api = vfs[vf].api
        guard api.includes(.version12), api != .version20 else { return .nack }
        if mode == .promiscuous, !api.includes(.version13) { return .nack }
        if mode.rawValue > IxgbeXcastMode.multi.rawValue, !policy[vf].trusted { mode = .multi }
        let all = R.VMOLR.bam.mask | R.VMOLR.rompe.mask | R.VMOLR.mpe.mask
        let enable: UInt64
        switch mode {
        case .none: enable = 0
        case .multi: enable = R.VMOLR.bam.mask | R.VMOLR.rompe.mask
        case .allMulti: enable = all
        case .promiscuous: return .nack
        }
        write(
            R.VMOLR.offset(vf), (read(R.VMOLR.offset(vf)) & ~UInt32(truncatingIfNeeded: all)) | UInt32(truncatingIfNeeded: enable)
        )
        vfs[vf].xcastMode = mode
        reply[1] = mode.rawValue
        return .ack
    }

    /// GET_LINK_STATE (API 1.2+): the administrative link state in word 1.
    private func linkState(_ m: IxgbeMailboxMessage, _ reply: inout IxgbeMailboxMessage, _ vf: Int) -> Result {
        guard m.info == 0 else { return .malformed }
        guard vfs[vf].api.includes(.version12), vfs[vf].api != .version20 else { return .nack }
        reply[1] = policy[vf].linkEnabled ? 1 : 0
        return .ack
    }
}
