import RegisterModel

/// The statistics registers the frame path counts into, resolved to register-file slots once
/// (datasheet §8.2.3.23). The frame path adds to ``PendingStatistics``; a register read folds
/// the pending count into the register first, so guests see exact, clear-on-read values.
struct StatisticSlots {
    typealias R = Intel82599PFRegisters

    /// A 36-bit octet counter split over a low (31:0) and a high (35:32) register.
    struct OctetCounter: Equatable {
        let low: RegisterSlot
        let high: RegisterSlot
    }

    // Port-wide counters.
    let goodPacketsTransmitted, totalPacketsTransmitted, broadcastTransmitted, multicastTransmitted: RegisterSlot
    let goodPacketsReceived, broadcastReceived, multicastReceived, totalPacketsReceived: RegisterSlot
    let missedPackets, spoofedPackets: RegisterSlot
    let goodOctetsTransmitted, goodOctetsReceived: OctetCounter
    // Per queue (QPTC/QPRC/QPRDC exist for queues 0-15; the queue index is taken mod 16).
    let queuePacketsTransmitted, queuePacketsReceived, queueDrops: [RegisterSlot]
    // Per pool.
    let poolPacketsTransmitted, poolPacketsReceived, poolMulticastReceived: [RegisterSlot]
    let poolOctetsTransmitted, poolOctetsReceived: [OctetCounter]

    /// The slot index of every counter the frame path adds to (an octet counter's low register):
    /// the only places ``PendingStatistics`` can hold a count.
    let countedSlots: [Int]

    /// Every octet counter by the slot index of its low and of its high register, nil for every
    /// other slot (read path only: an array, so a register read costs no hashing).
    let octetCounterBySlot: [OctetCounter?]

    init(_ file: RegisterFile) {
        func at(_ offset: Int) -> RegisterSlot { file.slotOrDiscard(at: offset) }
        func octets(_ low: Int, _ high: Int) -> OctetCounter { OctetCounter(low: at(low), high: at(high)) }
        let queues = 0..<16
        let pools = 0..<Intel82599.poolCount
        goodPacketsTransmitted = at(R.GPTC.offset)
        totalPacketsTransmitted = at(R.TPT.offset)
        broadcastTransmitted = at(R.BPTC.offset)
        multicastTransmitted = at(R.MPTC.offset)
        goodPacketsReceived = at(R.GPRC.offset)
        broadcastReceived = at(R.BPRC.offset)
        multicastReceived = at(R.MPRC.offset)
        totalPacketsReceived = at(R.TPR.offset)
        missedPackets = at(R.MPC.offset(0))
        spoofedPackets = at(R.SSVPC.offset)
        goodOctetsTransmitted = octets(R.GOTCL.offset, R.GOTCH.offset)
        goodOctetsReceived = octets(R.GORCL.offset, R.GORCH.offset)
        queuePacketsTransmitted = queues.map { at(R.QPTC.offset($0)) }
        queuePacketsReceived = queues.map { at(R.QPRC.offset($0)) }
        queueDrops = queues.map { at(R.QPRDC.offset($0)) }
        poolPacketsTransmitted = pools.map { at(R.PVFGPTC.offset($0)) }
        poolPacketsReceived = pools.map { at(R.PVFGPRC.offset($0)) }
        poolMulticastReceived = pools.map { at(R.PVFMPRC.offset($0)) }
        poolOctetsTransmitted = pools.map { octets(R.PVFGOTC_LSB.offset($0), R.PVFGOTC_MSB.offset($0)) }
        poolOctetsReceived = pools.map { octets(R.PVFGORC_LSB.offset($0), R.PVFGORC_MSB.offset($0)) }
        var bySlot = [OctetCounter?](repeating: nil, count: file.discardSlot.index + 1)
        for c in [goodOctetsTransmitted, goodOctetsReceived] + poolOctetsTransmitted + poolOctetsReceived
        where c.low != file.discardSlot {
            bySlot[c.low.index] = c
            bySlot[c.high.index] = c
        }
        octetCounterBySlot = bySlot
        let single =
            [
                goodPacketsTransmitted, totalPacketsTransmitted, broadcastTransmitted, multicastTransmitted,
                goodPacketsReceived, broadcastReceived, multicastReceived, totalPacketsReceived, missedPackets,
                spoofedPackets,
            ] + queuePacketsTransmitted + queuePacketsReceived + queueDrops + poolPacketsTransmitted
            + poolPacketsReceived + poolMulticastReceived
        let octets = [goodOctetsTransmitted, goodOctetsReceived] + poolOctetsTransmitted + poolOctetsReceived
        countedSlots = single.map(\.index) + octets.map(\.low.index)
    }

    /// The octet counter whose low or high register is in slot `index`, if any.
    @inline(__always) func octetCounter(atSlot index: Int) -> OctetCounter? {
        index >= 0 && index < octetCounterBySlot.count ? octetCounterBySlot[index] : nil
    }
}

/// Counts the frame path made since the registers last saw them, by register slot index (an
/// octet counter's count sits at its low register's index). Counting is one add, with no
/// lookup, uniqueness check or bounds check.
struct PendingStatistics {
    private let counts: UnsafeMutablePointer<UInt64>
    private let capacity: Int

    /// Room for every slot of `file` (including its discard slot).
    init(_ file: RegisterFile) {
        capacity = file.discardSlot.index + 1
        counts = .allocate(capacity: capacity)
        counts.initialize(repeating: 0, count: capacity)
    }

    /// Frees the storage (the owner's deinit).
    func deallocate() { counts.deallocate() }

    /// Adds `n` to the counter in `slot`.
    @inline(__always) func add(_ n: UInt64 = 1, to slot: RegisterSlot) { counts[slot.index] &+= n }

    /// Adds `n` octets to an octet counter.
    @inline(__always) func add(_ n: UInt64, to counter: StatisticSlots.OctetCounter) { counts[counter.low.index] &+= n }

    /// Takes (returns and zeroes) the pending count of slot `index`.
    func take(_ index: Int) -> UInt64 {
        guard index >= 0, index < capacity else { return 0 }
        defer { counts[index] = 0 }
        return counts[index]
    }

    /// Forgets every pending count (device reset). Counts only ever land in the slots of
    /// `statistics` (every ``add(_:to:)`` takes one of them), so only those are zeroed.
    func clear(_ statistics: StatisticSlots) {
        for index in statistics.countedSlots where index >= 0 && index < capacity { counts[index] = 0 }
    }
}

extension RegisterFile {
    /// Folds the pending count of the statistics register at `offset` (if any) into it.
    /// `octetCounters` is ``StatisticSlots/octetCounterBySlot`` (the array alone: passing the
    /// whole `StatisticSlots` copied it on every register read).
    mutating func fold(_ pending: PendingStatistics, _ octetCounters: [StatisticSlots.OctetCounter?], at offset: Int) {
        guard let slot = slot(at: offset) else { return }
        let index = slot.index
        if index < octetCounters.count, let pair = octetCounters[index] {
            let n = pending.take(pair.low.index)
            if n != 0 { add(n, to: pair) }
        } else {
            let n = pending.take(slot.index)
            if n != 0 { increment(slot, by: n) }
        }
    }
}

extension RegisterFile {
    /// Adds `n` to a 36-bit octet counter.
    @inline(__always) mutating func add(_ n: UInt64, to counter: StatisticSlots.OctetCounter) {
        let total = (value(counter.high) << 32 | value(counter.low)) &+ n
        set(counter.low, total & 0xFFFF_FFFF)
        set(counter.high, (total >> 32) & 0xF)
    }
}
