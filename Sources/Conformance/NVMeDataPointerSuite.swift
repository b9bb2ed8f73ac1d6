import NVMe
import PCIe

/// PRP and SGL data pointers (UNH-IOL group 3, tnvme group "PRP boundaries"): PRP1 offsets,
/// transfers over one, two and more pages, PRP lists with scattered pages and chained list pages
/// (§4.3), SGL data blocks and segments (§4.4), and every malformed pointer the spec names.
/// Data is written with the layout under test and read back with a plain one (or the reverse),
/// so a misplaced byte shows either way.
enum NVMeDataPointerSuite {
    static let name = "nvme-prp-sgl"
    static let page = 4096

    static func run(_ f: NVMeFixture) -> [CheckResult] {
        [
            f.always(name, "§4.3 PRP1 with a dword offset moves one block; bytes around it are untouched") { prp1Offset(f, &$0) },
            f.always(name, "§4.3 transfers over 1, 2 and 3+ pages (PRP2 data page, PRP list) up to MDTS") { pageCounts(f, &$0) },
            f.always(name, "§4.3 PRP list entries are used in list order (scattered, reversed pages)") { scattered(f, &$0) },
            f.always(name, "§4.3 a PRP list ending at its page end chains through the last entry") { chained(f, &$0) },
            f.always(name, "§4.3 admin data (Identify) lands through PRP1 with an offset and PRP2") { adminOffset(f, &$0) },
        ] + faultChecks(f) + sglChecks(f)
    }

    /// The controller's view of `blocks` blocks at `lba`, read with a plain contiguous layout.
    static func readBack(_ f: NVMeFixture, _ ctx: NVMeIOContext, lba: UInt64, blocks: Int, _ r: inout CheckRecorder) -> [UInt8]? {
        let length = blocks * ctx.blockSize
        guard let out = f.buffer(length, &r), let list = f.buffer(page, &r) else { return nil }
        let c = f.transfer(.read, ctx, lba: lba, blocks: blocks, buffer: out, list: list)
        guard c?.status.isSuccess == true else {
            r.expect(false, "plain read back of LBA \(lba)+\(blocks): \(c.map { "\($0.status)" } ?? "no completion")")
            return nil
        }
        return out.bytes(count: length)
    }

    /// Writes `data` to `blocks` blocks at `lba` with a plain contiguous layout.
    static func writePlain(_ f: NVMeFixture, _ ctx: NVMeIOContext, lba: UInt64, _ data: [UInt8], _ r: inout CheckRecorder) -> Bool
    {
        guard let src = f.buffer(data.count, &r), let list = f.buffer(page, &r) else { return false }
        for (i, b) in data.enumerated() { src.host[i] = b }
        let c = f.transfer(.write, ctx, lba: lba, blocks: data.count / ctx.blockSize, buffer: src, list: list)
        r.expect(c?.status.isSuccess == true, "plain write of LBA \(lba): \(c.map { "\($0.status)" } ?? "no completion")")
        return c?.status.isSuccess == true
    }

    /// Index of the first differing byte, for messages.
    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
        guard a.count == b.count else { return "\(a.count) bytes, expected \(b.count)" }
        guard let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset else { return "equal" }
        return "byte \(i) is \(hex(a[i])), expected \(hex(b[i]))"
    }

    private static func prp1Offset(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let src = f.buffer(3 * page, &r), let dst = f.buffer(3 * page, &r),
            let list = f.buffer(page, &r)
        else { return }
        let bs = ctx.blockSize
        for (n, offset) in [0x004, 0x204, page - 4].enumerated() {
            let lba = UInt64(8 + n)
            let data = src.fillPattern(seed: UInt64(offset), offset: offset, count: bs)
            let w = f.transfer(.write, ctx, lba: lba, blocks: 1, buffer: src, offset: offset, list: list)
            f.expectStatus(&r, w, .success, "write of 1 block from PRP1 offset \(hex(offset))")
            r.expect(
                readBack(f, ctx, lba: lba, blocks: 1, &r) == data, "block written from offset \(hex(offset)) reads back different"
            )
            dst.set(0xA5)
            let rd = f.transfer(.read, ctx, lba: lba, blocks: 1, buffer: dst, offset: offset + 8, list: list)
            f.expectStatus(&r, rd, .success, "read of 1 block to PRP1 offset \(hex(offset + 8))")
            let got = dst.bytes(offset: offset + 8, count: bs)
            r.expect(got == data, "read to offset \(hex(offset + 8)): \(firstDifference(got, data))")
            let before = dst.bytes(count: offset + 8)
            let after = dst.bytes(offset: offset + 8 + bs, count: dst.count - offset - 8 - bs)
            r.expect(
                before.allSatisfy { $0 == 0xA5 } && after.allSatisfy { $0 == 0xA5 },
                "read to offset \(hex(offset + 8)) wrote outside its \(bs) bytes")
        }
    }

    private static func pageCounts(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let src = f.buffer(ctx.maximumTransferBytes + page, &r),
            let dst = f.buffer(ctx.maximumTransferBytes + page, &r), let list = f.buffer(page, &r)
        else { return }
        let bs = ctx.blockSize
        // (bytes, buffer offset): one page, two pages, one page over two, two pages over three, MDTS.
        let layouts = [(page, 0), (2 * page, 0), (page, 0x800), (2 * page, 0x800), (3 * page, 0), (ctx.maximumTransferBytes, 0)]
        for (n, (bytes, offset)) in layouts.enumerated() where bytes % bs == 0 {
            let lba = UInt64(64 + n * (ctx.maximumTransferBytes / bs))
            guard lba + UInt64(bytes / bs) <= ctx.blockCount else { continue }
            let data = src.fillPattern(seed: UInt64(100 + n), offset: offset, count: bytes)
            let what = "\(bytes) bytes at buffer offset \(hex(offset))"
            f.expectStatus(
                &r, f.transfer(.write, ctx, lba: lba, blocks: bytes / bs, buffer: src, offset: offset, list: list), .success,
                "write of \(what)")
            dst.set(0)
            f.expectStatus(
                &r, f.transfer(.read, ctx, lba: lba, blocks: bytes / bs, buffer: dst, offset: offset, list: list), .success,
                "read of \(what)")
            let got = dst.bytes(offset: offset, count: bytes)
            r.expect(got == data, "\(what): \(firstDifference(got, data))")
        }
    }

    private static func scattered(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        let pages = 4
        guard let ctx = f.ioContext(&r), pages * page <= ctx.maximumTransferBytes, let src = f.buffer(pages * page, &r),
            let dst = f.buffer(pages * page, &r), let list = f.buffer(page, &r)
        else { return }
        let bs = ctx.blockSize
        let data = src.fillPattern(seed: 7)
        // Page i of the transfer lives in buffer page order[i]: PRP1 is page 3, the list 1, 0, 2.
        let order = [3, 1, 0, 2]
        for (i, p) in order.dropFirst().enumerated() { list.storeEntry(i, src.address(p * page)) }
        let write = NVMeFixture.blockCommand(
            .write, lba: 256, blocks: pages * page / bs, prp1: src.address(3 * page), prp2: list.address())
        f.expectStatus(&r, f.execute(write, on: ctx.io), .success, "write through a scattered PRP list")
        let expected = order.flatMap { Array(data[($0 * page)..<($0 * page + page)]) }
        let got = readBack(f, ctx, lba: 256, blocks: pages * page / bs, &r)
        r.expect(got == expected, "scattered write read back plainly: \(got.map { firstDifference($0, expected) } ?? "-")")
        for (i, p) in order.dropFirst().enumerated() { list.storeEntry(i, dst.address(p * page)) }
        let read = NVMeFixture.blockCommand(
            .read, lba: 256, blocks: pages * page / bs, prp1: dst.address(3 * page), prp2: list.address())
        f.expectStatus(&r, f.execute(read, on: ctx.io), .success, "read through a scattered PRP list")
        let back = dst.bytes(count: pages * page)
        r.expect(back == data, "scattered read: \(firstDifference(back, data))")
    }

    private static func chained(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        let pages = 4
        guard let ctx = f.ioContext(&r), pages * page <= ctx.maximumTransferBytes, let src = f.buffer(pages * page, &r),
            let lists = f.buffer(2 * page, &r)
        else { return }
        let bs = ctx.blockSize
        let data = src.fillPattern(seed: 11)
        // The list starts 16 bytes before the end of its page: one data entry, then the chain.
        lists.storeEntry(0, src.address(page), base: page - 16)
        lists.storeEntry(1, lists.address(page), base: page - 16)
        lists.storeEntry(0, src.address(2 * page), base: page)
        lists.storeEntry(1, src.address(3 * page), base: page)
        let write = NVMeFixture.blockCommand(
            .write, lba: 512, blocks: pages * page / bs, prp1: src.address(), prp2: lists.address(page - 16))
        f.expectStatus(&r, f.execute(write, on: ctx.io), .success, "write through a chained PRP list")
        let got = readBack(f, ctx, lba: 512, blocks: pages * page / bs, &r)
        r.expect(got == data, "chained PRP list write read back: \(got.map { firstDifference($0, data) } ?? "-")")
    }

    private static func adminOffset(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), let plain = f.identify(admin, cns: 1, &r), let buf = f.buffer(3 * page, &r) else {
            return
        }
        buf.set(0xA5)
        let offset = 0x204
        let c = f.admin(AdminOpcode.identify.rawValue, on: admin, prp1: buf.address(offset), prp2: buf.address(page), [10: 1])
        f.expectStatus(&r, c, .success, "Identify Controller to PRP1 offset \(hex(offset)) with PRP2")
        let got = buf.bytes(offset: offset, count: 4096)
        r.expect(got == plain.bytes, "Identify at an offset: \(firstDifference(got, plain.bytes))")
        let outside = buf.bytes(count: offset) + buf.bytes(offset: offset + 4096, count: 3 * page - offset - 4096)
        r.expect(outside.allSatisfy { $0 == 0xA5 }, "Identify at an offset wrote outside its 4096 bytes")
    }
}
