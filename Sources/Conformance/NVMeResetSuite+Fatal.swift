import NVMe
import PCIe

/// Fatal errors the controller cannot report in a completion queue: CSTS.CFS, then recovery by
/// a controller reset (§9.5), and the keep alive timer (§7.12) where KAS is non-zero.
extension NVMeResetSuite {
    static func fatalErrors(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        unfetchableEntry(f, &r)
        keepAlive(f, &r)
        r.expect(f.enable(&r) != nil, "the controller does not enable after the fatal errors")
    }

    /// An I/O SQ whose memory the IOMMU stops translating after the queue was created.
    private static func unfetchableEntry(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), f.numberOfQueues(admin, wanted: 1, &r) != nil, let cq = f.queue(1, entries: 16, &r)
        else { return }
        let sq: NVMeRawQueue
        do {
            sq = try NVMeRawQueue(id: 1, entries: 16, access: f.access)
        } catch {
            r.expect(false, "queue memory: \(error)")
            return
        }
        f.expectStatus(&r, f.createCompletionQueue(admin, cq), .success, "Create I/O CQ 1")
        f.expectStatus(&r, f.createSubmissionQueue(admin, sq, cqid: 1), .success, "Create I/O SQ 1")
        sq.post(NVMeFixture.command(NVMOpcode.flush.rawValue, nsid: 1))
        do {
            try f.function.dma.domain.unmap(sq.sq.deviceAddress)
        } catch {
            r.expect(false, "unmapping the SQ: \(error)")
            return
        }
        let mark = f.guestErrorMark
        f.ring(sq)
        r.expect(
            f.poll(timeout: f.readyTimeout) { f.fatal },
            "CSTS.CFS not set by an SQ entry outside the IOMMU domain (CSTS \(hex(f.status)))")
        r.expect(!f.guestErrors(since: mark).isEmpty, "the unfetchable SQ entry was not recorded")
        f.write32(NR.CC.offset, 0)
        r.expect(
            f.poll(timeout: f.readyTimeout) { !f.ready && !f.fatal }, "CC.EN=0 left CSTS \(hex(f.status)), expected RDY=0 CFS=0")
    }

    private static func keepAlive(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), let id = f.identify(admin, cns: 1, &r) else { return }
        let kas = UInt64(NVMeData(bytes: id.bytes).u16(320))
        guard kas > 0 else { return }
        let timeout = kas * 100
        let set = f.admin(AdminOpcode.setFeatures.rawValue, on: admin, [10: 0x0F, 11: UInt32(timeout)])
        f.expectStatus(&r, set, .success, "Set Features Keep Alive Timer \(timeout) ms")
        let got = f.admin(AdminOpcode.getFeatures.rawValue, on: admin, [10: 0x0F])
        r.expect(
            got.map { UInt64($0.dword0) >= timeout } == true, "Get Features Keep Alive Timer \(got.map { "\($0.dword0)" } ?? "-")"
        )
        for _ in 0..<3 {
            f.clock.advance(by: .milliseconds(timeout / 2))
            f.expectStatus(&r, f.admin(AdminOpcode.keepAlive.rawValue, on: admin), .success, "Keep Alive")
        }
        r.expect(!f.fatal, "CSTS.CFS set although Keep Alive came every half timeout")
        f.clock.advance(by: .milliseconds(3 * timeout + 1000))
        r.expect(f.fatal, "CSTS.CFS not set after \(3 * timeout + 1000) ms without Keep Alive (KATO \(timeout) ms)")
        f.write32(NR.CC.offset, 0)
        _ = f.poll(timeout: f.readyTimeout) { !f.ready }
    }
}
