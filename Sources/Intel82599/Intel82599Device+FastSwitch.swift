import CMemoryHints
import PCIe

/// Translations the fast switching path keeps for one TX doorbell.
///
/// Windows are taken at first use and dropped with the doorbell or whenever the general path
/// ran (which may let code outside the device run: a wire peer, an interrupt handler), so the
/// IOMMU mappings and bus mastering they were taken under cannot change while they are used.
struct FastSwitchState {
    /// The transmit ring, whole (empty until taken).
    var txRing = DMAWindow()
    /// The window the last transmit buffer was found in.
    var txBuffers = DMAWindow()
    /// False once the transmit ring could not be covered by one window: the doorbell takes the
    /// general path only.
    var usable = true

    init(usable: Bool = true) { self.usable = usable }

    /// Drops every window, keeping whether the fast path is usable at all.
    mutating func forgetWindows() {
        self = FastSwitchState(usable: usable)
    }
}

/// An Ethernet frame's destination and source address (its first twelve bytes), as raw words for
/// a two-compare equality test.
struct FrameAddresses: Equatable {
    var low: UInt64
    var high: UInt32

    init(low: UInt64, high: UInt32) {
        self.low = low
        self.high = high
    }

    /// The first twelve bytes of `frame`, which must hold at least that many.
    @inline(__always) init(_ frame: UnsafeRawBufferPointer) {
        low = frame.loadUnaligned(as: UInt64.self)
        high = frame.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
    }
}

/// The receive queue a run of fast-path frames goes to, held in locals for the run and written
/// back once (``Intel82599Device/commitReceive(_:batch:)``).
struct ReceiveCursor {
    /// The queue, -1 for none yet.
    var queue = -1
    var pool = 0
    /// Host view of descriptor 0 (the window covers the whole ring).
    var ring: UnsafeMutableRawPointer?
    var entries = 0
    var head = 0
    var available = 0
    var bufferSize = 0
    /// The window the last receive buffer was found in.
    var buffers = DMAWindow()
    /// Unretained DMA port of the queue's owner.
    var port: Unmanaged<DMAPort>?
    /// Frames and octets delivered in this run, added to the switch batch on commit.
    var frames: UInt64 = 0
    var octets: UInt64 = 0
}

extension Intel82599Device {
    private typealias TD = AdvancedTxDescriptor
    private typealias RD = AdvancedRxDescriptor

    /// Whether a TX doorbell of `pool` may try the fast path at all: the per-frame work it skips
    /// (default VLAN insertion, RSS, switching off) must not apply to any frame of the doorbell.
    @inline(__always) func fastSwitchApplies(toPool pool: Int) -> Bool {
        switchFastPath && layout.virtualizationEnabled && filters.loopback && !rss.hashing
            && filters.defaultVLAN[pool] < 0
    }

    /// Switches consecutive simple frames from TX queue `q` starting at descriptor `start`, as
    /// ``forward(_:fromPool:insertVLAN:inScratch:batch:)`` would, with translations reused across
    /// frames; returns where it stopped (`start` itself: the frame there needs the general path).
    ///
    /// A simple frame is one advanced data descriptor with EOP (no TSE, no VLAN insertion),
    /// untagged, at least an Ethernet header long, unicast to exactly one other local pool that
    /// receives untagged frames, which passes MAC anti-spoofing and fits one free receive buffer
    /// of that pool's first queue; both buffers are inside the windows. Everything is checked
    /// before the frame's first side effect, so a frame that is not simple is left untouched for
    /// the general path, which then counts, drops or faults it exactly as it always did. The
    /// results are identical to the general path's (a test compares the two, frame by frame).
    func switchSimpleFrames(
        queue q: Int, pool source: Int, port: DMAPort, from start: Int, frames: inout Int, anyStatus: inout Bool,
        state: inout FastSwitchState, batch: inout SwitchBatch
    ) -> Int {
        guard state.usable else { return start }
        let entries = txQueues[q].entries
        let ringBase = txQueues[q].ringBase
        let tail = txQueues[q].tail
        let markDD = txQueues[q].headWriteBack == 0
        if state.txRing.size == 0 {
            state.txRing =
                port.window(covering: IOVA(ringBase), length: UInt64(entries &* TD.size), access: .write) ?? DMAWindow()
        }
        guard let ring = state.txRing.pointer(ringBase, length: UInt64(entries &* TD.size)) else {
            state.usable = false
            return start
        }
        let sourceBit = UInt64(1) << UInt64(source)
        let checkSource = filters.macAntiSpoofPools & sourceBit != 0
        let eligiblePools = ~sourceBit & filters.untaggedPools & filters.receiveEnabledPools
        let status = (RD.statusDD | RD.statusEOP | RD.statusLB).littleEndian
        var txBuffers = state.txBuffers
        var rx = ReceiveCursor()
        // The addresses of the last frame that passed the address checks, and the pool they sent
        // it to: the checks depend only on the addresses and on filters that cannot change during
        // a doorbell, so a frame with the same twelve bytes goes to the same pool without them.
        // No pool (-1) until a frame passed.
        var lastAddresses = FrameAddresses(low: 0, high: 0)
        var lastPool = -1
        var transmittedOctets: UInt64 = 0
        var head = start
        while head != tail {
            let d = ring + head &* TD.size
            let command = UInt32(littleEndian: d.loadUnaligned(fromByteOffset: TD.commandTypeLengthOffset, as: UInt32.self))
            guard command & (TD.commandDEXT | TD.commandEOP | TD.commandTSE | TD.commandVLE) == TD.commandDEXT | TD.commandEOP,
                (command >> TD.typeShift) & 0xF == TD.typeData
            else { break }
            let length = Int(command & TD.lengthMask)
            guard length >= 14 else { break }
            let address = UInt64(littleEndian: d.loadUnaligned(fromByteOffset: TD.bufferAddressOffset, as: UInt64.self))
            var found = txBuffers.pointer(address, length: UInt64(length))
            if found == nil, let w = port.window(covering: IOVA(address), length: UInt64(length), access: .read) {
                txBuffers = w
                found = w.pointer(address, length: UInt64(length))
            }
            guard let src = found else { break }
            let frame = UnsafeRawBufferPointer(start: src, count: length)
            guard Self.vlanID(frame) < 0 else { break }
            let addresses = FrameAddresses(frame)
            let pool: Int
            if lastPool >= 0, addresses == lastAddresses {
                pool = lastPool
            } else {
                let destination = Self.mac(frame, at: 0)
                guard destination & (UInt64(1) << 40) == 0 else { break }
                if checkSource, batch.lookups.source(Self.mac(frame, at: 6), in: filters.macs) & sourceBit == 0 { break }
                let targets = batch.lookups.destination(destination, in: filters.macs) & eligiblePools
                guard targets != 0, targets & (targets &- 1) == 0 else { break }
                pool = targets.trailingZeroBitCount
                lastAddresses = addresses
                lastPool = pool
            }
            if pool != rx.pool || rx.queue < 0 {
                commitReceive(&rx, batch: &batch)
                guard beginReceive(queue: layout.firstQueue(ofPool: pool), pool: pool, &rx, batch: &batch) else { break }
            }
            guard rx.available > 0, length <= rx.bufferSize, let rxRing = rx.ring else { break }
            let rd = rxRing + rx.head &* RD.size
            let bufferAddress = UInt64(littleEndian: rd.loadUnaligned(fromByteOffset: RD.packetBufferOffset, as: UInt64.self))
            var target = rx.buffers.pointer(bufferAddress, length: UInt64(length))
            if target == nil, let rxPort = rx.port,
                let w = rxPort._withUnsafeGuaranteedRef({
                    $0.window(covering: IOVA(bufferAddress), length: UInt64(length), access: .write)
                })
            {
                rx.buffers = w
                target = w.pointer(bufferAddress, length: UInt64(length))
            }
            guard let buffer = target else { break }
            prefetchReceiveAhead(rx)

            // Every check passed: the frame is switched, with the general path's effects.
            mh_copy_short(buffer, src, length)
            rd.storeBytes(of: UInt64(0), toByteOffset: RD.packetInfoOffset, as: UInt64.self)
            rd.storeBytes(of: status, toByteOffset: RD.statusErrorOffset, as: UInt32.self)
            rd.storeBytes(of: UInt32(length).littleEndian, toByteOffset: RD.lengthOffset, as: UInt32.self)
            rx.head = rx.head &+ 1 == rx.entries ? 0 : rx.head &+ 1
            rx.available &-= 1
            rx.frames &+= 1
            rx.octets &+= UInt64(length)
            transmittedOctets &+= UInt64(length)
            if command & TD.commandRS != 0 {
                anyStatus = true
                if markDD { Self.setDescriptorDone(d) }
            }
            head = head &+ 1 == entries ? 0 : head &+ 1
        }
        commitReceive(&rx, batch: &batch)
        state.txBuffers = txBuffers
        let consumed = head >= start ? head - start : head + entries - start
        frames &+= consumed
        counters.switchedLocally &+= UInt64(consumed)
        batch.transmitted(frames: UInt64(consumed), octets: transmittedOctets)
        return head
    }

    /// How far ahead of the receive head the fast path hints the CPU: the buffer of the
    /// descriptor ``rxBufferLead`` entries on (for writing), and the descriptor line
    /// ``rxDescriptorLead`` entries beyond that. The model's counterpart of the 82599's burst
    /// descriptor prefetch (RXDCTL.PTHRESH, datasheet §7.1.4.3): with many busy pools, receive
    /// buffers and descriptors are cold, and meeting each miss only when the frame gets there
    /// serialises them.
    static let rxBufferLead = 8
    static let rxDescriptorLead = 8

    /// Prefetch hints for a later frame of the run; reads only descriptors software has given to
    /// hardware and hints only memory inside the windows (a hint never faults or changes state).
    @inline(__always) private func prefetchReceiveAhead(_ rx: ReceiveCursor) {
        guard rx.available > Self.rxBufferLead, let ring = rx.ring else { return }
        var ahead = rx.head &+ Self.rxBufferLead
        if ahead >= rx.entries { ahead &-= rx.entries }
        let address = UInt64(littleEndian: ring.loadUnaligned(fromByteOffset: ahead &* RD.size, as: UInt64.self))
        if let buffer = rx.buffers.pointer(address, length: 1) { mh_prefetch_write(buffer) }
        var further = ahead &+ Self.rxDescriptorLead
        if further >= rx.entries { further &-= rx.entries }
        mh_prefetch_write(ring + further &* RD.size)
    }

    /// At the start of a run, hints the buffers of the first ``rxBufferLead`` free descriptors at
    /// once (later ones follow frame by frame in ``prefetchReceiveAhead(_:)``), taking the buffer
    /// window from the first of them.
    private func prefetchReceiveStart(_ rx: inout ReceiveCursor) {
        guard let ring = rx.ring, let port = rx.port else { return }
        // The descriptor lines of a whole batch first, all in flight together.
        var line = 0
        while line < min(rx.available, 32) {
            var at = rx.head &+ line
            if at >= rx.entries { at &-= rx.entries }
            mh_prefetch_write(ring + at &* RD.size)
            line &+= 64 / RD.size
        }
        var i = rx.head
        for _ in 0..<min(rx.available, Self.rxBufferLead) {
            let address = UInt64(littleEndian: ring.loadUnaligned(fromByteOffset: i &* RD.size, as: UInt64.self))
            if rx.buffers.size == 0,
                let w = port._withUnsafeGuaranteedRef({ $0.window(covering: IOVA(address), length: 1, access: .write) })
            {
                rx.buffers = w
            }
            if let buffer = rx.buffers.pointer(address, length: 1) { mh_prefetch_write(buffer) }
            i = i &+ 1 == rx.entries ? 0 : i &+ 1
        }
    }

    /// Takes receive queue `q` of `pool` for a fast-path run: its ring (whole, in one window) and
    /// free descriptors. False when the general path must handle the frame (receive off, queue
    /// disabled, ring not coverable). Starts the switch batch's receive run on `q`, as the general
    /// path's first frame to a new queue does.
    private func beginReceive(queue q: Int, pool: Int, _ rx: inout ReceiveCursor, batch: inout SwitchBatch) -> Bool {
        guard receiveEnabled, rxQueues[q].enabled, let port = dmaPort(owner: rxQueues[q].owner) else { return false }
        let base = rxQueues[q].ringBase
        let entries = rxQueues[q].entries
        let length = UInt64(entries &* RD.size)
        guard let w = port._withUnsafeGuaranteedRef({ $0.window(covering: IOVA(base), length: length, access: .write) }),
            let ring = w.pointer(base, length: length)
        else { return false }
        rx = ReceiveCursor(
            queue: q, pool: pool, ring: ring, entries: entries, head: rxQueues[q].head, available: rxQueues[q].available,
            bufferSize: rxQueues[q].bufferSize, buffers: DMAWindow(), port: port)
        prefetchReceiveStart(&rx)
        if batch.receiveQueue != q {
            flushReceiveCounts(&batch)
            batch.startReceiveRun(queue: q, pool: pool)
        }
        return true
    }

    /// Writes a run's receive head back, adds its frames to the switch batch and marks the queue's
    /// interrupt pending, as ``receive(_:_:queue:pool:batch:)`` does per frame; then forgets the
    /// queue.
    private func commitReceive(_ rx: inout ReceiveCursor, batch: inout SwitchBatch) {
        let q = rx.queue
        guard q >= 0 else { return }
        if rx.frames > 0 {
            rxQueues[q].head = rx.head
            batch.received(frames: rx.frames, octets: rx.octets)
            if q < 64 {
                rxInterruptsPendingLow |= UInt64(1) << UInt64(q)
            } else {
                rxInterruptsPendingHigh |= UInt64(1) << UInt64(q - 64)
            }
        }
        rx = ReceiveCursor()
    }
}
