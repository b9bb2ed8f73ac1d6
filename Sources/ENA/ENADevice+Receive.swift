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

    /// A burst from the wire: each frame as ``receiveFromWire(_:)`` takes it, through the
    /// inbound allowances at the present virtual time, in order. The frames that pass are
    /// delivered with their DMA windows kept from frame to frame (nothing outside the device runs
    /// in between) and each completion queue signalled once at the end.
    func receiveBatchFromWire(_ frames: UnsafeBufferPointer<UnsafeRawBufferPointer>) {
        guard linkUp, operational else {
            counters.rxDrops &+= UInt64(frames.count)
            return
        }
        guard shaper.isUnlimited, takesBursts, queues.count <= UInt64.bitWidth else {
            if takesBursts, queues.count <= UInt64.bitWidth {
                receiveShapedBatch(frames)
            } else {
                for frame in frames { receiveFromWire(frame) }
            }
            return
        }
        var windows = ReceiveWindows(batched: true, queues)
        var signal: UInt64 = 0
        for frame in frames {
            let cq = deliver(frame, &windows, batched: true)
            // At most 64 queues (checked above): the masking shift is the plain one.
            if cq >= 0 { signal |= 1 &<< UInt64(cq) }
        }
        signalCompletionQueues(signal)
    }

    /// Raises the interrupt of each completion queue whose bit is set in `mask`, lowest first.
    @inline(__always) private func signalCompletionQueues(_ mask: UInt64) {
        var signal = mask
        while signal != 0 {
            completionInterrupt(signal.trailingZeroBitCount)
            signal &= signal &- 1
        }
    }

    /// The frames of a burst that pass the inbound allowances (in order, at the present virtual
    /// time), delivered as ``receiveBatchFromWire(_:)`` delivers a burst; the others held (their
    /// release scheduled) or dropped and counted. Out of line: the unshaped burst loop stays free
    /// of the allowance check.
    @inline(never)
    private func receiveShapedBatch(_ frames: UnsafeBufferPointer<UnsafeRawBufferPointer>) {
        let now = clock.now.nanoseconds
        var held = false
        var windows = ReceiveWindows(batched: true, queues)
        var signal: UInt64 = 0
        for frame in frames {
            switch shaper.admit(frame, .inbound, now: now, &allowanceCounters) {
            case .pass:
                let cq = deliver(frame, &windows, batched: true)
                if cq >= 0 { signal |= 1 &<< UInt64(cq) }
            case .held: held = true
            case .dropped: counters.rxDrops &+= 1
            }
        }
        if held { scheduleRelease(.inbound) }
        signalCompletionQueues(signal)
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
    func scheduleRelease(_ direction: TrafficDirection) {
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
        let entry = features.indirection[Int(hash & features.indirectionMask)]
        let index = Int(entry)
        if entry != FeatureState.unsetEntry, index < queues.count, queues.submission[index].exists,
            !queues.submission[index].isTransmit
        {
            return index
        }
        for i in 0..<queues.count where queues.submission[i].exists && !queues.submission[i].isTransmit { return i }
        return -1
    }

    /// A frame's RSS hash (0 with RSS off) and the Rx queue it goes to (-1: none).
    @inline(__always) private func steer(_ frame: UnsafeRawBufferPointer, _ layout: PacketLayout) -> (UInt32, Int) {
        let hash =
            features.rxOffloadsEnabled & 0x8 != 0
            ? layout.rssHash(frame, features.rssLookup, fields: features.hashSelection.rawValue) : 0
        return (hash, receiveQueue(hash: hash))
    }

    /// Writes a frame into the buffers of its Rx queue, one completion per buffer (first/last,
    /// protocol and checksum results, RSS hash), and signals the queue. Not enough buffers
    /// posted: dropped as an overrun; more buffers than allowed per packet: dropped as buffers
    /// too small.
    func deliverReceived(_ frame: UnsafeRawBufferPointer) {
        var windows = ReceiveWindows(batched: false, queues)
        let cq = deliver(frame, &windows, batched: false)
        if cq >= 0 { completionInterrupt(cq) }
    }

    /// ``deliverReceived(_:)`` without the interrupt: returns the completion queue written
    /// (-1 when the frame was dropped), which the caller signals. `batched` is `w.batched`, as a
    /// constant of each caller: the burst loop has no one-frame code and no test per frame.
    @inline(__always)
    private func deliver(_ frame: UnsafeRawBufferPointer, _ w: inout ReceiveWindows, batched: Bool) -> Int {
        guard operational, let layout = PacketLayout(frame), let source = frame.baseAddress else {
            counters.rxDrops &+= 1
            return -1
        }
        guard frame.count <= ENAConfiguration.maxFrameLength(mtu: features.mtu) else {
            counters.rxOversize &+= 1
            counters.rxDrops &+= 1
            return -1
        }
        let hash: UInt32
        let index: Int
        if batched, layout.ipVersion == 4, layout.hasPorts {
            // A frame of the burst's last IPv4 flow has that flow's hash and queue.
            let addresses = source.loadUnaligned(fromByteOffset: layout.l3Offset &+ 12, as: UInt64.self)
            let ports = source.loadUnaligned(fromByteOffset: layout.l4Offset, as: UInt32.self)
            if w.flow.matches(addresses: addresses, ports: ports, protocol: layout.l4Protocol) {
                hash = w.flow.hash
                index = w.flow.queue
            } else {
                (hash, index) = steer(frame, layout)
                w.flow = FlowMemo(addresses: addresses, ports: ports, protocol: layout.l4Protocol, hash: hash, queue: index)
            }
        } else {
            (hash, index) = steer(frame, layout)
        }
        guard index >= 0 else {
            counters.rxDrops &+= 1
            return -1
        }
        // Computed once for both paths below.
        let status = receiveStatus(frame, layout)
        guard batched else { return deliverToBuffers(frame, queue: index, status: status, hash: hash, &w) }
        if w.queue.index != index { w.queue = receiveQueueView(index) }
        // A frame that fits the posted buffer at the head, with both rings translated whole and
        // the buffer in a window: what the general path does for it, with the queue's fields
        // taken when the burst first reached the queue. Anything else (nothing posted, a stale
        // descriptor, a small or unwritable buffer, a ring without a window) takes the general
        // path, which reports it.
        if w.queue.fast {
            let sq = w.queue.submission
            let head = sq.pointee.head
            if head != sq.pointee.tail {
                let d = ENARxDescriptor(
                    loadingFrom: w.queue.descriptors + Int(head & w.queue.descriptorMask) &* ENARxDescriptor.size)
                // The phase the driver writes on this lap (1 on even laps; the shift is at most 15).
                if d.phase == ((head &>> w.queue.descriptorShift) & 1 == 0), d.capacity >= frame.count,
                    let target = window(&w.buffers, d.bufferAddress, frame.count, .write)
                {
                    FrameCopy.copy(to: target, from: source, count: frame.count)
                    let cq = w.queue.completion
                    let tail = cq.pointee.tail
                    var bits = status | ENARxCompletion.bufferBit | ENARxCompletion.firstBit | ENARxCompletion.lastBit
                    if (tail &>> w.queue.completionShift) & 1 == 0 { bits |= ENARxCompletion.phaseBit }
                    ENARxCompletion(
                        status: bits, length: UInt16(truncatingIfNeeded: frame.count), requestID: d.requestID, hash: hash
                    )
                    .store(to: w.queue.completions + Int(tail & w.queue.completionMask) &* w.queue.completionSize)
                    cq.pointee.tail = tail &+ 1
                    sq.pointee.head = head &+ 1
                    counters.rxPackets &+= 1
                    counters.rxBytes &+= UInt64(frame.count)
                    return w.queue.completionIndex
                }
            }
        }
        return deliverToBuffers(frame, queue: index, status: status, hash: hash, &w)
    }

    /// What a burst's fast path needs of Rx queue `index` (out of line: once per queue per
    /// burst): its queues' state, both rings translated whole when the port gives a window for
    /// each (no fault is recorded otherwise), masks, lap shifts and the completion size.
    @inline(never)
    private func receiveQueueView(_ index: Int) -> ReceiveQueueView {
        var v = ReceiveQueueView(placeholder: queues)
        v.index = index
        let sq = queues.submission + index
        let cqIndex = sq.pointee.completionQueue
        guard configuration.maxRxDescriptorsPerPacket >= 1, cqIndex >= 0, cqIndex < queues.count else { return v }
        let cq = queues.completion + cqIndex
        let ringBytes = UInt64(ENARxDescriptor.size) &* UInt64(sq.pointee.depth)
        let completionBytes = UInt64(cq.pointee.entrySize) &* UInt64(cq.pointee.depth)
        guard
            let descriptors = dma.window(covering: IOVA(sq.pointee.base), length: ringBytes, access: .read)?
                .pointer(sq.pointee.base, length: ringBytes),
            let completions = dma.window(covering: IOVA(cq.pointee.base), length: completionBytes, access: .write)?
                .pointer(cq.pointee.base, length: completionBytes)
        else { return v }
        v.fast = true
        v.descriptors = descriptors
        v.completions = completions
        v.submission = sq
        v.completion = cq
        v.completionIndex = cqIndex
        v.completionSize = cq.pointee.entrySize
        v.descriptorMask = sq.pointee.depth &- 1
        v.descriptorShift = sq.pointee.depthShift
        v.completionMask = cq.pointee.depth &- 1
        v.completionShift = cq.pointee.depthShift
        return v
    }

    /// ``deliver(_:_:)`` for every frame the single-buffer fast path does not take (out of
    /// line: the frame path keeps its registers): the descriptors that cover the frame, one
    /// completion per buffer; returns the completion queue written, or -1 when the frame was
    /// dropped.
    @inline(never)
    private func deliverToBuffers(
        _ frame: UnsafeRawBufferPointer, queue index: Int, status: UInt32, hash: UInt32, _ w: inout ReceiveWindows
    ) -> Int {
        guard let source = frame.baseAddress else { return -1 }
        let sq = queues.submission + index
        guard let buffers = takeReceiveBuffers(index, bytes: frame.count, &w) else { return -1 }
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
            guard let slot = w.completion(at: address, dma) else {
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
        return sq.pointee.completionQueue
    }

    /// Reads the posted descriptors that cover `bytes` into `rxDescriptors` and checks their
    /// buffers; nil (and the drop counted) when there are not enough or they cannot be used.
    @inline(__always) private func takeReceiveBuffers(_ index: Int, bytes: Int, _ w: inout ReceiveWindows) -> Int? {
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
            guard let slot = w.descriptor(at: address, dma) else {
                descriptorNotReadable(index, cursor & mask, address)
                return nil
            }
            let d = ENARxDescriptor(loadingFrom: slot)
            guard d.phase == sq.pointee.phase(at: cursor) else {
                staleReceiveDescriptor(index, cursor & mask)
                return nil
            }
            let n = min(bytes &- covered, d.capacity)
            guard let target = w.buffer(at: d.bufferAddress, length: n, dma) else {
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
        ReceiveStatus.word(frame, p, offloads: features.rxOffloadsEnabled)
    }
}

/// Where the receive path reaches guest memory. Delivering a burst (`batched`), it keeps a
/// `DMAWindow` per use (descriptors, buffers, completions) and the fast path's queue with its
/// rings translated whole (``ReceiveQueueView``) from frame to frame, valid because nothing
/// outside the device runs until the burst is delivered; one frame at a time it translates
/// every access. Either way a failed access is translated by the port, which records
/// the fault once.
struct ReceiveWindows {
    let batched: Bool
    var descriptors = DMAWindow()
    var buffers = DMAWindow()
    var completions = DMAWindow()
    /// The Rx queue the burst's fast path writes to.
    var queue: ReceiveQueueView
    /// The burst's last IPv4 TCP/UDP flow, its hash and queue.
    var flow = FlowMemo()

    init(batched: Bool, _ table: IOQueueTable) {
        self.batched = batched
        queue = ReceiveQueueView(placeholder: table)
    }

    /// The Rx descriptor at `address` (read).
    @inline(__always) mutating func descriptor(at address: UInt64, _ dma: DMAPort) -> UnsafeMutableRawPointer? {
        Self.pointer(&descriptors, batched, address, ENARxDescriptor.size, .read, dma)
    }

    /// `length` bytes of an Rx buffer at `address` (write).
    @inline(__always) mutating func buffer(at address: UInt64, length: Int, _ dma: DMAPort) -> UnsafeMutableRawPointer? {
        Self.pointer(&buffers, batched, address, length, .write, dma)
    }

    /// The Rx completion at `address` (write).
    @inline(__always) mutating func completion(at address: UInt64, _ dma: DMAPort) -> UnsafeMutableRawPointer? {
        Self.pointer(&completions, batched, address, ENARxCompletion.size, .write, dma)
    }

    /// Host pointer for `length` bytes at `address`, nil (fault recorded) when the access fails.
    @inline(__always)
    private static func pointer(
        _ w: inout DMAWindow, _ batched: Bool, _ address: UInt64, _ length: Int, _ access: DMAAccess, _ dma: DMAPort
    ) -> UnsafeMutableRawPointer? {
        if let p = w.pointer(address, length: UInt64(length)) { return p }
        if batched, let fresh = dma.window(covering: IOVA(address), length: UInt64(length), access: access) {
            w = fresh
            if let p = fresh.pointer(address, length: UInt64(length)) { return p }
        }
        return try? dma.hostPointer(IOVA(address), length: UInt64(length), access: access)
    }
}

/// One IPv4 TCP/UDP flow's RSS hash and Rx queue, kept for the frames of a burst that follow it.
///
/// The hash is a function of the addresses and ports (as they lie in the frame), the protocol
/// (which selects the 4-tuple function) and the key, hash fields and indirection table; the queue
/// of the hash and the queue table. Within a burst nothing changes the latter (nothing outside
/// the device runs), so a frame with the same addresses, ports and protocol gets the same hash
/// and queue: consecutive frames of one flow, the common case, are hashed once.
struct FlowMemo {
    private var addresses: UInt64 = 0
    private var ports: UInt32 = 0
    /// The flow's protocol, TCP or UDP; 0 (no flow yet) matches no TCP or UDP frame, the only
    /// frames the receive path asks about, so no separate "valid" test is needed.
    private var l4Protocol: UInt8 = 0
    private(set) var hash: UInt32 = 0
    private(set) var queue = -1

    /// No flow yet.
    init() {}

    init(addresses: UInt64, ports: UInt32, protocol l4Protocol: UInt8, hash: UInt32, queue: Int) {
        self.addresses = addresses
        self.ports = ports
        self.l4Protocol = l4Protocol
        self.hash = hash
        self.queue = queue
    }

    /// Whether a frame with these addresses, ports and protocol (TCP or UDP: never 0) belongs to
    /// the flow.
    @inline(__always) func matches(addresses: UInt64, ports: UInt32, protocol l4Protocol: UInt8) -> Bool {
        l4Protocol == self.l4Protocol && addresses == self.addresses && ports == self.ports
    }
}
