import NVMe
import PCIe

/// A piece of DMA memory aligned to the controller's page size: the CPU view and the address
/// the controller uses.
@usableFromInline
struct NVMeMemory {
    @usableFromInline let host: UnsafeMutableRawPointer
    @usableFromInline let address: UInt64
    @usableFromInline let count: Int
}

extension DeviceAccess {
    /// Allocates `size` zeroed bytes of DMA memory whose device address is `alignment` aligned.
    func allocateNVMeMemory(_ size: Int, alignment: Int) throws(NVMeDriverError) -> NVMeMemory {
        do throws(DMAAllocationError) {
            let first = try allocateDMA(size)
            if let host = first.host.baseAddress, first.deviceAddress.value % UInt64(alignment) == 0 {
                return NVMeMemory(host: host, address: first.deviceAddress.value, count: size)
            }
            let padded = try allocateDMA(size + alignment)
            guard let host = padded.host.baseAddress else { throw DMAAllocationError.invalidSize(size) }
            let address = padded.deviceAddress.value
            let pad = Int((UInt64(alignment) - address % UInt64(alignment)) % UInt64(alignment))
            return NVMeMemory(host: host + pad, address: address + UInt64(pad), count: size)
        } catch {
            throw .allocation(error)
        }
    }
}

/// One submission/completion queue pair with its command slots (the admin queue or an I/O queue).
///
/// Command identifiers are slot indices. Each slot owns `listPagesPerSlot` PRP list pages, so
/// building a command never allocates. A slot is taken from ``post(_:slot:)`` until its
/// completion is handed out; completions for other commands that a blocking wait consumes go to
/// a stash that ``reap(_:bar:into:)`` hands out first (so blocking and queue-depth use can mix,
/// and an identifier is never reused while a completion for it is still undelivered).
@usableFromInline
final class NVMeQueuePair {
    @usableFromInline static let free: UInt8 = 0
    @usableFromInline static let inFlight: UInt8 = 1
    /// Timed out in a blocking wait: its completion, if it ever comes, is dropped.
    @usableFromInline static let abandoned: UInt8 = 2
    /// Completed, its completion kept in the stash: the slot is freed when that is handed out.
    @usableFromInline static let stashed: UInt8 = 3

    /// Queue identifier (0 is the admin queue).
    @usableFromInline let id: Int
    /// Entries in each ring.
    @usableFromInline let entries: Int
    /// Command slots: entries - 1, so neither ring can overflow.
    @usableFromInline let slotCount: Int
    @usableFromInline let sq: NVMeMemory
    @usableFromInline let cq: NVMeMemory
    @usableFromInline let lists: NVMeMemory
    @usableFromInline let pageSize: Int
    @usableFromInline let listPagesPerSlot: Int
    /// MSI-X vector of the completion queue.
    @usableFromInline let vector: Int
    @usableFromInline let sqTailDoorbell: UInt64
    @usableFromInline let cqHeadDoorbell: UInt64

    @exclusivity(unchecked) @usableFromInline var sqTail = 0
    @exclusivity(unchecked) @usableFromInline var sqTailRung = 0
    @exclusivity(unchecked) @usableFromInline var cqHead = 0
    @exclusivity(unchecked) @usableFromInline var phase: UInt32 = 1
    /// SQ Head Pointer from the last completion.
    @exclusivity(unchecked) @usableFromInline var deviceSQHead = 0
    @usableFromInline let freeSlots: UnsafeMutablePointer<UInt16>
    @exclusivity(unchecked) @usableFromInline var freeCount = 0
    @usableFromInline let slotState: UnsafeMutablePointer<UInt8>
    @usableFromInline let stash: UnsafeMutablePointer<NVMeCompletion>
    @exclusivity(unchecked) @usableFromInline var stashCount = 0
    /// Completions whose command identifier named no command in flight (dropped).
    @exclusivity(unchecked) @usableFromInline var unexpectedCompletions: UInt64 = 0
    /// Commands posted since the queue was built.
    @exclusivity(unchecked) @usableFromInline var submitted: UInt64 = 0
    /// Completions consumed since the queue was built.
    @exclusivity(unchecked) @usableFromInline var completed: UInt64 = 0

    init(
        id: Int, entries: Int, pageSize: Int, listPagesPerSlot: Int, vector: Int, doorbellStride: Int,
        access: some DeviceAccess
    ) throws(NVMeDriverError) {
        self.id = id
        self.entries = entries
        self.slotCount = entries - 1
        self.pageSize = pageSize
        self.listPagesPerSlot = listPagesPerSlot
        self.vector = vector
        sqTailDoorbell = NVMeRegister.submissionTailDoorbell(id, stride: doorbellStride)
        cqHeadDoorbell = NVMeRegister.completionHeadDoorbell(id, stride: doorbellStride)
        func rounded(_ n: Int) -> Int { (n + pageSize - 1) / pageSize * pageSize }
        sq = try access.allocateNVMeMemory(rounded(entries * SubmissionEntry.size), alignment: pageSize)
        cq = try access.allocateNVMeMemory(rounded(entries * CompletionEntry.size), alignment: pageSize)
        lists = try access.allocateNVMeMemory(max(entries - 1, 1) * listPagesPerSlot * pageSize, alignment: pageSize)
        freeSlots = .allocate(capacity: entries)
        slotState = .allocate(capacity: entries)
        slotState.initialize(repeating: Self.free, count: entries)
        stash = .allocate(capacity: entries)
        stash.initialize(repeating: NVMeCompletion(), count: entries)
        releaseAllSlots()
    }

    deinit {
        freeSlots.deallocate()
        slotState.deallocate()
        stash.deallocate()
    }

    /// Rings back to their initial state (the controller forgot the queue): empty SQ, zeroed CQ,
    /// phase 1. Slots are untouched; see ``abortOutstanding()``.
    func resetRings() {
        cq.host.initializeMemory(as: UInt8.self, repeating: 0, count: cq.count)
        sqTail = 0
        sqTailRung = 0
        cqHead = 0
        phase = 1
        deviceSQHead = 0
    }

    /// Every slot free, none in flight.
    func releaseAllSlots() {
        for s in 0..<slotCount {
            freeSlots[s] = UInt16(slotCount - 1 - s)
            slotState[s] = Self.free
        }
        freeCount = slotCount
    }

    /// Fails every command in flight with ``NVMeCompletion/abortedByResetStatus`` (stashed for
    /// ``reap(_:bar:into:)``) and frees abandoned ones. Returns how many failed.
    @discardableResult
    func abortOutstanding() -> Int {
        var failed = 0
        for s in 0..<slotCount {
            if slotState[s] == Self.abandoned { release(s) }
            guard slotState[s] == Self.inFlight, stashCount < slotCount else { continue }
            stash[stashCount] = NVMeCompletion(commandID: UInt16(s), status: NVMeCompletion.abortedByResetStatus)
            stashCount += 1
            slotState[s] = Self.stashed
            failed += 1
        }
        return failed
    }

    /// Drops every stashed completion and frees its slot.
    func discardStash() {
        for i in 0..<stashCount { release(Int(stash[i].commandID)) }
        stashCount = 0
    }

    /// Commands posted whose completion has not been handed out.
    @inlinable var outstanding: Int { slotCount - freeCount }

    /// Takes a free slot (its index is the command identifier).
    @inlinable @inline(__always)
    func acquire() -> Int? {
        guard freeCount > 0 else { return nil }
        freeCount &-= 1
        return Int(freeSlots[freeCount])
    }

    @inlinable @inline(__always)
    func release(_ slot: Int) {
        slotState[slot] = Self.free
        freeSlots[freeCount] = UInt16(truncatingIfNeeded: slot)
        freeCount &+= 1
    }

    /// Copies `entry` into the SQ at the tail (the doorbell is rung separately).
    @inlinable @inline(__always)
    func post(_ entry: SubmissionEntry, slot: Int) {
        entry.store(to: sq.host + sqTail &* SubmissionEntry.size)
        slotState[slot] = Self.inFlight
        sqTail = sqTail &+ 1 == entries ? 0 : sqTail &+ 1
        submitted &+= 1
    }

    /// Writes the SQ tail doorbell if commands were posted since the last time.
    @inlinable @inline(__always)
    func ring(_ access: some DeviceAccess, bar: BARIndex) {
        guard sqTail != sqTailRung else { return }
        access.write32(bar, sqTailDoorbell, UInt32(truncatingIfNeeded: sqTail))
        sqTailRung = sqTail
    }

    /// Whether a completion is waiting (in the stash or the CQ).
    @inlinable var hasCompletion: Bool {
        stashCount > 0 || (headDword3 >> 16) & 1 == phase
    }

    @inlinable var headDword3: UInt32 {
        UInt32(littleEndian: cq.host.load(fromByteOffset: cqHead &* CompletionEntry.size &+ 12, as: UInt32.self))
    }

    /// Consumes the CQ entry at the head (its phase tag must be current): the completion, or nil
    /// for one naming no command in flight (dropped, counted) or an abandoned one (slot freed).
    /// The caller frees or stashes the slot. Moves the head, not the doorbell.
    @inlinable @inline(__always)
    func consumeHead() -> NVMeCompletion? {
        let e = CompletionEntry(loadingFrom: cq.host + cqHead &* CompletionEntry.size)
        deviceSQHead = Int(e.submissionQueueHead)
        cqHead &+= 1
        if cqHead == entries {
            cqHead = 0
            phase ^= 1
        }
        completed &+= 1
        let slot = Int(e.commandID)
        guard slot < slotCount, slotState[slot] == Self.inFlight || slotState[slot] == Self.abandoned else {
            unexpectedCompletions &+= 1
            return nil
        }
        guard slotState[slot] == Self.inFlight else {
            release(slot)
            return nil
        }
        return NVMeCompletion(commandID: e.commandID, status: e.status, dword0: e.dword0)
    }

    /// Hands out stashed completions, then the CQ's, up to `out.count`; one CQ head doorbell.
    @inlinable
    func reap(_ access: some DeviceAccess, bar: BARIndex, into out: UnsafeMutableBufferPointer<NVMeCompletion>) -> Int {
        var n = 0
        if stashCount > 0 { n = drainStash(into: out) }
        var consumed = false
        while n < out.count, (headDword3 >> 16) & 1 == phase {
            consumed = true
            if let c = consumeHead() {
                release(Int(c.commandID))
                out[n] = c
                n &+= 1
            }
        }
        if consumed { access.write32(bar, cqHeadDoorbell, UInt32(truncatingIfNeeded: cqHead)) }
        return n
    }

    @usableFromInline
    func drainStash(into out: UnsafeMutableBufferPointer<NVMeCompletion>) -> Int {
        let n = min(stashCount, out.count)
        for i in 0..<n {
            out[i] = stash[i]
            release(Int(stash[i].commandID))
        }
        for i in n..<stashCount { stash[i - n] = stash[i] }
        stashCount -= n
        return n
    }

    /// Consumes every completion in the CQ; returns the one for `commandID` (if there) and
    /// stashes the others.
    func reapAll(_ access: some DeviceAccess, bar: BARIndex, lookingFor commandID: UInt16?) -> NVMeCompletion? {
        var found: NVMeCompletion?
        var consumed = false
        while (headDword3 >> 16) & 1 == phase {
            consumed = true
            guard let c = consumeHead() else { continue }
            if c.commandID == commandID, found == nil {
                release(Int(c.commandID))
                found = c
            } else {
                stash[stashCount] = c
                stashCount += 1
                slotState[Int(c.commandID)] = Self.stashed
            }
        }
        if consumed { access.write32(bar, cqHeadDoorbell, UInt32(truncatingIfNeeded: cqHead)) }
        return found
    }

    /// Removes and returns the stashed completion of `commandID`.
    func takeStashed(_ commandID: UInt16) -> NVMeCompletion? {
        guard let i = (0..<stashCount).first(where: { stash[$0].commandID == commandID }) else { return nil }
        let c = stash[i]
        for j in i..<(stashCount - 1) { stash[j] = stash[j + 1] }
        stashCount -= 1
        release(Int(c.commandID))
        return c
    }

    /// Removes and returns every stashed completion `matching`.
    func takeStashed(where matching: (NVMeCompletion) -> Bool) -> [NVMeCompletion] {
        var taken: [NVMeCompletion] = []
        var kept = 0
        for i in 0..<stashCount {
            if matching(stash[i]) {
                taken.append(stash[i])
                release(Int(stash[i].commandID))
            } else {
                stash[kept] = stash[i]
                kept += 1
            }
        }
        stashCount = kept
        return taken
    }

    /// Gives up waiting for `slot`: the slot stays taken until its completion arrives or a reset.
    func abandon(_ slot: Int) {
        if slot < slotCount, slotState[slot] == Self.inFlight { slotState[slot] = Self.abandoned }
    }
}
