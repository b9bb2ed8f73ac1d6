import Network
import PCIe

extension ENADevice {
    /// A frame from the wire: dropped while the link is down or the device is not ready, then
    /// through the inbound allowances into a receive queue.
    func receiveFromWire(_ frame: UnsafeRawBufferPointer) {
        guard linkUp, operational else {
            counters.rxDrops &+= 1
            return
        }
        guard !shaper.isUnlimited else { return deliverReceived(frame) }
        switch shaper.admit(frame, .inbound, now: clock.now.nanoseconds, &allowanceCounters) {
        case .pass: deliverReceived(frame)
        case .held: scheduleRelease(.inbound)
        case .dropped: counters.rxDrops &+= 1
        }
    }

    /// A frame leaving the instance: dropped while the link is down, then through the outbound
    /// allowances to the wire.
    func sendToWire(_ frame: UnsafeRawBufferPointer) {
        guard linkUp else {
            counters.txDrops &+= 1
            return
        }
        guard !shaper.isUnlimited else { return emit(frame) }
        switch shaper.admit(frame, .outbound, now: clock.now.nanoseconds, &allowanceCounters) {
        case .pass: emit(frame)
        case .held: scheduleRelease(.outbound)
        case .dropped: counters.txDrops &+= 1
        }
    }

    @inline(__always) private func emit(_ frame: UnsafeRawBufferPointer) {
        counters.txPackets &+= 1
        counters.txBytes &+= UInt64(frame.count)
        wire?.transmitFromPort(frame)
    }

    /// Schedules the release of the oldest waiting frame of `direction`, if none is scheduled.
    private func scheduleRelease(_ direction: TrafficDirection) {
        let queue = shaper.queue(direction)
        guard !queue.timerPending, let departure = queue.nextDeparture else { return }
        queue.timerPending = true
        let delay = departure > clock.now.nanoseconds ? departure - clock.now.nanoseconds : 0
        clock.schedule(after: VirtualDuration(nanoseconds: delay)) { [lifetime] in
            guard let device = lifetime.object else { return }
            let queue = device.shaper.queue(direction)
            queue.timerPending = false
            queue.release(now: device.clock.now.nanoseconds) { frame in
                if direction == .inbound { device.deliverReceived(frame) } else { device.emit(frame) }
            }
            device.scheduleRelease(direction)
        }
    }

    /// The Rx queue for a frame with RSS hash `hash`: the indirection entry's queue, or the
    /// first Rx queue when the entry is unset or names no Rx queue.
    @inline(__always) private func receiveQueue(hash: UInt32) -> Int {
        let entry = features.indirection[Int(hash & ((UInt32(1) << UInt32(features.indirectionLogSize)) &- 1))]
        let index = Int(entry)
        if entry != FeatureState.unsetEntry, index < queues.count, queues.submission[index].exists,
            !queues.submission[index].isTransmit
        {
            return index
        }
        for i in 0..<queues.count where queues.submission[i].exists && !queues.submission[i].isTransmit { return i }
        return -1
    }

    /// Writes a frame into the buffers of its Rx queue, one completion per buffer (first/last,
    /// protocol and checksum results, RSS hash). Not enough buffers posted: dropped as an
    /// overrun; more buffers than allowed per packet: dropped as buffers too small.
    func deliverReceived(_ frame: UnsafeRawBufferPointer) {
        guard operational, let layout = PacketLayout(frame), let source = frame.baseAddress else {
            counters.rxDrops &+= 1
            return
        }
        guard frame.count <= ENAConfiguration.maxFrameLength(mtu: features.mtu) else {
            counters.rxOversize &+= 1
            counters.rxDrops &+= 1
            return
        }
        let hash =
            features.rxOffloadsEnabled & 0x8 != 0
            ? layout.rssHash(frame, features.rssLookup, fields: features.hashSelection.rawValue) : 0
        let index = receiveQueue(hash: hash)
        guard index >= 0 else {
            counters.rxDrops &+= 1
            return
        }
        let sq = queues.submission + index
        guard let buffers = takeReceiveBuffers(index, bytes: frame.count) else { return }
        let status = receiveStatus(frame, layout)
        let cq = queues.completion + sq.pointee.completionQueue
        var offset = 0
        for i in 0..<buffers {
            let d = rxDescriptors[i]
            let n = min(frame.count &- offset, d.capacity)
            if let target = rxBuffers[i] { target.copyMemory(from: source + offset, byteCount: n) }
            offset &+= n
            var bits = status | ENARxCompletion.bufferBit
            if i == 0 { bits |= ENARxCompletion.firstBit }
            if i == buffers &- 1 { bits |= ENARxCompletion.lastBit }
            if cq.pointee.phase { bits |= ENARxCompletion.phaseBit }
            let address = cq.pointee.base &+ UInt64(cq.pointee.tail & (cq.pointee.depth &- 1)) &* UInt64(cq.pointee.entrySize)
            guard let slot = try? dma.hostPointer(IOVA(address), length: UInt64(ENARxCompletion.size), access: .write) else {
                completionNotWritable(sq.pointee.completionQueue, address)
                break
            }
            ENARxCompletion(status: bits, length: UInt16(truncatingIfNeeded: n), requestID: d.requestID, hash: hash)
                .store(to: slot)
            cq.pointee.tail &+= 1
        }
        sq.pointee.head &+= UInt16(truncatingIfNeeded: buffers)
        counters.rxPackets &+= 1
        counters.rxBytes &+= UInt64(frame.count)
        completionInterrupt(sq.pointee.completionQueue)
    }

    /// Reads the posted descriptors that cover `bytes` into `rxDescriptors` and checks their
    /// buffers; nil (and the drop counted) when there are not enough or they cannot be used.
    @inline(__always) private func takeReceiveBuffers(_ index: Int, bytes: Int) -> Int? {
        let sq = queues.submission + index
        let mask = sq.pointee.depth &- 1
        var cursor = sq.pointee.head
        var covered = 0
        var count = 0
        while covered < bytes {
            guard count < configuration.maxRxDescriptorsPerPacket else {
                buffersTooSmall(index, bytes: bytes, count: count)
                return nil
            }
            guard cursor != sq.pointee.tail else {
                counters.rxOverruns &+= 1
                return nil
            }
            let address = sq.pointee.base &+ UInt64(cursor & mask) &* UInt64(ENARxDescriptor.size)
            guard let slot = try? dma.hostPointer(IOVA(address), length: 16, access: .read) else {
                descriptorNotReadable(index, cursor & mask, address)
                return nil
            }
            let d = ENARxDescriptor(loadingFrom: slot)
            guard d.phase == sq.pointee.phase(at: cursor) else {
                staleReceiveDescriptor(index, cursor & mask)
                return nil
            }
            let n = min(bytes &- covered, d.capacity)
            guard let target = try? dma.hostPointer(IOVA(d.bufferAddress), length: UInt64(n), access: .write) else {
                bufferNotWritable(index, d)
                return nil
            }
            rxDescriptors[count] = d
            rxBuffers[count] = target
            covered &+= n
            count &+= 1
            cursor &+= 1
        }
        return count
    }

    // The receive path's error reports, out of line so the frame path keeps its registers.

    @inline(never) private func completionNotWritable(_ cq: Int, _ address: UInt64) {
        report(.device, "Rx CQ \(cq): cannot write completion at 0x\(hex(address))")
    }

    @inline(never) private func buffersTooSmall(_ index: Int, bytes: Int, count: Int) {
        counters.rxBuffersTooSmall &+= 1
        counters.rxDrops &+= 1
        report(.device, "Rx SQ \(index): a \(bytes)-byte frame needs more than \(count) buffers; dropped")
    }

    @inline(never) private func descriptorNotReadable(_ index: Int, _ slot: UInt16, _ address: UInt64) {
        counters.rxDrops &+= 1
        report(.device, "Rx SQ \(index): cannot read descriptor \(slot) at 0x\(hex(address)); dropped")
    }

    @inline(never) private func staleReceiveDescriptor(_ index: Int, _ slot: UInt16) {
        staleDescriptor("Rx SQ \(index) descriptor \(slot)")
        counters.rxOverruns &+= 1
    }

    @inline(never) private func bufferNotWritable(_ index: Int, _ d: ENARxDescriptor) {
        counters.rxDrops &+= 1
        report(.device, "Rx SQ \(index): buffer 0x\(hex(d.bufferAddress)) (req_id \(d.requestID)) is not DMA-writable")
    }

    /// Protocol indices and checksum results for the completion status word.
    @inline(__always) private func receiveStatus(_ frame: UnsafeRawBufferPointer, _ p: PacketLayout) -> UInt32 {
        guard p.ipVersion != 0 else { return 0 }
        var status = UInt32(p.ipVersion == 4 ? ENAProtocolIndex.ipv4 : ENAProtocolIndex.ipv6)
        if p.isTCP { status |= UInt32(ENAProtocolIndex.tcp) << 8 }
        if p.isUDP { status |= UInt32(ENAProtocolIndex.udp) << 8 }
        if p.isFragment { status |= 1 << 15 }
        let offloads = features.rxOffloadsEnabled
        let l4Offload = offloads & (p.ipVersion == 4 ? 0x2 : 0x4) != 0
        guard offloads & 0x1 != 0 || l4Offload else { return status }
        let result = ChecksumOffload.verify(frame, p)
        if offloads & 0x1 != 0, result.l3Error { status |= 1 << 13 }
        if l4Offload, result.l4Checked {
            status |= 1 << 16
            if result.l4Error { status |= 1 << 14 }
        }
        return status
    }
}
