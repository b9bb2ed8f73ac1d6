import Drivers
import NVMe
import PCIe

/// Interrupts (UNH-IOL group 7, tnvme group "MSI-X"): every completion queue signals the MSI-X
/// vector it was created with and no other, IEN=0 means silence, a masked vector keeps the
/// message pending (PCI 3.0 §6.8.2), INTMS/INTMC keep their mask (§3.1.3), the interrupt features
/// read back (§5.21.1.8-9), and the reference driver runs every queue on its own vector.
/// Deliveries are observed where the platform delivers them (the function's MSI-X state).
enum NVMeInterruptSuite {
    static let name = "nvme-interrupts"

    static func run(_ f: NVMeFixture) -> [CheckResult] {
        [
            f.check(name, "§7.5 each I/O CQ signals its own MSI-X vector with its message; the admin CQ vector 0") {
                vectorPerQueue(f, &$0)
            },
            f.check(name, "§5.3 a CQ created with IEN=0 sends no interrupt") { interruptsDisabled(f, &$0) },
            f.check(name, "PCI §6.8.2 a masked vector keeps the completion's message pending until unmasked") {
                maskedVector(f, &$0)
            },
            f.always(name, "§3.1.3 §3.1.4 INTMS sets and INTMC clears mask bits, both read the mask; reset clears it") {
                maskRegisters(f, &$0)
            },
            f.always(name, "§5.21.1.8 §5.21.1.9 Interrupt Coalescing and Vector Configuration read back; bad vector 0/02") {
                coalescing(f, &$0)
            },
            f.check(name, "§7.5 the reference driver runs I/O on every queue by interrupt, one vector per queue") {
                driverInterrupts(f, &$0)
            },
        ]
    }

    /// Programs every MSI-X vector (data 0x40 + vector, unmasked); the vector count, 0 without MSI-X.
    static func enableVectors(_ f: NVMeFixture) -> Int {
        guard let msix = f.function.msix else { return 0 }
        for v in 0..<msix.vectorCount { f.access.enableMSIXVector(v, data: 0x40 + UInt32(v)) }
        return msix.vectorCount
    }

    /// Messages delivered per vector so far.
    static func delivered(_ f: NVMeFixture) -> [UInt64] { f.function.msix?.delivered ?? [] }

    /// Enables the controller and creates `count` I/O queue pairs, CQ q on vector q (IEN as told).
    static func queuePairs(_ f: NVMeFixture, count: Int, interrupts: Bool, _ r: inout CheckRecorder) -> (
        NVMeRawQueue, [NVMeRawQueue]
    )? {
        guard let admin = f.enable(&r), let granted = f.numberOfQueues(admin, wanted: count, &r) else { return nil }
        var queues: [NVMeRawQueue] = []
        for qid in 1...min(count, granted) {
            guard let q = f.queue(qid, entries: 8, &r) else { return nil }
            f.expectStatus(
                &r, f.createCompletionQueue(admin, q, vector: qid, interrupts: interrupts), .success, "Create I/O CQ \(qid)")
            f.expectStatus(&r, f.createSubmissionQueue(admin, q, cqid: qid), .success, "Create I/O SQ \(qid)")
            queues.append(q)
        }
        return (admin, queues)
    }

    static func flush() -> SubmissionEntry { NVMeFixture.command(NVMOpcode.flush.rawValue, nsid: 1) }

    private static func vectorPerQueue(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        let vectors = enableVectors(f)
        guard vectors > 1 else { return false }
        guard let (admin, queues) = queuePairs(f, count: min(vectors - 1, 4), interrupts: true, &r) else { return true }
        for q in queues {
            let before = delivered(f)
            f.expectStatus(&r, f.execute(flush(), on: q), .success, "Flush on I/O queue \(q.id)")
            let after = delivered(f)
            let moved = after.indices.filter { after[$0] != before[$0] }
            r.expect(moved == [q.id], "I/O CQ \(q.id) (vector \(q.id)) signalled vectors \(moved)")
            let data = f.function.msix?.lastMessage?.data
            r.expect(data == 0x40 + UInt32(q.id), "I/O CQ \(q.id): message data \(data.map { hex($0) } ?? "none")")
        }
        let before = delivered(f)
        f.expectStatus(&r, f.admin(AdminOpcode.getFeatures.rawValue, on: admin, [10: 0x07]), .success, "Get Features")
        let after = delivered(f)
        r.expect(after.indices.filter { after[$0] != before[$0] } == [0], "the admin CQ did not signal vector 0 alone")
        return true
    }

    private static func interruptsDisabled(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard enableVectors(f) > 1 else { return false }
        guard let (_, queues) = queuePairs(f, count: 1, interrupts: false, &r), let q = queues.first else { return true }
        let before = delivered(f)
        for _ in 0..<3 { f.expectStatus(&r, f.execute(flush(), on: q), .success, "Flush on I/O queue 1") }
        r.expect(delivered(f) == before, "a CQ with IEN=0 signalled: \(before) -> \(delivered(f))")
        return true
    }

    private static func maskedVector(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard enableVectors(f) > 1, let msix = f.function.msix else { return false }
        guard let (_, queues) = queuePairs(f, count: 1, interrupts: true, &r), let q = queues.first else { return true }
        let entry = msix.tableOffset + UInt64(q.id * MSIXController.entrySize)
        f.access.write32(msix.tableBAR, entry + 12, 1)
        let before = delivered(f)[q.id]
        f.expectStatus(&r, f.execute(flush(), on: q), .success, "Flush with vector \(q.id) masked")
        r.expect(delivered(f)[q.id] == before, "masked vector \(q.id) was delivered")
        let pba = f.access.read64(msix.pbaBAR, msix.pbaOffset + UInt64(q.id / 64 * 8))
        r.expect(pba & (1 << UInt64(q.id % 64)) != 0, "masked vector \(q.id) has no pending bit (PBA \(hex(pba)))")
        f.access.write32(msix.tableBAR, entry + 12, 0)
        r.expect(delivered(f)[q.id] == before + 1, "unmasking vector \(q.id) did not deliver the pending message")
        return true
    }

    private static func maskRegisters(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        // INTMS/INTMC are for pin-based and MSI interrupts; with MSI-X enabled their use is undefined.
        if let cap = f.function.capabilities.msix {
            let at = cap.advanced(by: MSIXCapability.MessageControl.offset)
            let control = f.access.configRead(at, width: .word)
            f.access.configWrite(at, width: .word, value: MSIXCapability.MessageControl.msixEnable.insert(0, into: control))
        }
        guard f.enable(&r) != nil else { return }
        f.write32(NR.INTMS.offset, 0x0000_0005)
        r.expect(
            f.read32(NR.INTMS.offset) == 5 && f.read32(NR.INTMC.offset) == 5,
            "after INTMS=5: INTMS/INTMC \(hex(f.read32(NR.INTMS.offset)))/\(hex(f.read32(NR.INTMC.offset)))")
        f.write32(NR.INTMS.offset, 0x0000_0002)
        r.expect(f.read32(NR.INTMS.offset) == 7, "INTMS=2 did not add to the mask (reads \(hex(f.read32(NR.INTMS.offset))))")
        f.write32(NR.INTMC.offset, 0x0000_0001)
        r.expect(
            f.read32(NR.INTMS.offset) == 6 && f.read32(NR.INTMC.offset) == 6,
            "after INTMC=1: INTMS/INTMC \(hex(f.read32(NR.INTMS.offset)))/\(hex(f.read32(NR.INTMC.offset)))")
        f.write32(NR.INTMS.offset, 0)
        r.expect(f.read32(NR.INTMS.offset) == 6, "writing 0 to INTMS changed the mask")
        f.disable(&r)
        r.expect(f.read32(NR.INTMS.offset) == 0, "mask \(hex(f.read32(NR.INTMS.offset))) survived the controller reset")
    }

    private static func coalescing(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r) else { return }
        let set = AdminOpcode.setFeatures.rawValue
        let get = AdminOpcode.getFeatures.rawValue
        f.expectStatus(&r, f.admin(set, on: admin, [10: 0x08, 11: 0x0A05]), .success, "Set Interrupt Coalescing 0A05h")
        let c = f.admin(get, on: admin, [10: 0x08])
        r.expect(c?.dword0 == 0x0A05, "Get Interrupt Coalescing: \(c.map { hex($0.dword0) } ?? "-"), expected 0xa05")
        let vectors = UInt32(f.function.msix?.vectorCount ?? 1)
        let vector = vectors - 1
        f.expectStatus(
            &r, f.admin(set, on: admin, [10: 0x09, 11: 1 << 16 | vector]), .success, "Set Vector Config CD for \(vector)")
        let v = f.admin(get, on: admin, [10: 0x09, 11: vector])
        r.expect(v?.dword0 == 1 << 16 | vector, "Get Vector Config of \(vector): \(v.map { hex($0.dword0) } ?? "-")")
        f.expectStatus(
            &r, f.admin(set, on: admin, [10: 0x09, 11: vectors]), .invalidField, "Set Vector Config of vector \(vectors)")
    }

    private static func driverInterrupts(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard let vectors = f.function.msix?.vectorCount, vectors > 2 else { return false }
        let count = min(vectors - 1, 4)
        do {
            let driver = try NVMeConformanceDriver(
                access: f.access, configuration: .init(ioQueueCount: count, ioQueueDepth: 8, adminQueueDepth: 8, interrupts: true)
            )
            try driver.start()
            let used = (0..<driver.ioQueueCount).compactMap { driver.interruptVector(queue: $0) }
            r.expect(
                Set(used).count == used.count && !used.contains(0),
                "queue vectors \(used): not one each, apart from the admin vector")
            guard let bs = driver.namespace(1)?.blockSize, let buf = f.buffer(bs, &r) else { return true }
            for q in 0..<driver.ioQueueCount {
                let before = delivered(f)
                let data = buf.fillPattern(seed: UInt64(80 + q))
                try driver.write(queue: q, lba: UInt64(500 + q), blocks: 1, from: buf)
                buf.set(0)
                try driver.read(queue: q, lba: UInt64(500 + q), blocks: 1, into: buf)
                r.expect(buf.bytes(count: bs) == data, "queue \(q): data read back by interrupt differs")
                let moved = delivered(f).indices.filter { delivered(f)[$0] != before[$0] }
                r.expect(moved == [used[q]], "queue \(q) (vector \(used[q])) signalled vectors \(moved)")
            }
            try driver.shutdown()
        } catch {
            r.expect(false, "reference driver with interrupts: \(error)")
        }
        return true
    }
}
