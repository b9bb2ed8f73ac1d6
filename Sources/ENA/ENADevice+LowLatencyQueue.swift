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
        while sq.pointee.head != sq.pointee.tail, operational {
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
}
