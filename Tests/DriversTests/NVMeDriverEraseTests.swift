import NVMe
import PCIe
import Testing

@testable import Drivers

@Suite("NVMe driver format, sanitize and asynchronous events")
struct NVMeDriverEraseTests {
    /// Writes a pattern to blocks 0..<count and returns it.
    func writePattern(_ bench: NVMeBench, blocks: Int = 8, seed: UInt64 = 1) throws -> [UInt8] {
        let b = try bench.buffer(blocks * bench.blockSize)
        let pattern = b.fill(seed: seed)
        try bench.driver.write(lba: 0, blocks: blocks, from: b)
        return pattern
    }

    /// Reads blocks 0..<count.
    func readBack(_ bench: NVMeBench, blocks: Int = 8) throws -> [UInt8] {
        let b = try bench.buffer(blocks * bench.blockSize)
        b.set(0xAA)
        try bench.driver.read(lba: 0, blocks: blocks, into: b)
        return b.bytes()
    }

    @Test("Format NVM to the other LBA format updates the namespace; I/O works at the new size")
    func formatChangesBlockSize() throws {
        let bench = try NVMeBench(NVMeBench.ebs(blockSize: 512, capacity: 16 << 20))
        try bench.driver.format(blockSize: 4096)
        let ns = try #require(bench.driver.namespace(1))
        #expect(ns.blockSize == 4096)
        #expect(ns.size == (16 << 20) / 4096)
        let pattern = try writePattern(bench, blocks: 3)
        #expect(try readBack(bench, blocks: 3) == pattern)
        try bench.driver.format(blockSize: 512)
        #expect(bench.blockSize == 512)
    }

    @Test("Format NVM with SES=1 (user data erase) reads back zeroes", arguments: [512, 4096])
    func formatUserDataErase(blockSize: Int) throws {
        let bench = try NVMeBench(NVMeBench.ebs(blockSize: blockSize))
        let pattern = try writePattern(bench)
        #expect(try readBack(bench) == pattern)
        try bench.driver.format(secureErase: .userData)
        #expect(try readBack(bench).allSatisfy { $0 == 0 })
    }

    @Test("Format NVM with SES=2 (crypto erase) on instance storage: the old plaintext is gone, reads are zero")
    func formatCryptoErase() throws {
        let bench = try NVMeBench(NVMeBench.instanceStore(blockSize: 4096))
        let pattern = try writePattern(bench)
        let key = try #require(bench.controller).keyGeneration
        try bench.driver.format(secureErase: .cryptographic)
        #expect(try #require(bench.controller).keyGeneration != key)
        let after = try readBack(bench)
        #expect(after != pattern)
        #expect(after.allSatisfy { $0 == 0 })
        // The namespace is usable with the new key.
        let fresh = try writePattern(bench, seed: 2)
        #expect(try readBack(bench) == fresh)
    }

    @Test("Sanitize crypto erase: status log completes, data reads zero, the AER reports it")
    func sanitizeCryptoErase() throws {
        let bench = try NVMeBench(NVMeBench.instanceStore())
        let d = bench.driver
        let pattern = try writePattern(bench)
        let aers = d.outstandingAsyncEventRequests
        #expect(aers > 0)
        let key = try #require(bench.controller).keyGeneration
        let status = try d.sanitize(.cryptoErase)
        #expect(try #require(bench.controller).keyGeneration != key)
        #expect(status.completed)
        #expect(!status.inProgress)
        #expect(status.commandDword10 & 7 == NVMeSanitizeAction.cryptoErase.rawValue)
        let after = try readBack(bench)
        #expect(after != pattern)
        #expect(after.allSatisfy { $0 == 0 })
        let events = try d.pollAsyncEvents()
        #expect(events.contains(.sanitizeCompleted), "events: \(events)")
        #expect(d.outstandingAsyncEventRequests == aers)
    }

    @Test("Sanitize block erase on EBS reads back zeroes; status log says completed")
    func sanitizeBlockErase() throws {
        let bench = try NVMeBench(NVMeBench.ebs())
        let d = bench.driver
        guard try #require(d.identity).supportsSanitize(.blockErase) else {
            #expect(throws: NVMeDriverError.unsupported("sanitize blockErase")) { try d.sanitize(.blockErase) }
            return
        }
        _ = try writePattern(bench)
        try d.sanitize(.blockErase)
        #expect(try readBack(bench).allSatisfy { $0 == 0 })
        #expect(try d.sanitizeStatus().completed)
    }

    @Test("interrupt mode: the sanitize AER arrives on vector 0 and is re-armed")
    func sanitizeEventWithInterrupts() throws {
        let bench = try NVMeBench(NVMeBench.instanceStore(), driver: .init(interrupts: true))
        let d = bench.driver
        let aers = d.outstandingAsyncEventRequests
        let started = try d.passthroughAdmin(opcode: AdminOpcode.sanitize.rawValue, sanitizeEntry()).completion
        #expect(started.status == .success)
        let event = try d.waitForAsyncEvent(timeout: .seconds(10))
        #expect(event == .sanitizeCompleted, "event: \(String(describing: event))")
        #expect(d.outstandingAsyncEventRequests == aers)
        #expect(try d.sanitizeStatus().completed)
    }

    func sanitizeEntry() -> SubmissionEntry {
        var e = SubmissionEntry()
        e[dword: 10] = NVMeSanitizeAction.cryptoErase.rawValue
        return e
    }

    @Test("SMART log counts host commands; the error log records a failed command's status, queue and id")
    func logPages() throws {
        let bench = try NVMeBench()
        let d = bench.driver
        let before = try d.smartLog()
        _ = try writePattern(bench, blocks: 4)
        _ = try readBack(bench, blocks: 4)
        let after = try d.smartLog()
        #expect(after.hostWriteCommands == before.hostWriteCommands + 1)
        #expect(after.hostReadCommands == before.hostReadCommands + 1)
        #expect(after.percentageUsed <= 100)
        #expect(after.temperatureKelvin > 273)
        let size = try #require(d.namespace(1)).size
        let b = try bench.buffer(512)
        let id = try d.submitRead(queue: 0, lba: size, blocks: 1, into: b)
        let c = try d.waitForCommand(id, queue: 0)
        #expect(c.status.code == NVMeStatus.lbaOutOfRange.code)
        let log = try d.errorLog()
        let newest = try #require(log.max { $0.errorCount < $1.errorCount })
        #expect(newest.status.code == NVMeStatus.lbaOutOfRange.code)
        #expect(newest.submissionQueueID == 1)
        #expect(newest.commandID == id)
        #expect(newest.namespaceID == 1)
    }
}
