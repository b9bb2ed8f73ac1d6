import Drivers
import PCIe

/// The PF/VF mailbox hardware (datasheet §7.10.3.2, registers §8.2.3.14 and §8.3.5.3): the
/// buffer lock, the request/acknowledge causes on both sides, and the shared 16-dword memory.
enum Intel82599MailboxSuite {
    static let name = "intel82599-mailbox"
    /// PF MSI-X vector for the other causes; VF MSI-X vector for its mailbox.
    static let pfVector = 2
    static let vfVector = 2
    // VFMAILBOX and PFMAILBOX bits (ixgbe_mbx.h).
    static let req: UInt32 = 0x01
    static let ack: UInt32 = 0x02
    static let vfu: UInt32 = 0x04
    static let pfu: UInt32 = 0x08
    static let pfsts: UInt32 = 0x10
    static let pfack: UInt32 = 0x20
    static let rvfu: UInt32 = 0x10

    static func run(_ f: Intel82599Fixture) -> [CheckResult] {
        [
            f.checkWithVFs(name, "§7.10.3.2 the buffer lock is exclusive: VFU and PFU never both granted, per VF") {
                lock(f, &$0)
            },
            f.checkWithVFs(name, "§7.10.3.2 VF REQ/ACK set PFMBICR, and EICR.Mailbox with its MSI-X vector where PFMBIMR allows")
            {
                requestCauses(f, &$0)
            },
            f.checkWithVFs(name, "§7.10.3.2 PF STS/ACK latch VFMAILBOX.PFSTS/PFACK, read to clear, and interrupt the VF") {
                pfMessage(f, &$0)
            },
            f.checkWithVFs(name, "§7.10.3.2 the memory is shared, and writes without the lock are dropped with a guest error") {
                memory(f, &$0)
            },
        ]
    }

    private static func pfBox(_ f: Intel82599Fixture, _ vf: Int) -> UInt32 { f.read(PFR.PFMAILBOX.offset(vf)) }
    private static func vfBox(_ f: Intel82599Fixture, _ vf: Int) -> UInt32 { f.vfRead(vf, VFR.VFMAILBOX.offset) }

    private static func lock(_ f: Intel82599Fixture, _ r: inout CheckRecorder) {
        guard f.resetPort(&r) else { return }
        f.vfWrite(0, VFR.VFMAILBOX.offset, vfu)
        r.expect(vfBox(f, 0) & vfu != 0, "VF 0 did not get VFU on a free buffer")
        r.expect(pfBox(f, 0) & vfu != 0, "PFMAILBOX(0) does not show VFU while VF 0 holds the buffer")
        f.write(PFR.PFMAILBOX.offset(0), pfu)
        r.expect(pfBox(f, 0) & pfu == 0, "the PF got PFU while VF 0 holds VFU")
        f.vfWrite(0, VFR.VFMAILBOX.offset, 0)
        f.write(PFR.PFMAILBOX.offset(0), pfu)
        r.expect(pfBox(f, 0) & pfu != 0, "the PF did not get PFU once VF 0 released the buffer")
        f.vfWrite(0, VFR.VFMAILBOX.offset, vfu)
        let v = vfBox(f, 0)
        r.expect(v & vfu == 0 && v & pfu != 0, "VF 0 reads VFMAILBOX \(hex(v)) after asking for VFU while the PF holds PFU")
        f.vfWrite(1, VFR.VFMAILBOX.offset, vfu)
        r.expect(vfBox(f, 1) & vfu != 0, "VF 1 could not lock its own buffer while the PF holds VF 0's")
        f.write(PFR.PFMAILBOX.offset(1), rvfu)
        r.expect(vfBox(f, 1) & vfu == 0, "PFMAILBOX(1).RVFU did not release VF 1's lock")
        f.write(PFR.PFMAILBOX.offset(0), 0)
        r.expect(pfBox(f, 0) & pfu == 0, "writing 0 to PFMAILBOX(0) did not release PFU")
    }

    private static func requestCauses(_ f: Intel82599Fixture, _ r: inout CheckRecorder) {
        guard f.resetPort(&r) else { return }
        let mailbox = UInt32(PFR.EICR.mailbox.mask)
        let hasMSIX = f.access.enableMSIXVector(pfVector, data: 0x60)
        f.write(PFR.IVAR_MISC.offset, UInt32(0x80 | pfVector) << 8)
        f.write(PFR.EIMS.offset, mailbox)
        f.write(PFR.PFMBIMR.offset(0), 1 << 1)
        _ = f.pf.msix?.consume(pfVector)
        f.vfWrite(0, VFR.VFMAILBOX.offset, req)
        r.expect(f.read(PFR.PFMBICR.offset(0)) == 0x1, "REQ from VF 0 left PFMBICR(0) at \(hex(f.read(PFR.PFMBICR.offset(0))))")
        r.expect(f.read(PFR.EICR.offset) & mailbox == 0, "REQ from VF 0, masked in PFMBIMR, raised EICR.Mailbox")
        r.expect(f.pf.msix?.consume(pfVector) != true, "REQ from VF 0, masked in PFMBIMR, sent an MSI-X message")
        f.vfWrite(1, VFR.VFMAILBOX.offset, req)
        r.expect(f.read(PFR.PFMBICR.offset(0)) == 0x3, "REQ from VF 1 left PFMBICR(0) at \(hex(f.read(PFR.PFMBICR.offset(0))))")
        r.expect(f.read(PFR.EICR.offset) & mailbox != 0, "REQ from VF 1 (enabled in PFMBIMR) did not raise EICR.Mailbox")
        if hasMSIX {
            r.expect(
                f.access.waitForInterrupt(vector: pfVector, timeout: .microseconds(1)),
                "REQ from VF 1 sent no MSI-X message on the IVAR_MISC vector")
        }
        f.write(PFR.PFMBICR.offset(0), 0x3)
        f.write(PFR.EICR.offset, mailbox)
        f.vfWrite(1, VFR.VFMAILBOX.offset, ack)
        r.expect(
            f.read(PFR.PFMBICR.offset(0)) == 0x2_0000, "ACK from VF 1 left PFMBICR(0) at \(hex(f.read(PFR.PFMBICR.offset(0))))")
        r.expect(f.read(PFR.EICR.offset) & mailbox != 0, "ACK from VF 1 did not raise EICR.Mailbox")
        f.write(PFR.EIMC.offset, mailbox)
    }

    private static func pfMessage(_ f: Intel82599Fixture, _ r: inout CheckRecorder) {
        guard f.resetPort(&r) else { return }
        let hasMSIX = f.vfs[0].enableMSIXVector(vfVector, data: 0x70)
        f.vfWrite(0, VFR.VTIVAR_MISC.offset, UInt32(0x80 | vfVector))
        f.vfWrite(0, VFR.VTEIMS.offset, 1 << UInt32(vfVector))
        f.write(PFR.PFMAILBOX.offset(0), pfu)
        f.write(PFR.PFMBMEM.offset(0), 0x0100)
        f.write(PFR.PFMAILBOX.offset(0), 0x01)  // STS
        if hasMSIX {
            r.expect(f.vfs[0].waitForInterrupt(vector: vfVector, timeout: .microseconds(1)), "STS sent VF 0 no MSI-X message")
        }
        r.expect(f.vfRead(0, VFR.VTEICR.offset) & (1 << UInt32(vfVector)) != 0, "STS did not set VF 0's VTEICR mailbox cause")
        let first = vfBox(f, 0)
        let second = vfBox(f, 0)
        r.expect(first & pfsts != 0, "VFMAILBOX \(hex(first)) after STS: PFSTS not set")
        r.expect(second & pfsts == 0, "PFSTS still set on the second read (\(hex(second))); it is read to clear")
        r.expect(f.vfRead(0, VFR.VFMBMEM.offset(0)) == 0x0100, "VFMBMEM(0) does not hold the PF's message")
        r.expect(vfBox(f, 1) & (pfsts | pfack) == 0, "STS to VF 0 showed up in VF 1's VFMAILBOX")
        f.write(PFR.PFMAILBOX.offset(0), 0x02)  // ACK
        if hasMSIX {
            r.expect(f.vfs[0].waitForInterrupt(vector: vfVector, timeout: .microseconds(1)), "ACK sent VF 0 no MSI-X message")
        }
        let acked = vfBox(f, 0)
        r.expect(acked & pfack != 0 && acked & pfsts == 0, "VFMAILBOX \(hex(acked)) after ACK, expected PFACK only")
        r.expect(vfBox(f, 0) & pfack == 0, "PFACK still set on the second read; it is read to clear")
    }

    private static func memory(_ f: Intel82599Fixture, _ r: inout CheckRecorder) {
        guard f.resetPort(&r) else { return }
        let word = { (vf: Int, n: Int) in PFR.PFMBMEM.offset(16 * vf + n) }
        var mark = f.guestErrorMark
        f.vfWrite(1, VFR.VFMBMEM.offset(3), 0x1234)
        r.expect(f.read(word(1, 3)) == 0 && f.vfRead(1, VFR.VFMBMEM.offset(3)) == 0, "VF 1's write without VFU was stored")
        r.expect(!f.guestErrors(since: mark, on: f.vfs[1].bdf).isEmpty, "no guest error for VF 1's write without VFU")
        mark = f.guestErrorMark
        f.write(word(1, 3), 0x5678)
        r.expect(f.read(word(1, 3)) == 0, "the PF's write to PFMBMEM without PFU was stored")
        r.expect(!f.guestErrors(since: mark, on: f.pf.bdf).isEmpty, "no guest error for the PF's write without PFU")
        f.vfWrite(1, VFR.VFMAILBOX.offset, vfu)
        f.vfWrite(1, VFR.VFMBMEM.offset(3), 0xCAFE)
        r.expect(f.read(word(1, 3)) == 0xCAFE, "PFMBMEM(1) word 3 reads \(hex(f.read(word(1, 3)))), not VF 1's 0xcafe")
        r.expect(f.read(word(0, 3)) == 0, "VF 1's write reached VF 0's buffer")
        f.vfWrite(1, VFR.VFMAILBOX.offset, 0)
        f.write(PFR.PFMAILBOX.offset(1), pfu)
        f.write(word(1, 4), 0xBEEF)
        f.vfWrite(1, VFR.VFMBMEM.offset(5), 0x0BAD)
        r.expect(f.vfRead(1, VFR.VFMBMEM.offset(4)) == 0xBEEF, "VFMBMEM(4) of VF 1 does not show the PF's 0xbeef")
        r.expect(f.read(word(1, 5)) == 0, "VF 1 wrote its buffer while the PF held PFU")
        f.write(PFR.PFMAILBOX.offset(1), 0)
    }
}
