import Network
import PCIe

extension ENADevice {
    /// SQ n doorbell written with the driver's free-running tail. A tail more than the depth past
    /// the device's head, a queue that does not exist or a device that is not ready: ignored and
    /// recorded. Tx queues send what was posted; Rx queues take the new buffers.
    func submissionDoorbellWritten(_ index: Int, tail: UInt16) {
        guard index < queues.count, queues.submission[index].exists, operational else {
            counters.ignoredDoorbells &+= 1
            report(.device, "SQ \(index) doorbell \(tail): no such queue or the device is not ready; ignored")
            return
        }
        let sq = queues.submission + index
        guard tail &- sq.pointee.head <= sq.pointee.depth else {
            counters.ignoredDoorbells &+= 1
            report(.device, "SQ \(index) doorbell \(tail) is more than \(sq.pointee.depth) past head \(sq.pointee.head); ignored")
            return
        }
        sq.pointee.tail = tail
        guard sq.pointee.isTransmit else { return }
        if sq.pointee.isLowLatency { transmitLowLatency(index) } else { transmitHost(index) }
    }

    /// Sends the packets of host-memory Tx queue `index` from head to tail. A packet whose last
    /// descriptor has not been posted yet stays for the next doorbell.
    ///
    /// Simple packets (see ``TxBurst``) are gathered and sent to the wire as bursts when no
    /// allowance applies; any other packet first sends the burst so far, then takes the general
    /// path. Either way each packet is sent, dropped and completed as the general path does.
    private func transmitHost(_ index: Int) {
        let sq = queues.submission + index
        let mask = sq.pointee.depth &- 1
        var posted = false
        let bursts = takesBursts && !sendingBurst
        var burst = 0
        var windows = TxBurstWindows()
        while sq.pointee.head != sq.pointee.tail, operational {
            if bursts { burst &+= takeSimplePackets(sq, from: burst, &windows) }
            if burst > 0 {
                if sendBurst(count: burst, completionQueue: sq.pointee.completionQueue) { posted = true }
                burst = 0
                windows = TxBurstWindows()
                continue
            }
            var packet = TxPacket()
            var cursor = sq.pointee.head
            while !packet.complete {
                guard cursor != sq.pointee.tail else {
                    if packet.problem == nil {
                        if posted { completionInterrupt(sq.pointee.completionQueue) }
                        return
                    }
                    break
                }
                let address = sq.pointee.base &+ UInt64(cursor & mask) &* UInt64(ENATxDescriptor.size)
                guard let slot = try? dma.hostPointer(IOVA(address), length: 16, access: .read) else {
                    descriptorNotReadable(index, cursor & mask, address)
                    if posted { completionInterrupt(sq.pointee.completionQueue) }
                    return
                }
                let descriptor = ENATxDescriptor(loadingFrom: slot)
                guard descriptor.phase == sq.pointee.phase(at: cursor) else {
                    staleDescriptor("Tx SQ \(index) descriptor \(cursor & mask)")
                    if posted { completionInterrupt(sq.pointee.completionQueue) }
                    return
                }
                if add(descriptor, to: &packet, depth: sq.pointee.depth, inlineHeader: nil) == .startsNewPacket { break }
                cursor &+= 1
            }
            sq.pointee.head = cursor
            if finish(&packet, queue: index) { posted = true }
        }
        if burst > 0, sendBurst(count: burst, completionQueue: sq.pointee.completionQueue) { posted = true }
        if posted { completionInterrupt(sq.pointee.completionQueue) }
    }

    @inline(never) private func descriptorNotReadable(_ index: Int, _ slot: UInt16, _ address: UInt64) {
        report(.device, "Tx SQ \(index): cannot read descriptor \(slot) at 0x\(hex(address)); queue stalled")
    }

    /// Records a descriptor whose phase says the driver has not written it: the queue waits there.
    @inline(never) func staleDescriptor(_ which: String) {
        counters.staleDescriptors &+= 1
        report(.device, "\(which) has a stale phase bit (doorbell before the descriptor was written); waiting there")
    }

    /// Adds one descriptor to `packet`, gathering its buffer into the frame scratch buffer.
    /// `inlineHeader` (LLQ) is the header the first buffer descriptor's header length refers to.
    func add(
        _ d: ENATxDescriptor, to packet: inout TxPacket, depth: UInt16, inlineHeader: UnsafeRawPointer?
    ) -> TxStep {
        if packet.descriptors > 0, d.isFirst {
            packet.problem = packet.problem ?? .missingLast
            return .startsNewPacket
        }
        packet.descriptors += 1
        if packet.descriptors == 1, !d.isFirst { packet.problem = .malformed("first descriptor without the first bit") }
        if packet.descriptors > configuration.maxTxDescriptorsPerPacket, packet.problem == nil {
            packet.problem = .tooManyDescriptors
        }
        if d.isLast { packet.complete = true }
        if d.isMeta {
            if packet.descriptors != 1 || d.isLast, packet.problem == nil {
                packet.problem = .malformed("meta descriptor not first, or with the last bit")
            }
            return .taken
        }
        let firstBuffer = !packet.hasRequestID
        if firstBuffer {
            packet.hasRequestID = true
            packet.requestID = d.requestID
            packet.completionRequested = d.completionRequested
            packet.l3Checksum = d.l3ChecksumEnabled
            packet.l4Checksum = d.l4ChecksumEnabled
            if d.requestID >= depth, packet.problem == nil { packet.problem = .badRequestID }
            if d.tsoEnabled, packet.problem == nil { packet.problem = .malformed("TSO is not modelled") }
            if let inlineHeader, d.headerLength > 0 {
                copyIntoFrame(UnsafeRawBufferPointer(start: inlineHeader, count: d.headerLength), &packet)
            }
        }
        guard d.length > 0 else {
            if !(firstBuffer && inlineHeader != nil && d.headerLength > 0), packet.problem == nil {
                packet.problem = .malformed("zero-length buffer descriptor")
            }
            return .taken
        }
        guard packet.problem == nil else { return .taken }
        guard let source = try? dma.hostPointer(IOVA(d.bufferAddress), length: UInt64(d.length), access: .read) else {
            packet.problem = .malformed("buffer is not DMA-readable")
            return .taken
        }
        if firstBuffer, d.isLast, packet.length == 0, !packet.l3Checksum, !packet.l4Checksum {
            // The whole frame is this one buffer and nothing is inserted into it: the wire reads
            // it where it is, as the NIC's DMA would, instead of a gather copy.
            guard d.length <= ENAConfiguration.maxFrameLength(mtu: features.mtu) else {
                packet.problem = .oversize
                return .taken
            }
            packet.frameInPlace = UnsafeRawPointer(source)
            packet.length = d.length
            return .taken
        }
        copyIntoFrame(UnsafeRawBufferPointer(start: source, count: d.length), &packet)
        return .taken
    }

    @inline(__always)
    private func copyIntoFrame(_ bytes: UnsafeRawBufferPointer, _ packet: inout TxPacket) {
        guard packet.problem == nil else { return }
        guard packet.length + bytes.count <= ENAConfiguration.maxFrameLength(mtu: features.mtu),
            let base = frameScratch.baseAddress, let source = bytes.baseAddress
        else {
            packet.problem = .oversize
            return
        }
        (base + packet.length).copyMemory(from: source, byteCount: bytes.count)
        packet.length += bytes.count
    }

    /// Sends a complete packet (or counts its drop) and posts its completion to the queue's CQ
    /// when the completion policy asks for one. Returns whether a completion was posted.
    func finish(_ packet: inout TxPacket, queue index: Int) -> Bool {
        if packet.problem == nil, packet.length < 14 { packet.problem = .malformed("frame shorter than an Ethernet header") }
        if let problem = packet.problem {
            countDrop(problem, queue: index, requestID: packet.requestID)
        } else if let inPlace = packet.frameInPlace {
            sendToWire(UnsafeRawBufferPointer(start: inPlace, count: packet.length))
        } else if let base = frameScratch.baseAddress {
            let frame = UnsafeMutableRawBufferPointer(start: base, count: packet.length)
            if packet.l3Checksum || packet.l4Checksum {
                ChecksumOffload.insert(frame, l3: packet.l3Checksum, l4: packet.l4Checksum)
            }
            sendToWire(UnsafeRawBufferPointer(frame))
        }
        let sq = queues.submission[index]
        guard packet.hasRequestID, !sq.completionOnDemand || packet.completionRequested else { return false }
        let completion = ENATxCompletion(
            requestID: packet.requestID, status: packet.problem == nil ? 0 : 1, phase: false,
            submissionQueueHead: sq.head & (sq.depth &- 1))
        return postTxCompletion(completion, to: sq.completionQueue)
    }

    @inline(never) private func countDrop(_ problem: TxProblem, queue index: Int, requestID: UInt16) {
        counters.txDrops &+= 1
        let why: String
        switch problem {
        case .malformed(let reason):
            counters.txMalformedPackets &+= 1
            why = "\(reason)"
        case .badRequestID:
            counters.txBadRequestIDs &+= 1
            why = "request id \(requestID) is not below the queue depth"
        case .missingLast:
            counters.txMissingLast &+= 1
            why = "a new packet started before the last descriptor"
        case .tooManyDescriptors:
            counters.txTooManyDescriptors &+= 1
            why = "more than \(configuration.maxTxDescriptorsPerPacket) descriptors"
        case .oversize:
            counters.txOversize &+= 1
            why = "longer than MTU \(features.mtu) allows"
        }
        report(.device, "Tx SQ \(index) packet (req_id \(requestID)) dropped: \(why)")
    }

    /// Writes a Tx completion at the CQ tail (the phase comes from the tail).
    func postTxCompletion(_ completion: ENATxCompletion, to cqIndex: Int) -> Bool {
        let cq = queues.completion + cqIndex
        let address = cq.pointee.base &+ UInt64(cq.pointee.tail & (cq.pointee.depth &- 1)) &* UInt64(cq.pointee.entrySize)
        guard let slot = try? dma.hostPointer(IOVA(address), length: UInt64(ENATxCompletion.size), access: .write) else {
            completionNotWritable(cqIndex, address)
            return false
        }
        var c = completion
        c.phase = cq.pointee.phase
        c.store(to: slot)
        cq.pointee.tail &+= 1
        return true
    }

    @inline(never) private func completionNotWritable(_ cqIndex: Int, _ address: UInt64) {
        report(.device, "Tx CQ \(cqIndex): cannot write completion at 0x\(hex(address)); completion lost")
    }
}
