import Network
import PCIe

/// The simple Tx packets of one doorbell, gathered so they reach the wire as one burst.
///
/// A simple packet is one descriptor (first and last, no meta descriptor, no TSO, no checksum to
/// insert) whose buffer the device can read: the frame is sent from where it lies, exactly as
/// the general path sends a one-buffer packet. Anything else ends the burst and takes the
/// general path. Descriptors and buffers are reached through `DMAWindow`s taken for the burst
/// and dropped when it is sent (the wire runs code outside the device); a window the port will
/// not give means the general path, which records the fault.
enum TxBurst {
    /// Packets per burst (the device's gather list).
    static let capacity = 32
    /// Bytes per frame of the burst's scratch (LLQ inline headers, at most an entry).
    static let scratchStride = 256
    /// Record bit: the packet's completion is to be posted. It lies in the completion's
    /// `sub_qid` field, which the device writes as 0: the record less this bit is the word.
    static let wantsCompletion: UInt64 = 1 << 32

    /// The completion record of a packet: its Tx completion word without the phase
    /// (`ena_eth_io_tx_cdesc`: req_id in bits 15:0, status 0, sq_head_idx in bits 63:48), and
    /// ``wantsCompletion`` when it is to be posted.
    @inline(__always) static func record(requestID: UInt16, head: UInt16, complete: Bool) -> UInt64 {
        UInt64(requestID) | UInt64(head) << 48 | (complete ? wantsCompletion : 0)
    }

    /// The request id of a ``record(requestID:head:complete:)``.
    @inline(__always) static func requestID(_ record: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: record) }

    /// The SQ head of a ``record(requestID:head:complete:)``.
    @inline(__always) static func head(_ record: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: record >> 48) }

    /// Bit 24 (the phase of Tx descriptors and of Tx completions) as the lap of free-running
    /// index `index` of a ring of 2^`lapShift` entries has it: set on even laps. The shift is at
    /// most 15.
    @inline(__always) static func phaseBit(_ index: UInt16, lapShift: UInt16) -> UInt32 {
        ((UInt32(truncatingIfNeeded: index &>> lapShift) & 1) ^ 1) << 24
    }
}

/// The DMA windows of one burst: descriptor ring and buffers (both read).
struct TxBurstWindows {
    var ring = RingView()
    var buffers = DMAWindow()
}

/// A ring as one burst sees it: translated once, at its first use, when the port gives a window
/// that holds every entry; otherwise each entry goes through a window of its own.
struct RingView {
    var taken = false
    var host: UnsafeMutableRawPointer?
    var entries = DMAWindow()
}

extension ENADevice {
    /// Takes the packets at the head of host Tx queue `sq` into the burst from `slot` while they
    /// are simple packets (see ``TxBurst``), up to the burst's capacity and the queue's tail,
    /// moving the head past them; returns how many it took (nothing is recorded for the packet
    /// it stopped at).
    @inline(__always)
    func takeSimplePackets(
        _ sq: UnsafeMutablePointer<IOSubmissionQueueState>, from slot: Int, _ w: inout TxBurstWindows
    ) -> Int {
        guard configuration.maxTxDescriptorsPerPacket >= 1 else { return 0 }
        // The queue's fields in locals: the stores into the burst's lists could alias them as far
        // as the compiler knows, which would make it reload each one per packet.
        let depth = sq.pointee.depth
        let mask = depth &- 1
        let base = sq.pointee.base
        let tail = sq.pointee.tail
        let lapShift = sq.pointee.depthShift
        let onDemand = sq.pointee.completionOnDemand
        let maxLength = ENAConfiguration.maxFrameLength(mtu: features.mtu)
        let frames = burstFrames
        let records = burstRecords
        let flags = ENATxDescriptor.firstBit | ENATxDescriptor.lastBit | ENATxDescriptor.metaBit | ENATxDescriptor.phaseBit
        var cursor = sq.pointee.head
        var next = slot
        var octets: UInt64 = 0
        guard next < TxBurst.capacity, cursor != tail else { return 0 }
        // The ring is translated at the burst's first packet; then each entry is an offset.
        if !w.ring.taken { take(&w.ring, base: base, bytes: UInt64(ENATxDescriptor.size) &* UInt64(depth), .read) }
        let ring = w.ring.host
        // First and last, and the phase bit the driver writes on this lap (1 on even laps; the
        // shift is at most 15): recomputed only when the cursor wraps to a new lap.
        var wanted = Self.simpleTxControl(cursor, lapShift)
        repeat {
            let index = cursor & mask
            guard
                let at = ring.map({ $0 + Int(index) &* ENATxDescriptor.size })
                    ?? window(&w.ring.entries, base &+ UInt64(index) &* UInt64(ENATxDescriptor.size), ENATxDescriptor.size, .read)
            else { break }
            let d = ENATxDescriptor(loadingFrom: at)
            let length = d.length
            guard d.lengthControl & flags == wanted, d.metaControl & Self.txOffloadBits == 0, length >= 14,
                length <= maxLength, d.requestID < depth,
                let source = window(&w.buffers, d.bufferAddress, length, .read)
            else { break }
            cursor &+= 1
            if cursor & mask == 0 { wanted = Self.simpleTxControl(cursor, lapShift) }
            frames[next] = UnsafeRawBufferPointer(start: source, count: length)
            records[next] = TxBurst.record(
                requestID: d.requestID, head: cursor & mask, complete: !onDemand || d.completionRequested)
            octets &+= UInt64(length)
            next &+= 1
        } while next < TxBurst.capacity && cursor != tail
        sq.pointee.head = cursor
        burstBytes &+= octets
        return next &- slot
    }

    /// The length-control bits (first, last, meta, phase) of a simple packet's descriptor at
    /// free-running index `cursor` of a ring of 2^`lapShift` entries: first and last, no meta,
    /// and the lap's phase (1 on even laps).
    @inline(__always) static func simpleTxControl(_ cursor: UInt16, _ lapShift: UInt16) -> UInt32 {
        ENATxDescriptor.firstBit | ENATxDescriptor.lastBit | TxBurst.phaseBit(cursor, lapShift: lapShift)
    }

    /// TSO and the IPv4 / L4 checksum insertion bits of a descriptor's meta word.
    static let txOffloadBits: UInt32 = 1 << 7 | 1 << 13 | 1 << 14

    /// Translates a whole ring for `r` (once per burst: out of line).
    @inline(never)
    private func take(_ r: inout RingView, base: UInt64, bytes: UInt64, _ access: DMAAccess) {
        r.taken = true
        r.host = dma.window(covering: IOVA(base), length: bytes, access: access)?.pointer(base, length: bytes)
    }

    /// Host pointer for `length` bytes at `address` through `w`, taking a fresh window from the
    /// port when `w` does not hold them; nil when the port gives none (no fault is recorded).
    @inline(__always)
    func window(_ w: inout DMAWindow, _ address: UInt64, _ length: Int, _ access: DMAAccess) -> UnsafeMutableRawPointer? {
        if let p = w.pointer(address, length: UInt64(length)) { return p }
        return refresh(&w, address, length, access)
    }

    /// The miss path of ``window(_:_:_:_:)`` (out of line).
    @inline(never)
    private func refresh(_ w: inout DMAWindow, _ address: UInt64, _ length: Int, _ access: DMAAccess)
        -> UnsafeMutableRawPointer?
    {
        guard let fresh = dma.window(covering: IOVA(address), length: UInt64(length), access: access) else { return nil }
        w = fresh
        return fresh.pointer(address, length: UInt64(length))
    }

    /// Sends the `count` packets of the burst (counted as sent, or as dropped while the link is
    /// down) through the outbound allowances, and posts their completions to CQ `cqIndex`;
    /// returns whether one was posted. Nothing is posted when the device was reset while the
    /// frames were on the wire.
    func sendBurst(count: Int, completionQueue cqIndex: Int) -> Bool {
        guard shaper.isUnlimited else { return sendShapedBurst(count: count, completionQueue: cqIndex) }
        let frames = UnsafeBufferPointer(start: UnsafePointer(burstFrames), count: count)
        let life = generation
        let bytes = burstBytes
        burstBytes = 0
        if linkUp {
            counters.txPackets &+= UInt64(count)
            counters.txBytes &+= bytes
            putOnWire(frames)
        } else {
            counters.txDrops &+= UInt64(count)
        }
        return completeBurst(count: count, completionQueue: cqIndex, life: life)
    }

    /// ``sendBurst(count:completionQueue:)`` with allowances to apply (out of line: the unshaped
    /// burst stays as it is). Only the frames that pass (``admitBurst(count:)``) go to the wire
    /// and count as sent; every packet of the burst is completed.
    @inline(never)
    private func sendShapedBurst(count: Int, completionQueue cqIndex: Int) -> Bool {
        let life = generation
        burstBytes = 0
        if linkUp {
            let (sent, bytes) = admitBurst(count: count)
            counters.txPackets &+= UInt64(sent)
            counters.txBytes &+= bytes
            if sent > 0 { putOnWire(UnsafeBufferPointer(start: UnsafePointer(burstFrames), count: sent)) }
        } else {
            counters.txDrops &+= UInt64(count)
        }
        return completeBurst(count: count, completionQueue: cqIndex, life: life)
    }

    /// Hands `frames` to the wire as one burst; a doorbell rung meanwhile sends one at a time.
    @inline(__always)
    private func putOnWire(_ frames: UnsafeBufferPointer<UnsafeRawBufferPointer>) {
        sendingBurst = true
        wire?.transmitFromPort(batch: frames)
        sendingBurst = false
    }

    /// Posts the burst's completions unless the device was reset (its generation moved past
    /// `life`) while the frames were on the wire, or CQ `cqIndex` went away.
    @inline(__always)
    private func completeBurst(count: Int, completionQueue cqIndex: Int, life: UInt64) -> Bool {
        guard generation == life, cqIndex < queues.count, queues.completion[cqIndex].exists else { return false }
        return postTxCompletions(count: count, to: cqIndex)
    }

    /// Runs the burst's `count` frames through the outbound allowances, in order, at the present
    /// virtual time, as ``sendToWire(_:)`` runs each one: a frame that passes is moved down to
    /// the next free place at the start of ``burstFrames``; a held frame is copied into the
    /// outbound queue (its release scheduled), a dropped one counted. Returns the frames that
    /// pass and their bytes. Completions are the records', untouched: a held or dropped packet is
    /// completed as the general path completes it.
    @inline(__always)
    private func admitBurst(count: Int) -> (frames: Int, bytes: UInt64) {
        let now = clock.now.nanoseconds
        let frames = burstFrames
        var passing = 0
        var bytes: UInt64 = 0
        var held = false
        for i in 0..<count {
            let frame = frames[i]
            switch shaper.admit(frame, .outbound, now: now, &allowanceCounters) {
            case .pass:
                frames[passing] = frame
                passing &+= 1
                bytes &+= UInt64(frame.count)
            case .held: held = true
            case .dropped: counters.txDrops &+= 1
            }
        }
        if held { scheduleRelease(.outbound) }
        return (passing, bytes)
    }

    /// Writes the completions the burst's records ask for at the tail of CQ `cqIndex`.
    private func postTxCompletions(count: Int, to cqIndex: Int) -> Bool {
        let cq = queues.completion + cqIndex
        // The queue's fields in locals: the completion stores could alias them as far as the
        // compiler knows.
        let depth = cq.pointee.depth
        let mask = depth &- 1
        let entrySize = cq.pointee.entrySize
        let lapShift = cq.pointee.depthShift
        let records = burstRecords
        let start = cq.pointee.tail
        var ring = RingView()
        take(&ring, base: cq.pointee.base, bytes: UInt64(entrySize) &* UInt64(depth), .write)
        guard let host = ring.host else { return postTxCompletionsByEntry(count: count, to: cqIndex) }
        // The whole ring in one window: each completion is one store of its record's word with
        // the lap's phase (bit 24: 1 on even laps; the shift is at most 15). The slot and phase
        // advance with the tail and are recomputed only when it wraps to a new lap.
        var tail = start
        var slot = host + Int(tail & mask) &* entrySize
        var phase = UInt64(TxBurst.phaseBit(tail, lapShift: lapShift))
        for i in 0..<count {
            let record = records[i]
            guard record & TxBurst.wantsCompletion != 0 else { continue }
            slot.storeBytes(of: (record ^ TxBurst.wantsCompletion | phase).littleEndian, as: UInt64.self)
            tail &+= 1
            slot += entrySize
            if tail & mask == 0 {
                slot = host
                phase = UInt64(TxBurst.phaseBit(tail, lapShift: lapShift))
            }
        }
        cq.pointee.tail = tail
        return tail != start
    }

    /// ``postTxCompletions(count:to:)`` when the port gives no window for the whole ring (out of
    /// line): each entry through a window of its own, or the general path, which records the
    /// fault (or writes staged memory).
    @inline(never)
    private func postTxCompletionsByEntry(count: Int, to cqIndex: Int) -> Bool {
        let cq = queues.completion + cqIndex
        let depth = cq.pointee.depth
        let mask = depth &- 1
        let base = cq.pointee.base
        let entrySize = cq.pointee.entrySize
        let lapShift = cq.pointee.depthShift
        let records = burstRecords
        var tail = cq.pointee.tail
        var entries = DMAWindow()
        var posted = false
        for i in 0..<count {
            let record = records[i]
            guard record & TxBurst.wantsCompletion != 0 else { continue }
            let address = base &+ UInt64(tail & mask) &* UInt64(entrySize)
            guard let slot = window(&entries, address, entrySize, .write) else {
                let completion = ENATxCompletion(
                    requestID: TxBurst.requestID(record), status: 0, phase: false, submissionQueueHead: TxBurst.head(record))
                cq.pointee.tail = tail
                if postTxCompletion(completion, to: cqIndex) { posted = true }
                tail = cq.pointee.tail
                continue
            }
            let phase = UInt64(TxBurst.phaseBit(tail, lapShift: lapShift))
            slot.storeBytes(of: (record ^ TxBurst.wantsCompletion | phase).littleEndian, as: UInt64.self)
            tail &+= 1
            posted = true
        }
        cq.pointee.tail = tail
        return posted
    }
}
