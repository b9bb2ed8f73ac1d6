import Network
import PCIe

/// Queue setup and teardown on the PF (datasheet §7.1, §7.2, §8.2.3.8, §8.2.3.9): ring length
/// rules, tail bounds, enable and disable, and frames that span several descriptors.
enum Intel82599QueueSuite {
    static let name = "intel82599-queues"
    static let peer = MACAddress(0x0200_0000_0b0c)

    static func run(_ f: Intel82599Fixture) -> [CheckResult] {
        [
            f.check(name, "§8.2.3.8.3 a ring length of 0 or not a multiple of 128 is refused with a guest error") {
                ringLength(f, &$0)
            },
            f.check(name, "§8.2.3.9.9 a tail beyond the ring is ignored with a guest error") { tailBeyondRing(f, &$0) },
            f.check(name, "§7.1.1 §7.2.1 frames flow only while a queue is enabled; CTRL.RST stops every queue") {
                enableDisable(f, &$0)
            },
            f.check(name, "§7.1.6 a received frame longer than the buffer spans descriptors, EOP on the last") {
                receiveSpansDescriptors(f, &$0)
            },
            f.check(name, "§7.2.3 a transmitted frame is gathered up to EOP and DD is written back on RS") {
                transmitGathers(f, &$0)
            },
        ]
    }

    private static func ringLength(_ f: Intel82599Fixture, _ r: inout CheckRecorder) -> Bool {
        guard f.resetPort(&r) else { return true }
        let mark = f.guestErrorMark
        let cases: [(String, QueueWindow)] = [("RX", QueueWindow.pfRx(f, 1)), ("TX", QueueWindow.pfTx(f, 1))]
        guard let ring = try? f.access.allocateDMA(4096) else {
            r.expect(false, "DMA allocation failed")
            return true
        }
        var refused = 0
        for (kind, q) in cases {
            for length in [0, 100, 200, 4000] {
                q.program(ring: ring, length: length)
                q.write(QueueWindow.control, QueueWindow.enable)
                r.expect(!q.enabled, "\(kind) queue 1 enabled with ring length \(length)")
                refused += 1
            }
            q.program(ring: ring, length: 256)
            q.write(QueueWindow.control, QueueWindow.enable)
            r.expect(q.enabled, "\(kind) queue 1 refused ring length 256")
            q.write(QueueWindow.control, 0)
        }
        let errors = f.guestErrors(since: mark, on: f.pf.bdf).count
        r.expect(errors == refused, "\(errors) guest errors for \(refused) refused enables")
        return true
    }

    private static func tailBeyondRing(_ f: Intel82599Fixture, _ r: inout CheckRecorder) -> Bool {
        guard f.resetPort(&r) else { return true }
        f.write(PFR.DMATXCTL.offset, UInt32(PFR.DMATXCTL.te.mask))
        guard let tx = try? SuiteTxRing(QueueWindow.pfTx(f, 0), entries: 8) else {
            r.expect(false, "DMA allocation failed")
            return true
        }
        let frames = (0..<3).map { SuiteFrames.make(from: f.permanentAddress, to: peer, seed: UInt64($0), length: 80) }
        for frame in frames { tx.post(frame) }
        let mark = f.guestErrorMark
        tx.window.write(QueueWindow.tail, 8)
        tx.window.write(QueueWindow.tail, 100)
        r.expect(tx.head == 0 && !tx.done(0), "TDT 8 and 100 on an 8-entry ring moved the head to \(tx.head)")
        r.expect(f.guestErrors(since: mark, on: f.pf.bdf).count == 2, "no guest error for each out-of-ring TDT")
        tx.doorbell()
        r.expect(tx.head == 3 && tx.done(2), "after a valid TDT 3 the head is \(tx.head); the ring did not go on")
        guard f.wire != nil, let rx = try? SuiteRxRing(QueueWindow.pfRx(f, 0), entries: 8) else { return true }
        f.write(PFR.RXCTRL.offset, UInt32(PFR.RXCTRL.rxen.mask))
        let before = f.guestErrorMark
        rx.window.write(QueueWindow.tail, 8)
        r.expect(f.guestErrors(since: before, on: f.pf.bdf).count == 1, "no guest error for RDT 8 on an 8-entry ring")
        for i in 0..<8 { f.inject(SuiteFrames.make(from: peer, to: f.permanentAddress, seed: 10 + UInt64(i), length: 64)) }
        let got = rx.harvest().count
        r.expect(got == 7, "\(got) frames received; the ignored RDT should have left 7 descriptors with hardware")
        return true
    }

    private static func enableDisable(_ f: Intel82599Fixture, _ r: inout CheckRecorder) -> Bool {
        guard f.resetPort(&r) else { return true }
        f.write(PFR.DMATXCTL.offset, UInt32(PFR.DMATXCTL.te.mask))
        f.write(PFR.RXCTRL.offset, UInt32(PFR.RXCTRL.rxen.mask))
        guard let tx = try? SuiteTxRing(QueueWindow.pfTx(f, 2), entries: 8),
            let rx = try? SuiteRxRing(QueueWindow.pfRx(f, 0), entries: 8, enable: false)
        else {
            r.expect(false, "DMA allocation failed")
            return true
        }
        r.expect(tx.window.enabled, "TXDCTL.Enable did not latch with a valid ring")
        let out = SuiteFrames.make(from: f.permanentAddress, to: peer, seed: 20, length: 90)
        tx.send(out)
        r.expect(tx.head == 1 && tx.done(0), "an enabled TX queue did not transmit (TDH \(tx.head))")
        tx.window.write(QueueWindow.control, 0)
        r.expect(!tx.window.enabled, "TXDCTL.Enable still reads 1 after clearing it")
        tx.send(out)
        r.expect(tx.head == 1 && !tx.done(1), "a disabled TX queue transmitted (TDH \(tx.head))")
        if f.wire != nil {
            let frame = SuiteFrames.make(from: peer, to: f.permanentAddress, seed: 21, length: 64)
            f.inject(frame)
            r.expect(!rx.writeBack(0).dd, "a disabled RX queue wrote a descriptor back")
            rx.start()
            r.expect(rx.window.enabled, "RXDCTL.Enable did not latch with a valid ring")
            f.inject(frame)
            r.expect(rx.harvest().map(\.bytes) == [frame], "an enabled RX queue did not receive the frame")
            rx.window.write(QueueWindow.control, 0)
            r.expect(!rx.window.enabled, "RXDCTL.Enable still reads 1 after clearing it")
            f.inject(frame)
            r.expect(rx.harvest().isEmpty, "a disabled RX queue received a frame")
        }
        rx.start()
        tx.window.write(QueueWindow.control, QueueWindow.enable)
        r.expect(rx.window.enabled && tx.window.enabled, "queues did not enable again")
        f.write(PFR.CTRL.offset, UInt32(PFR.CTRL.resetField.mask))
        r.expect(!rx.window.enabled && !tx.window.enabled, "CTRL.RST left RXDCTL/TXDCTL.Enable set")
        return true
    }

    private static func receiveSpansDescriptors(_ f: Intel82599Fixture, _ r: inout CheckRecorder) -> Bool {
        guard f.wire != nil else { return false }
        guard f.resetPort(&r) else { return true }
        guard let rx = try? SuiteRxRing(QueueWindow.pfRx(f, 0), entries: 8, bufferKiB: 1) else {
            r.expect(false, "DMA allocation failed")
            return true
        }
        f.write(PFR.HLREG0.offset, f.read(PFR.HLREG0.offset) | UInt32(PFR.HLREG0.jumboen.mask))
        f.write(PFR.RXCTRL.offset, UInt32(PFR.RXCTRL.rxen.mask))
        let frame = SuiteFrames.make(from: peer, to: f.permanentAddress, seed: 30, length: 2500)
        f.inject(frame)
        let parts = (0..<4).map { rx.writeBack($0) }
        r.expect(
            parts.prefix(3).map(\.length) == [1024, 1024, 452],
            "lengths \(parts.prefix(3).map(\.length)), expected [1024, 1024, 452]")
        r.expect(parts.prefix(3).allSatisfy(\.dd), "DD missing on a descriptor of the frame")
        r.expect(
            parts.prefix(3).map(\.eop) == [false, false, true], "EOP \(parts.prefix(3).map(\.eop)), expected only on the last")
        r.expect(!parts[3].dd, "a fourth descriptor was written back")
        r.expect(
            rx.bytes(0, count: 1024) + rx.bytes(1, count: 1024) + rx.bytes(2, count: 452) == frame,
            "buffers do not hold the frame")
        r.expect(rx.window.read(QueueWindow.head) == 3, "RDH \(rx.window.read(QueueWindow.head)) after three descriptors")
        return true
    }

    private static func transmitGathers(_ f: Intel82599Fixture, _ r: inout CheckRecorder) -> Bool {
        guard f.resetPort(&r, link: f.cablePlugged) else { return true }
        f.write(PFR.DMATXCTL.offset, UInt32(PFR.DMATXCTL.te.mask))
        guard let tx = try? SuiteTxRing(QueueWindow.pfTx(f, 0), entries: 8) else {
            r.expect(false, "DMA allocation failed")
            return true
        }
        let frame = SuiteFrames.make(from: f.permanentAddress, to: peer, seed: 40, length: 300)
        _ = f.read(PFR.GPTC.offset)
        f.capturingWire { wire in
            tx.post(Array(frame[0..<100]), eop: false, rs: false)
            tx.post(Array(frame[100..<250]), eop: false, rs: false)
            tx.doorbell()
            r.expect(tx.head == 0, "TDH moved to \(tx.head) before the frame's EOP was posted")
            r.expect(wire.map { $0.count == 0 } ?? true, "part of a frame left the port before EOP")
            tx.post(Array(frame[250...]))
            tx.doorbell()
            r.expect(tx.head == 3, "TDH \(tx.head) after EOP, expected 3")
            r.expect(tx.done(2), "DD not written back to the EOP descriptor with RS")
            r.expect(!tx.done(0) && !tx.done(1), "DD written back to descriptors without RS")
            if let wire { r.expect(wire.frames == [frame], "the wire saw \(wire.count) frames, not the gathered frame") }
        }
        r.expect(f.read(PFR.GPTC.offset) == 1, "GPTC does not count the one frame")
        return true
    }
}
