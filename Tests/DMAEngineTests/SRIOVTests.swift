import DMAEngine
import PCIe
import Testing

/// SR-IOV 1.1 §3.3 on the DMA engine PF (TotalVFs 64, SR-IOV capability at 0x160).
@Suite("DMA engine SR-IOV")
struct SRIOVTests {
    static let sriov = 0x160
    static let control = sriov + 0x08
    static let numVFs = sriov + 0x10
    static let vfBAR0 = sriov + 0x24

    struct Setup {
        let t: EngineBench
        var pf: PCIFunction { t.functions[0] }
        var bus: PCIBus { t.bus }

        init() throws { t = try EngineBench(count: 1, totalVFs: 64) }

        func write(_ offset: Int, _ width: AccessWidth, _ value: UInt32) {
            bus.configWrite(pf.bdf, ConfigOffset(offset), width: width, value: value)
        }
        func read(_ offset: Int, _ width: AccessWidth) -> UInt32 { bus.configRead(pf.bdf, ConfigOffset(offset), width: width) }

        func enable(_ n: UInt32, ari: Bool) {
            write(SRIOVTests.numVFs, .word, n)
            write(SRIOVTests.control, .word, ari ? 0x10 : 0)
            write(SRIOVTests.control, .word, (ari ? 0x10 : 0) | 0x8 | 0x1)
        }

        func vfBAR0Base() throws -> UInt64 {
            try #require(t.report.placements.first { $0.isVFBAR && $0.bar == 0 }).base
        }
    }

    @Test("TotalVFs and the VF BARs are advertised; firmware reserves TotalVFs windows per VF BAR")
    func advertised() throws {
        let s = try Setup()
        #expect(s.read(Self.sriov + 0x0e, .word) == 64)
        #expect(s.read(Self.sriov + 0x1a, .word) == 0xdb02)
        let vfBARs = s.t.report.placements.filter(\.isVFBAR)
        #expect(vfBARs.map(\.bar) == [0, 3] || vfBARs.map(\.bar) == [3, 0])
        for p in vfBARs {
            #expect(p.size == 0x4000)
            #expect(p.base % p.size == 0)
            #expect(p.base >= 1 << 32, "64-bit prefetchable VF BARs go above 4 GiB")
        }
    }

    @Test("With ARI, VF n appears at PF + 0x80 + 2n with ids 0xffff in config and 1234:db02 to the OS", arguments: [true, false])
    func vfsAppear(ari: Bool) throws {
        let s = try Setup()
        s.enable(64, ari: ari)
        #expect(s.pf.vfEnabled)
        #expect(s.pf.virtualFunctions.count == 64)
        let first = ari ? 0x80 : 0x180
        #expect(s.read(Self.sriov + 0x14, .word) == UInt32(first))
        #expect(s.read(Self.sriov + 0x16, .word) == 2)
        for (n, vf) in s.pf.virtualFunctions.enumerated() {
            let rid = BDF(routingID: s.pf.bdf.routingID + UInt16(first + 2 * n))
            #expect(vf.bdf == rid)
            #expect(s.bus.function(at: rid) === vf)
            #expect(vf.isVirtualFunction)
            #expect(vf.physicalFunction === s.pf)
            #expect(vf.virtualFunctionIndex == n)
            #expect(s.bus.configRead(rid, 0, width: .dword) == 0xffff_ffff)
            #expect(vf.vendorID == 0x1234 && vf.deviceID == 0xdb02)
            #expect(vf.dma.function == rid)
        }
        #expect(s.bus.function(at: BDF(routingID: s.pf.bdf.routingID + UInt16(first + 1))) == nil, "stride 2 leaves gaps")
    }

    @Test("VF BAR windows are VF BAR + n * size and decode to the right VF")
    func vfWindows() throws {
        let s = try Setup()
        s.enable(64, ari: true)
        let base = try s.vfBAR0Base()
        for n in [0, 1, 31, 63] {
            let vf = s.pf.virtualFunctions[n]
            #expect(vf.barAddress(0) == base + UInt64(n) * 0x4000)
            s.bus.mmioWrite(BusAddress(base + UInt64(n) * 0x4000 + 0x2c), width: .dword, value: UInt64(0x100 + n))
        }
        for n in [0, 1, 31, 63] {
            let access = s.bus.access(s.pf.virtualFunctions[n].bdf)
            #expect(access.read32(BARIndex(clamping: 0), 0x2c) == UInt32(0x100 + n))
            #expect(access.read32(BARIndex(clamping: 0), 0) == 0xdb01_0001)
        }
        #expect(s.bus.mmioRead(BusAddress(base + 2 * 0x4000 + 0x2c), width: .dword) == 0)
        let pfBase = try #require(s.pf.barAddress(0))
        #expect(s.bus.mmioRead(BusAddress(pfBase + 0x2c), width: .dword) == 0, "the PF's scratch is its own")
        #expect(s.bus.services.guestErrors.total == 0)
    }

    @Test("VF MSE clear: VF windows are not decoded")
    func vfMSE() throws {
        let s = try Setup()
        s.enable(4, ari: true)
        let base = try s.vfBAR0Base()
        #expect(s.bus.mmioRead(BusAddress(base), width: .dword) == 0xdb01_0001)
        s.write(Self.control, .word, 0x11)
        #expect(s.bus.mmioRead(BusAddress(base), width: .dword) == 0xffff_ffff)
        #expect(s.pf.virtualFunctions.count == 4)
        s.write(Self.control, .word, 0x19)
        #expect(s.bus.mmioRead(BusAddress(base), width: .dword) == 0xdb01_0001)
    }

    @Test("Clearing VF Enable removes every VF and its windows")
    func disable() throws {
        let s = try Setup()
        s.enable(8, ari: true)
        let rids = s.pf.virtualFunctions.map(\.bdf)
        let base = try s.vfBAR0Base()
        s.write(Self.control, .word, 0x18)
        #expect(s.pf.virtualFunctions.isEmpty)
        for rid in rids {
            #expect(s.bus.function(at: rid) == nil)
            #expect(s.bus.configRead(rid, 0, width: .dword) == 0xffff_ffff)
        }
        #expect(s.bus.mmioRead(BusAddress(base), width: .dword) == 0xffff_ffff)
        #expect(s.bus.functions.count == 1)
    }

    @Test("NumVFs above TotalVFs leaves VF Enable clear and records a guest error")
    func tooManyVFs() throws {
        let s = try Setup()
        s.enable(65, ari: true)
        #expect(!s.pf.vfEnabled)
        #expect(s.read(Self.control, .word) & 1 == 0)
        #expect(s.pf.virtualFunctions.isEmpty)
        let errors = s.bus.services.guestErrors.entries.filter { $0.kind == .badSRIOVProgramming }
        #expect(errors.count == 1)
        #expect(errors.first?.function == s.pf.bdf)
    }

    @Test("NumVFs and ARI Capable Hierarchy writes while VF Enable is set are ignored and recorded")
    func changeWhileEnabled() throws {
        let s = try Setup()
        s.enable(4, ari: true)
        s.write(Self.numVFs, .word, 16)
        #expect(s.read(Self.numVFs, .word) == 4)
        #expect(s.pf.virtualFunctions.count == 4)
        s.write(Self.control, .word, 0x09)
        #expect(s.read(Self.control, .word) == 0x19)
        #expect(s.pf.virtualFunctions.first?.bdf == BDF(routingID: s.pf.bdf.routingID + 0x80))
        #expect(s.bus.services.guestErrors.counts[.badSRIOVProgramming] == 2)
    }

    @Test("FLR of the PF removes its VFs and returns config space to reset")
    func flrRemovesVFs() throws {
        let s = try Setup()
        s.enable(8, ari: true)
        let rids = s.pf.virtualFunctions.map(\.bdf)
        let devctl = s.read(0xa8, .word)
        s.write(0xa8, .word, devctl | 0x8000)
        #expect(s.pf.virtualFunctions.isEmpty)
        #expect(rids.allSatisfy { s.bus.function(at: $0) == nil })
        #expect(s.read(Self.control, .word) == 0)
        #expect(s.read(Self.numVFs, .word) == 0)
        #expect(s.read(Self.sriov + 0x14, .word) == 0x180)
        #expect(s.bus.windows.isEmpty)
    }

    @Test("A VF's config space: no BARs, Memory Space Enable hardwired zero, MSI-X with 2 vectors")
    func vfConfig() throws {
        let s = try Setup()
        s.enable(2, ari: true)
        let vf = try #require(s.pf.virtualFunctions.first)
        for bar in 0..<6 {
            s.bus.configWrite(vf.bdf, ConfigOffset(0x10 + 4 * bar), width: .dword, value: 0xffff_ffff)
            #expect(s.bus.configRead(vf.bdf, ConfigOffset(0x10 + 4 * bar), width: .dword) == 0)
        }
        s.bus.configWrite(vf.bdf, 4, width: .word, value: 0x6)
        #expect(s.bus.configRead(vf.bdf, 4, width: .word) == 0x4, "only Bus Master Enable takes")
        #expect(vf.memoryDecodeEnabled, "decode follows the PF's VF MSE")
        #expect(s.bus.configRead(vf.bdf, 0x72, width: .word) & 0x7ff == 1)
    }
}
