import Intel82599
import PCIe
import Testing

/// A NIC with `count` VFs enabled through the SR-IOV capability (ARI on) and VT in 64-pool mode.
struct VFBench {
    let nic: NICBench
    let vfs: [BusDeviceAccess]

    init(count: Int) throws {
        nic = try NICBench(totalVFs: 64)
        nic.settle()
        let sriov = 0x160
        nic.access.configWrite(ConfigOffset(sriov + 0x10), width: .word, value: UInt32(count))
        nic.access.configWrite(ConfigOffset(sriov + 0x08), width: .word, value: 0x10)
        nic.access.configWrite(ConfigOffset(sriov + 0x08), width: .word, value: 0x19)
        let functions = nic.function.virtualFunctions
        try #require(functions.count == count)
        let bus = nic.bus
        let accesses = functions.map { bus.access($0.bdf) }
        vfs = accesses
        for vf in accesses {
            vf.refreshBARs()
            vf.configWrite(4, width: .word, value: 0x6)
        }
        nic.write(R.GCR_EXT.offset, UInt32(R.GCR_EXT.VTModeValue.pools64))
        nic.write(R.PFVTCTL.offset, UInt32(R.PFVTCTL.vtEnable.mask) | UInt32(count) << 7)
    }

    func vfRead(_ n: Int, _ offset: Int) -> UInt32 { vfs[n].read32(BARIndex(clamping: 0), UInt64(offset)) }
    func vfWrite(_ n: Int, _ offset: Int, _ value: UInt32) { vfs[n].write32(BARIndex(clamping: 0), UInt64(offset), value) }
}

@Suite("82599 PF/VF mailbox hardware (datasheet §7.10.3.2)")
struct MailboxHardwareTests {
    @Test func lockIsExclusiveBetweenPFAndVF() throws {
        let b = try VFBench(count: 2)
        b.vfWrite(0, V.VFMAILBOX.offset, VFMailboxBits.vfLock)
        #expect(b.vfRead(0, V.VFMAILBOX.offset) & VFMailboxBits.vfLock != 0)
        b.nic.write(R.PFMAILBOX.offset(0), PFMailboxBits.pfLock)
        #expect(b.nic.read(R.PFMAILBOX.offset(0)) & PFMailboxBits.pfLock == 0, "PF cannot take a buffer the VF holds")
        #expect(b.nic.read(R.PFMAILBOX.offset(0)) & PFMailboxBits.vfLock != 0)
        b.vfWrite(0, V.VFMAILBOX.offset, 0)
        b.nic.write(R.PFMAILBOX.offset(0), PFMailboxBits.pfLock)
        #expect(b.nic.read(R.PFMAILBOX.offset(0)) & PFMailboxBits.pfLock != 0)
        b.vfWrite(0, V.VFMAILBOX.offset, VFMailboxBits.vfLock)
        #expect(b.vfRead(0, V.VFMAILBOX.offset) & VFMailboxBits.vfLock == 0, "VF cannot take a buffer the PF holds")
        b.nic.write(R.PFMAILBOX.offset(1), PFMailboxBits.pfLock)
        #expect(b.nic.read(R.PFMAILBOX.offset(1)) & PFMailboxBits.pfLock != 0, "VF 1's mailbox is independent")
    }

    @Test func requestRaisesPFMBICRAndTheMailboxCause() throws {
        let b = try VFBench(count: 3)
        b.nic.write(R.PFMBIMR.offset(0), 0xFFFF)
        b.vfWrite(2, V.VFMAILBOX.offset, VFMailboxBits.vfLock)
        b.vfWrite(2, V.VFMBMEM.offset(0), 0x0000_0001)
        b.vfWrite(2, V.VFMBMEM.offset(1), 0xCAFE_F00D)
        b.vfWrite(2, V.VFMAILBOX.offset, VFMailboxBits.request)
        #expect(b.nic.read(R.PFMBICR.offset(0)) == 1 << 2)
        #expect(b.nic.read(R.EICR.offset) & UInt32(R.EICR.mailbox.mask) != 0)
        #expect(b.nic.read(R.PFMBMEM.offset(2 * 16 + 1)) == 0xCAFE_F00D, "PFMBMEM is the VF's buffer")
        b.nic.write(R.PFMBICR.offset(0), 1 << 2)
        #expect(b.nic.read(R.PFMBICR.offset(0)) == 0)
    }

    @Test func pfMessageLatchesPFSTSReadToClearAndInterruptsTheVF() throws {
        let b = try VFBench(count: 1)
        let vf = b.vfs[0]
        let control = vf.configRead(0x72, width: .word)
        vf.configWrite(0x72, width: .word, value: control | 0x8000)
        vf.write64(Intel82599.vfMSIXBAR, 2 * 16, 0xfee0_0000)
        vf.write32(Intel82599.vfMSIXBAR, 2 * 16 + 12, 0)
        b.vfWrite(0, V.VTIVAR_MISC.offset, 0x82)
        b.vfWrite(0, V.VTEIMS.offset, 0x4)
        b.nic.write(R.PFMAILBOX.offset(0), PFMailboxBits.pfLock)
        b.nic.write(R.PFMBMEM.offset(0), 0x0100)
        b.nic.write(R.PFMAILBOX.offset(0), PFMailboxBits.status)
        #expect(vf.waitForInterrupt(vector: 2, timeout: .microseconds(1)))
        #expect(b.vfRead(0, V.VTEICR.offset) & 0x4 != 0)
        let first = b.vfRead(0, V.VFMAILBOX.offset)
        #expect(first & VFMailboxBits.pfStatus != 0)
        #expect(b.vfRead(0, V.VFMAILBOX.offset) & VFMailboxBits.pfStatus == 0, "PFSTS is read to clear")
        #expect(b.vfRead(0, V.VFMBMEM.offset(0)) == 0x0100)
    }

    @Test func memoryWritesWithoutTheLockAreDroppedAndCounted() throws {
        let b = try VFBench(count: 2)
        b.vfWrite(1, V.VFMBMEM.offset(3), 0x1234)
        #expect(b.vfRead(1, V.VFMBMEM.offset(3)) == 0)
        b.nic.write(R.PFMBMEM.offset(16 + 3), 0x5678)
        #expect(b.nic.read(R.PFMBMEM.offset(16 + 3)) == 0)
        #expect(try b.nic.device.counters.mailboxLockViolations == 2)
    }

    @Test func floodingRequestsAreCountedAsOverruns() throws {
        let b = try VFBench(count: 2)
        for _ in 0..<10 { b.vfWrite(0, V.VFMAILBOX.offset, VFMailboxBits.request) }
        #expect(try b.nic.device.counters.mailboxOverruns == 9)
        b.vfWrite(1, V.VFMAILBOX.offset, VFMailboxBits.request)
        #expect(b.nic.read(R.PFMBICR.offset(0)) & 0x3 == 0x3, "the other VF's request still registers")
    }

    @Test func pfResetShowsRSTIUntilPFRSTDThenRSTD() throws {
        let b = try VFBench(count: 1)
        #expect(b.vfRead(0, V.VFMAILBOX.offset) & VFMailboxBits.resetInProgress != 0, "PF driver has not said PFRSTD yet")
        b.nic.write(R.CTRL_EXT.offset, UInt32(R.CTRL_EXT.pfResetDone.mask))
        let v = b.vfRead(0, V.VFMAILBOX.offset)
        #expect(v & VFMailboxBits.resetInProgress == 0)
        #expect(v & VFMailboxBits.resetDone != 0)
        #expect(b.vfRead(0, V.VFMAILBOX.offset) & VFMailboxBits.resetDone == 0, "RSTD is read to clear")
    }

    @Test func vfResetStopsItsQueuesAndTellsThePF() throws {
        let b = try VFBench(count: 2)
        b.nic.write(R.PFVFRE.offset(0), 0x3)
        b.nic.write(R.PFVFTE.offset(0), 0x3)
        b.vfWrite(1, V.VFTDLEN.offset(0), 128)
        b.vfWrite(1, V.VFTXDCTL.offset(0), UInt32(V.VFTXDCTL.enable.mask))
        #expect(b.nic.read(R.TXDCTL.offset(2)) & UInt32(R.TXDCTL.enable.mask) != 0, "VF 1 queue 0 is PF queue 2")
        b.vfWrite(1, V.VFCTRL.offset, UInt32(V.VFCTRL.resetField.mask))
        #expect(b.nic.read(R.TXDCTL.offset(2)) & UInt32(R.TXDCTL.enable.mask) == 0)
        #expect(b.nic.read(R.VFLREC.offset(0)) == 1 << 1)
        #expect(b.nic.read(R.PFVFRE.offset(0)) == 0x1)
        #expect(b.nic.read(R.PFVFTE.offset(0)) == 0x1)
        #expect(b.vfRead(1, V.VFMAILBOX.offset) & VFMailboxBits.resetDone != 0)
        b.nic.write(R.VFLREC.offset(0), 1 << 1)
        #expect(b.nic.read(R.VFLREC.offset(0)) == 0)
    }

    @Test func vfWithoutAPoolHasNoQueuesAndResetsSafely() throws {
        let b = try VFBench(count: 3)
        b.nic.write(R.GCR_EXT.offset, 0)
        b.nic.write(R.PFVTCTL.offset, 0)
        b.nic.write(R.VMVIR.offset(0), 0x4000_0005)
        let before = b.nic.bus.services.guestErrors.total
        b.vfWrite(1, V.VFTDBAL.offset(0), 0xdead_0000)
        #expect(b.nic.read(R.VMVIR.offset(0)) == 0x4000_0005, "a VF write never lands in a PF register")
        #expect(b.vfRead(1, V.VFRDH.offset(0)) == 0)
        b.vfWrite(2, V.VFCTRL.offset, UInt32(V.VFCTRL.resetField.mask))
        #expect(b.nic.bus.services.guestErrors.total == before + 2)
        #expect(b.nic.read(R.VFLREC.offset(0)) & (1 << 2) != 0, "the PF still sees the reset")
    }

    @Test func vfResetReturnsItsQueueRegistersToResetValues() throws {
        let b = try VFBench(count: 1)
        b.vfWrite(0, V.VFSRRCTL.offset(0), 0x1000_0004)
        b.vfWrite(0, V.VFTDWBAL.offset(1), 0x1001)
        b.vfWrite(0, V.VFCTRL.offset, UInt32(V.VFCTRL.resetField.mask))
        #expect(b.vfRead(0, V.VFSRRCTL.offset(0)) == UInt32(V.VFSRRCTL.reset))
        #expect(b.vfRead(0, V.VFTDWBAL.offset(1)) == 0)
    }

    @Test func vfQueueWindowStopsAtThePoolsQueues() throws {
        let b = try VFBench(count: 1)
        b.vfWrite(0, V.VFRDLEN.offset(1), 256)
        #expect(b.nic.read(R.RDLEN.offset(1)) == 256)
        let before = b.nic.bus.services.guestErrors.total
        b.vfWrite(0, V.VFRDLEN.offset(2), 256)
        #expect(b.vfRead(0, V.VFRDLEN.offset(2)) == 0)
        #expect(b.nic.read(R.RDLEN.offset(2)) == 0, "pool 0 has two queues in 64-pool mode")
        #expect(b.nic.bus.services.guestErrors.total == before + 2)
    }
}
