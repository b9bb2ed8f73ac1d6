import Foundation

/// The machine and build a report was measured on.
public struct BenchMachine: Codable, Sendable, Equatable {
    /// Active processor count.
    public var cores: Int
    /// CPU model (from /proc/cpuinfo on Linux; "unknown" elsewhere).
    public var cpu: String
    /// Operating system version string.
    public var operatingSystem: String
    /// Swift build configuration of the Bench module: "debug" or "release".
    public var buildConfiguration: String
    /// The clock timing is taken from.
    public var clock: String
    /// When the run started (ISO 8601, UTC).
    public var date: String

    /// The machine this process runs on.
    public static var current: BenchMachine {
        #if DEBUG
            let configuration = "debug"
        #else
            let configuration = "release"
        #endif
        return BenchMachine(
            cores: ProcessInfo.processInfo.activeProcessorCount, cpu: cpuModel(),
            operatingSystem: ProcessInfo.processInfo.operatingSystemVersionString,
            buildConfiguration: configuration, clock: "ContinuousClock (host monotonic wall time)",
            date: ISO8601DateFormatter().string(from: Date()))
    }

    private static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingWhitespace()
            }
        }
        return "unknown"
    }
}

/// One workload's figures. Times are nanoseconds per operation (the workload's `operation`).
public struct BenchResult: Codable, Sendable, Equatable {
    /// Workload name.
    public var workload: String
    /// What one operation is.
    public var operation: String
    /// What one operation of the emulated path does.
    public var summary: String
    /// What the speed-of-light loop does.
    public var speedOfLightSummary: String
    /// Unit of the times: always "ns/op".
    public var unit: String
    /// Timed repetitions (samples).
    public var repetitions: Int
    /// Iterations per repetition of the emulated path.
    public var iterationsPerRepetition: Int
    /// Iterations per repetition of the speed-of-light loop.
    public var speedOfLightIterationsPerRepetition: Int
    /// Operations per iteration.
    public var operationsPerIteration: Int
    /// Payload bytes per operation (0: not a copy workload).
    public var bytesPerOperation: Int
    /// Median ns/op of the emulated path.
    public var median: Double?
    /// Fastest repetition.
    public var min: Double?
    /// Slowest repetition.
    public var max: Double?
    /// 90th percentile.
    public var p90: Double?
    /// Median absolute deviation.
    public var mad: Double?
    /// Operations per second at the median.
    public var operationsPerSecond: Double?
    /// Payload GB/s (1e9 bytes) at the median; nil when no payload moves.
    public var gigabytesPerSecond: Double?
    /// Full statistics of the emulated path.
    public var emulated: BenchStatistics?
    /// Full statistics of the speed-of-light loop.
    public var speedOfLight: BenchStatistics?
    /// Median ns/op of the speed-of-light loop.
    public var speedOfLightMedian: Double?
    /// Emulated median / speed-of-light median: how many times slower than bare memory work.
    public var ratio: Double?
    /// Heap bytes retained per emulated operation over the timed run (mallinfo2 delta; nil
    /// where unavailable). Should be 0: the hot path must not grow the heap.
    public var retainedHeapBytesPerOperation: Double?
    /// Why the workload failed or is suspect, if it did.
    public var failure: String?
    /// Median per-operation latency from the latency probe, in ns (workloads with a queue depth).
    public var latencyP50: Double?
    /// 99th percentile per-operation latency, in ns.
    public var latencyP99: Double?

    init(
        workload w: BenchWorkload, emulated: BenchStatistics? = nil, speedOfLight: BenchStatistics? = nil,
        iterationsPerRepetition: Int = 0, speedOfLightIterationsPerRepetition: Int = 0,
        retainedHeapBytesPerOperation: Double? = nil, failure: String?
    ) {
        workload = w.name
        operation = w.operation
        summary = w.summary
        speedOfLightSummary = w.speedOfLightSummary
        unit = "ns/op"
        repetitions = emulated?.count ?? 0
        self.iterationsPerRepetition = iterationsPerRepetition
        self.speedOfLightIterationsPerRepetition = speedOfLightIterationsPerRepetition
        operationsPerIteration = w.operationsPerIteration
        bytesPerOperation = w.bytesPerOperation
        self.emulated = emulated
        self.speedOfLight = speedOfLight
        median = emulated?.median
        min = emulated?.min
        max = emulated?.max
        p90 = emulated?.p90
        mad = emulated?.mad
        speedOfLightMedian = speedOfLight?.median
        if let m = emulated?.median, m > 0 {
            operationsPerSecond = 1e9 / m
            gigabytesPerSecond = w.bytesPerOperation > 0 ? Double(w.bytesPerOperation) / m : nil
        }
        if let m = emulated?.median, let s = speedOfLight?.median, s > 0 { ratio = m / s }
        self.retainedHeapBytesPerOperation = retainedHeapBytesPerOperation.flatMap { $0.isFinite ? $0 : nil }
        self.failure = failure
    }

    /// Speed-of-light payload GB/s at its median; nil when no payload moves.
    public var speedOfLightGigabytesPerSecond: Double? {
        guard bytesPerOperation > 0, let s = speedOfLightMedian, s > 0 else { return nil }
        return Double(bytesPerOperation) / s
    }
}

/// Everything one `devbench bench` run measured.
public struct BenchReport: Codable, Sendable, Equatable {
    /// Where it ran.
    public var machine: BenchMachine
    /// Timed repetitions requested per workload.
    public var repetitions: Int
    /// One result per workload, in run order.
    public var results: [BenchResult]
    /// Combined checksum of all timed bodies (keeps the work observable; not meaningful).
    public var checksum: UInt64
    /// `openssl speed` for XTS-AES-256 on 4 KiB units, when encrypted NVMe workloads ran: the
    /// median of three one-second runs.
    public var openSSLSpeed: OpenSSLSpeed?
    /// The same with `-elapsed` (wall time, as the bench measures the emulator), its runs
    /// alternated with those of ``openSSLSpeed``.
    public var openSSLSpeedElapsed: OpenSSLSpeed?

    /// Creates a report.
    public init(machine: BenchMachine, repetitions: Int, results: [BenchResult], sink: UInt64) {
        self.machine = machine
        self.repetitions = repetitions
        self.results = results
        checksum = sink
    }

    /// Whether every workload ran without failure.
    public var succeeded: Bool { results.allSatisfy { $0.failure == nil } }
}
