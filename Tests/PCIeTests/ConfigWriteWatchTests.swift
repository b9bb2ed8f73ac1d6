import PCIe
import RegisterModel
import Testing

/// A config write compares Command, PMCSR and the SR-IOV registers before and after only where
/// it lands: every access width that reaches one of them must still see its change, and a
/// write beside them must not.
@Suite("config write side effects by the bytes a write covers")
struct ConfigWriteWatchTests {
    /// A function at 00:03.0 with BAR0 at 0xe000_0000 and memory decode off.
    static func bench() throws -> Bench {
        let b = try Bench()
        b.write(0x10, .dword, 0xe000_0000)
        return b
    }

    static let bar0 = BusAddress(0xe000_0000)

    @Test("Memory Space Enable by a byte, a word and a dword write reaching Command maps BAR0; a byte write clears it")
    func commandByEveryWidth() throws {
        for (offset, width) in [(0x04, AccessWidth.byte), (0x04, .word), (0x04, .dword)] {
            let b = try Self.bench()
            b.bus.mmioWrite(Self.bar0, width: .dword, value: 7)
            #expect(b.model.writes == 0, "decode is off before the write")
            b.write(offset, width, 0x2)
            b.bus.mmioWrite(Self.bar0, width: .dword, value: 7)
            #expect(b.model.writes == 1, "\(width) write at \(offset) enabled decode")
            b.write(0x04, .byte, 0)
            #expect(b.bus.mmioRead(Self.bar0, width: .dword) == 0xffff_ffff, "a byte write turned it off")
        }
    }

    @Test("a write to Status or the cache line beside Command changes no decode")
    func besideCommand() throws {
        let b = try Self.bench()
        b.enable()
        b.write(0x06, .word, 0xffff)
        b.write(0x0c, .dword, 0xffff_ffff)
        b.write(0x03, .byte, 0xff)
        b.bus.mmioWrite(Self.bar0, width: .dword, value: 9)
        #expect(b.bus.mmioRead(Self.bar0, width: .dword) == 9)
    }

    @Test("an unsupported power state written by a byte, a word or a dword keeps the state before it (D3hot)")
    func powerStateByEveryWidth() throws {
        let pmcsr = 0x40 + 4
        for (offset, width) in [(pmcsr, AccessWidth.byte), (pmcsr, .word), (0x40 + 4, .dword)] {
            let b = try Self.bench()
            b.write(pmcsr, .word, 0x3)
            #expect(b.read(pmcsr, .word) & 3 == 3)
            b.write(offset, width, 0x1)  // D1: not supported by the fixture's PMC
            #expect(b.read(pmcsr, .word) & 3 == 3, "\(width) write of D1 at \(offset)")
        }
    }

    @Test("NumVFs written while VF Enable is set, alone or with SR-IOV Control, keeps its value")
    func numVFsWhileEnabled() throws {
        let control = 0x160 + 8
        let numVFs = 0x160 + 0x10
        let b = try Self.bench()
        b.write(numVFs, .word, 4)
        b.write(control, .word, 0x1)  // VF Enable
        b.write(numVFs, .word, 2)
        #expect(b.read(numVFs, .word) == 4)
        b.write(numVFs, .byte, 3)
        #expect(b.read(numVFs, .word) == 4)
    }
}
