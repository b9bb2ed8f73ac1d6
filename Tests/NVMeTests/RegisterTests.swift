import NVMe
import PCIe
import RegisterModel
import Testing

@Suite("Controller registers and PCI identity (NVMe Base §3.1)")
struct RegisterTests {
    @Test("EBS identity: 1d0f:8061, class 010802, BAR0 16 KiB, PM/PCIe/MSI-X with the table above the doorbells")
    func ebsIdentity() throws {
        let t = try NVMeBench()
        #expect(t.access.configRead(0, width: .word) == 0x1d0f)
        #expect(t.access.configRead(2, width: .word) == 0x8061)
        #expect(t.access.configRead(8, width: .dword) >> 8 == 0x010802)
        #expect(t.access.configRead(0x2e, width: .word) == 0x8061)
        #expect(t.function.capabilities.powerManagement == ConfigOffset(0x40))
        #expect(t.function.capabilities.pciExpress == ConfigOffset(0x70))
        #expect(t.function.capabilities.msix == ConfigOffset(0xb0))
        #expect(t.function.configuration.bars[0] == BARDefinition(.memory32, size: 0x4000))
        #expect(t.function.configuration.bars[2] == nil)
        let msix = try #require(t.function.msix)
        #expect(msix.vectorCount == 3)
        #expect(msix.tableBAR == NVMe.registerBAR && msix.tableOffset == 0x2000)
        #expect(msix.pbaOffset == 0x3000)
    }

    @Test("Instance storage identity: 1d0f:cd01 with an 8 KiB prefetchable BAR2")
    func instanceStoreIdentity() throws {
        let t = try NVMeBench(instanceStoreConfiguration())
        #expect(t.access.configRead(2, width: .word) == 0xcd01)
        #expect(t.function.configuration.bars[2] == BARDefinition(.memory32, size: 0x2000, prefetchable: true))
        #expect(t.controller.isEncrypted)
        #expect(t.access.read32(NVMe.auxiliaryBAR, 0) == 0)
    }

    @Test("Reset values: CAP fields, VS 1.4, CC/CSTS/AQA/ASQ/ACQ zero")
    func resetValues() throws {
        let t = try NVMeBench()
        let cap = t.read64(R.CAP.offset)
        #expect(R.CAP.mqes.extract(from: cap) == 1023)
        #expect(R.CAP.cqr.isSet(in: cap))
        #expect(R.CAP.to.extract(from: cap) == 20)
        #expect(R.CAP.dstrd.extract(from: cap) == 0)
        #expect(R.CAP.nssrs.isSet(in: cap))
        #expect(R.CAP.css.extract(from: cap) == 1)
        #expect(R.CAP.mpsmin.extract(from: cap) == 0 && R.CAP.mpsmax.extract(from: cap) == 0)
        #expect(UInt64(t.read32(R.CAP.offset)) | UInt64(t.read32(R.CAP.offset + 4)) << 32 == cap)
        #expect(t.read32(R.VS.offset) == 0x0001_0400)
        for offset in [R.CC.offset, R.CSTS.offset, R.AQA.offset, R.NSSR.offset, R.CMBLOC.offset, R.CMBSZ.offset] {
            #expect(t.read32(offset) == 0)
        }
        #expect(t.read64(R.ASQ.offset) == 0 && t.read64(R.ACQ.offset) == 0)
    }

    @Test("CAP and VS are read-only")
    func readOnly() throws {
        let t = try NVMeBench()
        let cap = t.read64(R.CAP.offset)
        t.write64(R.CAP.offset, 0)
        t.write32(R.VS.offset, 0)
        #expect(t.read64(R.CAP.offset) == cap)
        #expect(t.read32(R.VS.offset) == 0x0001_0400)
    }

    @Test("INTMS sets and INTMC clears the interrupt mask; both read it")
    func interruptMask() throws {
        let t = try NVMeBench()
        t.write32(R.INTMS.offset, 0x5)
        t.write32(R.INTMS.offset, 0x2)
        #expect(t.read32(R.INTMS.offset) == 0x7)
        t.write32(R.INTMC.offset, 0x1)
        #expect(t.read32(R.INTMC.offset) == 0x6)
        #expect(t.read32(R.INTMS.offset) == 0x6)
    }

    @Test("A read of an unimplemented register is a recorded guest error returning 0")
    func unimplemented() throws {
        let t = try NVMeBench()
        #expect(t.read32(0x100) == 0)
        #expect(t.guestErrors.last?.kind == .badMMIOAccess)
    }
}
