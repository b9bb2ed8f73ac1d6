import PCIe

extension ENADevice {
    /// A guest write to the LLQ BAR: stored, and its dwords marked written. A packet's entries
    /// are checked for completeness when the doorbell makes the device consume them.
    @inline(__always)
    func llqWritten(offset: Int, width: Int, value: UInt64) {
        llq.write(offset: offset, width: width, value: value)
    }

    /// Sends the packets of LLQ Tx queue `index`. Each packet starts a new entry: the first
    /// holds `descriptorsBeforeHeader` descriptors and then the inline header, later entries hold
    /// descriptors only. The doorbell tail counts entries. An entry the driver has not written
    /// completely (a partial write) drops its packet; an entry with a stale phase waits.
    func transmitLowLatency(_ index: Int) {
        let sq = queues.submission + index
        let layout = features.llq
        let entrySize = layout.entrySize
        let headerOffset = layout.descriptorsBeforeHeader * ENATxDescriptor.size
        let perEntry = layout.multipleDescriptorsPerEntry ? entrySize / ENATxDescriptor.size : 1
        let mask = sq.pointee.depth &- 1
        var posted = false
        defer { if posted { completionInterrupt(sq.pointee.completionQueue) } }
        let bursts = shaper.isUnlimited && !sendingBurst && layout.descriptorsBeforeHeader >= 1
        var burst = 0
        defer { if burst > 0, sendBurst(count: burst, completionQueue: sq.pointee.completionQueue) { posted = true } }
        while sq.pointee.head != sq.pointee.tail, operational {
            if bursts, takeSimpleLowLatencyPacket(sq, entrySize: entrySize, headerOffset: headerOffset, into: burst) {
                burst &+= 1
                guard burst == TxBurst.capacity else { continue }
            }
            if burst > 0 {
                if sendBurst(count: burst, completionQueue: sq.pointee.completionQueue) { posted = true }
                burst = 0
                continue
            }
            var packet = TxPacket()
            let head = sq.pointee.head
            let firstEntry = llq.bytes + sq.pointee.llqOffset + Int(head & mask) * entrySize
            var entry = head
            var slot = 0
            var slots = layout.descriptorsBeforeHeader
            var next = head
            var partial = false
            while !packet.complete {
                if slot == slots {
                    entry &+= 1
                    slot = 0
                    slots = perEntry
                }
                if slot == 0 {
                    guard entry != sq.pointee.tail else {
                        if packet.problem == nil { return }
                        break
                    }
                    guard llq.isComplete(offset: sq.pointee.llqOffset + Int(entry & mask) * entrySize, count: entrySize) else {
                        partial = true
                        break
                    }
                }
                let at = llq.bytes + sq.pointee.llqOffset + Int(entry & mask) * entrySize + slot * ENATxDescriptor.size
                let descriptor = ENATxDescriptor(loadingFrom: at)
                guard descriptor.phase == sq.pointee.phase(at: entry) else {
                    staleDescriptor("LLQ SQ \(index) entry \(entry & mask) slot \(slot)")
                    return
                }
                if descriptor.headerLength > entrySize - headerOffset, packet.problem == nil {
                    packet.problem = .malformed("inline header longer than the LLQ entry holds")
                }
                let header = packet.problem == nil ? UnsafeRawPointer(firstEntry + headerOffset) : nil
                if add(descriptor, to: &packet, depth: sq.pointee.depth, inlineHeader: header) == .startsNewPacket {
                    next = slot == 0 ? entry : entry &+ 1
                    break
                }
                slot += 1
                next = entry &+ 1
            }
            if partial {
                counters.llqPartialEntries &+= 1
                report(.device, "LLQ SQ \(index) entry \(entry & mask) was only partly written; packet dropped")
                if packet.problem == nil { packet.problem = .malformed("partial LLQ entry") }
                next = entry &+ 1
            }
            var consumed = head
            while consumed != next {
                llq.consume(offset: sq.pointee.llqOffset + Int(consumed & mask) * entrySize, count: entrySize)
                consumed &+= 1
            }
            sq.pointee.head = next
            if finish(&packet, queue: index) { posted = true }
        }
    }

    /// Takes the LLQ packet at the head of `sq` into the burst at `slot` when it is simple: one
    /// complete entry whose first descriptor (first and last, no meta descriptor, no TSO, no
    /// checksum to insert) carries the whole frame as its inline header (a zero-length buffer).
    /// The header is copied into the burst's scratch slot and the entry consumed, as the general
    /// path does; false (nothing taken, nothing recorded) otherwise.
    @inline(__always)
    private func takeSimpleLowLatencyPacket(
        _ sq: UnsafeMutablePointer<IOSubmissionQueueState>, entrySize: Int, headerOffset: Int, into slot: Int
    ) -> Bool {
        let head = sq.pointee.head
        let depth = sq.pointee.depth
        let offset = sq.pointee.llqOffset + Int(head & (depth &- 1)) &* entrySize
        guard llq.isComplete(offset: offset, count: entrySize) else { return false }
        let entry = llq.bytes + offset
        let d = ENATxDescriptor(loadingFrom: entry)
        let flags = ENATxDescriptor.firstBit | ENATxDescriptor.lastBit | ENATxDescriptor.metaBit | ENATxDescriptor.phaseBit
        let wanted =
            ENATxDescriptor.firstBit | ENATxDescriptor.lastBit | (sq.pointee.phase(at: head) ? ENATxDescriptor.phaseBit : 0)
        let length = d.headerLength
        guard d.lengthControl & flags == wanted, d.metaControl & Self.txOffloadBits == 0, d.length == 0, length >= 14,
            length <= entrySize &- headerOffset, length <= ENAConfiguration.maxFrameLength(mtu: features.mtu),
            length <= TxBurst.scratchStride, d.requestID < depth, configuration.maxTxDescriptorsPerPacket >= 1
        else { return false }
        let frame = burstScratch + slot &* TxBurst.scratchStride
        frame.copyMemory(from: entry + headerOffset, byteCount: length)
        llq.consume(offset: offset, count: entrySize)
        sq.pointee.head = head &+ 1
        burstFrames[slot] = UnsafeRawBufferPointer(start: frame, count: length)
        burstBytes &+= UInt64(length)
        burstRecords[slot] = TxBurst.record(
            requestID: d.requestID, head: (head &+ 1) & (depth &- 1),
            complete: !sq.pointee.completionOnDemand || d.completionRequested)
        return true
    }
}
