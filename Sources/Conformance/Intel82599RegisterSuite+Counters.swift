import Network
import PCIe
import RegisterModel

extension Intel82599RegisterSuite {
    /// Reads every clear-on-read register of the table twice; the second read must be 0.
    /// Returns the first reads by offset.
    private static func readCounters(_ f: Intel82599Fixture, _ r: inout CheckRecorder, phase: String) -> [Int: UInt32] {
        var first: [Int: UInt32] = [:]
        forEachInstance(PFR.block) { reg, n, at in
            guard reg.readClearMask != 0 else { return }
            first[at] = f.read(at)
            let again = f.read(at)
            r.expect(again == 0, "\(phase): \(reg.name)(\(n)) read \(hex(first[at] ?? 0)) then \(hex(again)), not 0")
        }
        return first
    }

    static func statisticsClearOnRead(_ f: Intel82599Fixture, _ r: inout CheckRecorder) -> Bool {
        guard f.resetPort(&r, link: f.cablePlugged) else { return true }
        let own = f.permanentAddress
        let peer = MACAddress(0x0200_0000_0a0b)
        let multicast = MACAddress(0x0100_5e00_0001)
        if f.wire != nil {
            guard let ring = try? SuiteRxRing(QueueWindow.pfRx(f, 0), entries: 8) else {
                r.expect(false, "DMA allocation failed")
                return true
            }
            f.write(PFR.FCTRL.offset, UInt32(PFR.FCTRL.bam.mask | PFR.FCTRL.mpe.mask))
            f.write(PFR.RXCTRL.offset, UInt32(PFR.RXCTRL.rxen.mask))
            _ = readCounters(f, &r, phase: "before receiving")
            // Seven descriptors are free: the last two of nine frames find none.
            for (i, to) in ([own, .broadcast, multicast] + Array(repeating: own, count: 6)).enumerated() {
                f.inject(SuiteFrames.make(from: peer, to: to, seed: UInt64(i), length: 64))
            }
            let got = readCounters(f, &r, phase: "after receiving")
            let expected: [(String, Int, UInt32?)] = [
                ("GPRC", PFR.GPRC.offset, 7), ("BPRC", PFR.BPRC.offset, 1), ("MPRC", PFR.MPRC.offset, 1),
                ("TPR", PFR.TPR.offset, 9), ("QPRC(0)", PFR.QPRC.offset(0), 7), ("MPC(0)", PFR.MPC.offset(0), 2),
                ("QPRDC(0)", PFR.QPRDC.offset(0), 2), ("GORCL", PFR.GORCL.offset, nil),
            ]
            expectCounts(got, expected, &r)
            _ = ring.harvest()
            f.write(PFR.RXCTRL.offset, 0)
        }
        guard let tx = try? SuiteTxRing(QueueWindow.pfTx(f, 0), entries: 8) else {
            r.expect(false, "DMA allocation failed")
            return true
        }
        f.write(PFR.DMATXCTL.offset, UInt32(PFR.DMATXCTL.te.mask))
        _ = readCounters(f, &r, phase: "before transmitting")
        for (i, to) in [peer, MACAddress.broadcast, multicast].enumerated() {
            tx.post(SuiteFrames.make(from: own, to: to, seed: 100 + UInt64(i), length: 64))
        }
        tx.doorbell()
        let got = readCounters(f, &r, phase: "after transmitting")
        expectCounts(
            got,
            [
                ("GPTC", PFR.GPTC.offset, 3), ("BPTC", PFR.BPTC.offset, 1), ("MPTC", PFR.MPTC.offset, 1),
                ("TPT", PFR.TPT.offset, 3), ("QPTC(0)", PFR.QPTC.offset(0), 3), ("GOTCL", PFR.GOTCL.offset, nil),
            ], &r)
        return true
    }

    /// `expected`: name, offset and count (nil: any non-zero count).
    private static func expectCounts(_ got: [Int: UInt32], _ expected: [(String, Int, UInt32?)], _ r: inout CheckRecorder) {
        for (name, at, count) in expected {
            let value = got[at] ?? 0
            if let count {
                r.expect(value == count, "\(name) counted \(value), expected \(count)")
            } else {
                r.expect(value != 0, "\(name) did not count")
            }
        }
    }

    static func eicrW1C(_ f: Intel82599Fixture, _ r: inout CheckRecorder) -> Bool {
        guard f.resetPort(&r) else { return true }
        let causes = UInt32(0x9) | UInt32(PFR.EICR.mailbox.mask | PFR.EICR.lsc.mask)
        f.write(PFR.EICS.offset, causes)
        r.expect(f.read(PFR.EICR.offset) == causes, "EICS \(hex(causes)) left EICR at \(hex(f.read(PFR.EICR.offset)))")
        r.expect(f.read(PFR.EICS.offset) == causes, "EICS read \(hex(f.read(PFR.EICS.offset))), not the causes \(hex(causes))")
        f.write(PFR.EICR.offset, 0)
        r.expect(f.read(PFR.EICR.offset) == causes, "writing 0 to EICR changed it to \(hex(f.read(PFR.EICR.offset)))")
        f.write(PFR.EICR.offset, 0x1)
        r.expect(f.read(PFR.EICR.offset) == causes & ~1, "writing 1 to EICR bit 0 left \(hex(f.read(PFR.EICR.offset)))")
        f.write(PFR.EICR.offset, causes)
        r.expect(f.read(PFR.EICR.offset) == 0, "writing 1s to the remaining causes left \(hex(f.read(PFR.EICR.offset)))")
        return true
    }

    static func vflrecW1C(_ f: Intel82599Fixture, _ r: inout CheckRecorder) {
        guard f.resetPort(&r) else { return }
        let at = PFR.VFLREC.offset(0)
        r.expect(f.read(at) == 0, "VFLREC(0) \(hex(f.read(at))) after the PF reset")
        f.vfWrite(0, VFR.VFCTRL.offset, UInt32(VFR.VFCTRL.resetField.mask))
        f.vfWrite(1, VFR.VFCTRL.offset, UInt32(VFR.VFCTRL.resetField.mask))
        r.expect(f.read(at) == 0x3, "VFCTRL.RST of VFs 0 and 1 left VFLREC(0) at \(hex(f.read(at))), expected 0x3")
        r.expect(f.read(PFR.VFLRE0.offset) == 0x3, "VFLRE mirror reads \(hex(f.read(PFR.VFLRE0.offset))), expected 0x3")
        r.expect(f.isSet(PFR.EICR.offset, PFR.EICR.mailbox), "VF reset did not raise EICR.Mailbox")
        f.write(at, 0)
        r.expect(f.read(at) == 0x3, "writing 0 changed VFLREC(0) to \(hex(f.read(at)))")
        f.write(at, 0x1)
        r.expect(f.read(at) == 0x2, "writing 1 to bit 0 left VFLREC(0) at \(hex(f.read(at))), expected 0x2")
        f.write(at, 0x2)
        r.expect(f.read(at) == 0, "writing 1 to bit 1 left VFLREC(0) at \(hex(f.read(at)))")
    }

    static func pfmbicrW1C(_ f: Intel82599Fixture, _ r: inout CheckRecorder) {
        guard f.resetPort(&r) else { return }
        let at = PFR.PFMBICR.offset(0)
        f.vfWrite(0, VFR.VFMAILBOX.offset, 0x1)  // REQ
        f.vfWrite(1, VFR.VFMAILBOX.offset, 0x2)  // ACK
        let both = UInt32(0x0002_0001)
        r.expect(f.read(at) == both, "REQ from VF 0 and ACK from VF 1 left PFMBICR(0) at \(hex(f.read(at))), expected 0x20001")
        f.write(at, 0)
        r.expect(f.read(at) == both, "writing 0 changed PFMBICR(0) to \(hex(f.read(at)))")
        f.write(at, 0x1)
        r.expect(f.read(at) == 0x2_0000, "writing 1 to VFREQ(0) left \(hex(f.read(at))), expected 0x20000")
        f.write(at, 0x2_0000)
        r.expect(f.read(at) == 0, "writing 1 to VFACK(1) left \(hex(f.read(at)))")
    }
}
