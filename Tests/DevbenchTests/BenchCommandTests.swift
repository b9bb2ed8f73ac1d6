import Foundation
import Testing

@Suite("devbench bench")
struct BenchCommandTests {
    @Test("--json reports each selected workload with its speed-of-light ratio")
    func jsonReport() throws {
        let r = try CLI.run(["bench", "--json", "--repetitions", "2", "--filter", "mmio-read,dma-copy-64B"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        let report = try #require(object as? [String: Any])
        let results = try #require(report["results"] as? [[String: Any]])
        #expect(Set(results.compactMap { $0["workload"] as? String }) == ["mmio-read", "dma-copy-64B"])
        for result in results {
            let ratio = try #require(result["ratio"] as? Double)
            #expect(ratio > 0)
        }
    }

    /// In its own process the heap probe sees only the benchmark, so the figure is exact (the
    /// in-process probe would count allocations of tests running in parallel).
    @Test("hot paths (MMIO, descriptor processing) retain no heap per operation")
    func hotPathsRetainNoHeap() throws {
        let r = try CLI.run(["bench", "--json", "--repetitions", "3", "--filter", "mmio,dma-copy-64B"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        let results = try #require((object as? [String: Any])?["results"] as? [[String: Any]])
        #expect(results.count == 3)
        for result in results {
            let retained = try #require(result["retainedHeapBytesPerOperation"] as? Double)
            #expect(retained == 0, "\(result["workload"] ?? "?") retains \(retained) bytes per operation")
        }
    }

    @Test("VF-to-VF through the 82599 VEB: every frame of every batch arrives, no heap retained per frame")
    func vebForwardingDeliversEveryFrame() throws {
        let r = try CLI.run(["bench", "--json", "--repetitions", "2", "--filter", "veb-64B-8vf"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        let results = try #require((object as? [String: Any])?["results"] as? [[String: Any]])
        let result = try #require(results.first)
        #expect(result["workload"] as? String == "veb-64B-8vf")
        #expect(result["failure"] == nil, "\(result)")
        #expect(try #require(result["operationsPerIteration"] as? Int) == 32)
        #expect(try #require(result["retainedHeapBytesPerOperation"] as? Double) == 0)
    }

    @Test("a filter matching nothing is an error")
    func emptyFilter() throws {
        let r = try CLI.run(["bench", "--filter", "no-such-workload"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("no workload matches"))
    }

    @Test("--repetition-ms is accepted in 1...60000 and refused outside")
    func repetitionLength() throws {
        let ok = try CLI.run(["bench", "--json", "--repetitions", "1", "--repetition-ms", "2", "--filter", "mmio-read"])
        #expect(ok.status == 0, "\(ok.stderr)")
        for bad in ["0", "60001"] {
            let r = try CLI.run(["bench", "--repetition-ms", bad, "--filter", "mmio-read"])
            #expect(r.status != 0)
            #expect(r.stderr.contains("--repetition-ms must be 1...60000"))
        }
    }
}
