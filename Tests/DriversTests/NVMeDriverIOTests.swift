import NVMe
import PCIe
import Testing

@testable import Drivers

@Suite("NVMe driver I/O: PRP boundaries, queue depth, NVM commands")
struct NVMeDriverIOTests {
    /// Writes `bytes` from `offset` of one buffer and reads them back at `readOffset` of another
    /// whose other bytes must stay untouched.
    func roundTrip(_ bench: NVMeBench, lba: UInt64, bytes: Int, offset: Int, readOffset: Int, seed: UInt64) throws {
        let d = bench.driver
        let blocks = bytes / bench.blockSize
        let out = try bench.buffer(bytes + offset + 8192)
        let back = try bench.buffer(bytes + readOffset + 8192)
        let pattern = out.fill(seed: seed, offset: offset, count: bytes)
        back.set(0xEE)
        try d.write(lba: lba, blocks: blocks, from: out, offset: offset)
        try d.read(lba: lba, blocks: blocks, into: back, offset: readOffset)
        #expect(back.holds(pattern, at: readOffset), "\(bytes) bytes at offset \(offset)/\(readOffset)")
        #expect(back.isFilled(with: 0xEE, count: readOffset), "read wrote before its buffer")
        #expect(back.isFilled(with: 0xEE, offset: readOffset + bytes), "read wrote past its buffer")
    }

    @Test("round trips of 1, 2, 3 pages and up to MDTS at page offsets 0, 4, 512, 4092", arguments: [512, 4096])
    func prpBoundaries(blockSize: Int) throws {
        let bench = try NVMeBench(NVMeBench.ebs(blockSize: blockSize, mdts: 9))
        let mdts = bench.driver.maximumTransferBytes
        #expect(mdts == 2 << 20)
        var seed: UInt64 = 1
        for bytes in [blockSize, 4096, 8192, 12288, 5 * 4096, 64 * 4096, mdts - 4096, mdts] {
            for (offset, readOffset) in [(0, 0), (4, 4092), (512, 0), (4092, 512)] {
                try roundTrip(bench, lba: seed * 8, bytes: bytes, offset: offset, readOffset: readOffset, seed: seed)
                seed += 1
            }
        }
        #expect(bench.guestErrors.isEmpty)
    }

    @Test("a 512-byte block split over two pages (offset 4092) round-trips")
    func blockSplitAcrossPages() throws {
        let bench = try NVMeBench(NVMeBench.ebs(blockSize: 512))
        try roundTrip(bench, lba: 3, bytes: 512, offset: 4092, readOffset: 4000, seed: 9)
        try roundTrip(bench, lba: 4, bytes: 1536, offset: 3584 + 4, readOffset: 4092, seed: 10)
    }

    @Test("encrypted instance storage round-trips across PRP lists", arguments: [512, 4096])
    func encryptedRoundTrip(blockSize: Int) throws {
        let bench = try NVMeBench(NVMeBench.instanceStore(blockSize: blockSize, mdts: 9))
        try roundTrip(bench, lba: 0, bytes: 2 << 20, offset: 4, readOffset: 4092, seed: 3)
        try roundTrip(bench, lba: 7, bytes: 3 * 4096, offset: 512, readOffset: 0, seed: 4)
    }

    @Test("transfers the driver cannot describe are refused before anything is posted")
    func invalidTransfers() throws {
        let bench = try NVMeBench(NVMeBench.ebs(mdts: 5))
        let d = bench.driver
        let b = try bench.buffer(512 * 1024)
        #expect(
            nvmeError { try d.read(lba: 0, blocks: 257, into: b) }.map { if case .invalidTransfer = $0 { true } else { false } }
                == true)
        #expect(
            nvmeError { try d.read(lba: 0, blocks: 1, into: b, offset: 2) }.map {
                if case .invalidTransfer = $0 { true } else { false }
            } == true)
        #expect(nvmeError { try d.read(lba: 0, blocks: 2, into: b, offset: 512 * 1024 - 512) } != nil)
        #expect(throws: NVMeDriverError.noSuchNamespace(7)) { try d.read(namespace: 7, lba: 0, blocks: 1, into: b) }
        #expect(d.outstanding(queue: 0) == 0)
        let size = try #require(d.namespace(1)).size
        #expect(nvmeError { try d.read(lba: size - 1, blocks: 2, into: b) }?.status?.code == NVMeStatus.lbaOutOfRange.code)
    }

    @Test("queue depth 32: 32 writes then 32 reads in flight, one doorbell each batch, all complete")
    func queueDepth32() throws {
        let bench = try NVMeBench(NVMeBench.ebs(blockSize: 4096), driver: .init(ioQueueDepth: 64))
        let d = bench.driver
        let out = try bench.buffer(32 * 8192)
        let back = try bench.buffer(32 * 8192)
        let patterns = (0..<32).map { out.fill(seed: UInt64(100 + $0), offset: $0 * 8192, count: 8192) }
        let completions = UnsafeMutableBufferPointer<NVMeCompletion>.allocate(capacity: 64)
        defer { completions.deallocate() }
        for pass in 0..<2 {
            var ids = Set<UInt16>()
            for i in 0..<32 {
                let id =
                    pass == 0
                    ? try d.submitWrite(queue: 0, lba: UInt64(i * 2), blocks: 2, from: out, offset: i * 8192)
                    : try d.submitRead(queue: 0, lba: UInt64(i * 2), blocks: 2, into: back, offset: i * 8192)
                ids.insert(id)
            }
            #expect(ids.count == 32)
            #expect(d.outstanding(queue: 0) == 32)
            d.ringDoorbell(queue: 0)
            var done = Set<UInt16>()
            while done.count < 32, d.waitForCompletions(queue: 0, timeout: .seconds(1)) {
                let n = d.reap(queue: 0, into: completions)
                for c in completions[0..<n] {
                    #expect(c.status == .success)
                    done.insert(c.commandID)
                }
            }
            #expect(done == ids)
            #expect(d.outstanding(queue: 0) == 0)
        }
        for i in 0..<32 { #expect(back.bytes(offset: i * 8192, count: 8192) == patterns[i]) }
    }

    @Test("a full queue refuses the next command; many passes wrap the rings and flip the phase")
    func ringWrap() throws {
        let bench = try NVMeBench(NVMeBench.ebs(), driver: .init(ioQueueDepth: 8))
        let d = bench.driver
        let b = try bench.buffer(7 * 512)
        let completions = UnsafeMutableBufferPointer<NVMeCompletion>.allocate(capacity: 8)
        defer { completions.deallocate() }
        for i in 0..<7 { _ = try d.submitRead(queue: 0, lba: UInt64(i), blocks: 1, into: b, offset: i * 512) }
        #expect(throws: NVMeDriverError.queueFull(queue: 0)) { try d.submitRead(queue: 0, lba: 0, blocks: 1, into: b) }
        d.ringDoorbell(queue: 0)
        var total = 0
        for pass in 0..<40 {
            if pass > 0 {
                for i in 0..<(pass % 7 + 1) {
                    _ = try d.submitRead(queue: 0, lba: UInt64(i), blocks: 1, into: b, offset: i * 512)
                }
                d.ringDoorbell(queue: 0)
            }
            while d.outstanding(queue: 0) > 0, d.waitForCompletions(queue: 0, timeout: .seconds(1)) {
                let n = d.reap(queue: 0, into: completions)
                total += n
                #expect(completions[0..<n].allSatisfy { $0.status == .success })
            }
        }
        #expect(total == 7 + (1..<40).reduce(0) { $0 + $1 % 7 + 1 })
    }

    @Test("blocking calls and reap mix on one queue: other completions wait for the next reap")
    func mixBlockingAndReap() throws {
        let bench = try NVMeBench()
        let d = bench.driver
        let b = try bench.buffer(8192)
        let ids = try (0..<3).map { try d.submitRead(queue: 0, lba: UInt64($0), blocks: 1, into: b, offset: $0 * 512) }
        try d.write(queue: 0, lba: 50, blocks: 1, from: b, offset: 4096)
        let completions = UnsafeMutableBufferPointer<NVMeCompletion>.allocate(capacity: 8)
        defer { completions.deallocate() }
        var seen: [UInt16] = []
        while seen.count < 3, d.waitForCompletions(queue: 0, timeout: .seconds(1)) {
            let n = d.reap(queue: 0, into: completions)
            seen += completions[0..<n].map(\.commandID)
        }
        #expect(Set(seen) == Set(ids))
    }

    @Test("flush, write zeroes and deallocate: zeroed ranges read back zero, the rest is kept")
    func zeroingCommands() throws {
        let bench = try NVMeBench()
        let d = bench.driver
        let b = try bench.buffer(16 * 512)
        let pattern = b.fill(seed: 5)
        try d.write(lba: 0, blocks: 16, from: b)
        try d.flush()
        try d.writeZeroes(lba: 2, blocks: 3)
        try d.deallocate(lba: 8, blocks: 4)
        try d.writeZeroes(lba: 14, blocks: 1, deallocate: true)
        b.set(0xAA)
        try d.read(lba: 0, blocks: 16, into: b)
        let back = b.bytes()
        for block in 0..<16 {
            let zeroed = (2..<5).contains(block) || (8..<12).contains(block) || block == 14
            let got = Array(back[(block * 512)..<(block * 512 + 512)])
            let expected = zeroed ? [UInt8](repeating: 0, count: 512) : Array(pattern[(block * 512)..<(block * 512 + 512)])
            #expect(got == expected, "block \(block)")
        }
        try d.verify(lba: 0, blocks: 16)
    }

    @Test("compare: equal data succeeds, one differing byte gives Compare Failure")
    func compare() throws {
        let bench = try NVMeBench(NVMeBench.ebs(blockSize: 4096))
        let d = bench.driver
        let b = try bench.buffer(3 * 4096)
        b.fill(seed: 11)
        try d.write(lba: 9, blocks: 3, from: b)
        #expect(try d.compare(lba: 9, blocks: 3, with: b))
        b.host[2 * 4096 + 17] ^= 1
        #expect(try d.compare(lba: 9, blocks: 3, with: b) == false)
    }

    @Test("interrupt mode: completions wake the queue's vector; an idle queue times out")
    func interruptMode() throws {
        let bench = try NVMeBench(NVMeBench.ebs(queuePairs: 2), driver: .init(ioQueueCount: 2, interrupts: true))
        let d = bench.driver
        let b = try bench.buffer(8192)
        let pattern = b.fill(seed: 21)
        for q in 0..<2 {
            try d.write(queue: q, lba: UInt64(q * 16), blocks: 16, from: b)
            b.set(0)
            try d.read(queue: q, lba: UInt64(q * 16), blocks: 16, into: b)
            #expect(b.bytes() == pattern)
        }
        let before = bench.access.clock.now
        #expect(!d.waitForCompletions(queue: 1, timeout: .milliseconds(5)))
        #expect(bench.access.clock.now.nanoseconds - before.nanoseconds >= 5_000_000)
        _ = try d.submitRead(queue: 1, lba: 0, blocks: 1, into: b)
        d.ringDoorbell(queue: 1)
        #expect(d.waitForCompletions(queue: 1, timeout: .milliseconds(5)))
    }
}
