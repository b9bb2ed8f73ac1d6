import RegisterModel

/// The statistics registers the frame path counts into, resolved to register-file slots once
/// so that counting a frame is an add, not a register lookup (datasheet §8.2.3.23).
struct StatisticSlots {
    typealias R = Intel82599PFRegisters

    /// A 36-bit octet counter split over a low (31:0) and a high (35:32) register.
    struct OctetCounter {
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
