import CMemoryHints
import PCIe

/// Translations and receive-queue state the fast switching path keeps for one TX doorbell.
///
/// Windows are taken at first use and dropped with the doorbell (nothing outside the device runs
/// in between: the fast path never hands a frame to the wire), so the IOMMU mappings and bus
/// mastering they were taken under cannot change while they are used.
struct FastSwitchState {
    /// The transmit ring, whole (empty until taken; `usable` false once taking it failed).
    var txRing = DMAWindow()
    /// The window the last transmit buffer was found in.
    var txBuffers = DMAWindow()
    /// The receive queue frames are going to, -1 for none yet.
    var rxQueue = -1
    var rxRing = DMAWindow()
    var rxBuffers = DMAWindow()
    var rxRingBase: UInt64 = 0
    var rxEntries = 0
    var rxHead = 0
    var rxAvailable = 0
    var rxBufferSize = 0
    /// Unretained DMA port of the receive queue's owner (valid while `rxQueue >= 0`).
    var rxPort: Unmanaged<DMAPort>?
    /// False once the transmit ring could not be covered by one window: the doorbell takes the
    /// general path only.
    var usable = true

    /// Drops every window (after the general path ran, which may have let code outside the device
    /// run: a wire peer, an interrupt handler), keeping whether the fast path is usable at all.
    mutating func forgetWindows() {
        self = FastSwitchState(usable: usable)
    }

    init(usable: Bool = true) { self.usable = usable }
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

    /// Switches consecutive simple frames from TX queue `q` starting at `head`, as
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
        let ring = txQueues[q].ringBase
        let tail = txQueues[q].tail
        let markDD = txQueues[q].headWriteBack == 0
        if state.txRing.size == 0 {
            guard let w = port.window(covering: IOVA(ring), length: UInt64(entries &* TD.size), access: .write) else {
                state.usable = false
                return start
            }
            state.txRing = w
        }
        let sourceBit = UInt64(1) << UInt64(source)
        let checkSource = filters.macAntiSpoofPools & sourceBit != 0
        let eligiblePools = ~sourceBit & filters.untaggedPools & filters.receiveEnabledPools
        let status = RD.statusDD | RD.statusEOP | RD.statusLB
        var head = start
        while head != tail {
            guard let d = state.txRing.pointer(ring &+ UInt64(head &* TD.size), length: UInt64(TD.size)) else { break }
            let command = UInt32(littleEndian: d.loadUnaligned(fromByteOffset: TD.commandTypeLengthOffset, as: UInt32.self))
            guard command & (TD.commandDEXT | TD.commandEOP | TD.commandTSE | TD.commandVLE) == TD.commandDEXT | TD.commandEOP,
                (command >> TD.typeShift) & 0xF == TD.typeData
            else { break }
            let length = Int(command & TD.lengthMask)
            guard length >= 14 else { break }
            let address = UInt64(littleEndian: d.loadUnaligned(fromByteOffset: TD.bufferAddressOffset, as: UInt64.self))
            var found = state.txBuffers.pointer(address, length: UInt64(length))
            if found == nil, let w = port.window(covering: IOVA(address), length: UInt64(length), access: .read) {
                state.txBuffers = w
                found = w.pointer(address, length: UInt64(length))
            }
            guard let src = found else { break }
            let frame = UnsafeRawBufferPointer(start: src, count: length)
            let destination = Self.mac(frame, at: 0)
            guard destination & (UInt64(1) << 40) == 0, Self.vlanID(frame) < 0 else { break }
            if checkSource, batch.lookups.source(Self.mac(frame, at: 6), in: filters.macs) & sourceBit == 0 { break }
            let targets = batch.lookups.destination(destination, in: filters.macs) & eligiblePools
            guard targets != 0, targets & (targets &- 1) == 0 else { break }
            let rq = layout.firstQueue(ofPool: targets.trailingZeroBitCount)
            if rq != state.rxQueue {
                commitReceive(&state)
                guard beginReceive(queue: rq, &state) else { break }
            }
            guard state.rxAvailable > 0, length <= state.rxBufferSize,
                let rd = state.rxRing.pointer(state.rxRingBase &+ UInt64(state.rxHead &* RD.size), length: UInt64(RD.size))
            else { break }
            let bufferAddress = UInt64(littleEndian: rd.loadUnaligned(fromByteOffset: RD.packetBufferOffset, as: UInt64.self))
            var target = state.rxBuffers.pointer(bufferAddress, length: UInt64(length))
            if target == nil, let port = state.rxPort,
                let w = port._withUnsafeGuaranteedRef({
                    $0.window(covering: IOVA(bufferAddress), length: UInt64(length), access: .write)
                })
            {
                state.rxBuffers = w
                target = w.pointer(bufferAddress, length: UInt64(length))
            }
            guard let buffer = target else { break }

            // Every check passed: the frame is switched, with the general path's effects.
            mh_copy_short(buffer, src, length)
            rd.storeBytes(of: UInt32(0), toByteOffset: RD.packetInfoOffset, as: UInt32.self)
            rd.storeBytes(of: UInt32(0), toByteOffset: RD.rssHashOffset, as: UInt32.self)
            rd.storeBytes(of: UInt32(length).littleEndian, toByteOffset: RD.lengthOffset, as: UInt32.self)
            rd.storeBytes(of: status.littleEndian, toByteOffset: RD.statusErrorOffset, as: UInt32.self)
            state.rxHead = state.rxHead &+ 1 == state.rxEntries ? 0 : state.rxHead &+ 1
            state.rxAvailable &-= 1
            batch.transmitted(length)
            counters.switchedLocally &+= 1
            if !batch.received(length, queue: rq) {
                flushReceiveCounts(&batch)
                batch.startReceiveRun(queue: rq, pool: targets.trailingZeroBitCount)
                _ = batch.received(length, queue: rq)
            }
            if command & TD.commandRS != 0 {
                anyStatus = true
                if markDD { Self.setDescriptorDone(d) }
            }
            frames &+= 1
            head = head &+ 1 == entries ? 0 : head &+ 1
        }
        commitReceive(&state)
        return head
    }

    /// Takes receive queue `q` for the fast path: its ring window and free descriptors. False when
    /// the general path must handle the frame (receive off, queue disabled, ring not coverable).
    private func beginReceive(queue q: Int, _ state: inout FastSwitchState) -> Bool {
        guard receiveEnabled, rxQueues[q].enabled, let port = dmaPort(owner: rxQueues[q].owner) else { return false }
        let ring = rxQueues[q].ringBase
        let entries = rxQueues[q].entries
        guard
            let w = port._withUnsafeGuaranteedRef({
                $0.window(covering: IOVA(ring), length: UInt64(entries &* RD.size), access: .write)
            })
        else { return false }
        state.rxQueue = q
        state.rxPort = port
        state.rxRing = w
        state.rxBuffers = DMAWindow()
        state.rxRingBase = ring
        state.rxEntries = entries
        state.rxHead = rxQueues[q].head
        state.rxAvailable = rxQueues[q].available
        state.rxBufferSize = rxQueues[q].bufferSize
        return true
    }

    /// Stores the fast path's receive head back and marks the queue's interrupt pending, as
    /// ``receive(_:_:queue:pool:batch:)`` does per frame; then forgets the queue.
    private func commitReceive(_ state: inout FastSwitchState) {
        let q = state.rxQueue
        guard q >= 0 else { return }
        if rxQueues[q].head != state.rxHead {
            rxQueues[q].head = state.rxHead
            if q < 64 {
                rxInterruptsPendingLow |= UInt64(1) << UInt64(q)
            } else {
                rxInterruptsPendingHigh |= UInt64(1) << UInt64(q - 64)
            }
        }
        state.rxQueue = -1
        state.rxPort = nil
    }
}
