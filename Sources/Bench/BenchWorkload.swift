/// One benchmark: an emulated path and the speed-of-light loop doing the same memory work.
///
/// Devices add workloads by extending ``BenchWorkload`` with a static constructor and listing it
/// in ``BenchWorkload/all``. `make` builds fresh state (a bus, a device, a driver, buffers) and
/// returns the two bodies the runner times; setup errors become a failed result, not a crash.
public struct BenchWorkload: Sendable {
    /// Stable name used by `--filter` and in JSON (`mmio-roundtrip`, `dma-copy-2KiB`, ...).
    public let name: String
    /// What one operation is ("round trip", "descriptor").
    public let operation: String
    /// What one operation of the emulated path does.
    public let summary: String
    /// What the speed-of-light counterpart does.
    public let speedOfLightSummary: String
    /// Operations per iteration (descriptors per doorbell for a ring workload).
    public let operationsPerIteration: Int
    /// Payload bytes one operation moves (0 when throughput in bytes is meaningless).
    public let bytesPerOperation: Int
    /// Builds the state and the two bodies.
    public let make: @Sendable () throws -> BenchInstance

    /// Creates a workload.
    public init(
        name: String, operation: String, summary: String, speedOfLightSummary: String,
        operationsPerIteration: Int = 1, bytesPerOperation: Int = 0,
        make: @escaping @Sendable () throws -> BenchInstance
    ) {
        self.name = name
        self.operation = operation
        self.summary = summary
        self.speedOfLightSummary = speedOfLightSummary
        self.operationsPerIteration = Swift.max(1, operationsPerIteration)
        self.bytesPerOperation = Swift.max(0, bytesPerOperation)
        self.make = make
    }

    /// Every registered workload, in report order.
    public static var all: [BenchWorkload] {
        [
            .mmioRoundTrip, .mmioRead,
            .dmaCopy(payload: 64, label: "64B"),
            .dmaCopy(payload: 2048, label: "2KiB"),
            .dmaCopy(payload: 65536, label: "64KiB"),
            .vebForwarding(vfCount: 1), .vebForwarding(vfCount: 8), .vebForwarding(vfCount: 63),
            .vebForwarding(vfCount: 1, ringSize: 4096), .vebForwarding(vfCount: 63, ringSize: 64),
            .enaTransmitReceive(placement: .host), .enaTransmitReceive(placement: .lowLatency), .enaAllowanceShaper,
        ] + NVMeBenchShape.all.map { .nvmeRandomIO($0) } + [.pciListing]
    }

    /// The workloads selected by the comma-separated terms of `filter` (all of them for nil or
    /// an empty filter). A term that is exactly a workload's name selects that workload alone
    /// (`ena-64B-tx-rx` is not also `ena-64B-tx-rx-llq`); any other term selects every workload
    /// whose name contains it.
    public static func matching(_ filter: String?) -> [BenchWorkload] {
        let terms = (filter ?? "").split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        guard !terms.isEmpty else { return all }
        let workloads = all
        let names = Set(workloads.map(\.name))
        return workloads.filter { w in terms.contains { names.contains($0) ? w.name == $0 : w.name.contains($0) } }
    }
}

/// The timed bodies of one workload instance.
///
/// Each body runs `iterations` iterations and returns a checksum the runner keeps, so the
/// optimiser cannot drop the work. `failures` counts iterations the emulated path could not
/// complete (a failed or missing completion); a healthy run reports 0.
public struct BenchInstance {
    /// The emulated path (bus, model, IOMMU, driver).
    public let emulated: (Int) -> UInt64
    /// The C loop doing the same memory work with nothing around it.
    public let speedOfLight: (Int) -> UInt64
    /// Failed iterations of the emulated path so far.
    public let failures: () -> Int
    /// Optional latency probe, run untimed after the timed repetitions: performs `n` operations
    /// at the workload's queue depth and returns each one's latency in nanoseconds (submission
    /// to completion seen by the driver).
    public let latency: ((Int) -> [Double])?
    /// Keeps objects (buffers, devices) alive as long as the instance.
    let owner: AnyObject?

    /// Creates an instance; `owner` is retained for the instance's lifetime.
    public init(
        emulated: @escaping (Int) -> UInt64, speedOfLight: @escaping (Int) -> UInt64,
        failures: @escaping () -> Int = { 0 }, latency: ((Int) -> [Double])? = nil, owner: AnyObject? = nil
    ) {
        self.emulated = emulated
        self.speedOfLight = speedOfLight
        self.failures = failures
        self.latency = latency
        self.owner = owner
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
