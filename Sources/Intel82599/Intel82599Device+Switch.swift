import Network
import PCIe
import RegisterModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the switch learned about a frame once, for every pool it is delivered to.
struct FrameFacts {
    /// VLAN id of the 802.1Q tag in the frame, -1 if untagged.
    var vlan: Int
    /// RSS hash and type (0 when RSS is off).
    var rssHash: UInt32 = 0
    var rssType: UInt32 = 0
    /// Packet type for the write-back (set when the frame was parsed for RSS).
    var packetType: UInt32 = 0
    /// Came through the internal switch from another pool.
    var loopback: Bool
}

extension Intel82599Device {
    /// A frame a pool transmitted (datasheet §7.10.3): default-VLAN insertion, anti-spoofing, then
    /// the embedded switch delivers it to the local pools it is addressed to (with VT_LBEN) and
    /// sends it out of the port unless it is unicast to a local pool.
    /// `batch` carries what one TX doorbell learns and counts across its frames (see
    /// ``SwitchBatch``); the caller flushes it when the doorbell is done.
    func forward(
        _ input: UnsafeRawBufferPointer, fromPool source: Int, insertVLAN: Int, inScratch: Bool, batch: inout SwitchBatch
    ) {
        guard input.count >= 14 else {
            counters.txMalformedDescriptors &+= 1
            report(.device, "pool \(source) sent a \(input.count)-byte frame (shorter than an Ethernet header); dropped")
            return
        }
        var frame = input
        var insert = insertVLAN
        let sourceBit = UInt64(1) << UInt64(source)
        if layout.virtualizationEnabled, filters.defaultVLAN[source] >= 0 { insert = Int(filters.defaultVLAN[source]) }
        if insert >= 0 { frame = insertTag(frame, vlan: insert, inScratch: inScratch) }
        let dst = Self.mac(frame, at: 0)
        let vlan = Self.vlanID(frame)
        if layout.virtualizationEnabled {
            if filters.macAntiSpoofPools & sourceBit != 0,
                batch.lookups.source(Self.mac(frame, at: 6), in: filters.macs) & sourceBit == 0
            {
                counters.spoofedMAC &+= 1
                pending.add(to: statistics.spoofedPackets)
                return
            }
            if filters.vlanAntiSpoofPools & sourceBit != 0, vlan >= 0, filters.vlanPools[vlan] & sourceBit == 0 {
                counters.spoofedVLAN &+= 1
                pending.add(to: statistics.spoofedPackets)
                return
            }
        }
        batch.transmitted(frame.count)
        if dst & (UInt64(1) << 40) != 0 { countMulticastTransmitted(destination: dst) }
        var facts = FrameFacts(vlan: vlan, loopback: true)
        var toWire = true
        if layout.virtualizationEnabled, filters.loopback {
            var targets: UInt64
            if dst & (UInt64(1) << 40) != 0 {
                targets = multicastPools(dst)
            } else {
                targets = batch.lookups.destination(dst, in: filters.macs)
                if targets != 0 { toWire = false }
            }
            targets &= ~sourceBit & vlanPools(vlan) & filters.receiveEnabledPools
            if targets != 0 {
                hashIfNeeded(frame, &facts)
                var t = targets
                while t != 0 {
                    counters.switchedLocally &+= 1
                    deliver(frame, facts, toPool: t.trailingZeroBitCount, batch: &batch)
                    t &= t - 1
                }
            }
        }
        if toWire { sendToWire(frame) }
    }

    /// A frame from the far end of the wire (datasheet §7.1.2: L2 filters, then pool selection).
    func receiveFromWire(_ frame: UnsafeRawBufferPointer) {
        var batch = SwitchBatch()
        defer {
            flushReceiveCounts(&batch)
            raisePendingReceiveInterrupts()
        }
        counters.receivedFromWire &+= 1
        pending.add(to: statistics.totalPacketsReceived)
        guard receiveEnabled, frame.count >= 14 else {
            counters.rxQueueDisabled &+= 1
            return
        }
        let dst = Self.mac(frame, at: 0)
        var facts = FrameFacts(vlan: Self.vlanID(frame), loopback: false)
        if layout.virtualizationEnabled {
            var targets: UInt64
            if dst & (UInt64(1) << 40) != 0 {
                targets = multicastPools(dst)
            } else {
                targets = filters.macs.lookup(dst).pools
                if targets == 0, !layout.defaultPoolDisabled { targets = UInt64(1) << UInt64(layout.defaultPool) }
            }
            targets &= vlanPools(facts.vlan) & filters.receiveEnabledPools
            guard targets != 0 else {
                counters.unmatched &+= 1
                return
            }
            hashIfNeeded(frame, &facts)
            var t = targets
            while t != 0 {
                deliver(frame, facts, toPool: t.trailingZeroBitCount, batch: &batch)
                t &= t - 1
            }
        } else {
            let accepted: Bool
            if dst == 0xFFFF_FFFF_FFFF {
                accepted = filters.acceptBroadcast
            } else if dst & (UInt64(1) << 40) != 0 {
                accepted = filters.multicastPromiscuous || filters.multicastTableHit(dst)
            } else {
                accepted = filters.unicastPromiscuous || filters.macs.lookup(dst).found
            }
            guard accepted else {
                counters.unmatched &+= 1
                return
            }
            hashIfNeeded(frame, &facts)
            deliver(frame, facts, toPool: 0, batch: &batch)
        }
    }

    /// Pools a multicast or broadcast destination reaches (VMOLR.BAM/MPE/ROMPE with the MTA).
    @inline(__always) private func multicastPools(_ dst: UInt64) -> UInt64 {
        if dst == 0xFFFF_FFFF_FFFF { return filters.broadcastPools }
        return filters.multicastPromiscuousPools | (filters.multicastTableHit(dst) ? filters.multicastTablePools : 0)
    }

    /// Pools that accept a frame's VLAN (VLVF membership) or, untagged, VMOLR.AUPE.
    @inline(__always) private func vlanPools(_ vlan: Int) -> UInt64 {
        vlan >= 0 ? filters.vlanPools[vlan] : filters.untaggedPools
    }

    /// RSS hash, type and packet type of the frame into `facts` when RSS is on.
    @inline(__always) private func hashIfNeeded(_ frame: UnsafeRawBufferPointer, _ facts: inout FrameFacts) {
        if rss.hashing { hash(frame, &facts) }
    }

    private func hash(_ frame: UnsafeRawBufferPointer, _ facts: inout FrameFacts) {
        guard let headers = FrameHeaders.parse(frame) else { return }
        let result = rss.hasher.rssHash(of: headers, fields: rss.fields)
        facts.rssHash = result.hash
        facts.rssType = UInt32(result.type.rawValue)
        var type: UInt32 = 0
        if headers.ipVersion == 4 { type |= AdvancedRxDescriptor.packetTypeIPv4 }
        if headers.ipVersion == 6 { type |= AdvancedRxDescriptor.packetTypeIPv6 }
        if headers.l4Protocol == 6 { type |= AdvancedRxDescriptor.packetTypeTCP }
        if headers.l4Protocol == 17 { type |= AdvancedRxDescriptor.packetTypeUDP }
        facts.packetType = type
    }

    /// Sends a frame out of the port (to the wire, or counted and dropped without a cable).
    private func sendToWire(_ frame: UnsafeRawBufferPointer) {
        counters.sentToWire &+= 1
        guard linkUp else { return }
        wire?.transmitFromPort(frame)
    }

    /// BPTC or MPTC for a group-addressed frame (the per-doorbell totals are in ``SwitchBatch``).
    private func countMulticastTransmitted(destination dst: UInt64) {
        if dst == 0xFFFF_FFFF_FFFF {
            pending.add(to: statistics.broadcastTransmitted)
        } else if dst & (UInt64(1) << 40) != 0 {
            pending.add(to: statistics.multicastTransmitted)
        }
    }

    /// Copies a frame into the scratch buffer with an 802.1Q tag after the source address.
    private func insertTag(_ frame: UnsafeRawBufferPointer, vlan: Int, inScratch: Bool) -> UnsafeRawBufferPointer {
        guard let base = frameScratch.baseAddress, frame.count + 4 <= frameScratch.count, let src = frame.baseAddress
        else { return frame }
        if inScratch {
            _ = memmove(base + 16, src + 12, frame.count - 12)
        } else {
            base.copyMemory(from: src, byteCount: 12)
            (base + 16).copyMemory(from: src + 12, byteCount: frame.count - 12)
        }
        base.storeBytes(of: UInt16(0x8100).bigEndian, toByteOffset: 12, as: UInt16.self)
        base.storeBytes(of: UInt16(vlan & 0xFFF).bigEndian, toByteOffset: 14, as: UInt16.self)
        return UnsafeRawBufferPointer(start: base, count: frame.count + 4)
    }

    /// The 48-bit address at `offset` (first octet in bits 47:40); the frame has 14 bytes or more.
    @inline(__always) static func mac(_ frame: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        MACAddress(frame, at: offset).value
    }

    /// The VLAN id of a single 802.1Q tag, or -1.
    @inline(__always) static func vlanID(_ frame: UnsafeRawBufferPointer) -> Int {
        guard frame.count >= 18, UInt16(bigEndian: frame.loadUnaligned(fromByteOffset: 12, as: UInt16.self)) == 0x8100 else {
            return -1
        }
        return Int(UInt16(bigEndian: frame.loadUnaligned(fromByteOffset: 14, as: UInt16.self)) & 0xFFF)
    }
}
