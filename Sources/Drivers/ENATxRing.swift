import ENA
import PCIe

/// A ring's memory: a slice of one DMA allocation that holds every ring of the driver, so the
/// device's IOTLB needs one entry for all of them (and one for the packet buffers).
@usableFromInline
struct ENARingMemory {
    /// The CPU's view.
    @usableFromInline let host: UnsafeMutableRawBufferPointer
    /// The address the device uses.
    @usableFromInline let deviceAddress: UInt64

    /// Consecutive 128-byte aligned slices of `sizes` bytes of `buffer`; nil if it is too small.
    static func carve(_ buffer: DMABuffer, _ sizes: [Int]) -> [ENARingMemory]? {
        guard let base = buffer.host.baseAddress else { return nil }
        var offset = 0
        var slices: [ENARingMemory] = []
        for size in sizes {
            guard offset + size <= buffer.count else { return nil }
            slices.append(
                ENARingMemory(
                    host: UnsafeMutableRawBufferPointer(start: base + offset, count: size),
                    deviceAddress: buffer.deviceAddress(at: offset).value))
            offset += Self.aligned(size)
        }
        return slices
    }

    /// `size` rounded up to 128 bytes.
    static func aligned(_ size: Int) -> Int { (size + 127) & ~127 }
}

/// One ENA Tx queue: its submission ring (host memory, or entries in the LLQ BAR), its
/// completion ring and the pool buffers in flight, by request id.
///
/// Every packet is one buffer, one descriptor (host placement) or one LLQ entry (descriptor,
/// then the inline header; the rest of a long frame from the buffer). The request id is the
/// slot the packet took, so completions name their buffer directly; a completion naming a slot
/// with nothing in flight is counted and ignored.
@usableFromInline
final class ENATxRing {
    /// Device queue index (SQ and CQ), 2q for pair q.
    @usableFromInline var index: Int
    /// Entries (a power of two).
    @usableFromInline let depth: Int
    @usableFromInline let shift: Int
    /// Host placement: the descriptor ring.
    @usableFromInline let descriptors: ENARingMemory?
    /// LLQ placement: the layout, and where the queue's entries start in the LLQ BAR.
    @usableFromInline let lowLatency: ENALowLatencySettings?
    @exclusivity(unchecked) @usableFromInline var llqOffset: UInt64 = 0
    /// `ENA.llqBAR`, held here: a static of another module is read through its lazy initialiser.
    @usableFromInline let llqBAR = ENA.llqBAR
    /// The completion ring (8-byte entries).
    @usableFromInline let completions: ENARingMemory
    /// BAR0 offsets of the SQ doorbell and the CQ's interrupt unmask register.
    @exclusivity(unchecked) @usableFromInline var doorbell: UInt64 = 0
    @exclusivity(unchecked) @usableFromInline var unmaskRegister: UInt64 = 0
    /// Buffer index in flight per request id (-1: none).
    @usableFromInline let buffers: UnsafeMutablePointer<Int32>
    /// LLQ entries composed before they are written to the BAR: up to ``scratchEntries``
    /// consecutive entries, written as one burst.
    @usableFromInline let entryScratch: UnsafeMutableRawPointer
    /// Entries `entryScratch` holds.
    @usableFromInline let scratchEntries: Int
    /// Per scratch entry, the end of the bytes the last composition there wrote past the
    /// descriptor (everything after it is zero), so the next one zeroes only what it does not
    /// overwrite.
    @usableFromInline let scratchUsed: UnsafeMutablePointer<Int>
    /// Free-running count of descriptors (LLQ entries) posted: the doorbell value.
    @exclusivity(unchecked) @usableFromInline var tail: UInt16 = 0
    /// Free-running count of completions consumed.
    @exclusivity(unchecked) @usableFromInline var completionHead: UInt16 = 0
    /// Packets posted and not completed.
    @exclusivity(unchecked) @usableFromInline var inFlight = 0
    /// Packets and bytes posted.
    @exclusivity(unchecked) @usableFromInline var packets: UInt64 = 0
    @exclusivity(unchecked) @usableFromInline var bytes: UInt64 = 0
    /// Virtual time (ns) of the last completion, or of the first packet posted after an idle ring.
    @exclusivity(unchecked) @usableFromInline var lastProgress: UInt64 = 0

    init(
        index: Int, depth: Int, descriptors: ENARingMemory?, lowLatency: ENALowLatencySettings?, completions: ENARingMemory
    ) {
        self.index = index
        self.depth = depth
        shift = depth.trailingZeroBitCount
        self.descriptors = descriptors
        self.lowLatency = lowLatency
        self.completions = completions
        buffers = .allocate(capacity: depth)
        buffers.initialize(repeating: -1, count: depth)
        scratchEntries = lowLatency == nil ? 1 : Self.burstEntries
        let scratchBytes = max(256, lowLatency?.entrySize ?? 0) * scratchEntries
        entryScratch = .allocate(byteCount: scratchBytes, alignment: 64)
        entryScratch.initializeMemory(as: UInt8.self, repeating: 0, count: scratchBytes)
        scratchUsed = .allocate(capacity: scratchEntries)
        scratchUsed.initialize(repeating: 0, count: scratchEntries)
    }

    deinit {
        buffers.deallocate()
        entryScratch.deallocate()
        scratchUsed.deallocate()
    }

    /// Gives buffers in flight back to `pool` and starts from index 0, phase 1 (the device's
    /// queue is new after a reset or CREATE_SQ).
    func restart(pool: PacketBufferPool?) {
        for i in 0..<depth where buffers[i] >= 0 {
            pool?.free(index: buffers[i])
            buffers[i] = -1
        }
        descriptors?.host.initializeMemory(as: UInt8.self, repeating: 0)
        completions.host.initializeMemory(as: UInt8.self, repeating: 0)
        tail = 0
        completionHead = 0
        inFlight = 0
    }

    /// Consumes the completions the device wrote (phase bit of the lap) and frees their buffers;
    /// returns how many packets completed. Bad request ids and error statuses are counted.
    @inlinable
    @discardableResult
    func reclaim(pool: PacketBufferPool, now: UInt64, _ counters: inout ENADriverCounters) -> Int {
        guard let ring = completions.host.baseAddress else { return 0 }
        // Ring and pool fields in locals, counters summed in locals and added once: stores through
        // the ring, slot and stack pointers could alias any class field as far as the compiler
        // knows, which would make it reload and store each one per completion.
        let mask = depth &- 1
        let lapShift = UInt16(truncatingIfNeeded: shift)
        let entrySize = ENATxCompletion.size
        let slots = buffers
        var free = pool.freeStackCursor
        var head = completionHead
        var freed = 0
        var invalid: UInt64 = 0
        var failed: UInt64 = 0
        while true {
            let word = UInt64(littleEndian: (ring + (Int(head) & mask) &* entrySize).load(as: UInt64.self))
            // The device writes phase 1 on even laps of the free-running head.
            guard (word >> 24) & 1 == UInt64(((head &>> lapShift) & 1) ^ 1) else { break }
            head &+= 1
            let id = Int(UInt16(truncatingIfNeeded: word))
            let b = id < depth ? slots[id] : -1
            guard b >= 0 else {
                invalid &+= 1
                continue
            }
            if UInt8(truncatingIfNeeded: word >> 16) != 0 { failed &+= 1 }
            // `pool.free(index:)` with the stack in locals.
            if !free.push(b) { pool.countBadFree() }
            slots[id] = -1
            freed &+= 1
        }
        pool.commit(free)
        completionHead = head
        counters.invalidTxRequestIDs &+= invalid
        counters.txCompletionErrors &+= failed
        if freed > 0 {
            inFlight &-= freed
            lastProgress = now
        }
        return freed
    }

    /// Posts `frames` (buffers of `pool`) and rings the doorbell once; returns how many were
    /// posted. Stops at a full ring, a buffer of another pool or a length the descriptor cannot
    /// carry (0 or above 64 KiB - 1).
    @inlinable
    func transmit<A: DeviceAccess>(
        _ access: A, bar: BARIndex, pool: PacketBufferPool, frames: UnsafeBufferPointer<PacketBuffer>, now: UInt64
    ) -> Int {
        if inFlight == 0 { lastProgress = now }
        let sent: Int
        if let layout = lowLatency {
            sent = transmitLowLatency(access, layout: layout, pool: pool, frames: frames)
        } else if let ring = descriptors?.host.baseAddress {
            sent = transmitHost(ring, pool: pool, frames: frames)
        } else {
            sent = 0
        }
        if sent > 0 {
            packets &+= UInt64(sent)
            access.write32(bar, doorbell, UInt32(tail))
        }
        return sent
    }

    /// Whether `b` may be posted: a buffer of `pool` (id and index) with a length a descriptor carries.
    @inlinable @inline(__always)
    static func postable(_ b: PacketBuffer, poolID: UInt64, capacity: Int) -> Bool {
        // The index's two bounds as one unsigned compare (a negative index is a huge unsigned one).
        b.poolID == poolID && UInt(bitPattern: Int(b.index)) < UInt(bitPattern: capacity) && b.length > 0 && b.length <= 0xFFFF
    }

    /// ``transmit(_:bar:pool:frames:now:)`` with host placement: one descriptor per buffer in
    /// `ring`; returns how many were written (the doorbell is the caller's).
    @inlinable
    func transmitHost(_ ring: UnsafeMutableRawPointer, pool: PacketBufferPool, frames: UnsafeBufferPointer<PacketBuffer>) -> Int {
        // Fields in locals, counters added once (see ``reclaim(pool:now:_:)``).
        let mask = depth &- 1
        let lapShift = UInt16(truncatingIfNeeded: shift)
        let descriptorSize = ENATxDescriptor.size
        let slots = buffers
        let poolID = pool.id
        let capacity = pool.count
        var next = tail
        var octets: UInt64 = 0
        var sent = 0
        for b in frames {
            let slot = Int(next) & mask
            guard slots[slot] < 0, Self.postable(b, poolID: poolID, capacity: capacity) else { break }
            ENATxDescriptor(
                length: UInt16(truncatingIfNeeded: b.length), address: b.deviceAddress, requestID: UInt16(slot),
                phase: (next &>> lapShift) & 1 == 0, first: true, last: true
            ).store(to: ring + slot &* descriptorSize)
            slots[slot] = b.index
            next &+= 1
            octets &+= UInt64(b.length)
            sent &+= 1
        }
        tail = next
        inFlight &+= sent
        bytes &+= octets
        return sent
    }

    /// LLQ entries composed per write-combined burst.
    @usableFromInline static let burstEntries = 32

    /// ``transmit(_:bar:pool:frames:now:)`` with LLQ placement: one entry per buffer written to
    /// the LLQ BAR; returns how many were written (the doorbell is the caller's). Consecutive
    /// entries are composed side by side and copied to the BAR as one write-combined burst (up
    /// to ``burstEntries``, and never across the ring's end), as a driver's copy of several
    /// entries into the write-combining mapping reaches the device: the same bytes at the same
    /// offsets, before the doorbell.
    @inlinable
    func transmitLowLatency<A: DeviceAccess>(
        _ access: A, layout: ENALowLatencySettings, pool: PacketBufferPool, frames: UnsafeBufferPointer<PacketBuffer>
    ) -> Int {
        let mask = depth &- 1
        let lapShift = UInt16(truncatingIfNeeded: shift)
        let slots = buffers
        let poolID = pool.id
        let capacity = pool.count
        let entrySize = layout.entrySize
        let limit = scratchEntries
        // The scratch pointers in locals: the stores through them could alias the class's
        // fields as far as the compiler knows, which would make it reload both per entry.
        let scratch = entryScratch
        let used = scratchUsed
        // The layout's derived sizes once, not per entry.
        let headerOffset = layout.headerOffset
        let inlineCapacity = min(layout.inlineHeaderCapacity, 255)
        var octets: UInt64 = 0
        var sent = 0
        // Entries composed and not yet written, from `start`.
        var composed = 0
        var start = tail
        var next = tail
        for b in frames {
            let slot = Int(next) & mask
            guard slots[slot] < 0, Self.postable(b, poolID: poolID, capacity: capacity) else { break }
            Self.composeEntry(
                scratch + composed &* entrySize, used: used + composed, headerOffset: headerOffset,
                inlineCapacity: inlineCapacity, buffer: b, requestID: UInt16(slot), phase: (next &>> lapShift) & 1 == 0)
            slots[slot] = b.index
            next &+= 1
            composed &+= 1
            octets &+= UInt64(b.length)
            sent &+= 1
            if composed == limit || Int(next) & mask == 0 {
                writeEntries(access, from: start, count: composed, entrySize: entrySize)
                composed = 0
                start = next
            }
        }
        if composed > 0 { writeEntries(access, from: start, count: composed, entrySize: entrySize) }
        tail = next
        inFlight &+= sent
        bytes &+= octets
        return sent
    }

    /// Composes one LLQ entry at `entry` (a scratch entry; `used` its entry of ``scratchUsed``):
    /// the buffer descriptor in slot 0, the header inline after the descriptors (at
    /// `headerOffset`, at most `inlineCapacity` bytes: the layout's, and 255). The header is the
    /// whole frame when it fits (a header-only packet: zero-length descriptor), else as much as
    /// fits, and the descriptor points at the rest of the buffer. The rest of the entry is zero.
    @inlinable @inline(__always)
    static func composeEntry(
        _ entry: UnsafeMutableRawPointer, used scratchUsed: UnsafeMutablePointer<Int>, headerOffset: Int,
        inlineCapacity: Int, buffer b: PacketBuffer, requestID: UInt16, phase: Bool
    ) {
        let header = min(b.length, inlineCapacity)
        let rest = b.length &- header
        ENATxDescriptor(
            length: UInt16(truncatingIfNeeded: rest), address: rest > 0 ? b.deviceAddress &+ UInt64(header) : 0,
            requestID: requestID, phase: phase, first: true, last: true, headerLength: UInt8(truncatingIfNeeded: header)
        ).store(to: entry)
        var used = headerOffset
        if let source = b.hostPointer {
            (entry + used).copyMemory(from: source, byteCount: header)
            used &+= header
        }
        // Only what the last entry composed here wrote beyond this one is left to zero.
        let before = scratchUsed.pointee
        if before > used { (entry + used).initializeMemory(as: UInt8.self, repeating: 0, count: before &- used) }
        scratchUsed.pointee = used
    }

    /// Copies `count` composed entries to the LLQ BAR from ring index `first` (they do not wrap)
    /// as one write-combined burst.
    @inlinable
    func writeEntries<A: DeviceAccess>(_ access: A, from first: UInt16, count: Int, entrySize: Int) {
        let base = llqOffset &+ UInt64((Int(first) & (depth &- 1)) &* entrySize)
        access.barWriteCombined(
            llqBAR, offset: base, bytes: UnsafeRawBufferPointer(start: entryScratch, count: count &* entrySize))
    }

    /// Buffers in flight.
    @inlinable var outstanding: Int { inFlight }
}
