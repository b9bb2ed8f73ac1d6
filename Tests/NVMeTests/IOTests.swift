import NVMe
import PCIe
import Testing

@Suite("NVM commands: read/write round trips, ranges, namespaces, opcodes (NVM Command Set §3)")
struct IOTests {
    @Test("Write then read back, 512-byte and 4 KiB formats, one block to a PRP list", arguments: [512, 4096])
    func roundTrip(_ blockSize: Int) throws {
        let t = try NVMeBench.ready(ebsConfiguration(blockSize: blockSize))
        for blocks in [1, 2, 7, 8, 32] where blocks * blockSize <= 128 * 1024 {
            let data = pattern(blocks * blockSize, seed: UInt8(blocks))
            #expect(try t.write(data, at: UInt64(blocks)) == .success)
            let (status, back) = try t.read(at: UInt64(blocks), blocks: blocks)
            #expect(status == .success)
            #expect(back == data, "\(blocks) blocks of \(blockSize)")
        }
        #expect(t.controller.counters.writeCommands == t.controller.counters.readCommands)
    }

    @Test("Unwritten blocks read as zeroes")
    func unwrittenReadsZero() throws {
        let t = try NVMeBench.ready()
        let (status, data) = try t.read(at: 100, blocks: 4)
        #expect(status == .success && data.allSatisfy { $0 == 0 })
    }

    @Test("MDTS: a transfer beyond 128 KiB is Invalid Field")
    func maximumTransfer() throws {
        let t = try NVMeBench.ready()
        let buffer = try t.access.allocateDMA(4096)
        let c = try t.io(.read, blocks: 257, prp1: buffer.deviceAddress.value)
        #expect(c.status == .invalidField)
        #expect(t.guestErrors.last?.detail.contains("MDTS") == true)
    }

    @Test("LBA Out of Range, including an SLBA near 2^64 that would wrap")
    func lbaRange() throws {
        let t = try NVMeBench.ready()
        let buffer = try t.access.allocateDMA(4096)
        let p = buffer.deviceAddress.value
        #expect(try t.io(.read, slba: 2047, blocks: 1, prp1: p).status == .success)
        #expect(try t.io(.read, slba: 2047, blocks: 2, prp1: p).status == .lbaOutOfRange)
        #expect(try t.io(.write, slba: 2048, blocks: 1, prp1: p).status == .lbaOutOfRange)
        #expect(try t.io(.read, slba: UInt64.max, blocks: 2, prp1: p).status == .lbaOutOfRange)
        #expect(try t.io(.writeZeroes, slba: 2040, blocks: 9).status == .lbaOutOfRange)
        #expect(try t.io(.verify, slba: 1 << 40, blocks: 1).status == .lbaOutOfRange)
    }

    @Test("Wrong NSID is Invalid Namespace or Format; Flush accepts the broadcast NSID", arguments: [UInt32(0), 2, 0xFFFF_FFFF])
    func wrongNamespace(_ nsid: UInt32) throws {
        let t = try NVMeBench.ready()
        let buffer = try t.access.allocateDMA(4096)
        #expect(try t.io(.read, nsid: nsid, prp1: buffer.deviceAddress.value).status == .invalidNamespaceOrFormat)
        #expect(try t.io(.writeZeroes, nsid: nsid).status == .invalidNamespaceOrFormat)
        #expect(try t.io(.flush, nsid: nsid).status == (nsid == 0xFFFF_FFFF ? .success : .invalidNamespaceOrFormat))
    }

    @Test(
        "Unsupported opcodes (write uncorrectable, reservations, vendor) are Invalid Opcode",
        arguments: [UInt8(0x04), 0x0D, 0x80])
    func invalidOpcode(_ opcode: UInt8) throws {
        let t = try NVMeBench.ready()
        var e = SubmissionEntry()
        e.setHeader(opcode: opcode, commandID: 77)
        e[dword: 1] = 1
        #expect(try t.submit(e, queue: 1).status == .invalidOpcode)
    }

    @Test("Protection information, directives, reserved CDW12 bits and fused commands are Invalid Field")
    func reservedFields() throws {
        let t = try NVMeBench.ready()
        let buffer = try t.access.allocateDMA(4096)
        let p = buffer.deviceAddress.value
        #expect(try t.io(.read, prp1: p, cdw12: 1 << 26).status == .invalidField)
        #expect(try t.io(.write, prp1: p, cdw12: 1 << 20).status == .invalidField)
        #expect(try t.io(.read, prp1: p, cdw12: 1 << 30 | 1 << 31).status == .success, "FUA and LR are fine")
        var e = SubmissionEntry()
        e.setHeader(opcode: NVMOpcode.flush.rawValue, commandID: 5, fuse: 1)
        e[dword: 1] = 1
        #expect(try t.submit(e, queue: 1).status == .invalidField)
    }

    @Test("Write Zeroes and Dataset Management deallocate: reads return zeroes and NUSE drops")
    func zeroesAndDeallocate() throws {
        let t = try NVMeBench.ready()
        #expect(try t.write(pattern(8192, seed: 4), at: 0) == .success)
        #expect(t.controller.allocatedBlocks == 16)
        #expect(try t.io(.writeZeroes, slba: 2, blocks: 2, cdw12: 1 | 1 << 25).status == .success)
        let ranges = try t.access.allocateDMA(4096)
        ranges.host.storeBytes(of: UInt32(3).littleEndian, toByteOffset: 4, as: UInt32.self)
        ranges.host.storeBytes(of: UInt64(10).littleEndian, toByteOffset: 8, as: UInt64.self)
        ranges.host.storeBytes(of: UInt32(0).littleEndian, toByteOffset: 20, as: UInt32.self)
        let dsm = try t.io(.datasetManagement, prp1: ranges.deviceAddress.value, cdw10: 1, cdw11: 1 << 2, cdw12: 0)
        #expect(dsm.status == .success)
        #expect(t.controller.allocatedBlocks == 11)
        let (_, data) = try t.read(at: 0, blocks: 16)
        let expected = pattern(8192, seed: 4).enumerated().map { i, b in
            (1024..<2048).contains(i) || (5120..<6656).contains(i) ? 0 : b
        }
        #expect(data == expected)
    }

    @Test("Dataset Management checks every range before deallocating any")
    func deallocateRangeCheck() throws {
        let t = try NVMeBench.ready()
        #expect(try t.write(pattern(4096, seed: 5), at: 0) == .success)
        let ranges = try t.access.allocateDMA(4096)
        ranges.host.storeBytes(of: UInt32(8).littleEndian, toByteOffset: 4, as: UInt32.self)
        ranges.host.storeBytes(of: UInt32(8).littleEndian, toByteOffset: 20, as: UInt32.self)
        ranges.host.storeBytes(of: UInt64(2047).littleEndian, toByteOffset: 24, as: UInt64.self)
        let c = try t.io(.datasetManagement, prp1: ranges.deviceAddress.value, cdw10: 1, cdw11: 1 << 2, cdw12: 0)
        #expect(c.status == .lbaOutOfRange)
        #expect(t.controller.allocatedBlocks == 8)
    }

    @Test("Compare: equal data succeeds, different data is Compare Failure; Verify and Flush succeed")
    func compareVerifyFlush() throws {
        let t = try NVMeBench.ready()
        let data = pattern(2048, seed: 6)
        #expect(try t.write(data, at: 20) == .success)
        let buffer = try t.access.allocateDMA(4096)
        buffer.host.copyBytes(from: data)
        #expect(try t.io(.compare, slba: 20, blocks: 4, prp1: buffer.deviceAddress.value).status == .success)
        buffer.host[1500] ^= 1
        #expect(try t.io(.compare, slba: 20, blocks: 4, prp1: buffer.deviceAddress.value).status == .compareFailure)
        #expect(try t.io(.verify, slba: 0, blocks: 64).status == .success)
        #expect(try t.io(.flush).status == .success)
    }

    @Test("Format NVM switches the LBA format; data is gone; bad format, SES and NSID are refused")
    func format() throws {
        let t = try NVMeBench.ready()
        #expect(try t.write(pattern(4096, seed: 7), at: 0) == .success)
        #expect(try t.adminCommand(.formatNVM, nsid: 1, cdw10: 1).status == .success)
        #expect(t.controller.blockSize == 4096 && t.controller.blockCount == 256)
        let (_, id) = try t.adminData(.identify, nsid: 1, cdw10: 0)
        #expect(id[26] == 1 && le(id, 0, as: UInt64.self) == 256)
        let (_, data) = try t.read(at: 0, blocks: 1)
        #expect(data.allSatisfy { $0 == 0 })
        #expect(try t.adminCommand(.formatNVM, nsid: 1, cdw10: 2).status == .invalidFormat)
        #expect(try t.adminCommand(.formatNVM, nsid: 1, cdw10: 1 << 5).status == .invalidFormat)
        #expect(try t.adminCommand(.formatNVM, nsid: 1, cdw10: 2 << 9).status == .invalidField, "no crypto erase unencrypted")
        #expect(try t.adminCommand(.formatNVM, nsid: 1, cdw10: 3 << 9).status == .invalidField)
        #expect(try t.adminCommand(.formatNVM, nsid: 2).status == .invalidNamespaceOrFormat)
        #expect(try t.adminCommand(.formatNVM, nsid: 0xFFFF_FFFF, cdw10: 1 << 9 | 1).status == .success)
        #expect(try t.write(pattern(4096, seed: 8), at: 255) == .success)
        #expect(try t.read(at: 255, blocks: 1).1 == pattern(4096, seed: 8))
    }

    @Test("Sanitize: block erase zeroes everything; overwrite, crypto erase unencrypted, No-Deallocate and reserved bits refused")
    func sanitize() throws {
        let t = try NVMeBench.ready()
        #expect(try t.write(pattern(4096, seed: 9), at: 0) == .success)
        #expect(try t.adminCommand(.sanitize, cdw10: 3).status == .invalidField)
        #expect(try t.adminCommand(.sanitize, cdw10: 4).status == .invalidField)
        #expect(try t.adminCommand(.sanitize, cdw10: 2 | 1 << 9).status == .invalidField)
        #expect(try t.adminCommand(.sanitize, cdw10: 2 | 1 << 12).status == .invalidField)
        #expect(try t.adminCommand(.sanitize, cdw10: 0).status == .invalidField)
        #expect(t.controller.allocatedBlocks == 8)
        #expect(try t.adminCommand(.sanitize, cdw10: 2).status == .success)
        #expect(t.controller.allocatedBlocks == 0)
        #expect(try t.read(at: 0, blocks: 8).1.allSatisfy { $0 == 0 })
        #expect(try t.adminCommand(.sanitize, cdw10: 1).status == .success, "exit failure mode")
    }
}
