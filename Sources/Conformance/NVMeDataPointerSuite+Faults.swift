import NVMe
import PCIe

/// Malformed and hostile PRPs: entries of 0, misaligned offsets, memory outside the function's
/// IOMMU domain or not writable, DMA aimed at the controller's own BAR (the re-entrancy bug class
/// of QEMU CVE-2021-3929), and a list that chains back to itself.
extension NVMeDataPointerSuite {
    /// An IOVA far above guest memory where the checks map their own windows.
    static let windowIOVA: UInt64 = 0x7E00_0000_0000

    static func faultChecks(_ f: NVMeFixture) -> [CheckResult] {
        [
            f.always(name, "§4.3 PRP entries of 0 (unmapped) fail with 0/04 and the controller goes on") { zeroEntries(f, &$0) },
            f.always(name, "§4.3 PRP1 not dword aligned, PRP2/list entries/list pointer with offsets get 0/13") {
                misaligned(f, &$0)
            },
            f.always(name, "§4.3 PRPs to memory outside the IOMMU domain or read-only fail with 0/04 and leave it untouched") {
                outsideDomain(f, &$0)
            },
            f.always(name, "§4.3 DMA aimed at the controller's own BAR0 fails with 0/04; registers unchanged") {
                aimedAtBAR(f, &$0)
            },
            f.always(name, "§4.3 a PRP list chaining back to itself completes without hanging") { loop(f, &$0) },
        ]
    }

    /// Runs `entry` and expects `status`, the controller still ready, and a Flush working after it.
    static func expectRefused(
        _ f: NVMeFixture, _ r: inout CheckRecorder, _ ctx: NVMeIOContext, _ entry: SubmissionEntry, _ status: NVMeStatus,
        _ what: String
    ) {
        f.expectStatus(&r, f.execute(entry, on: ctx.io), status, what)
        r.expect(f.ready && !f.fatal, "\(what): CSTS \(hex(f.status)) afterwards")
        let flush = f.execute(NVMeFixture.command(NVMOpcode.flush.rawValue, nsid: 1), on: ctx.io)
        r.expect(flush?.status.isSuccess == true, "\(what): the next command failed (\(flush.map { "\($0.status)" } ?? "none"))")
    }

    /// Blocks in `bytes` for the namespace of `ctx`.
    static func blocks(_ ctx: NVMeIOContext, _ bytes: Int) -> Int { max(bytes / ctx.blockSize, 1) }

    private static func zeroEntries(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let buf = f.buffer(4 * page, &r), let list = f.buffer(page, &r) else { return }
        let one = blocks(ctx, ctx.blockSize)
        expectRefused(
            f, &r, ctx, NVMeFixture.blockCommand(.read, lba: 0, blocks: one, prp1: 0), .dataTransferError, "Read with PRP1 0")
        let two = blocks(ctx, 2 * page)
        expectRefused(
            f, &r, ctx, NVMeFixture.blockCommand(.read, lba: 0, blocks: two, prp1: buf.address(), prp2: 0), .dataTransferError,
            "Read of 2 pages with PRP2 0")
        let three = blocks(ctx, 3 * page)
        expectRefused(
            f, &r, ctx, NVMeFixture.blockCommand(.write, lba: 0, blocks: three, prp1: buf.address(), prp2: 0), .dataTransferError,
            "Write of 3 pages with list pointer 0")
        list.storeEntry(0, buf.address(page))
        list.storeEntry(1, 0)
        expectRefused(
            f, &r, ctx, NVMeFixture.blockCommand(.read, lba: 0, blocks: three, prp1: buf.address(), prp2: list.address()),
            .dataTransferError, "Read of 3 pages with list entry 1 of 0")
    }

    private static func misaligned(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let buf = f.buffer(4 * page, &r), let list = f.buffer(page, &r) else { return }
        let one = blocks(ctx, ctx.blockSize)
        expectRefused(
            f, &r, ctx, NVMeFixture.blockCommand(.read, lba: 0, blocks: one, prp1: buf.address(2)), .prpOffsetInvalid,
            "Read with PRP1 offset 2")
        let two = blocks(ctx, 2 * page)
        expectRefused(
            f, &r, ctx,
            NVMeFixture.blockCommand(.read, lba: 0, blocks: two, prp1: buf.address(), prp2: buf.address(page + 0x100)),
            .prpOffsetInvalid, "Read of 2 pages with PRP2 offset 0x100")
        let three = blocks(ctx, 3 * page)
        list.storeEntry(0, buf.address(page))
        list.storeEntry(1, buf.address(2 * page + 0x80))
        expectRefused(
            f, &r, ctx, NVMeFixture.blockCommand(.write, lba: 0, blocks: three, prp1: buf.address(), prp2: list.address()),
            .prpOffsetInvalid, "Write of 3 pages with list entry offset 0x80")
        expectRefused(
            f, &r, ctx, NVMeFixture.blockCommand(.write, lba: 0, blocks: three, prp1: buf.address(), prp2: list.address(4)),
            .prpOffsetInvalid, "Write of 3 pages with the list pointer not qword aligned")
    }

    private static func outsideDomain(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let buf = f.buffer(4 * page, &r) else { return }
        // Guest RAM the controller was never given, and RAM it may only read.
        let foreign = f.bus.services.memory.allocate(2 * page)
        let readOnly = f.bus.services.memory.allocate(page)
        foreign.host.initializeMemory(as: UInt8.self, repeating: 0x5A, count: 2 * page)
        readOnly.host.initializeMemory(as: UInt8.self, repeating: 0x5A, count: page)
        let readOnlyIOVA = windowIOVA + 0x10_0000
        do {
            try f.function.dma.domain.map(IOVA(readOnlyIOVA), size: UInt64(page), to: readOnly.base, permissions: .read)
        } catch {
            r.expect(false, "mapping a read-only window: \(error)")
            return
        }
        defer { try? f.function.dma.domain.unmap(IOVA(readOnlyIOVA)) }
        let faults = f.faultMark
        let one = blocks(ctx, ctx.blockSize)
        let three = blocks(ctx, 3 * page)
        let cases: [(SubmissionEntry, String)] = [
            (NVMeFixture.blockCommand(.read, lba: 0, blocks: one, prp1: foreign.base.value), "Read into unmapped RAM"),
            (
                NVMeFixture.blockCommand(.read, lba: 0, blocks: three, prp1: buf.address(), prp2: foreign.base.value),
                "Read with the PRP list in unmapped RAM"
            ),
            (NVMeFixture.blockCommand(.read, lba: 0, blocks: one, prp1: readOnlyIOVA), "Read into a read-only mapping"),
        ]
        for (entry, what) in cases { expectRefused(f, &r, ctx, entry, .dataTransferError, what) }
        r.expect(
            f.faults(since: faults).count >= cases.count,
            "\(f.faults(since: faults).count) DMA faults for \(cases.count) refused transfers")
        let touched =
            (0..<(2 * page)).contains { foreign.host.load(fromByteOffset: $0, as: UInt8.self) != 0x5A }
            || (0..<page).contains { readOnly.host.load(fromByteOffset: $0, as: UInt8.self) != 0x5A }
        r.expect(!touched, "memory outside the domain or read-only was written")
    }

    private static func aimedAtBAR(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let bar = f.function.barAddress(0), let buf = f.buffer(4 * page, &r),
            let list = f.buffer(page, &r)
        else { return }
        do {
            try f.function.dma.domain.map(IOVA(windowIOVA), size: 0x4000, to: GuestPhysicalAddress(bar), permissions: .readWrite)
        } catch {
            r.expect(false, "mapping a window onto BAR0: \(error)")
            return
        }
        defer { try? f.function.dma.domain.unmap(IOVA(windowIOVA)) }
        let registers = {
            [NR.CC.offset, NR.AQA.offset, NR.INTMS.offset].map { UInt64(f.read32($0)) }
                + [NR.ASQ.offset, NR.ACQ.offset].map { f.read64($0) }
        }
        let before = registers()
        let faults = f.faultMark
        let one = blocks(ctx, ctx.blockSize)
        let three = blocks(ctx, 3 * page)
        list.storeEntry(0, windowIOVA + 0x1000)
        list.storeEntry(1, windowIOVA)
        let cases: [(SubmissionEntry, String)] = [
            (NVMeFixture.blockCommand(.read, lba: 0, blocks: one, prp1: windowIOVA), "Read into BAR0 (registers)"),
            (NVMeFixture.blockCommand(.write, lba: 0, blocks: one, prp1: windowIOVA + 0x1000), "Write from BAR0 (doorbells)"),
            (
                NVMeFixture.blockCommand(.read, lba: 0, blocks: three, prp1: buf.address(), prp2: list.address()),
                "Read with list entries in BAR0"
            ),
            (
                NVMeFixture.blockCommand(.read, lba: 0, blocks: three, prp1: buf.address(), prp2: windowIOVA + 0x1000),
                "Read with the PRP list in BAR0"
            ),
        ]
        for (entry, what) in cases { expectRefused(f, &r, ctx, entry, .dataTransferError, what) }
        let after = registers()
        r.expect(after == before, "registers CC/AQA/INTMS/ASQ/ACQ changed: \(before.map { hex($0) }) -> \(after.map { hex($0) })")
        r.expect(!f.faults(since: faults).isEmpty, "no DMA fault recorded for DMA aimed at BAR0")
    }

    private static func loop(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        let pages = 4
        guard let ctx = f.ioContext(&r), pages * page <= ctx.maximumTransferBytes, let buf = f.buffer(pages * page, &r),
            let lists = f.buffer(page, &r)
        else { return }
        // The list's last entry chains to the start of its own page, whose entries are data.
        lists.storeEntry(0, buf.address(2 * page))
        lists.storeEntry(1, buf.address(3 * page))
        lists.storeEntry(0, buf.address(page), base: page - 16)
        lists.storeEntry(1, lists.address(), base: page - 16)
        let entry = NVMeFixture.blockCommand(
            .read, lba: 0, blocks: blocks(ctx, pages * page), prp1: buf.address(), prp2: lists.address(page - 16))
        let c = f.execute(entry, on: ctx.io)
        r.expect(c != nil, "no completion for a read through a looping PRP list")
        r.expect(f.ready && !f.fatal, "looping PRP list: CSTS \(hex(f.status))")
        let flush = f.execute(NVMeFixture.command(NVMOpcode.flush.rawValue, nsid: 1), on: ctx.io)
        r.expect(flush?.status.isSuccess == true, "the command after a looping PRP list failed")
    }
}
