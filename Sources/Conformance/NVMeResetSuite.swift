import Drivers
import NVMe
import PCIe

/// Resets (UNH-IOL group 6, tnvme group "resets"): a controller reset with commands outstanding,
/// NVM Subsystem Reset, Function Level Reset and shutdown each take the queues away and keep the
/// namespace's data, and the controller comes back through a normal initialisation (§7.3, §7.6);
/// fatal errors (an unfetchable SQ entry, a keep alive timeout) set CFS until a reset (§9.5, §7.12).
enum NVMeResetSuite {
    static let name = "nvme-resets"
    static let page = 4096

    static func run(_ f: NVMeFixture) -> [CheckResult] {
        [
            f.always(name, "§7.3.2 CC.EN=0 with commands outstanding: no completion after, I/O queues gone, data kept") {
                resetMidIO(f, &$0)
            },
            f.always(name, "§7.3.2 controller reset through the reference driver keeps data; I/O works after") {
                driverReset(f, &$0)
            },
            f.check(name, "§7.3.1 NVM Subsystem Reset: registers reset, NSSRO set, data kept, re-initialisation works") {
                subsystemReset(f, &$0)
            },
            f.always(name, "PCIe §6.6.2 FLR: registers reset, queues gone, data kept, re-initialisation works") { flr(f, &$0) },
            f.always(name, "§7.6.2 shutdown through the reference driver then start again keeps data") { shutdown(f, &$0) },
            f.always(name, "§9.5 §7.12 an unfetchable SQ entry and a keep alive timeout set CSTS.CFS; CC.EN=0 recovers") {
                fatalErrors(f, &$0)
            },
        ]
    }

    /// Writes `blocks` blocks of a seeded pattern at `lba` through the driver; the data.
    static func write(
        _ f: NVMeFixture, _ driver: NVMeConformanceDriver, lba: UInt64, blocks: Int, seed: UInt64, _ r: inout CheckRecorder
    ) -> [UInt8]? {
        guard let bs = driver.namespace(1)?.blockSize, let buf = f.buffer(blocks * bs, &r) else { return nil }
        let data = buf.fillPattern(seed: seed)
        do {
            try driver.write(lba: lba, blocks: blocks, from: buf)
            return data
        } catch {
            r.expect(false, "reference driver write of LBA \(lba): \(error)")
            return nil
        }
    }

    /// Reads `blocks` blocks at `lba` through the driver.
    static func read(_ f: NVMeFixture, _ driver: NVMeConformanceDriver, lba: UInt64, blocks: Int, _ r: inout CheckRecorder)
        -> [UInt8]?
    {
        guard let bs = driver.namespace(1)?.blockSize, let buf = f.buffer(blocks * bs, &r) else { return nil }
        do {
            try driver.read(lba: lba, blocks: blocks, into: buf)
            return buf.bytes(count: blocks * bs)
        } catch {
            r.expect(false, "reference driver read of LBA \(lba): \(error)")
            return nil
        }
    }

    private static func resetMidIO(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), f.numberOfQueues(admin, wanted: 1, &r) != nil, let cq = f.queue(1, entries: 4, &r),
            let sq = f.queue(1, entries: 16, &r), let id = f.identify(admin, cns: 0, nsid: 1, &r),
            let buf = f.buffer(8 * page, &r)
        else { return }
        let bs = NVMeNamespaceFacts(data: id).blockSize
        f.expectStatus(&r, f.createCompletionQueue(admin, cq), .success, "Create I/O CQ 1 of 4 entries")
        f.expectStatus(&r, f.createSubmissionQueue(admin, sq, cqid: 1), .success, "Create I/O SQ 1 of 16 entries")
        var written: [UInt16: (UInt64, [UInt8])] = [:]
        for i in 0..<8 {
            let data = buf.fillPattern(seed: UInt64(60 + i), offset: i * page, count: bs)
            let cid = sq.post(NVMeFixture.blockCommand(.write, lba: UInt64(300 + i), blocks: 1, prp1: buf.address(i * page)))
            written[cid] = (UInt64(300 + i), data)
        }
        f.ring(sq)
        f.clock.advance(by: .milliseconds(1))
        let completed = (0..<3).compactMap { cq.completion(at: $0) }.filter { $0.phase && $0.status.isSuccess }
        guard f.disable(&r) else { return }
        let snapshot = cq.cq.bytes(count: 4 * 16)
        let mark = f.guestErrorMark
        f.write32(f.completionDoorbell(1), 3)
        f.clock.advance(by: .milliseconds(10))
        r.expect(cq.cq.bytes(count: 4 * 16) == snapshot, "completions posted after CC.EN=0")
        r.expect(!f.guestErrors(since: mark).isEmpty, "CQ head doorbell after the reset not recorded")
        guard f.enable(&r) != nil else { return }
        let stale = f.guestErrorMark
        f.write32(f.submissionDoorbell(1), 9)
        r.expect(!f.guestErrors(since: stale).isEmpty, "SQ 1 tail doorbell after the reset (queue deleted) not recorded")
        f.clock.advance(by: .milliseconds(1))
        r.expect(cq.cq.bytes(count: 4 * 16) == snapshot, "the deleted I/O queue pair ran commands after re-enable")
        guard let ctx = f.ioContext(&r) else { return }
        for c in completed {
            guard let (lba, data) = written[c.commandID] else { continue }
            let back = NVMeDataPointerSuite.readBack(f, ctx, lba: lba, blocks: 1, &r)
            r.expect(back == data, "LBA \(lba), written and completed before the reset, reads back different")
        }
        r.expect(completed.count == 3, "\(completed.count) writes completed into a 4-entry CQ before the reset, expected 3")
    }

    private static func driverReset(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r), let data = write(f, driver, lba: 400, blocks: 8, seed: 70, &r) else { return }
        do {
            guard let buf = f.buffer(page, &r) else { return }
            for i in 0..<4 { _ = try driver.submitRead(queue: 0, lba: UInt64(400 + i), blocks: 1, into: buf) }
            driver.ringDoorbell(queue: 0)
            try driver.reset()
        } catch {
            r.expect(false, "reference driver reset with reads outstanding: \(error)")
            return
        }
        r.expect(read(f, driver, lba: 400, blocks: 8, &r) == data, "data written before the reset reads back different")
        let again = write(f, driver, lba: 408, blocks: 8, seed: 71, &r)
        r.expect(again != nil && read(f, driver, lba: 408, blocks: 8, &r) == again, "write and read after the reset failed")
    }

    private static func subsystemReset(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard NR.CAP.nssrs.isSet(in: f.capabilities) else { return false }
        guard let driver = f.startDriver(&r), let data = write(f, driver, lba: 420, blocks: 8, seed: 72, &r) else { return true }
        f.write32(NR.NSSR.offset, 0x4E56_4D65)
        r.expect(f.poll(timeout: f.readyTimeout) { !f.ready }, "CSTS.RDY still 1 after NSSR")
        r.expect(NR.CSTS.nssro.isSet(in: f.status), "CSTS.NSSRO clear after NSSR")
        let regs = [NR.CC.offset, NR.AQA.offset].map { f.read32($0) }
        r.expect(regs == [0, 0] && f.read64(NR.ASQ.offset) == 0, "CC/AQA \(regs.map { hex($0) }) or ASQ not reset by NSSR")
        f.write32(NR.CSTS.offset, UInt32(NR.CSTS.nssro.mask))
        guard f.startDriver(&r) != nil else { return true }
        r.expect(read(f, driver, lba: 420, blocks: 8, &r) == data, "data written before NSSR reads back different")
        return true
    }

    private static func flr(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r), let data = write(f, driver, lba: 440, blocks: 8, seed: 73, &r),
            f.functionLevelReset(&r)
        else { return }
        let regs = [NR.CC.offset, NR.CSTS.offset, NR.AQA.offset].map { f.read32($0) }
        r.expect(regs == [0, 0, 0], "CC/CSTS/AQA after FLR: \(regs.map { hex($0) }), expected 0")
        r.expect(f.read64(NR.ASQ.offset) == 0 && f.read64(NR.ACQ.offset) == 0, "ASQ/ACQ not reset by FLR")
        guard f.startDriver(&r) != nil else { return }
        r.expect(read(f, driver, lba: 440, blocks: 8, &r) == data, "data written before FLR reads back different")
    }

    private static func shutdown(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r), let data = write(f, driver, lba: 460, blocks: 8, seed: 74, &r) else { return }
        do {
            try driver.shutdown()
        } catch {
            r.expect(false, "reference driver shutdown: \(error)")
        }
        r.expect(NR.CSTS.shst.extract(from: f.status) == NR.CSTS.SHSTValue.complete, "CSTS.SHST after shutdown: \(hex(f.status))")
        guard f.startDriver(&r) != nil else { return }
        r.expect(read(f, driver, lba: 460, blocks: 8, &r) == data, "data written before the shutdown reads back different")
    }
}
