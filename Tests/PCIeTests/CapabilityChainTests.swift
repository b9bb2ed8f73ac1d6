import PCIe
import Testing

/// Walks a function's capability lists through guest config reads, as an OS does.
struct CapabilityWalker {
    let read: (Int, AccessWidth) -> UInt32

    /// (id, offset) of every classic capability from the pointer at 0x34; nil if the chain loops
    /// or leaves 0x40...0xff.
    func classic() -> [(id: UInt8, offset: Int)]? {
        var out: [(UInt8, Int)] = []
        var seen = Set<Int>()
        var at = Int(read(0x34, .byte)) & ~3
        while at != 0 {
            guard at >= 0x40, at <= 0xfc, seen.insert(at).inserted else { return nil }
            out.append((UInt8(read(at, .byte)), at))
            at = Int(read(at + 1, .byte)) & ~3
        }
        return out
    }

    /// (id, offset) of every extended capability from 0x100; nil if the chain loops or leaves
    /// 0x100...0xffc.
    func extended() -> [(id: UInt16, offset: Int)]? {
        var out: [(UInt16, Int)] = []
        var seen = Set<Int>()
        var at = 0x100
        while at != 0 {
            guard at >= 0x100, at <= 0xffc, seen.insert(at).inserted else { return nil }
            let header = read(at, .dword)
            guard header != 0 else { break }
            out.append((UInt16(truncatingIfNeeded: header), at))
            at = Int(header >> 20) & ~3
        }
        return out
    }
}

@Suite("Capability lists (PCI 3.0 §6.7, PCIe Base §7.6)")
struct CapabilityChainTests {
    @Test("Classic and extended chains list exactly the requested capabilities at the requested offsets")
    func fixedOffsets() throws {
        let b = try Bench()
        let walker = CapabilityWalker { b.read($0, $1) }
        let classic = try #require(walker.classic())
        #expect(classic.map(\.id) == [0x01, 0x05, 0x11, 0x10])
        #expect(classic.map(\.offset) == [0x40, 0x50, 0x70, 0xa0])
        let extended = try #require(walker.extended())
        #expect(extended.map(\.id) == [0x0001, 0x0003, 0x000e, 0x0010])
        #expect(extended.map(\.offset) == [0x100, 0x140, 0x150, 0x160])
        #expect(b.read(0x06, .word) & 0x10 != 0, "Capabilities List status bit")
        let caps = b.function.capabilities
        #expect(caps.powerManagement == 0x40 && caps.msi == 0x50 && caps.msix == 0x70 && caps.pciExpress == 0xa0)
        #expect(caps.aer == 0x100 && caps.deviceSerialNumber == 0x140 && caps.ari == 0x150 && caps.sriov == 0x160)
    }

    @Test("Capabilities without fixed offsets are packed dword-aligned in request order")
    func automaticPlacement() throws {
        let config = FunctionConfiguration(
            identity: Fixtures.identity, bars: [],
            capabilities: [
                .init(.pciExpress(PCIExpressProperties())), .init(.msi(vectors: 1)), .init(.powerManagement),
                .init(.ari(nextFunction: 0)), .init(.advancedErrorReporting),
            ])
        let b = try Bench(config)
        let walker = CapabilityWalker { b.read($0, $1) }
        let classic = try #require(walker.classic())
        #expect(classic.map(\.id) == [0x10, 0x05, 0x01])
        #expect(classic.map(\.offset) == [0x40, 0x7c, 0x94])
        let extended = try #require(walker.extended())
        #expect(extended.map(\.id) == [0x000e, 0x0001])
        #expect(extended.map(\.offset) == [0x100, 0x108])
    }

    @Test("A function without capabilities has a zero pointer, clear Capabilities List and an empty extended list")
    func noCapabilities() throws {
        let b = try Bench(FunctionConfiguration(identity: Fixtures.identity, bars: [], capabilities: []))
        #expect(b.read(0x34, .byte) == 0)
        #expect(b.read(0x06, .word) & 0x10 == 0)
        let walker = CapabilityWalker { b.read($0, $1) }
        #expect(try #require(walker.classic()).isEmpty)
        #expect(try #require(walker.extended()).isEmpty)
    }

    @Test("Overlapping or misplaced capability requests are configuration errors")
    func placementErrors() {
        func build(_ caps: [PlacedCapability]) -> ConfigurationError? {
            do {
                _ = try ConfigSpaceBuilder.build(FunctionConfiguration(identity: Fixtures.identity, bars: [], capabilities: caps))
                return nil
            } catch { return error }
        }
        #expect(build([.init(.msi(vectors: 1), at: 0x40), .init(.powerManagement, at: 0x48)]) != nil, "MSI is 0x18 long")
        #expect(build([.init(.powerManagement, at: 0x3c)]) != nil, "inside the header")
        #expect(build([.init(.powerManagement, at: 0x42)]) != nil, "not dword aligned")
        #expect(build([.init(.pciExpress(PCIExpressProperties()), at: 0xd0)]) != nil, "leaves classic space")
        #expect(build([.init(.advancedErrorReporting, at: 0x80)]) != nil, "extended below 0x100")
        #expect(build([.init(.advancedErrorReporting, at: 0xff0)]) != nil, "past 4 KiB")
        #expect(build([.init(.powerManagement, at: 0x40), .init(.advancedErrorReporting, at: 0x100)]) == nil)
    }
}
