import Drivers
import NVMe
import PCIe

/// LBA ranges and transfer sizes (UNH-IOL group 5, tnvme group "LBA out of range"): the last LBA
/// works, anything past NSZE gets LBA Out of Range and changes nothing (NVM Command Set §3.2),
/// MDTS bounds a transfer (§5.15.2.1), the Error Information log names the failing command, and
/// the optional NVM commands do what ONCS advertises (through the reference driver).
enum NVMeLBARangeSuite {
    static let name = "nvme-lba-ranges"

    static func run(_ f: NVMeFixture) -> [CheckResult] {
        [
            f.always(name, "NVM §3.2.6 the last LBA and an MDTS transfer ending at NSZE are written and read back") {
                lastLBA(f, &$0)
            },
            f.always(name, "NVM §3.2 Read/Write/Compare/Verify/Write Zeroes past NSZE get 0/80 and change nothing") {
                outOfRange(f, &$0)
            },
            f.check(name, "NVM §3.2.3 a Dataset Management range past NSZE gets 0/80 and deallocates nothing") {
                datasetManagement(f, &$0)
            },
            f.check(name, "§5.15.2.1 a transfer of MDTS succeeds; one block more, or NLB FFFFh, gets 0/02") { mdts(f, &$0) },
            f.always(name, "§5.14.1.1 the Error Information log names the failing command: count, SQ, CID, status, LBA, NSID") {
                errorLog(f, &$0)
            },
            f.always(name, "NVM §3.2 Compare, Write Zeroes, Deallocate, Verify and Flush do what ONCS says (reference driver)") {
                optionalCommands(f, &$0)
            },
        ]
    }

    static let page = 4096

    private static func lastLBA(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let buf = f.buffer(ctx.maximumTransferBytes + page, &r), let list = f.buffer(page, &r)
        else { return }
        let last = ctx.blockCount - 1
        let data = buf.fillPattern(seed: 51, count: ctx.blockSize)
        f.expectStatus(&r, f.transfer(.write, ctx, lba: last, blocks: 1, buffer: buf), .success, "Write of the last LBA \(last)")
        let back = NVMeDataPointerSuite.readBack(f, ctx, lba: last, blocks: 1, &r)
        r.expect(back == data, "the last LBA reads back different")
        let blocks = min(ctx.maximumTransferBytes / ctx.blockSize, Int(ctx.blockCount))
        let start = ctx.blockCount - UInt64(blocks)
        let big = buf.fillPattern(seed: 52, count: blocks * ctx.blockSize)
        let w = f.transfer(.write, ctx, lba: start, blocks: blocks, buffer: buf, list: list)
        f.expectStatus(&r, w, .success, "Write of \(blocks) blocks ending at NSZE")
        r.expect(
            NVMeDataPointerSuite.readBack(f, ctx, lba: start, blocks: blocks, &r) == big,
            "the transfer ending at NSZE reads back different")
    }

    private static func outOfRange(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let buf = f.buffer(2 * page + 2 * ctx.blockSize, &r) else { return }
        let n = ctx.blockCount
        let last = n - 1
        let original = buf.fillPattern(seed: 53, count: ctx.blockSize)
        f.expectStatus(&r, f.transfer(.write, ctx, lba: last, blocks: 1, buffer: buf), .success, "Write of the last LBA")
        buf.fillPattern(seed: 54, count: 2 * ctx.blockSize)
        let oncs = ctx.controller.optionalNVMCommands
        var opcodes: [(NVMOpcode, String)] = [(.read, "Read"), (.write, "Write")]
        if oncs & 0x01 != 0 { opcodes.append((.compare, "Compare")) }
        if oncs & 0x08 != 0 { opcodes.append((.writeZeroes, "Write Zeroes")) }
        if oncs & 0x80 != 0 { opcodes.append((.verify, "Verify")) }
        for (opcode, what) in opcodes {
            for (lba, blocks) in [(n, 1), (last, 2), (UInt64.max, 1), (UInt64.max - 1, 4)] {
                let e = NVMeFixture.blockCommand(opcode, lba: lba, blocks: blocks, prp1: buf.address(), prp2: buf.address(page))
                f.expectStatus(&r, f.execute(e, on: ctx.io), .lbaOutOfRange, "\(what) of LBA \(hex(lba))+\(blocks) (NSZE \(n))")
            }
        }
        r.expect(
            NVMeDataPointerSuite.readBack(f, ctx, lba: last, blocks: 1, &r) == original,
            "the last LBA changed by refused commands")
    }

    private static func datasetManagement(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard let ctx = f.ioContext(&r) else { return true }
        guard ctx.controller.optionalNVMCommands & 0x04 != 0 else { return false }
        guard let buf = f.buffer(page, &r), let ranges = f.buffer(page, &r) else { return true }
        let data = buf.fillPattern(seed: 55, count: ctx.blockSize)
        f.expectStatus(&r, f.transfer(.write, ctx, lba: 100, blocks: 1, buffer: buf), .success, "Write of LBA 100")
        // Range 0: LBA 100, one block. Range 1: one block at NSZE.
        ranges.storeEntry(0, 1 << 32)
        ranges.storeEntry(1, 100)
        ranges.storeEntry(2, 1 << 32)
        ranges.storeEntry(3, ctx.blockCount)
        let e = NVMeFixture.command(NVMOpcode.datasetManagement.rawValue, nsid: 1, prp1: ranges.address(), [10: 1, 11: 1 << 2])
        f.expectStatus(&r, f.execute(e, on: ctx.io), .lbaOutOfRange, "Deallocate of LBA 100 and of LBA NSZE")
        r.expect(
            NVMeDataPointerSuite.readBack(f, ctx, lba: 100, blocks: 1, &r) == data,
            "LBA 100 deallocated by a refused Dataset Management")
        return true
    }

    private static func mdts(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard let ctx = f.ioContext(&r) else { return true }
        guard let limit = ctx.controller.maximumTransferBytes else { return false }
        guard let buf = f.buffer(limit + 2 * page, &r), let list = f.buffer(page, &r) else { return true }
        let blocks = limit / ctx.blockSize
        f.expectStatus(
            &r, f.transfer(.read, ctx, lba: 0, blocks: blocks, buffer: buf, list: list), .success, "Read of MDTS (\(limit) bytes)"
        )
        for opcode in [NVMOpcode.read, .write] {
            let c = f.transfer(opcode, ctx, lba: 0, blocks: blocks + 1, buffer: buf, list: list)
            f.expectStatus(&r, c, .invalidField, "\(opcode) of MDTS + 1 block (\(limit + ctx.blockSize) bytes)")
        }
        let huge = NVMeFixture.blockCommand(.read, lba: 0, blocks: 0x1_0000, prp1: buf.address(), prp2: list.address())
        f.expectStatus(&r, f.execute(huge, on: ctx.io), .invalidField, "Read with NLB FFFFh (65536 blocks)")
        return true
    }

    private static func errorLog(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let buf = f.buffer(page, &r) else { return }
        let (first, before) = f.logPage(ctx.admin, 0x01, length: 64)
        f.expectStatus(&r, first, .success, "Get Log Page Error Information")
        let lba = ctx.blockCount + 7
        let cid = ctx.io.post(NVMeFixture.blockCommand(.read, lba: lba, blocks: 1, prp1: buf.address()))
        f.ring(ctx.io)
        f.expectStatus(&r, f.awaitCompletion(cid, on: ctx.io), .lbaOutOfRange, "Read of LBA NSZE+7")
        let (c, entry) = f.logPage(ctx.admin, 0x01, length: 64)
        f.expectStatus(&r, c, .success, "Get Log Page Error Information after the error")
        r.expect(entry.u64(0) > before.u64(0), "Error Count \(entry.u64(0)) did not grow from \(before.u64(0))")
        r.expect(entry.u16(8) == 1, "error entry SQID \(entry.u16(8)), expected 1")
        r.expect(entry.u16(10) == cid, "error entry CID \(hex(entry.u16(10))), expected \(hex(cid))")
        let status = entry.u16(12) >> 1
        r.expect(status & 0x7FF == 0x080, "error entry status field \(hex(status)), expected SCT 0 SC 80h")
        r.expect(entry.u64(16) == lba, "error entry LBA \(entry.u64(16)), expected \(lba)")
        r.expect(entry.u32(24) == 1, "error entry NSID \(entry.u32(24)), expected 1")
    }

    private static func optionalCommands(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r), let id = driver.identity, let ns = driver.namespace(1),
            let buf = f.buffer(4 * ns.blockSize, &r), let other = f.buffer(4 * ns.blockSize, &r)
        else { return }
        let bs = ns.blockSize
        var expected = buf.fillPattern(seed: 56)
        do {
            try driver.write(lba: 200, blocks: 4, from: buf)
            try driver.flush()
            if id.supportsCompare {
                r.expect(try driver.compare(lba: 200, blocks: 4, with: buf), "Compare of the data just written failed")
                other.fillPattern(seed: 57)
                r.expect(try !driver.compare(lba: 200, blocks: 4, with: other), "Compare of different data succeeded")
            }
            if id.supportsVerify { try driver.verify(lba: 200, blocks: 4) }
            if id.supportsWriteZeroes {
                try driver.writeZeroes(lba: 200, blocks: 2)
                for i in 0..<(2 * bs) { expected[i] = 0 }
            }
            // DLFEAT bits 2:0 = 001b: deallocated blocks read as zeroes.
            let dlfeat = NVMeData(bytes: try driver.identify(.namespace, namespace: 1)).u8(33) & 7
            if id.supportsDatasetManagement, dlfeat == 1 {
                try driver.deallocate(lba: 202, blocks: 2)
                for i in (2 * bs)..<(4 * bs) { expected[i] = 0 }
            }
            try driver.read(lba: 200, blocks: 4, into: other)
            let got = other.bytes(count: 4 * bs)
            r.expect(
                got == expected,
                "after Write Zeroes of 2 blocks and Deallocate of 2: \(NVMeDataPointerSuite.firstDifference(got, expected))")
        } catch {
            r.expect(false, "reference driver: \(error)")
        }
    }
}
