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
        let bursts = takesBursts && !sendingBurst && layout.descriptorsBeforeHeader >= 1
        var burst = 0
        defer { if burst > 0, sendBurst(count: burst, completionQueue: sq.pointee.completionQueue) { posted = true } }
        while sq.pointee.head != sq.pointee.tail, operational {
            if bursts { burst &+= takeSimpleLowLatencyPackets(sq, entrySize: entrySize, headerOffset: headerOffset, from: burst) }
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

    /// Takes the LLQ packets at the head of `sq` into the burst from `slot` while they are simple,
    /// up to the burst's capacity and the queue's tail, moving the head past them; returns how
    /// many it took (nothing is recorded for the packet it stopped at). A simple packet is one
    /// complete entry whose first descriptor (first and last, no meta descriptor, no TSO, no
    /// checksum to insert) carries the whole frame as its inline header (a zero-length buffer).
    /// Each header is copied into the burst's scratch slot and its entry consumed, as the general
    /// path does.
    @inline(__always)
    private func takeSimpleLowLatencyPackets(
        _ sq: UnsafeMutablePointer<IOSubmissionQueueState>, entrySize: Int, headerOffset: Int, from slot: Int
    ) -> Int {
        guard configuration.maxTxDescriptorsPerPacket >= 1 else { return 0 }
        // The queue's fields in locals: the stores into the burst's lists and the bitmap could
        // alias them as far as the compiler knows, which would make it reload each one per packet.
        let depth = sq.pointee.depth
        let mask = depth &- 1
        let lapShift = sq.pointee.depthShift
        let llqOffset = sq.pointee.llqOffset
        let tail = sq.pointee.tail
        let onDemand = sq.pointee.completionOnDemand
        let maxLength = min(entrySize &- headerOffset, ENAConfiguration.maxFrameLength(mtu: features.mtu), TxBurst.scratchStride)
        let memory = llq
        let frames = burstFrames
        let records = burstRecords
        let scratch = burstScratch
        let flags = ENATxDescriptor.firstBit | ENATxDescriptor.lastBit | ENATxDescriptor.metaBit | ENATxDescriptor.phaseBit
        var head = sq.pointee.head
        var next = slot
        var octets: UInt64 = 0
        // First and last, and the phase bit the driver writes on this lap (1 on even laps; the
        // shift is at most 15): recomputed only when the head wraps to a new lap.
        var wanted = Self.simpleTxControl(head, lapShift)
        // 128-byte entries with the header after two descriptors (the layout Linux and the
        // reference driver use): 96 inline bytes, which fit the burst's scratch slot.
        let wholeInline = entrySize &- headerOffset == 96
        // Every entry's dwords in one bitmap word (128- and 256-byte entries): each span is a
        // shift of one mask.
        let spans = EntrySpans(offset: llqOffset, entrySize: entrySize)
        while next < TxBurst.capacity, head != tail {
            let offset = llqOffset &+ Int(head & mask) &* entrySize
            // The entry's dwords as one bitmap word when they lie in one, else through the
            // general loops.
            let span = spans.map { $0.span(Int(head & mask)) } ?? memory.span(offset: offset, count: entrySize)
            let complete = if let span { memory.isComplete(span) } else { memory.isComplete(offset: offset, count: entrySize) }
            guard complete else { break }
            let entry = memory.bytes + offset
            let d = ENATxDescriptor(loadingFrom: entry)
            let length = d.headerLength
            guard d.lengthControl & flags == wanted, d.metaControl & Self.txOffloadBits == 0, d.length == 0, length >= 14,
                length <= maxLength, d.requestID < depth
            else { break }
            let frame = scratch + next &* TxBurst.scratchStride
            if wholeInline {
                // The entry's whole inline part, a size the compiler copies without a call (what
                // lies past the header in the scratch slot is outside the frame).
                frame.copyMemory(from: entry + headerOffset, byteCount: 96)
            } else {
                frame.copyMemory(from: entry + headerOffset, byteCount: length)
            }
            if let span { memory.consume(span) } else { memory.consume(offset: offset, count: entrySize) }
            head &+= 1
            if head & mask == 0 { wanted = Self.simpleTxControl(head, lapShift) }
            frames[next] = UnsafeRawBufferPointer(start: frame, count: length)
            records[next] = TxBurst.record(
                requestID: d.requestID, head: head & mask, complete: !onDemand || d.completionRequested)
            octets &+= UInt64(length)
            next &+= 1
        }
        sq.pointee.head = head
        burstBytes &+= octets
        return next &- slot
    }
}
