import PCIe
import Testing

/// PCI Local Bus 3.0 §6.2.5.1: BAR sizing by writing all ones and reading back the mask.
@Suite("BAR sizing")
struct BARSizingTests {
    /// Writes all ones to the dword at `offset`, reads it back and restores the original.
    func probe(_ b: Bench, _ offset: Int) -> UInt32 {
        let original = b.read(offset)
        let mask = b.writeRead(offset, .dword, 0xffff_ffff)
        b.write(offset, .dword, original)
        return mask
    }

    @Test("Header BARs read back size mask and flag bits after all ones")
    func headerBARs() throws {
        let b = try Bench()
        #expect(b.read(0x10) == 0, "32-bit non-prefetchable flags")
        #expect(probe(b, 0x10) == 0xffff_f000)
        #expect(b.read(0x14) == 0x1, "I/O flag")
        #expect(probe(b, 0x14) == 0xffff_ffe1)
        #expect(b.read(0x18) == 0xc, "64-bit prefetchable flags")
        #expect(probe(b, 0x18) == 0xffff_c00c)
        #expect(probe(b, 0x1c) == 0xffff_ffff, "upper dword of a 64-bit BAR is fully writable")
        #expect(probe(b, 0x20) == 0xffff_0008, "32-bit prefetchable")
        #expect(probe(b, 0x24) == 0, "unimplemented BAR")
        #expect(b.read(0x24) == 0)
    }

    @Test("Programmed BAR values read back with flags and restore after sizing")
    func programAndRestore() throws {
        let b = try Bench()
        b.write(0x10, .dword, 0xfebf_1234)
        #expect(b.read(0x10) == 0xfebf_1000, "bits below the size read zero")
        b.write(0x18, .dword, 0x0000_8000)
        b.write(0x1c, .dword, 0x0000_0080)
        #expect(b.read(0x18) == 0x0000_800c)
        #expect(b.read(0x1c) == 0x80)
        #expect(b.function.barAddress(2) == 0x80_0000_8000)
        _ = probe(b, 0x18)
        _ = probe(b, 0x1c)
        #expect(b.function.barAddress(2) == 0x80_0000_8000)
        #expect(b.function.barAddress(0) == 0xfebf_1000)
        #expect(b.function.barAddress(5) == nil)
    }

    @Test("SR-IOV VF BARs size per VF like header BARs")
    func vfBARs() throws {
        let b = try Bench()
        let vfBAR0 = 0x160 + 0x24
        #expect(b.read(vfBAR0) == 0xc)
        #expect(probe(b, vfBAR0) == 0xffff_c00c)
        #expect(probe(b, vfBAR0 + 4) == 0xffff_ffff)
        #expect(probe(b, vfBAR0 + 8) == 0xffff_e000, "VF BAR2: 32-bit 8 KiB")
        for unimplemented in [vfBAR0 + 12, vfBAR0 + 16, vfBAR0 + 20] {
            #expect(probe(b, unimplemented) == 0)
        }
    }

    @Test("BAR definitions round sizes up to a power of two of at least the minimum")
    func definitionRounding() {
        #expect(BARDefinition(.memory32, size: 0x1001).size == 0x2000)
        #expect(BARDefinition(.memory32, size: 1).size == 16)
        #expect(BARDefinition(.io, size: 1).size == 4)
        #expect(BARDefinition(.io, size: 0x20, prefetchable: true).prefetchable == false)
        #expect(BARDefinition(.memory64, size: 1 << 40).size == 1 << 40)
    }

    @Test("A 64-bit BAR in slot 5 or followed by another BAR is a configuration error")
    func badLayout() {
        func build(_ bars: [BARDefinition?]) -> ConfigurationError? {
            do {
                _ = try ConfigSpaceBuilder.build(FunctionConfiguration(identity: Fixtures.identity, bars: bars, capabilities: []))
                return nil
            } catch { return error }
        }
        #expect(build([nil, nil, nil, nil, nil, BARDefinition(.memory64, size: 0x1000)]) == .barLayout(5))
        #expect(build([BARDefinition(.memory64, size: 0x1000), BARDefinition(.memory32, size: 0x1000)]) == .barLayout(0))
        #expect(build([BARDefinition(.memory64, size: 0x1000), nil, BARDefinition(.memory32, size: 0x1000)]) == nil)
    }
}
