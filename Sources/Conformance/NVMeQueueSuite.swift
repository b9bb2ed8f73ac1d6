import NVMe
import PCIe

/// Admin and I/O queues (UNH-IOL group 2, tnvme group "queues"): Create/Delete I/O Completion and
/// Submission Queue with the spec's status codes (§5.3-§5.6), Number of Queues (§5.21.1.7), and
/// doorbells, phase tags and a full completion queue (§4.1, §4.6, §7.2).
enum NVMeQueueSuite {
    static let name = "nvme-queues"
    static let createCQ = AdminOpcode.createIOCQ.rawValue
    static let createSQ = AdminOpcode.createIOSQ.rawValue

    static func run(_ f: NVMeFixture) -> [CheckResult] {
        [
            f.always(name, "§5.3 Create I/O CQ with QID 0, beyond Number of Queues or in use gets 1/01") {
                cqIdentifiers(f, &$0)
            },
            f.always(name, "§5.3 §5.4 Create I/O CQ/SQ of 1 entry or more than CAP.MQES+1 gets 1/02") { queueSizes(f, &$0) },
            f.always(name, "§5.3 Create I/O CQ with a vector beyond the MSI-X table gets 1/08") { vectors(f, &$0) },
            f.always(name, "§5.4 Create I/O SQ on a missing CQ or the admin CQ gets 1/00; bad QID 1/01") {
                sqIdentifiers(f, &$0)
            },
            f.check(name, "§5.3 §5.4 PC=0 with CAP.CQR=1 gets 0/02; queue memory 0 or unaligned is refused") {
                contiguity(f, &$0)
            },
            f.always(name, "§5.5 §5.6 deleting a CQ with an SQ gets 1/0C; SQ then CQ succeeds; missing QIDs get 1/01") {
                deletionOrder(f, &$0)
            },
            f.always(name, "§5.21.1.7 Number of Queues after I/O queues exist gets 0/0C; 65535 queues 0/02") {
                numberOfQueues(f, &$0)
            },
        ] + NVMeQueueSuite.doorbellChecks(f)
    }

    private static func cqIdentifiers(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), let granted = f.numberOfQueues(admin, wanted: 1, &r),
            let q = f.queue(1, entries: 16, &r)
        else { return }
        for qid in [0, granted + 1, 0xFFFF] {
            let c = f.admin(createCQ, on: admin, prp1: q.cq.address(), [10: 15 << 16 | UInt32(qid), 11: 1])
            f.expectStatus(&r, c, .invalidQueueIdentifier, "Create I/O CQ \(qid) (\(granted) granted)")
        }
        f.expectStatus(&r, f.createCompletionQueue(admin, q), .success, "Create I/O CQ 1")
        guard let other = f.queue(1, entries: 32, &r) else { return }
        f.expectStatus(&r, f.createCompletionQueue(admin, other), .invalidQueueIdentifier, "Create I/O CQ 1 again")
    }

    private static func queueSizes(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), f.numberOfQueues(admin, wanted: 1, &r) != nil,
            let q = f.queue(1, entries: 16, &r)
        else { return }
        let tooBig = UInt32(f.maximumQueueEntries)  // QSIZE is zero-based: this is MQES + 2 entries
        for (qsize, what) in [(UInt32(0), "1 entry"), (tooBig, "CAP.MQES+2 entries")] where qsize <= 0xFFFF {
            let c = f.admin(createCQ, on: admin, prp1: q.cq.address(), [10: qsize << 16 | 1, 11: 1])
            f.expectStatus(&r, c, .invalidQueueSize, "Create I/O CQ of \(what)")
        }
        f.expectStatus(&r, f.createCompletionQueue(admin, q), .success, "Create I/O CQ 1 of 16 entries")
        for (qsize, what) in [(UInt32(0), "1 entry"), (tooBig, "CAP.MQES+2 entries")] where qsize <= 0xFFFF {
            let c = f.admin(createSQ, on: admin, prp1: q.sq.address(), [10: qsize << 16 | 1, 11: 1 << 16 | 1])
            f.expectStatus(&r, c, .invalidQueueSize, "Create I/O SQ of \(what)")
        }
    }

    private static func vectors(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), f.numberOfQueues(admin, wanted: 1, &r) != nil,
            let q = f.queue(1, entries: 16, &r)
        else { return }
        let vectors = f.function.msix?.vectorCount ?? 1
        for vector in [vectors, 0x7FF] {
            let c = f.createCompletionQueue(admin, q, vector: vector, interrupts: true)
            f.expectStatus(&r, c, .invalidInterruptVector, "Create I/O CQ with IEN and vector \(vector) of \(vectors)")
        }
        f.expectStatus(&r, f.createCompletionQueue(admin, q, vector: vectors - 1, interrupts: true), .success, "last vector")
    }

    private static func sqIdentifiers(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), let granted = f.numberOfQueues(admin, wanted: 1, &r),
            let q = f.queue(1, entries: 16, &r)
        else { return }
        f.expectStatus(&r, f.createSubmissionQueue(admin, q, cqid: 1), .completionQueueInvalid, "Create I/O SQ 1 on missing CQ 1")
        f.expectStatus(&r, f.createSubmissionQueue(admin, q, cqid: 0), .completionQueueInvalid, "Create I/O SQ 1 on the admin CQ")
        f.expectStatus(&r, f.createCompletionQueue(admin, q), .success, "Create I/O CQ 1")
        for qid in [0, granted + 1] {
            let c = f.admin(createSQ, on: admin, prp1: q.sq.address(), [10: 15 << 16 | UInt32(qid), 11: 1 << 16 | 1])
            f.expectStatus(&r, c, .invalidQueueIdentifier, "Create I/O SQ \(qid) (\(granted) granted)")
        }
        f.expectStatus(&r, f.createSubmissionQueue(admin, q, cqid: 1), .success, "Create I/O SQ 1 on CQ 1")
        f.expectStatus(&r, f.createSubmissionQueue(admin, q, cqid: 1), .invalidQueueIdentifier, "Create I/O SQ 1 again")
    }

    private static func contiguity(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard let admin = f.enable(&r), f.numberOfQueues(admin, wanted: 1, &r) != nil,
            let q = f.queue(1, entries: 16, &r)
        else { return true }
        let cqr = NR.CAP.cqr.isSet(in: f.capabilities)
        if cqr {
            let c = f.admin(createCQ, on: admin, prp1: q.cq.address(), [10: 15 << 16 | 1, 11: 0])
            f.expectStatus(&r, c, .invalidField, "Create I/O CQ with PC=0")
        }
        for (address, what) in [(UInt64(0), "0"), (q.cq.address(0x100), "page offset 0x100")] {
            let c = f.admin(createCQ, on: admin, prp1: address, [10: 15 << 16 | 1, 11: 1])
            r.expect(c.map { isMemoryRefusal($0.status) } == true, "Create I/O CQ at \(what): \(c.map { "\($0.status)" } ?? "-")")
        }
        f.expectStatus(&r, f.createCompletionQueue(admin, q), .success, "Create I/O CQ 1")
        if cqr {
            let c = f.admin(createSQ, on: admin, prp1: q.sq.address(), [10: 15 << 16 | 1, 11: 1 << 16])
            f.expectStatus(&r, c, .invalidField, "Create I/O SQ with PC=0")
        }
        let c = f.admin(createSQ, on: admin, prp1: q.sq.address(0x40), [10: 15 << 16 | 1, 11: 1 << 16 | 1])
        r.expect(
            c.map { isMemoryRefusal($0.status) } == true, "Create I/O SQ at page offset 0x40: \(c.map { "\($0.status)" } ?? "-")")
        return true
    }

    /// Invalid Field or PRP Offset Invalid: the base specification names neither for an
    /// unaligned or zero queue base, and implementations use both.
    static func isMemoryRefusal(_ s: NVMeStatus) -> Bool {
        s.type == 0 && (s.code == NVMeStatus.invalidField.code || s.code == NVMeStatus.prpOffsetInvalid.code)
    }

    private static func deletionOrder(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let (admin, _) = f.ioSetup(&r) else { return }
        let deleteCQ = AdminOpcode.deleteIOCQ.rawValue
        let deleteSQ = AdminOpcode.deleteIOSQ.rawValue
        f.expectStatus(&r, f.admin(deleteCQ, on: admin, [10: 1]), .invalidQueueDeletion, "Delete I/O CQ 1 with SQ 1 on it")
        for qid: UInt32 in [0, 2, 0xFFFF] {
            f.expectStatus(&r, f.admin(deleteSQ, on: admin, [10: qid]), .invalidQueueIdentifier, "Delete I/O SQ \(qid)")
            f.expectStatus(&r, f.admin(deleteCQ, on: admin, [10: qid]), .invalidQueueIdentifier, "Delete I/O CQ \(qid)")
        }
        f.expectStatus(&r, f.admin(deleteSQ, on: admin, [10: 1]), .success, "Delete I/O SQ 1")
        f.expectStatus(&r, f.admin(deleteSQ, on: admin, [10: 1]), .invalidQueueIdentifier, "Delete I/O SQ 1 twice")
        f.expectStatus(&r, f.admin(deleteCQ, on: admin, [10: 1]), .success, "Delete I/O CQ 1 after its SQ")
        f.expectStatus(&r, f.admin(deleteCQ, on: admin, [10: 1]), .invalidQueueIdentifier, "Delete I/O CQ 1 twice")
    }

    private static func numberOfQueues(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r) else { return }
        let c = f.admin(AdminOpcode.setFeatures.rawValue, on: admin, [10: 0x07, 11: 0xFFFF_FFFF])
        f.expectStatus(&r, c, .invalidField, "Set Features Number of Queues 65535/65535")
        guard let (admin, _) = f.ioSetup(&r) else { return }
        let late = f.admin(AdminOpcode.setFeatures.rawValue, on: admin, [10: 0x07, 11: 0])
        f.expectStatus(&r, late, .commandSequenceError, "Set Features Number of Queues with I/O queue pair 1 created")
    }
}
