import Foundation
import Testing

@testable import Bench

/// Runs real workloads with tiny repetition counts: checks shape, not speed (speed targets live
/// in `devbench bench`, not in tests).
@Suite("Runner and workloads", .serialized)
struct BenchRunnerTests {
    static let tiny = BenchOptions(repetitions: 3, warmUpRepetitions: 1, targetRepetitionNanoseconds: 200_000)

    @Test func tinyRunProducesAWellFormedReport() throws {
        let report = runBenchmarks([.mmioRoundTrip, .dmaCopy(payload: 64, label: "64B")], options: Self.tiny)
        #expect(report.repetitions == 3)
        #expect(report.results.map(\.workload) == ["mmio-roundtrip", "dma-copy-64B"])
        #expect(report.succeeded)
        #expect(report.machine.cores >= 1)
        for r in report.results {
            #expect(r.failure == nil, "\(r.workload)")
            #expect(r.repetitions == 3)
            #expect(r.unit == "ns/op")
            let median = try #require(r.median)
            let min = try #require(r.min)
            let max = try #require(r.max)
            let p90 = try #require(r.p90)
            #expect(min <= median && median <= p90 && p90 <= max)
            #expect(median > 0)
            #expect(try #require(r.speedOfLightMedian) > 0)
            #expect(try #require(r.ratio) > 0)
            #expect(r.iterationsPerRepetition >= 1)
        }
        let copy = report.results[1]
        #expect(copy.operationsPerIteration == BenchWorkload.dmaBatch)
        #expect(copy.bytesPerOperation == 64)
        #expect(copy.gigabytesPerSecond != nil)
        #expect(report.results[0].gigabytesPerSecond == nil)
    }

    @Test func jsonRoundTripsAndTableNamesEveryWorkload() throws {
        let report = runBenchmarks([.mmioRead], options: Self.tiny)
        let json = try report.json()
        let decoded = try JSONDecoder().decode(BenchReport.self, from: Data(json.utf8))
        #expect(decoded == report)
        for key in ["\"median\"", "\"p90\"", "\"speedOfLightMedian\"", "\"ratio\"", "\"cores\"", "\"buildConfiguration\""] {
            #expect(json.contains(key), "\(key)")
        }
        let table = report.table()
        #expect(table.contains("mmio-read"))
        #expect(table.contains("ratio"))
    }

    @Test func dmaCopyWorkloadCompletesEveryDescriptor() throws {
        let instance = try BenchWorkload.dmaCopy(payload: 2048, label: "2KiB").make()
        // 40 batches of 32 wrap the 256-entry ring five times.
        let done = instance.emulated(40)
        #expect(done == UInt64(40 * BenchWorkload.dmaBatch))
        #expect(instance.failures() == 0)
        #expect(instance.speedOfLight(40) > 0)
    }
}
