import Foundation
import Inspector
import PCIe
import Testing

/// Broken, looping and garbage capability chains terminate, print lspci's markers, and match
/// real lspci byte for byte.
@Suite struct CapabilityChainTests {
    let formatter = LspciFormatter(options: LspciOptions(verbosity: 1))

    func device(_ slot: UInt8, _ edit: (inout ConfigBuilder) -> Void) -> FunctionSnapshot {
        var c = ConfigBuilder(vendor: 0x1d0f, device: 0xec20, classCode: 0x02_0000)
        c.enable(command: 0x0006)
        edit(&c)
        return FunctionSnapshot(
            bdf: BDF(bus: 0, device: slot, function: 0), config: c.bytes,
            resources: [ResourceWindow](repeating: .none, count: 7))
    }

    var looped: FunctionSnapshot {
        device(1) { c in
            c.addCapability(0x01, at: 0x40, word: 0x0003)
            c.addCapability(0x05, at: 0x50, word: 0x0080)
            c.set8(0x51, 0x40)
        }
    }

    var broken: FunctionSnapshot {
        device(2) { c in
            c.addCapability(0x01, at: 0x40, word: 0x0003)
            c.set8(0x41, 0xf0)
            for offset in 0xf0..<0x100 { c.set8(offset, 0xff) }
        }
    }

    var lowPointer: FunctionSnapshot {
        device(3) { c in
            c.addCapability(0x10, at: 0x40, word: 0x0002)
            c.set8(0x41, 0x08)  // into the header: class/revision bytes read as a capability
        }
    }

    var extendedLoop: FunctionSnapshot {
        device(4) { c in
            c.addCapability(0x10, at: 0x40, word: 0x0002)
            c.addExtended(0x0001, version: 2, at: 0x100)
            c.addExtended(0x000e, version: 1, at: 0x150)
            c.set32(0x150, 0x1001_000e)  // next -> 0x100
        }
    }

    var extendedAllOnes: FunctionSnapshot {
        device(5) { c in
            c.addCapability(0x10, at: 0x40, word: 0x0002)
            c.set32(0x100, 0xffff_ffff)
        }
    }

    var truncatedSerialNumber: FunctionSnapshot {
        device(6) { c in
            c.addCapability(0x10, at: 0x40, word: 0x0002)
            c.addExtended(0x0001, version: 2, at: 0x100)
            c.addExtended(0x0003, version: 1, at: 0xff8)
        }
    }

    var shortConfig: FunctionSnapshot {
        var c = ConfigBuilder(size: 256, vendor: 0x1d0f, device: 0x8061, classCode: 0x01_0802)
        c.enable(command: 0x0006)
        c.addCapability(0x10, at: 0xfc, word: 0x0002)
        return FunctionSnapshot(
            bdf: BDF(bus: 0, device: 7, function: 0), config: c.bytes,
            resources: [ResourceWindow](repeating: .none, count: 7))
    }

    var all: [FunctionSnapshot] {
        [looped, broken, lowPointer, extendedLoop, extendedAllOnes, truncatedSerialNumber, shortConfig]
    }

    @Test func loopedChainPrintsMarker() {
        let text = formatter.format(looped)
        #expect(text.contains("\tCapabilities: [50] MSI: Enable- Count=1/1 Maskable- 64bit+\n"))
        #expect(text.contains("\tCapabilities: [40] <chain looped>\n"))
    }

    @Test func brokenChainPrintsMarker() {
        #expect(formatter.format(broken).contains("\tCapabilities: [f0] <chain broken>\n"))
    }

    @Test func extendedLoopPrintsMarker() {
        #expect(formatter.format(extendedLoop).contains("\tCapabilities: [100] <chain looped>\n"))
    }

    @Test(.enabled(if: RealLspci.isAvailable))
    func damagedChainsMatchLspci() throws {
        for verbosity in 1...2 {
            let ours = LspciFormatter(options: LspciOptions(verbosity: verbosity)).format(all)
            let real = try RealLspci.run(all, ["-" + String(repeating: "v", count: verbosity)])
            #expect(titleLines(ours) == titleLines(real), "verbosity \(verbosity)")
            if verbosity == 1 { #expect(ours == real) }
        }
    }
}
