/// Which way a frame crosses the Nitro card.
enum TrafficDirection {
    /// From the wire towards the instance.
    case inbound
    /// From the instance towards the wire.
    case outbound
}

/// What the shaper did with a frame.
enum ShapingVerdict {
    /// Within the allowances: deliver it now.
    case pass
    /// Over an allowance: copied into the direction's queue, delivered when its turn comes.
    case held
    /// Over an allowance with the queue full: dropped.
    case dropped
}

/// Which allowance shaped a frame.
enum AllowanceKind {
    case packets
    case bandwidth
}

/// The Nitro allowances of one instance: a packets-per-second bucket shared by both directions,
/// one bandwidth bucket per direction, and a bounded FIFO per direction for frames waiting for
/// their turn. The waiting frames' memory is allocated once; admitting a frame allocates nothing.
final class AllowanceShaper {
    let allowances: NitroAllowances
    /// No allowance applies: every frame passes (checked before the clock is read).
    let isUnlimited: Bool
    // Never accessed re-entrantly: `admit` returns before the frame moves on.
    @exclusivity(unchecked) private var packets: RateBucket
    @exclusivity(unchecked) private var inbound: RateBucket
    @exclusivity(unchecked) private var outbound: RateBucket
    let inboundQueue: FrameQueue
    let outboundQueue: FrameQueue

    init(_ allowances: NitroAllowances, frameCapacity: Int) {
        self.allowances = allowances
        isUnlimited = allowances.isUnlimited
        packets = RateBucket(rate: allowances.packetsPerSecond, burst: allowances.packetBurst)
        inbound = RateBucket(rate: allowances.inboundBitsPerSecond, burst: allowances.bandwidthBurstBytes &* 8)
        outbound = RateBucket(rate: allowances.outboundBitsPerSecond, burst: allowances.bandwidthBurstBytes &* 8)
        inboundQueue = FrameQueue(capacity: allowances.queueCapacity, frameCapacity: frameCapacity)
        outboundQueue = FrameQueue(capacity: allowances.queueCapacity, frameCapacity: frameCapacity)
    }

    func queue(_ direction: TrafficDirection) -> FrameQueue { direction == .inbound ? inboundQueue : outboundQueue }

    /// Decides for `frame` at `now` (ns) and counts a shaped frame in `counters`.
    @inline(__always)
    func admit(
        _ frame: UnsafeRawBufferPointer, _ direction: TrafficDirection, now: UInt64, _ counters: inout ENAAllowanceCounters
    ) -> ShapingVerdict {
        if allowances.isUnlimited { return .pass }
        let queue = queue(direction)
        let bits = UInt64(frame.count) &* 8
        let packetTime = packets.conformingTime(now: now)
        let bandwidthTime = direction == .inbound ? inbound.conformingTime(now: now) : outbound.conformingTime(now: now)
        var departure = max(packetTime, bandwidthTime)
        if queue.count > 0 { departure = max(departure, queue.lastDeparture) }
        if departure == now, queue.count == 0 {
            take(bits, direction, at: now)
            return .pass
        }
        let reason: AllowanceKind =
            packetTime > now ? .packets : bandwidthTime > now ? .bandwidth : queue.lastReason
        switch reason {
        case .packets: counters.ppsAllowanceExceeded &+= 1
        case .bandwidth:
            if direction == .inbound {
                counters.bwInAllowanceExceeded &+= 1
            } else {
                counters.bwOutAllowanceExceeded &+= 1
            }
        }
        guard queue.append(frame, departure: departure, reason: reason) else {
            counters.dropped &+= 1
            return .dropped
        }
        take(bits, direction, at: departure)
        counters.queued &+= 1
        return .held
    }

    @inline(__always) private func take(_ bits: UInt64, _ direction: TrafficDirection, at time: UInt64) {
        packets.take(1, at: time)
        if direction == .inbound { inbound.take(bits, at: time) } else { outbound.take(bits, at: time) }
    }
}

/// A bounded FIFO of frames with their departure times (ns), in preallocated memory.
final class FrameQueue {
    let capacity: Int
    private let frameCapacity: Int
    private let storage: UnsafeMutableRawPointer
    private var lengths: [Int]
    private var departures: [UInt64]
    @exclusivity(unchecked) private var first = 0
    @exclusivity(unchecked) private(set) var count = 0
    @exclusivity(unchecked) private(set) var lastDeparture: UInt64 = 0
    @exclusivity(unchecked) private(set) var lastReason = AllowanceKind.packets
    /// A release timer is scheduled for the head.
    @exclusivity(unchecked) var timerPending = false

    init(capacity: Int, frameCapacity: Int) {
        self.capacity = capacity
        self.frameCapacity = frameCapacity
        storage = .allocate(byteCount: max(1, capacity * frameCapacity), alignment: 64)
        lengths = [Int](repeating: 0, count: capacity)
        departures = [UInt64](repeating: 0, count: capacity)
    }

    deinit { storage.deallocate() }

    /// Departure time of the oldest frame.
    var nextDeparture: UInt64? { count > 0 ? departures[first] : nil }

    func append(_ frame: UnsafeRawBufferPointer, departure: UInt64, reason: AllowanceKind) -> Bool {
        guard count < capacity, frame.count <= frameCapacity, let source = frame.baseAddress else { return false }
        let slot = (first + count) % capacity
        (storage + slot * frameCapacity).copyMemory(from: source, byteCount: frame.count)
        lengths[slot] = frame.count
        departures[slot] = departure
        count += 1
        lastDeparture = departure
        lastReason = reason
        return true
    }

    /// Hands every frame due at `now` to `deliver`, oldest first.
    func release(now: UInt64, _ deliver: (UnsafeRawBufferPointer) -> Void) {
        while count > 0, departures[first] <= now {
            let slot = first
            first = (first + 1) % capacity
            count -= 1
            deliver(UnsafeRawBufferPointer(start: storage + slot * frameCapacity, count: lengths[slot]))
        }
    }
}
