import PCIe
import RegisterModel

extension Intel82599Device {
    private typealias TD = AdvancedTxDescriptor

    /// Processes TX queue `q` from head to tail (the TDT doorbell; datasheet §7.2).
    ///
    /// Advanced data descriptors are gathered up to EOP and the frame goes to the switch; a
    /// single-descriptor frame is switched straight out of guest memory. A frame whose last
    /// descriptor is not posted yet stays on the ring until the next doorbell. Bad descriptors
    /// (zero length, oversized frame, legacy or unknown type, unmapped buffer) drop the frame and
    /// are counted; an unreadable ring disables the queue. DD is written back to descriptors with
    /// RS once their frame is done, or the head index to TDWBAL when head write-back is on.
    func transmit(queue q: Int) {
        guard transmitEnabled, txQueues[q].enabled else { return }
        let owner = txQueues[q].owner
        let pool = layout.pool(ofQueue: q)
        if layout.virtualizationEnabled, filters.transmitEnabledPools & (UInt64(1) << UInt64(pool)) == 0 { return }
        guard let port = dmaPort(owner: owner) else { return }
        port._withUnsafeGuaranteedRef { transmit(queue: q, owner: owner, pool: pool, port: $0) }
        raisePendingReceiveInterrupts()
    }

    /// The ring walk of ``transmit(queue:)`` with the owner's DMA port borrowed, not retained.
    private func transmit(queue q: Int, owner: Int, pool: Int, port: DMAPort) {
        let entries = txQueues[q].entries
        let ring = txQueues[q].ringBase
        let tail = txQueues[q].tail
        let headWriteBack = txQueues[q].headWriteBack
        var head = txQueues[q].head
        var frameStart = head
        var gathered = 0
        var direct: UnsafeRawBufferPointer?
        var bad: StaticString?
        var reportStatus = false
        var anyStatus = false
        var frames = 0
        var batch = SwitchBatch()
        let fastPath = fastSwitchApplies(toPool: pool)
        var fast = FastSwitchState()
        defer {
            flushTransmitCounts(&batch, pool: pool)
            flushReceiveCounts(&batch)
        }

        while head != tail {
            if fastPath, gathered == 0, bad == nil {
                let stop = switchSimpleFrames(
                    queue: q, pool: pool, port: port, from: head, frames: &frames, anyStatus: &anyStatus, state: &fast,
                    batch: &batch)
                if stop != head {
                    head = stop
                    frameStart = head
                    reportStatus = false
                    continue
                }
            }
            let descriptorAddress = IOVA(ring &+ UInt64(head &* TD.size))
            guard let d = try? port.hostPointer(descriptorAddress, length: UInt64(TD.size), access: .write) else {
                ringFault(txQueue: q, index: head)
                return
            }
            let command = UInt32(littleEndian: d.loadUnaligned(fromByteOffset: TD.commandTypeLengthOffset, as: UInt32.self))
            let type = (command >> TD.typeShift) & 0xF
            let endOfPacket = command & TD.commandEOP != 0
            reportStatus = reportStatus || command & TD.commandRS != 0
            if command & TD.commandDEXT == 0 {
                bad = bad ?? "legacy descriptor (DEXT clear) is not supported"
            } else if type == TD.typeContext {
                txQueues[q].contextVLAN = UInt16(littleEndian: d.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
                if gathered == 0, bad == nil {
                    if command & TD.commandRS != 0, headWriteBack == 0 { Self.setDescriptorDone(d) }
                    anyStatus = anyStatus || command & TD.commandRS != 0
                    reportStatus = false
                    head = (head + 1 == entries ? 0 : head + 1)
                    frameStart = head
                    continue
                }
            } else if type != TD.typeData {
                bad = bad ?? "unknown descriptor type"
            } else if command & TD.commandTSE != 0 {
                bad = bad ?? "TCP segmentation offload is not modelled"
            } else if bad == nil {
                let length = Int(command & TD.lengthMask)
                let address = UInt64(littleEndian: d.loadUnaligned(fromByteOffset: TD.bufferAddressOffset, as: UInt64.self))
                if length == 0 {
                    bad = "zero-length data descriptor"
                } else if gathered + length > Self.maxFrameSize {
                    bad = "frame longer than 16 KiB"
                } else if let src = try? port.hostPointer(IOVA(address), length: UInt64(length), access: .read) {
                    if endOfPacket, gathered == 0 {
                        direct = UnsafeRawBufferPointer(start: src, count: length)
                    } else {
                        frameScratch.baseAddress?.advanced(by: gathered).copyMemory(from: src, byteCount: length)
                        gathered += length
                    }
                } else {
                    counters.txBufferFaults &+= 1
                    bad = "buffer outside the function's DMA mappings"
                }
            }
            let next = (head + 1 == entries ? 0 : head + 1)
            if !endOfPacket {
                if next == tail {
                    // The rest of the frame is not posted yet: leave it for the next doorbell.
                    head = frameStart
                    break
                }
                head = next
                continue
            }
            if let reason = bad {
                counters.txMalformedDescriptors &+= 1
                reportQueueError(owner: owner, "TX queue \(q) descriptor \(head): \(reason); frame dropped")
            } else {
                let vlan = command & TD.commandVLE != 0 ? Int(txQueues[q].contextVLAN & 0xFFF) : -1
                let frame = direct ?? UnsafeRawBufferPointer(start: frameScratch.baseAddress, count: gathered)
                forward(frame, fromPool: pool, insertVLAN: vlan, inScratch: direct == nil, batch: &batch)
                frames += 1
            }
            if reportStatus, headWriteBack == 0 {
                markDone(port: port, ring: ring, entries: entries, from: frameStart, through: head, eopDescriptor: d)
            }
            anyStatus = anyStatus || reportStatus
            head = next
            frameStart = head
            fast.forgetWindows()
            gathered = 0
            direct = nil
            bad = nil
            reportStatus = false
        }
        txQueues[q].head = head
        if headWriteBack != 0 {
            do {
                try port.store(UInt32(head).littleEndian, to: IOVA(headWriteBack))
            } catch {
                reportQueueError(
                    owner: owner, "TX queue \(q): head write-back address 0x\(String(headWriteBack, radix: 16)) faulted")
            }
        }
        if frames > 0 {
            pending.add(UInt64(frames), to: statistics.queuePacketsTransmitted[q & 15])
        }
        if anyStatus { queueInterrupt(q, tx: true) }
    }

    /// Sets DD in the status of the transmit descriptor at `d`.
    @inline(__always) static func setDescriptorDone(_ d: UnsafeMutableRawPointer) {
        let status = UInt32(littleEndian: d.loadUnaligned(fromByteOffset: TD.statusOffset, as: UInt32.self))
        d.storeBytes(of: (status | TD.statusDD).littleEndian, toByteOffset: TD.statusOffset, as: UInt32.self)
    }

    /// Writes DD into the descriptors of a finished frame that asked for status (RS).
    private func markDone(
        port: DMAPort, ring: UInt64, entries: Int, from first: Int, through last: Int, eopDescriptor: UnsafeMutableRawPointer
    ) {
        var i = first
        while i != last {
            if let d = try? port.hostPointer(IOVA(ring &+ UInt64(i &* TD.size)), length: UInt64(TD.size), access: .write) {
                let command = UInt32(littleEndian: d.loadUnaligned(fromByteOffset: TD.commandTypeLengthOffset, as: UInt32.self))
                if command & TD.commandRS != 0 { Self.setDescriptorDone(d) }
            }
            i = (i + 1 == entries ? 0 : i + 1)
        }
        Self.setDescriptorDone(eopDescriptor)
    }

    /// An unreadable descriptor ring: the queue stops (TXDCTL.Enable clears) and the error is recorded.
    private func ringFault(txQueue q: Int, index: Int) {
        counters.ringFaults &+= 1
        txQueues[q].enabled = false
        let at = QueueOffsets.tx(q, .control)
        registers.set(at, R.TXDCTL.enable.insert(0, into: registers.value(at: at)))
        reportQueueError(
            owner: txQueues[q].owner, "TX queue \(q): descriptor \(index) is outside the function's DMA mappings; queue disabled")
    }
}
