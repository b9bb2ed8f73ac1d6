import Testing

@testable import Bench

@Suite("Runner statistics")
struct BenchStatisticsTests {
    @Test func medianOfOddCountIsTheMiddleSample() throws {
        let s = try #require(BenchStatistics([5, 1, 3]))
        #expect(s.median == 3)
        #expect(s.min == 1)
        #expect(s.max == 5)
        #expect(s.count == 3)
    }

    @Test func medianOfEvenCountIsTheMeanOfTheMiddleTwo() throws {
        let s = try #require(BenchStatistics([4, 1, 3, 2]))
        #expect(s.median == 2.5)
    }

    @Test func percentilesInterpolateBetweenClosestRanks() {
        let sorted = (1...10).map(Double.init)
        #expect(abs(BenchStatistics.percentile(sorted, 0.9) - 9.1) < 1e-12)
        #expect(abs(BenchStatistics.percentile(sorted, 0.1) - 1.9) < 1e-12)
        #expect(BenchStatistics.percentile(sorted, 0) == 1)
        #expect(BenchStatistics.percentile(sorted, 1) == 10)
        #expect(BenchStatistics.percentile(sorted, 7) == 10)
        #expect(BenchStatistics.percentile([], 0.5) == 0)
        #expect(BenchStatistics.percentile([42], 0.9) == 42)
    }

    @Test func madIsTheMedianDistanceFromTheMedian() throws {
        // Deviations from 3: 2, 1, 0, 1, 97 -> median 1.
        let s = try #require(BenchStatistics([1, 2, 3, 4, 100]))
        #expect(s.median == 3)
        #expect(s.mad == 1)
        #expect(s.relativeSpread == 1.0 / 3.0)
    }

    @Test func noSamplesOrNonFiniteSamplesGiveNoStatistics() {
        #expect(BenchStatistics([]) == nil)
        #expect(BenchStatistics([1, .nan]) == nil)
        #expect(BenchStatistics([1, .infinity]) == nil)
    }

    @Test func filterSelectsWorkloadsByNameFragments() {
        #expect(BenchWorkload.matching(nil).count == BenchWorkload.all.count)
        #expect(BenchWorkload.matching("").count == BenchWorkload.all.count)
        #expect(BenchWorkload.matching("dma-copy").map(\.name) == ["dma-copy-64B", "dma-copy-2KiB", "dma-copy-64KiB"])
        #expect(BenchWorkload.matching("mmio-roundtrip, 64KiB").map(\.name) == ["mmio-roundtrip", "dma-copy-64KiB"])
        #expect(BenchWorkload.matching("nothing-like-this").isEmpty)
    }

    @Test func aWholeNameSelectsThatWorkloadAlone() {
        #expect(BenchWorkload.matching("ena-64B-tx-rx").map(\.name) == ["ena-64B-tx-rx"])
        #expect(BenchWorkload.matching("veb-64B-1vf").map(\.name) == ["veb-64B-1vf"])
        #expect(BenchWorkload.matching("veb-64B-1v").map(\.name) == ["veb-64B-1vf", "veb-64B-1vf-ring4096"])
        #expect(BenchWorkload.matching("ena-64B-tx-rx, llq").map(\.name) == ["ena-64B-tx-rx", "ena-64B-tx-rx-llq"])
    }
}
