/// How a benchmark run is timed.
public struct BenchOptions: Sendable {
    /// Timed repetitions per workload (each one sample of the emulated path and one of the
    /// speed-of-light loop, interleaved).
    public var repetitions: Int
    /// Untimed repetitions before the first sample.
    public var warmUpRepetitions: Int
    /// Wall time one repetition aims for; the iteration count is calibrated to it.
    public var targetRepetitionNanoseconds: Double
    /// Operations the latency probe times, for workloads that have one.
    public var latencySamples = 20_000

    /// Creates options: 15 repetitions, 2 warm-ups, 20 ms per repetition by default.
    public init(repetitions: Int = 15, warmUpRepetitions: Int = 2, targetRepetitionNanoseconds: Double = 20_000_000) {
        self.repetitions = Swift.max(1, repetitions)
        self.warmUpRepetitions = Swift.max(0, warmUpRepetitions)
        self.targetRepetitionNanoseconds = Swift.max(1_000, targetRepetitionNanoseconds)
    }
}

/// Runs the registered workloads whose name contains one of the comma-separated terms of
/// `filter` (all for nil) with `repetitions` timed repetitions each.
public func runBenchmarks(filter: String? = nil, repetitions: Int = 15) -> BenchReport {
    runBenchmarks(BenchWorkload.matching(filter), options: BenchOptions(repetitions: repetitions))
}

/// Runs `workloads` with `options`, one after the other, on the calling thread.
public func runBenchmarks(_ workloads: [BenchWorkload], options: BenchOptions) -> BenchReport {
    var runner = BenchRunner(options: options)
    let results = workloads.map { runner.run($0) }
    var report = BenchReport(machine: .current, repetitions: options.repetitions, results: results, sink: runner.sink)
    if workloads.contains(where: { $0.name.hasPrefix("nvme-") && $0.name.hasSuffix("-xts") }) {
        (report.openSSLSpeed, report.openSSLSpeedElapsed) = OpenSSLSpeed.measurePair()
    }
    return report
}

/// Warm-up, calibration and timed repetitions of one workload at a time.
struct BenchRunner {
    let options: BenchOptions
    /// Checksums of every body, kept so the work is observable.
    var sink: UInt64 = 0
    private let clock = ContinuousClock()

    init(options: BenchOptions) { self.options = options }

    mutating func run(_ workload: BenchWorkload) -> BenchResult {
        let instance: BenchInstance
        do {
            instance = try workload.make()
        } catch {
            return BenchResult(workload: workload, failure: "setup failed: \(error)")
        }
        let emulatedIterations = calibrate(instance.emulated)
        let referenceIterations = calibrate(instance.speedOfLight)
        var emulated: [Double] = []
        var reference: [Double] = []
        emulated.reserveCapacity(options.repetitions)
        reference.reserveCapacity(options.repetitions)
        let heapBefore = HeapProbe.bytesInUse()
        let perEmulated = Double(emulatedIterations * workload.operationsPerIteration)
        let perReference = Double(referenceIterations * workload.operationsPerIteration)
        for r in 0..<(options.warmUpRepetitions + options.repetitions) {
            let e = time(instance.emulated, emulatedIterations) / perEmulated
            let s = time(instance.speedOfLight, referenceIterations) / perReference
            if r >= options.warmUpRepetitions {
                emulated.append(e)
                reference.append(s)
            }
        }
        let heapAfter = HeapProbe.bytesInUse()
        let totalEmulatedOperations = perEmulated * Double(options.warmUpRepetitions + options.repetitions)
        let retained = heapBefore.flatMap { b in heapAfter.map { Double($0 - b) / totalEmulatedOperations } }
        let failures = instance.failures()
        var result = BenchResult(
            workload: workload, emulated: BenchStatistics(emulated), speedOfLight: BenchStatistics(reference),
            iterationsPerRepetition: emulatedIterations, speedOfLightIterationsPerRepetition: referenceIterations,
            retainedHeapBytesPerOperation: retained,
            failure: failures == 0 ? nil : "\(failures) iterations of the emulated path failed")
        if let probe = instance.latency {
            let samples = probe(options.latencySamples).sorted()
            if !samples.isEmpty {
                result.latencyP50 = BenchStatistics.percentile(samples, 0.50)
                result.latencyP99 = BenchStatistics.percentile(samples, 0.99)
            }
        }
        return result
    }

    /// Nanoseconds `body` takes for `iterations` iterations.
    private mutating func time(_ body: (Int) -> UInt64, _ iterations: Int) -> Double {
        let start = clock.now
        let checksum = body(iterations)
        let elapsed = start.duration(to: clock.now)
        sink &+= checksum
        return Self.nanoseconds(elapsed)
    }

    /// Iterations that make one repetition last about the target time (this also warms up).
    private mutating func calibrate(_ body: (Int) -> UInt64) -> Int {
        let target = options.targetRepetitionNanoseconds
        var n = 1
        while true {
            let t = time(body, n)
            if t >= target / 8 || n >= 1 << 40 {
                let scaled = (Double(n) * target / Swift.max(t, 1)).rounded(.up)
                return Int(Swift.min(Swift.max(scaled, 1), Double(1 << 40)))
            }
            n = t <= 0 ? n * 8 : Swift.max(n * 2, Int(Swift.min(Double(n) * target / 4 / t, Double(n) * 64)))
        }
    }

    static func nanoseconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) * 1e9 + Double(c.attoseconds) / 1e9
    }
}
