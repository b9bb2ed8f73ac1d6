import CMemoryHints
import PCIe
import RegisterModel

extension Intel82599Device {
    private typealias RD = AdvancedRxDescriptor

    /// Delivers a frame to `pool`: picks the queue (RSS inside the pool when MRQC asks for it),
    /// then fills descriptors.
    @inline(__always) func deliver(
        _ frame: UnsafeRawBufferPointer, _ facts: FrameFacts, toPool pool: Int, batch: inout SwitchBatch
    ) {
        var q = layout.virtualizationEnabled ? layout.firstQueue(ofPool: pool) : 0
        if rss.hashing {
            let index = Int(rss.redirection[Int(facts.rssHash & 0x7F)])
            q += layout.virtualizationEnabled ? index & (min(layout.queuesPerPool, 4) - 1) : index
        }
        receive(frame, facts, queue: q, pool: pool, batch: &batch)
    }

    /// Writes a frame into RX queue `q` (datasheet §7.1.6): one descriptor per buffer-sized piece,
    /// EOP on the last, the write-back format with length, status, RSS hash and stripped VLAN.
    /// A frame is dropped whole (and counted in MPC and QPRDC) when the queue does not have
    /// enough free descriptors; a buffer the pool cannot reach is written back with RXE.
    /// Good frames are counted in `batch`.
    func receive(_ frame: UnsafeRawBufferPointer, _ facts: FrameFacts, queue q: Int, pool: Int, batch: inout SwitchBatch) {
        guard receiveEnabled, rxQueues[q].enabled else {
            counters.rxQueueDisabled &+= 1
            return
        }
        let owner = rxQueues[q].owner
        guard let port = dmaPort(owner: owner), let source = frame.baseAddress else { return }
        let length = port._withUnsafeGuaranteedRef {
            receive(frame, from: source, facts, queue: q, pool: pool, owner: owner, port: $0)
        }
        guard length > 0 else { return }
        if !batch.received(length, queue: q) {
            flushReceiveCounts(&batch)
            batch.startReceiveRun(queue: q, pool: pool)
            _ = batch.received(length, queue: q)
        }
        countGroupReceived(frame, pool: pool)
    }

    /// The descriptor work of ``receive(_:_:queue:pool:batch:)`` with the owner's DMA port
    /// borrowed; returns the length written to the ring, 0 when the frame was dropped.
    private func receive(
        _ frame: UnsafeRawBufferPointer, from source: UnsafeRawPointer, _ facts: FrameFacts, queue q: Int, pool: Int, owner: Int,
        port: DMAPort
    ) -> Int {
        let strip = rxQueues[q].stripVLAN && facts.vlan >= 0
        let length = strip ? frame.count - 4 : frame.count
        let bufferSize = rxQueues[q].bufferSize
        let needed = length <= bufferSize ? 1 : (length + bufferSize - 1) / bufferSize
        guard needed <= rxQueues[q].available else {
            counters.rxNoDescriptor &+= 1
            pending.add(to: statistics.missedPackets)
            pending.add(to: statistics.queueDrops[q & 15])
            return 0
        }
        let entries = rxQueues[q].entries
        let ring = rxQueues[q].ringBase
        var head = rxQueues[q].head
        var done = 0
        let info = facts.rssType | facts.packetType << 4
        let vlanField = strip ? UInt32(facts.vlan) << 16 : 0
        var status = RD.statusDD | (strip ? RD.statusVP : 0) | (facts.loopback ? RD.statusLB : 0)
        while done < length {
            guard let d = try? port.hostPointer(IOVA(ring &+ UInt64(head &* RD.size)), length: UInt64(RD.size), access: .write)
            else {
                ringFault(rxQueue: q, index: head)
                return 0
            }
            let address = UInt64(littleEndian: d.loadUnaligned(fromByteOffset: RD.packetBufferOffset, as: UInt64.self))
            let chunk = min(length - done, bufferSize)
            let last = done + chunk == length
            if last { status |= RD.statusEOP }
            guard let buffer = try? port.hostPointer(IOVA(address), length: UInt64(chunk), access: .write) else {
                counters.rxBufferFaults &+= 1
                writeBack(d, info: info, hash: facts.rssHash, status: RD.statusDD | RD.statusEOP | RD.errorRXE, lengthAndVLAN: 0)
                head = (head + 1 == entries ? 0 : head + 1)
                rxQueues[q].head = head
                reportQueueError(
                    owner: owner,
                    "RX queue \(q) descriptor: buffer 0x\(String(address, radix: 16)) is outside the function's DMA mappings; frame dropped"
                )
                queueInterrupt(q, tx: false)
                return 0
            }
            if strip {
                Self.copyStripped(from: source, frameOffset: done, count: chunk, to: buffer)
            } else {
                mh_copy_short(buffer, source + done, chunk)
            }
            writeBack(d, info: info, hash: facts.rssHash, status: status, lengthAndVLAN: UInt32(chunk) | vlanField)
            done += chunk
            head = (head + 1 == entries ? 0 : head + 1)
        }
        rxQueues[q].head = head
        if q < 64 {
            rxInterruptsPendingLow |= UInt64(1) << UInt64(q)
        } else {
            rxInterruptsPendingHigh |= UInt64(1) << UInt64(q - 64)
        }
        return length
    }

    /// Raises the interrupts of the RX queues that received frames since the last call: once per
    /// TX doorbell or wire frame rather than once per frame (what EITR moderation would do).
    func raisePendingReceiveInterrupts() {
        raiseReceiveInterrupts(&rxInterruptsPendingLow, firstQueue: 0)
        raiseReceiveInterrupts(&rxInterruptsPendingHigh, firstQueue: 64)
    }

    /// Raises and clears the queues set in `pending` (bit n is queue `firstQueue + n`).
    private func raiseReceiveInterrupts(_ pending: inout UInt64, firstQueue: Int) {
        while pending != 0 {
            let q = pending.trailingZeroBitCount
            pending &= pending - 1
            queueInterrupt(firstQueue + q, tx: false)
        }
    }

    @inline(__always) private func writeBack(
        _ d: UnsafeMutableRawPointer, info: UInt32, hash: UInt32, status: UInt32, lengthAndVLAN: UInt32
    ) {
        d.storeBytes(of: info.littleEndian, toByteOffset: RD.packetInfoOffset, as: UInt32.self)
        d.storeBytes(of: hash.littleEndian, toByteOffset: RD.rssHashOffset, as: UInt32.self)
        d.storeBytes(of: lengthAndVLAN.littleEndian, toByteOffset: RD.lengthOffset, as: UInt32.self)
        d.storeBytes(of: status.littleEndian, toByteOffset: RD.statusErrorOffset, as: UInt32.self)
    }

    /// Copies `count` bytes of the frame without its 802.1Q tag (bytes 12-15), starting at
    /// `frameOffset` of the untagged frame.
    private static func copyStripped(
        from source: UnsafeRawPointer, frameOffset: Int, count: Int, to buffer: UnsafeMutableRawPointer
    ) {
        var out = 0
        var at = frameOffset
        if at < 12 {
            let n = min(12 - at, count)
            buffer.copyMemory(from: source + at, byteCount: n)
            out = n
            at += n
        }
        if out < count { (buffer + out).copyMemory(from: source + at + 4, byteCount: count - out) }
    }

    /// BPRC, MPRC and the pool's multicast count for a group-addressed frame (the packet and
    /// octet totals are in ``SwitchBatch``).
    @inline(__always) private func countGroupReceived(_ frame: UnsafeRawBufferPointer, pool: Int) {
        let dst = Self.mac(frame, at: 0)
        guard dst & (UInt64(1) << 40) != 0 else { return }
        if dst == 0xFFFF_FFFF_FFFF {
            pending.add(to: statistics.broadcastReceived)
        } else {
            pending.add(to: statistics.multicastReceived)
        }
        if layout.virtualizationEnabled { pending.add(to: statistics.poolMulticastReceived[pool]) }
    }

    /// An unreadable receive ring: the queue stops and the error is recorded.
    private func ringFault(rxQueue q: Int, index: Int) {
        counters.ringFaults &+= 1
        rxQueues[q].enabled = false
        let at = QueueOffsets.rx(q, .control)
        registers.set(at, R.RXDCTL.enable.insert(0, into: registers.value(at: at)))
        reportQueueError(
            owner: rxQueues[q].owner, "RX queue \(q): descriptor \(index) is outside the function's DMA mappings; queue disabled")
    }
}
