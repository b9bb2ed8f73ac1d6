import Foundation
import Testing

@testable import Bench

@Suite("NVMe bench workloads")
struct NVMeWorkloadTests {
    @Test func everyShapeTheIssueAsksForIsRegistered() {
        let names = Set(BenchWorkload.matching("nvme-").map(\.name))
        for op in ["randread", "randwrite"] {
            for qd in [1, 32, 128] {
                for mode in ["plain", "xts"] { #expect(names.contains("nvme-4k-\(op)-qd\(qd)-\(mode)")) }
            }
        }
        #expect(names.count == 12)
    }

    @Test(arguments: [
        NVMeBenchShape(read: true, queueDepth: 32, encrypted: true),
        NVMeBenchShape(read: false, queueDepth: 1, encrypted: false),
    ])
    func commandsCompleteAtTheQueueDepth(shape: NVMeBenchShape) throws {
        let instance = try BenchWorkload.nvmeRandomIO(shape).make()
        #expect(instance.emulated(10) == UInt64(10 * shape.queueDepth))
        #expect(instance.failures() == 0)
        #expect(instance.speedOfLight(4) > 0)
        let probe = try #require(instance.latency)
        let latencies = probe(200)
        #expect(latencies.count == 200)
        #expect(latencies.allSatisfy { $0 > 0 })
    }

    @Test("the speed-of-light loop ciphers real blocks of a store like the model's, on its random sequence")
    func speedOfLightWorksOnTheStore() throws {
        let size = NVMeBenchFixture.blockSize
        let read = try NVMeReference(NVMeBenchShape(read: true, queueDepth: 2, encrypted: true))
        let pattern = [UInt8](UnsafeRawBufferPointer(start: read.buffers.pointer, count: 2 * size))
        read.buffers.pointer.initializeMemory(as: UInt8.self, repeating: 0, count: 2 * size)
        #expect(read.run(2) == 2)
        // Every block was filled from the first buffer; both buffers now hold it, deciphered.
        let first = [UInt8](UnsafeRawBufferPointer(start: read.buffers.pointer, count: size))
        let second = [UInt8](UnsafeRawBufferPointer(start: read.buffers.pointer + size, count: size))
        #expect(first == Array(pattern[0..<size]) && second == first)

        var seed = NVMeBenchFixture.seed
        let lba = NVMeBenchFixture.nextLBA(&seed)
        let write = try NVMeReference(NVMeBenchShape(read: false, queueDepth: 1, encrypted: true))
        let before = [UInt8](UnsafeRawBufferPointer(start: write.store.host + Int(lba) * size, count: size))
        write.buffers.pointer.storeBytes(of: 0xA5, as: UInt8.self)
        #expect(write.run(1) == 1)
        // The write landed, enciphered, in the block the fixture's sequence picks first.
        let after = [UInt8](UnsafeRawBufferPointer(start: write.store.host + Int(lba) * size, count: size))
        #expect(after != before)
        #expect(after != [UInt8](UnsafeRawBufferPointer(start: write.buffers.pointer, count: size)))
    }

    @Test func latencyPercentilesReachTheReport() {
        var options = BenchOptions(repetitions: 1, warmUpRepetitions: 0, targetRepetitionNanoseconds: 200_000)
        options.latencySamples = 500
        let report = runBenchmarks(BenchWorkload.matching("nvme-4k-randwrite-qd1-plain"), options: options)
        let r = report.results[0]
        #expect(report.succeeded)
        let p50 = r.latencyP50 ?? 0
        let p99 = r.latencyP99 ?? 0
        #expect(p50 > 0 && p99 >= p50)
        #expect(report.table().contains("p99"))
        #expect(report.openSSLSpeed == nil, "plain workloads do not run openssl speed")
    }

    @Test("encrypted workloads report openssl speed by CPU time and by wall time (-elapsed)")
    func encryptedWorkloadsReportBothOpenSSLFigures() throws {
        var options = BenchOptions(repetitions: 1, warmUpRepetitions: 0, targetRepetitionNanoseconds: 200_000)
        options.latencySamples = 200
        let report = runBenchmarks(BenchWorkload.matching("nvme-4k-randread-qd1-xts"), options: options)
        #expect(report.succeeded)
        // scripts/setup.sh installs the openssl tool.
        let speed = try #require(report.openSSLSpeed)
        let wall = try #require(report.openSSLSpeedElapsed)
        #expect(!speed.command.contains("-elapsed"))
        #expect(wall.command.contains(" -elapsed "))
        #expect(speed.bytesPerSecond > 0 && wall.bytesPerSecond > 0)
        // Three one-second runs of each, the figure their median.
        #expect(speed.samples.count == 3 && wall.samples.count == 3)
        #expect(speed.bytesPerSecond == speed.samples.sorted()[1])
        #expect(wall.bytesPerSecond == wall.samples.sorted()[1])
        #expect(report.table().contains("of openssl speed ("))
        #expect(report.table().contains("of -elapsed); C loop over the same store 0."))
    }

    @Test("the figure is the median of the runs; one failed run drops the figure")
    func opensslSpeedCombinesRuns() {
        #expect(OpenSSLSpeed.median([5, 1, 3]) == 3)
        #expect(OpenSSLSpeed.median([4, 1, 3, 2]) == 2.5)
        #expect(OpenSSLSpeed.median([]) == 0)
        let run = { (rate: Double) in OpenSSLSpeed(command: "openssl speed", samples: [rate]) }
        let three = OpenSSLSpeed.combined([run(4.0e9), run(5.5e9), run(4.9e9)])
        #expect(three?.samples == [4.0e9, 5.5e9, 4.9e9])
        #expect(three?.bytesPerSecond == 4.9e9)
        #expect(OpenSSLSpeed.combined([run(4.0e9), nil, run(4.9e9)]) == nil)
        #expect(OpenSSLSpeed.combined([]) == nil)
    }

    @Test func opensslSpeedOutputParses() {
        let text = """
            The 'numbers' are in 1000s of bytes per second processed.
            type           4096 bytes
            AES-256-XTS    5398983.11k
            """
        #expect(OpenSSLSpeed.parse(text) == 5_398_983_110)
        #expect(OpenSSLSpeed.parse("type 4096 bytes\n") == nil)
    }
}
