import PCIe
import RegisterModel
import Testing

/// PCI Local Bus 3.0 §6.2 and PCIe Base §7: guest writes obey RO, RW, W1C and reserved semantics.
@Suite("Config space access semantics")
struct ConfigSpaceSemanticsTests {
    @Test("Header read-only registers ignore writes of all ones")
    func headerReadOnlyHolds() throws {
        let b = try Bench()
        for (offset, width) in [
            (0x00, AccessWidth.word), (0x02, .word), (0x08, .byte), (0x09, .byte), (0x0a, .byte),
            (0x0b, .byte), (0x0e, .byte), (0x2c, .word), (0x2e, .word), (0x34, .byte), (0x3d, .byte),
        ] {
            let before = b.read(offset, width)
            #expect(b.writeRead(offset, width, 0xffff_ffff) == before, "offset 0x\(String(offset, radix: 16))")
        }
        #expect(b.read(0x00, .word) == 0x8086)
        #expect(b.read(0x02, .word) == 0x10fb)
        #expect(b.read(0x08) >> 8 == 0x020000)
        #expect(b.read(0x34, .byte) == 0x40)
    }

    @Test("Command: Memory Space and Bus Master Enable take writes, reserved bits read zero")
    func commandWritable() throws {
        let b = try Bench()
        #expect(b.read(0x04, .word) == 0)
        #expect(b.writeRead(0x04, .word, 0x0006) == 0x0006)
        #expect(b.function.memoryDecodeEnabled)
        #expect(b.function.busMasterEnabled)
        // Bits 11-15 are reserved, SpecialCycle/MWI/VGA/IDSEL/FastB2B are hardwired zero.
        #expect(b.writeRead(0x04, .word, 0xffff) == 0x0547)
        #expect(b.writeRead(0x04, .word, 0) == 0)
        #expect(!b.function.busMasterEnabled)
    }

    @Test("Status error bits are write-one-to-clear; writing zero keeps them")
    func statusW1C() throws {
        let b = try Bench()
        let errors: UInt64 = 0xf900  // parity, SERR, master abort, target aborts, master data parity
        b.function.updateConfig { $0.set(ConfigOffset(0x06), width: .word, value: 0x0010 | errors) }
        #expect(b.read(0x06, .word) == 0x0010 | UInt32(errors))
        b.write(0x06, .word, 0)
        #expect(b.read(0x06, .word) == 0x0010 | UInt32(errors), "writing zero keeps W1C bits")
        b.write(0x06, .word, 0x2000)  // clear Received Master Abort only
        #expect(b.read(0x06, .word) == 0x0010 | UInt32(errors & ~0x2000))
        b.write(0x06, .word, 0xffff)
        #expect(b.read(0x06, .word) == 0x0010, "Capabilities List is read-only and stays set")
    }

    @Test("Command and Status written as one dword act independently")
    func commandStatusDword() throws {
        let b = try Bench()
        b.function.updateConfig { $0.set(ConfigOffset(0x06), width: .word, value: 0x0010 | 0x8000) }
        b.write(0x04, .dword, 0x0000_0002)  // MSE, Status half zero: keep the error
        #expect(b.read(0x04) == 0x8010_0002)
        b.write(0x04, .dword, 0x8000_0002)
        #expect(b.read(0x04) == 0x0010_0002)
    }

    @Test("Capability IDs and next pointers are read-only")
    func capabilityHeadersReadOnly() throws {
        let b = try Bench()
        for at in [0x40, 0x50, 0x70, 0xa0] {
            let before = b.read(at, .word)
            #expect(b.writeRead(at, .word, 0xffff) == before)
        }
        for at in [0x100, 0x140, 0x150, 0x160] {
            let before = b.read(at)
            #expect(b.writeRead(at, .dword, 0xffff_ffff) == before)
        }
    }

    @Test("MSI: Message Address and Data take writes, address bits 1:0 read zero, capable fields hold")
    func msiWritable() throws {
        let b = try Bench()
        let control = b.read(0x52, .word)
        #expect(control & 0x0e == 2 << 1, "4 vectors requested")
        #expect(control & 0x180 == 0x180, "64-bit and per-vector masking capable")
        #expect(b.writeRead(0x54, .dword, 0xfee0_100f) == 0xfee0_100c)
        #expect(b.writeRead(0x58, .dword, 0x1234_5678) == 0x1234_5678)
        #expect(b.writeRead(0x5c, .word, 0x4041) == 0x4041)
        // Enable + Multiple Message Enable take; capable bits hold.
        #expect(b.writeRead(0x52, .word, 0xffff) == 0x01f5)
        #expect(b.read(0x60) == 0 && b.writeRead(0x60, .dword, 0xf) == 0xf, "mask bits are read-write")
        #expect(b.writeRead(0x64, .dword, 0xffff_ffff) == 0, "pending bits are read-only")
    }

    @Test("MSI-X: Table Size, BIR and offsets are read-only; Enable and Function Mask take")
    func msixControl() throws {
        let b = try Bench()
        #expect(b.read(0x72, .word) == 7)
        #expect(b.writeRead(0x72, .word, 0x07ff) == 7)
        #expect(b.writeRead(0x72, .word, 0xc000) == 0xc007)
        #expect(b.function.msix?.enabled == true)
        #expect(b.function.msix?.functionMasked == true)
        #expect(b.writeRead(0x74, .dword, 0xffff_ffff) == 4)
        #expect(b.writeRead(0x78, .dword, 0xffff_ffff) == 0x2004)
    }

    @Test("PM: PMCSR PowerState takes writes, PMC and NoSoftReset hold, PME Status is W1C")
    func powerManagement() throws {
        let b = try Bench()
        #expect(b.read(0x42, .word) == 0x4823)
        #expect(b.writeRead(0x42, .word, 0xffff) == 0x4823)
        #expect(b.writeRead(0x44, .word, 3) == 3)
        #expect(b.writeRead(0x44, .word, 1) == 3, "D1 is not supported: the write is discarded")
        #expect(b.writeRead(0x44, .word, 0x0102) == 0x0103, "D2 is not supported; PME Enable still takes")
        #expect(b.writeRead(0x44, .word, 0) == 0)
        b.function.updateConfig { $0.set(ConfigOffset(0x42), width: .word, value: 0x4823 | 0x0200) }
        #expect(b.writeRead(0x44, .word, 1) == 1, "D1 is accepted once PMC advertises it")
        b.write(0x44, .word, 0)
        b.function.updateConfig { $0.set(ConfigOffset(0x44), width: .word, value: 0x8000) }
        #expect(b.writeRead(0x44, .word, 0) == 0x8000)
        #expect(b.writeRead(0x44, .word, 0x8000) == 0)
    }

    @Test("PCIe: Device Capabilities hold, Device Control MPS takes, Device Status is W1C")
    func pciExpressDevice() throws {
        let b = try Bench()
        let devcap = b.read(0xa4)
        #expect(devcap & 0x7 == 2, "MPS supported 512 B")
        #expect(devcap & (1 << 28) != 0, "FLR capable")
        #expect(devcap & (1 << 15) != 0, "Role-Based Error Reporting is set by every PCIe 1.1+ function")
        #expect(b.writeRead(0xa4, .dword, 0xffff_ffff) == devcap)
        let control = b.read(0xa8, .word)
        #expect(control == 0x2810)
        let mps256 = (control & ~0xe0) | 1 << 5
        #expect(b.writeRead(0xa8, .word, mps256) == mps256)
        b.function.updateConfig { $0.set(ConfigOffset(0xaa), width: .word, value: 0x000f) }
        #expect(b.writeRead(0xaa, .word, 0) == 0x000f)
        #expect(b.writeRead(0xaa, .word, 0x0005) == 0x000a)
        #expect(b.writeRead(0xaa, .word, 0xffff) == 0)
        let link = b.read(0xac)
        #expect(link & 0xf == 2 && (link >> 4) & 0x3f == 8, "5 GT/s x8")
        #expect(b.writeRead(0xac, .dword, 0) == link)
    }

    @Test("AER: Uncorrectable Error Status is W1C, Severity takes writes, Header Log holds")
    func aer() throws {
        let b = try Bench()
        b.function.updateConfig { $0.set(ConfigOffset(0x104), width: .dword, value: 0x0010_1010) }
        #expect(b.writeRead(0x104, .dword, 0) == 0x0010_1010)
        #expect(b.writeRead(0x104, .dword, 0x0000_1000) == 0x0010_0010)
        #expect(b.writeRead(0x104, .dword, 0xffff_ffff) == 0)
        #expect(b.read(0x10c) == 0x0006_2030)
        #expect(b.writeRead(0x10c, .dword, 0) == 0)
        #expect(b.writeRead(0x10c, .dword, 0xffff_ffff) == 0x003f_f030, "only defined severity bits take")
        #expect(b.writeRead(0x11c, .dword, 0xffff_ffff) == 0)
    }

    @Test("Device Serial Number reads the configured serial and is read-only")
    func serialNumber() throws {
        let b = try Bench()
        #expect(b.read(0x144) == 0x4455_6677)
        #expect(b.read(0x148) == 0x0011_2233)
        #expect(b.writeRead(0x144, .dword, 0) == 0x4455_6677)
    }

    @Test("SR-IOV: TotalVFs, VF Device ID, First VF Offset, VF Stride and page sizes are read-only")
    func sriovReadOnly() throws {
        let b = try Bench()
        for (offset, expected) in [(0x16e, 8), (0x17a, 0x10ed), (0x174, 0x180), (0x176, 2), (0x16c, 8)] {
            #expect(b.writeRead(offset, .word, 0xffff) == UInt32(expected), "0x\(String(offset, radix: 16))")
        }
        #expect(b.writeRead(0x17c, .dword, 0) == 0x553)
        #expect(b.writeRead(0x180, .dword, 0x10) == 0x10, "System Page Size takes writes")
        #expect(b.writeRead(0x170, .word, 4) == 4, "NumVFs takes writes while VF Enable is clear")
    }

    @Test("Unused config space and reserved header fields read zero after writes")
    func reservedReadsZero() throws {
        let b = try Bench()
        for offset in [0x28, 0x30, 0x38, 0xf0, 0x200, 0xffc] {
            #expect(b.writeRead(offset, .dword, 0xffff_ffff) == 0, "0x\(String(offset, radix: 16))")
        }
        #expect(b.writeRead(0x3e, .word, 0xffff) == 0, "Min_Gnt and Max_Lat are read-only zero")
        #expect(b.writeRead(0x3c, .byte, 0x0b) == 0x0b, "Interrupt Line is read-write")
        #expect(b.writeRead(0x0c, .byte, 0x10) == 0x10, "Cache Line Size is read-write")
        #expect(b.writeRead(0x0d, .byte, 0xff) == 0, "Latency Timer is hardwired zero on PCIe")
    }

    @Test(
        "Misaligned and out-of-range config accesses read all ones, drop writes and are recorded",
        arguments: [
            (0x01, AccessWidth.word), (0x02, .dword), (0x03, .dword), (0xfff, .word), (0x1000, .byte),
            (-4, .dword), (0x00, .qword),
        ])
    func badConfigAccess(offset: Int, width: AccessWidth) throws {
        let b = try Bench()
        let before = b.function.config.guestVisibleBytes
        #expect(UInt64(b.read(offset, width)) == width.allOnes & 0xffff_ffff)
        b.write(offset, width, 0)
        #expect(b.function.config.guestVisibleBytes == before)
        let errors = b.bus.services.guestErrors.entries
        #expect(errors.count == 2)
        for e in errors {
            #expect(e.kind == .badConfigAccess)
            #expect(e.function == b.bdf)
            #expect(e.detail.contains(ConfigOffset(offset).description))
        }
    }

    @Test("An empty slot reads all ones and drops writes without a record")
    func emptySlot() throws {
        let b = try Bench()
        let empty = BDF(bus: 0, device: 4, function: 0)
        #expect(b.bus.configRead(empty, 0, width: .dword) == 0xffff_ffff)
        b.bus.configWrite(empty, 4, width: .word, value: 6)
        #expect(b.bus.function(at: empty) == nil)
    }
}
