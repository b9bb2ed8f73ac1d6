/// What one TX doorbell (or one frame from the wire) learns and counts across its frames. The
/// filters and registers cannot change while a doorbell is processed, so lookups are remembered
/// and the statistics of consecutive frames are summed and added to the counters once
/// (``Intel82599Device/flushTransmitCounts(_:pool:)``, ``Intel82599Device/flushReceiveCounts(_:)``).
struct SwitchBatch {
    var lookups = AddressLookupCache()
    /// Frames (and their octets) the sending pool got past anti-spoofing.
    private(set) var transmittedFrames: UInt64 = 0
    private(set) var transmittedOctets: UInt64 = 0
    /// The RX queue (and its pool) the current run of received frames went to, -1 for none.
    private(set) var receiveQueue = -1
    private(set) var receivePool = 0
    private(set) var receivedFrames: UInt64 = 0
    private(set) var receivedOctets: UInt64 = 0

    /// Counts one transmitted frame of `octets` bytes.
    @inline(__always) mutating func transmitted(_ octets: Int) {
        transmittedFrames &+= 1
        transmittedOctets &+= UInt64(octets)
    }

    /// Counts one frame of `octets` bytes received on queue `q` of `pool`; false when the run
    /// on the previous queue must be flushed first.
    @inline(__always) mutating func received(_ octets: Int, queue q: Int) -> Bool {
        guard q == receiveQueue else { return false }
        receivedFrames &+= 1
        receivedOctets &+= UInt64(octets)
        return true
    }

    /// Counts `frames` transmitted frames of `octets` bytes in all.
    @inline(__always) mutating func transmitted(frames: UInt64, octets: UInt64) {
        transmittedFrames &+= frames
        transmittedOctets &+= octets
    }

    /// Counts `frames` frames of `octets` bytes in all received on the current run's queue.
    @inline(__always) mutating func received(frames: UInt64, octets: UInt64) {
        receivedFrames &+= frames
        receivedOctets &+= octets
    }

    /// Starts a run of received frames on queue `q` of `pool`.
    mutating func startReceiveRun(queue q: Int, pool: Int) {
        receiveQueue = q
        receivePool = pool
        receivedFrames = 0
        receivedOctets = 0
    }

    /// Forgets the transmit totals (after they were added to the counters).
    mutating func clearTransmitted() {
        transmittedFrames = 0
        transmittedOctets = 0
    }
}

/// The last source and destination addresses the switch looked up, with their pools.
struct AddressLookupCache {
    private var sourceAddress = UInt64.max
    private var sourcePools: UInt64 = 0
    private var destinationAddress = UInt64.max
    private var destinationPools: UInt64 = 0

    /// Pools that own `mac` as a source (MAC anti-spoofing).
    @inline(__always) mutating func source(_ mac: UInt64, in table: MACPoolTable) -> UInt64 {
        if mac != sourceAddress {
            sourceAddress = mac
            sourcePools = table.lookup(mac).pools
        }
        return sourcePools
    }

    /// Pools that own `mac` as a destination.
    @inline(__always) mutating func destination(_ mac: UInt64, in table: MACPoolTable) -> UInt64 {
        if mac != destinationAddress {
            destinationAddress = mac
            destinationPools = table.lookup(mac).pools
        }
        return destinationPools
    }
}

extension Intel82599Device {
    /// Adds the batch's transmit totals to the port and `pool` counters.
    func flushTransmitCounts(_ batch: inout SwitchBatch, pool: Int) {
        let frames = batch.transmittedFrames
        guard frames > 0 else { return }
        let octets = batch.transmittedOctets
        pending.add(frames, to: statistics.goodPacketsTransmitted)
        pending.add(frames, to: statistics.totalPacketsTransmitted)
        pending.add(octets, to: statistics.goodOctetsTransmitted)
        if layout.virtualizationEnabled {
            pending.add(frames, to: statistics.poolPacketsTransmitted[pool])
            pending.add(octets, to: statistics.poolOctetsTransmitted[pool])
        }
        batch.clearTransmitted()
    }

    /// Adds the current run of received frames to the port, queue and pool counters.
    func flushReceiveCounts(_ batch: inout SwitchBatch) {
        let q = batch.receiveQueue
        guard q >= 0 else { return }
        let frames = batch.receivedFrames
        let octets = batch.receivedOctets
        pending.add(frames, to: statistics.goodPacketsReceived)
        pending.add(octets, to: statistics.goodOctetsReceived)
        pending.add(frames, to: statistics.queuePacketsReceived[q & 15])
        if layout.virtualizationEnabled {
            pending.add(frames, to: statistics.poolPacketsReceived[batch.receivePool])
            pending.add(octets, to: statistics.poolOctetsReceived[batch.receivePool])
        }
        batch.startReceiveRun(queue: -1, pool: 0)
    }
}
