import NVMe
import PCIe

/// Doorbells, phase tags and a full completion queue: the host side of §4.1, §4.6 and §7.2.
extension NVMeQueueSuite {
    static func doorbellChecks(_ f: NVMeFixture) -> [CheckResult] {
        [
            f.always(name, "§7.6.1 doorbells written before CSTS.RDY are recorded and ignored") { beforeReady(f, &$0) },
            f.always(name, "§5.2 doorbells of missing queues and values beyond a queue are recorded, ignored and reported") {
                invalidDoorbells(f, &$0)
            },
            f.always(name, "§4.6 the phase tag inverts on every pass; CQEs carry SQ head, SQ id and CID") { phaseTags(f, &$0) },
            f.always(name, "§4.1 a full completion queue holds completions back until the host moves its head") {
                fullCompletionQueue(f, &$0)
            },
        ]
    }

    private static func flush() -> SubmissionEntry { NVMeFixture.command(NVMOpcode.flush.rawValue, nsid: 1) }

    private static func beforeReady(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard f.disable(&r), let admin = f.queue(0, entries: 16, &r) else { return }
        // An Identify sits in slot 0 of the admin queue the controller will be given.
        let cid = admin.post(NVMeFixture.command(AdminOpcode.identify.rawValue, prp1: f.adminData?.address() ?? 0, [10: 1]))
        let size = UInt32(admin.entries - 1)
        f.write32(NR.AQA.offset, size << 16 | size)
        f.write64(NR.ASQ.offset, admin.sq.address())
        f.write64(NR.ACQ.offset, admin.cq.address())
        let mark = f.guestErrorMark
        f.write32(f.submissionDoorbell(0), 1)
        f.write32(f.completionDoorbell(0), 0)
        f.write32(f.submissionDoorbell(1), 1)
        r.expect(
            f.guestErrors(since: mark).count >= 3, "\(f.guestErrors(since: mark).count) guest errors for 3 doorbells before RDY")
        f.write32(NR.CC.offset, NVMeFixture.configuration | UInt32(NR.CC.en.mask))
        guard f.poll(timeout: f.readyTimeout, { f.ready || f.fatal }), !f.fatal else {
            r.expect(false, "not ready after enable (CSTS \(hex(f.status)))")
            return
        }
        f.clock.advance(by: .milliseconds(1))
        r.expect(admin.completion(at: 0)?.phase == false, "the SQ tail written before RDY was acted on: a completion was posted")
        // The queue starts empty: ringing tail 1 now runs the Identify exactly once.
        f.ring(admin)
        let c = f.awaitCompletion(cid, on: admin)
        r.expect(c?.status.isSuccess == true, "Identify in slot 0 after enable: \(c.map { "\($0.status)" } ?? "no completion")")
        r.expect(admin.completion(at: 1)?.phase == false, "a second completion appeared for one command")
    }

    /// Posts an Asynchronous Event Request; its command identifier.
    private static func postAsyncEventRequest(_ f: NVMeFixture, _ admin: NVMeRawQueue) -> UInt16 {
        let cid = admin.post(NVMeFixture.command(AdminOpcode.asyncEventRequest.rawValue))
        f.ring(admin)
        return cid
    }

    private static func expectErrorEvent(
        _ f: NVMeFixture, _ r: inout CheckRecorder, _ admin: NVMeRawQueue, _ cid: UInt16, info: UInt32, _ what: String
    ) {
        guard let c = f.awaitCompletion(cid, on: admin) else {
            r.expect(false, "\(what): the outstanding Asynchronous Event Request did not complete")
            return
        }
        let expected = UInt32(0x01) << 16 | info << 8 | 0
        r.expect(
            c.status.isSuccess && c.dword0 & 0xFF_FF07 == expected, "\(what): AER DW0 \(hex(c.dword0)), expected \(hex(expected))"
        )
        // Reading the Error Information log unmasks further error events (§5.2).
        _ = f.logPage(admin, 0x01, length: 64)
    }

    private static func invalidDoorbells(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let (admin, io) = f.ioSetup(&r) else { return }
        var mark = f.guestErrorMark
        var cid = postAsyncEventRequest(f, admin)
        f.write32(f.submissionDoorbell(5), 1)
        f.write32(f.completionDoorbell(200), 1)
        r.expect(f.guestErrors(since: mark).count >= 2, "doorbells of missing queues 5 and 200 not recorded")
        expectErrorEvent(f, &r, admin, cid, info: 0, "doorbell of a missing queue")
        mark = f.guestErrorMark
        cid = postAsyncEventRequest(f, admin)
        f.write32(f.submissionDoorbell(1), UInt32(io.entries))
        r.expect(!f.guestErrors(since: mark).isEmpty, "SQ 1 tail \(io.entries) of \(io.entries) entries not recorded")
        r.expect(io.completion(at: 0)?.phase == false, "SQ 1 tail beyond the queue made the controller fetch")
        expectErrorEvent(f, &r, admin, cid, info: 1, "SQ tail beyond the queue")
        mark = f.guestErrorMark
        cid = postAsyncEventRequest(f, admin)
        f.write32(f.completionDoorbell(1), 3)
        r.expect(!f.guestErrors(since: mark).isEmpty, "CQ 1 head 3 with nothing posted not recorded")
        expectErrorEvent(f, &r, admin, cid, info: 1, "CQ head past the tail")
        let c = f.execute(flush(), on: io)
        r.expect(
            c?.status.isSuccess == true, "Flush on I/O queue 1 after the bad doorbells: \(c.map { "\($0.status)" } ?? "none")")
        r.expect(f.ready && !f.fatal, "bad doorbells changed CSTS to \(hex(f.status))")
    }

    private static func phaseTags(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let (_, io) = f.ioSetup(&r, entries: 4) else { return }
        var phase = true
        for n in 0..<10 {
            let slot = io.head
            guard let c = f.execute(flush(), on: io) else {
                r.expect(false, "command \(n): no completion")
                return
            }
            r.expect(c.phase == phase, "command \(n) in CQ slot \(slot): phase \(c.phase), expected \(phase)")
            r.expect(c.submissionQueueID == 1, "command \(n): SQ id \(c.submissionQueueID)")
            r.expect(
                Int(c.submissionQueueHead) == (n + 1) % 4,
                "command \(n): SQ head \(c.submissionQueueHead), expected \((n + 1) % 4)")
            if slot == 3 { phase.toggle() }
        }
    }

    private static func fullCompletionQueue(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), f.numberOfQueues(admin, wanted: 1, &r) != nil,
            let cq = f.queue(1, entries: 4, &r), let sq = f.queue(1, entries: 16, &r)
        else { return }
        f.expectStatus(&r, f.createCompletionQueue(admin, cq), .success, "Create I/O CQ 1 of 4 entries")
        f.expectStatus(&r, f.createSubmissionQueue(admin, sq, cqid: 1), .success, "Create I/O SQ 1 of 16 entries")
        let ids = (0..<8).map { _ in sq.post(flush()) }
        f.ring(sq)
        f.clock.advance(by: .milliseconds(1))
        let visible = (0..<4).filter { cq.completion(at: $0)?.phase == true }
        r.expect(
            visible == [0, 1, 2], "CQ slots holding completions with 8 commands and 4 entries: \(visible), expected [0, 1, 2]")
        var seen: [UInt16] = []
        let done = f.poll(timeout: NVMeFixture.commandTimeout) {
            var consumed = false
            while let c = cq.takeCompletion() {
                seen.append(c.commandID)
                consumed = true
            }
            if consumed { f.write32(f.completionDoorbell(1), UInt32(cq.head)) }
            return seen.count >= ids.count
        }
        r.expect(done && seen == ids, "completions \(seen.map { hex($0) }), expected \(ids.map { hex($0) }) in order")
    }
}
