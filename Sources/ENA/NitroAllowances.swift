/// The per-instance traffic allowances the Nitro card enforces outside the instance: packets
/// per second (both directions together) and bandwidth in and out, as token buckets in virtual
/// time. Traffic above an allowance waits in a small bounded queue per direction and is dropped
/// when that queue is full; both count in the ENI statistics (`*_allowance_exceeded`).
public struct NitroAllowances: Sendable, Equatable {
    /// Packets per second, in and out together; 0: unlimited.
    public var packetsPerSecond: UInt64
    /// Packets that may pass back to back before the rate applies.
    public var packetBurst: UInt64
    /// Inbound bandwidth in bits per second; 0: unlimited.
    public var inboundBitsPerSecond: UInt64
    /// Outbound bandwidth in bits per second; 0: unlimited.
    public var outboundBitsPerSecond: UInt64
    /// Bytes that may pass back to back in each direction before the bandwidth applies.
    public var bandwidthBurstBytes: UInt64
    /// Frames each direction holds while they wait for the allowance (0: drop at once).
    public var queueCapacity: Int

    /// Allowances with every field given.
    public init(
        packetsPerSecond: UInt64, packetBurst: UInt64, inboundBitsPerSecond: UInt64, outboundBitsPerSecond: UInt64,
        bandwidthBurstBytes: UInt64, queueCapacity: Int
    ) {
        self.packetsPerSecond = packetsPerSecond
        self.packetBurst = packetBurst
        self.inboundBitsPerSecond = inboundBitsPerSecond
        self.outboundBitsPerSecond = outboundBitsPerSecond
        self.bandwidthBurstBytes = bandwidthBurstBytes
        self.queueCapacity = queueCapacity
    }

    /// A mid-size instance: 1 M packets/s (burst 4096), 10 Gb/s each way (burst 1 MiB), 64 frames
    /// queued per direction.
    public static let `default` = NitroAllowances(
        packetsPerSecond: 1_000_000, packetBurst: 4096, inboundBitsPerSecond: 10_000_000_000,
        outboundBitsPerSecond: 10_000_000_000, bandwidthBurstBytes: 1 << 20, queueCapacity: 64)

    /// No shaping at all (benchmarks of the device itself).
    public static let unlimited = NitroAllowances(
        packetsPerSecond: 0, packetBurst: 0, inboundBitsPerSecond: 0, outboundBitsPerSecond: 0, bandwidthBurstBytes: 0,
        queueCapacity: 0)

    /// Whether any allowance applies.
    public var isUnlimited: Bool { packetsPerSecond == 0 && inboundBitsPerSecond == 0 && outboundBitsPerSecond == 0 }

    func validate() throws(ENASetupError) {
        guard (0...4096).contains(queueCapacity) else { throw .configuration("allowance queue capacity \(queueCapacity)") }
        guard packetsPerSecond == 0 || packetBurst > 0 else { throw .configuration("a packet allowance needs a burst") }
        guard inboundBitsPerSecond == 0 && outboundBitsPerSecond == 0 || bandwidthBurstBytes > 0 else {
            throw .configuration("a bandwidth allowance needs a burst")
        }
    }
}

/// How many packets the allowances shaped (queued or dropped), as GET_STATS ENI reports them
/// (`ena_admin_eni_stats`), plus what the model adds.
public struct ENAAllowanceCounters: Sendable, Equatable {
    /// Inbound packets shaped by the bandwidth allowance.
    public var bwInAllowanceExceeded: UInt64 = 0
    /// Outbound packets shaped by the bandwidth allowance.
    public var bwOutAllowanceExceeded: UInt64 = 0
    /// Packets shaped by the packets-per-second allowance.
    public var ppsAllowanceExceeded: UInt64 = 0
    /// Connection-tracking allowance (no connection tracking is modelled: stays 0).
    public var conntrackAllowanceExceeded: UInt64 = 0
    /// Link-local allowance (link-local services are not modelled: stays 0).
    public var linklocalAllowanceExceeded: UInt64 = 0
    /// Shaped packets that waited in the allowance queue and were sent on later.
    public var queued: UInt64 = 0
    /// Shaped packets dropped because the allowance queue was full.
    public var dropped: UInt64 = 0

    /// All zero.
    public init() {}
}

/// A token bucket in virtual time, kept as the generic cell rate algorithm: a unit may pass at
/// time t when t ≥ TAT − tolerance, and each unit moves TAT on by 1/rate. Integer nanoseconds,
/// one division only when the size taken changes, no overflow traps.
struct RateBucket {
    /// Units per second; 0: unlimited.
    let rate: UInt64
    /// Burst expressed as time (burst × 1/rate), ns.
    let tolerance: UInt64
    /// Theoretical arrival time of the next unit, ns.
    var theoreticalArrival: UInt64 = 0
    /// The last `take` size and its duration: frames of one size (and every packet of the
    /// packets bucket) need no division.
    private var lastUnits: UInt64 = 0
    private var lastDuration: UInt64 = 0

    init(rate: UInt64, burst: UInt64) {
        self.rate = rate
        // `burst` units pass back to back: the first at TAT, the others within the tolerance.
        tolerance = rate == 0 ? 0 : Self.nanoseconds(for: burst > 0 ? burst - 1 : 0, rate: rate)
    }

    static func nanoseconds(for units: UInt64, rate: UInt64) -> UInt64 {
        let (product, overflow) = units.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? UInt64.max / max(rate, 1) : product / max(rate, 1)
    }

    /// The earliest time (ns, at least `now`) at which `units` conform.
    @inline(__always) func conformingTime(now: UInt64) -> UInt64 {
        guard rate != 0 else { return now }
        let earliest = theoreticalArrival > tolerance ? theoreticalArrival - tolerance : 0
        return max(now, earliest)
    }

    /// Takes `units` at time `time` (which conforms).
    @inline(__always) mutating func take(_ units: UInt64, at time: UInt64) {
        guard rate != 0 else { return }
        if units != lastUnits {
            lastUnits = units
            lastDuration = Self.nanoseconds(for: units, rate: rate)
        }
        theoreticalArrival = max(theoreticalArrival, time) &+ lastDuration
    }
}
