import Glibc
import NVMe
import PCIe
import Testing

@testable import Drivers

/// A fresh path for a backing file under /tmp; the file is removed by `body`'s end.
func withTemporaryImage(_ body: (String) throws -> Void) throws {
    let path = "/tmp/nvme-driver-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).img"
    defer { unlink(path) }
    try body(path)
}

@Suite("NVMe driver data semantics: unwritten blocks, FUA, backing files, many queues")
struct NVMeDriverDataTests {
    @Test("blocks never written read as zeroes, encrypted or not", arguments: [false, true])
    func unwrittenReadsZero(encrypted: Bool) throws {
        let config = encrypted ? NVMeBench.instanceStore(blockSize: 4096) : NVMeBench.ebs(blockSize: 4096)
        let bench = try NVMeBench(config)
        let b = try bench.buffer(16 * 4096)
        b.set(0x5A)
        try bench.driver.read(lba: 1000, blocks: 16, into: b)
        #expect(b.isFilled(with: 0))
    }

    @Test("Write with FUA round-trips")
    func forceUnitAccess() throws {
        let bench = try NVMeBench()
        let b = try bench.buffer(4096)
        let pattern = b.fill(seed: 8)
        try bench.driver.write(lba: 40, blocks: 8, from: b, forceUnitAccess: true)
        b.set(0)
        try bench.driver.read(lba: 40, blocks: 8, into: b)
        #expect(b.holds(pattern))
    }

    @Test("an unencrypted EBS volume in a file keeps its data when the controller is built again (stop/start)")
    func ebsFilePersists() throws {
        try withTemporaryImage { path in
            var config = NVMeBench.ebs(blockSize: 4096, capacity: 8 << 20)
            config.backing = .file(path: path)
            let pattern: [UInt8]
            do {
                let first = try NVMeBench(config)
                let b = try first.buffer(3 * 4096)
                pattern = b.fill(seed: 12)
                try first.driver.write(lba: 77, blocks: 3, from: b)
                try first.driver.flush()
                try first.driver.shutdown()
            }
            let second = try NVMeBench(config)
            let b = try second.buffer(3 * 4096)
            try second.driver.read(lba: 77, blocks: 3, into: b)
            #expect(b.holds(pattern))
        }
    }

    @Test("an encrypted volume in a file starts erased when the controller is built again (the key is gone)")
    func encryptedFileStartsErased() throws {
        try withTemporaryImage { path in
            var config = NVMeBench.ebs(blockSize: 512, capacity: 8 << 20, encrypted: true)
            config.backing = .file(path: path)
            do {
                let first = try NVMeBench(config)
                let b = try first.buffer(4096)
                b.fill(seed: 13)
                try first.driver.write(lba: 8, blocks: 8, from: b)
                try first.driver.flush()
            }
            let second = try NVMeBench(config)
            let b = try second.buffer(4096)
            b.set(0x77)
            try second.driver.read(lba: 8, blocks: 8, into: b)
            #expect(b.isFilled(with: 0))
        }
    }

    @Test("128 commands in flight over four queues in interrupt mode, interleaved, all land")
    func manyQueuesInterleaved() throws {
        let bench = try NVMeBench(
            NVMeBench.instanceStore(blockSize: 4096, queuePairs: 4),
            driver: .init(ioQueueCount: 4, ioQueueDepth: 64, interrupts: true))
        let d = bench.driver
        let out = try bench.buffer(128 * 4096)
        let back = try bench.buffer(128 * 4096)
        let pattern = out.fill(seed: 99)
        let completions = UnsafeMutableBufferPointer<NVMeCompletion>.allocate(capacity: 64)
        defer { completions.deallocate() }
        for write in [true, false] {
            for i in 0..<128 {
                let q = i % 4
                _ =
                    write
                    ? try d.submitWrite(queue: q, lba: UInt64(i), blocks: 1, from: out, offset: i * 4096)
                    : try d.submitRead(queue: q, lba: UInt64(i), blocks: 1, into: back, offset: i * 4096)
                if i % 8 == 7 { d.ringDoorbell(queue: q) }
            }
            for q in 0..<4 { d.ringDoorbell(queue: q) }
            var done = 0
            for q in (0..<4).reversed() {
                while d.outstanding(queue: q) > 0, d.waitForCompletions(queue: q, timeout: .seconds(1)) {
                    let n = d.reap(queue: q, into: completions)
                    #expect(completions[0..<n].allSatisfy { $0.status == .success })
                    done += n
                }
            }
            #expect(done == 128)
        }
        #expect(back.holds(pattern))
    }
}
