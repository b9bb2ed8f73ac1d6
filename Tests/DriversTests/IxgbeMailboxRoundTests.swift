import Intel82599
import PCIe
import Testing

@testable import Drivers

/// A service round reads VFLRE (and clears EICR.Mailbox) only when EICR.Mailbox is set
/// (``IxgbePFDriver/serviceMailbox()``): an idle round is three register reads instead of four
/// reads and a write. These tests hold it to the round that always scans.
@Suite("PF mailbox service rounds")
struct IxgbeMailboxRoundTests {
    private typealias R = Intel82599PFRegisters
    private typealias V = Intel82599VFRegisters
    private let bar = BARIndex(clamping: 0)

    /// One step of VF activity, drawn from `seed`.
    private func act(_ bench: IxgbeBench, _ seed: inout UInt64) {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let r = seed >> 33
        let vf = Int(r % UInt64(bench.pf.vfAddresses.count))
        let access = bench.bus.access(bench.pf.vfAddresses[vf])
        let vfu = UInt32(truncatingIfNeeded: V.VFMAILBOX.vfu.mask)
        switch (r >> 8) % 8 {
        case 0:
            access.write32(bar, UInt64(V.VFCTRL.offset), UInt32(truncatingIfNeeded: V.VFCTRL.resetField.mask))
        case 1, 2:
            // A request: RESET, GET_LINK_STATE or SET_MULTICAST with one hash, maybe without the lock.
            let ids: [IxgbeMailboxMessageID] = [.reset, .getLinkState, .setMulticast]
            let id = ids[Int(r >> 12) % ids.count]
            if (r >> 16) & 3 != 0 { access.write32(bar, UInt64(V.VFMAILBOX.offset), vfu) }
            access.write32(bar, UInt64(V.VFMBMEM.offset(0)), UInt32(id.rawValue) | (id == .setMulticast ? 1 << 16 : 0))
            access.write32(bar, UInt64(V.VFMBMEM.offset(1)), UInt32(truncatingIfNeeded: r >> 20) & 0xFFF)
            access.write32(bar, UInt64(V.VFMAILBOX.offset), UInt32(truncatingIfNeeded: V.VFMAILBOX.req.mask))
        case 3:
            // The VF takes (and keeps) its lock: the PF's next send or receive must wait.
            access.write32(bar, UInt64(V.VFMAILBOX.offset), vfu)
        case 4:
            access.write32(bar, UInt64(V.VFMAILBOX.offset), UInt32(truncatingIfNeeded: V.VFMAILBOX.ack.mask))
        case 5:
            _ = access.read32(bar, UInt64(V.VFMAILBOX.offset))
        default:
            break  // an idle round
        }
    }

    /// What the rounds leave behind: the PF's view of every VF, the cause and event registers,
    /// the mailbox memory and the multicast table, and what each VF reads in its mailbox.
    private func snapshot(_ bench: IxgbeBench) -> [UInt64] {
        let pf = bench.bus.access(bench.pfAddress)
        var words: [UInt64] = []
        for offset in [R.EICR.offset, R.VFLRE0.offset, R.VFLRE1.offset, R.PFMBICR.offset(0)] {
            words.append(UInt64(pf.read32(bar, UInt64(offset))))
        }
        for n in 0..<R.MTA.count { words.append(UInt64(pf.read32(bar, UInt64(R.MTA.offset(n))))) }
        for vf in 0..<bench.pf.vfAddresses.count {
            words.append(UInt64(pf.read32(bar, UInt64(R.PFMAILBOX.offset(vf)))))
            for w in 0..<16 { words.append(UInt64(pf.read32(bar, UInt64(R.PFMBMEM.offset(vf * 16 + w))))) }
            let s = bench.pf.vfState(vf)
            words += [
                s?.clearToSend == true ? 1 : 0, UInt64(s?.multicastHashes.count ?? -1), s?.counters.requests ?? 0,
                s?.counters.acked ?? 0, s?.counters.nacked ?? 0, s?.counters.resets ?? 0, s?.counters.lockContention ?? 0,
                s?.pendingRequest == true ? 1 : 0, s?.pendingReply == nil ? 0 : 1,
            ]
        }
        return words
    }

    @Test("rounds that read VFLRE only on EICR.Mailbox do what rounds that always read it do")
    func sameAsAlwaysScanning() throws {
        for seed in 1...6 as ClosedRange<UInt64> {
            let fast = try IxgbeBench(vfCount: 3)
            let reference = try IxgbeBench(vfCount: 3)
            fast.pf.stopMailboxService()
            reference.pf.stopMailboxService()
            var a = seed
            var b = seed
            for step in 0..<400 {
                act(fast, &a)
                act(reference, &b)
                let handled = fast.pf.serviceMailbox()
                let expected = reference.pf.serviceMailbox(resetScanOnlyOnCause: false)
                #expect(handled == expected, "seed \(seed) step \(step)")
                if step % 8 == 0 || handled != expected {
                    #expect(snapshot(fast) == snapshot(reference), "seed \(seed) step \(step)")
                }
            }
            #expect(snapshot(fast) == snapshot(reference), "seed \(seed)")
            #expect(fast.guestErrors == reference.guestErrors, "seed \(seed)")
            #expect(try fast.counters == reference.counters, "seed \(seed)")
        }
    }

    @Test("a VF reset is taken by the next round, and an idle round finds no reset pending")
    func resetsAreNotMissed() throws {
        let bench = try IxgbeBench(vfCount: 2)
        bench.pf.stopMailboxService()
        bench.pf.serviceMailbox()
        let pf = bench.bus.access(bench.pfAddress)
        // Idle: the cause is clear and so is every VFLR event.
        #expect(pf.read32(bar, UInt64(R.EICR.offset)) & UInt32(truncatingIfNeeded: R.EICR.mailbox.mask) == 0)
        #expect(pf.read32(bar, UInt64(R.VFLRE0.offset)) == 0)
        #expect(bench.pf.serviceMailbox() == 0)
        let resets = try #require(bench.pf.vfState(1)).counters.resets
        let vf = bench.bus.access(bench.pf.vfAddresses[1])
        vf.write32(bar, UInt64(V.VFCTRL.offset), UInt32(truncatingIfNeeded: V.VFCTRL.resetField.mask))
        #expect(bench.pf.serviceMailbox() == 1)
        #expect(bench.pf.vfState(1)?.counters.resets == resets + 1)
        #expect(pf.read32(bar, UInt64(R.VFLRE0.offset)) == 0)
        #expect(bench.pf.serviceMailbox() == 0)
    }
}
