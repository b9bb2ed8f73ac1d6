import Foundation
import Inspector
import PCIe
import Testing

/// Every classic and extended capability id gets lspci's `-v` title.
@Suite(.enabled(if: RealLspci.isAvailable, "needs /usr/bin/lspci"))
struct CapabilityTitleTests {
    /// One function per group of extended ids, each capability 0x40 bytes with a small body.
    static func extendedChains() -> [FunctionSnapshot] {
        stride(from: 0, through: 0x30, by: 8).enumerated().map { index, first in
            var c = ConfigBuilder(vendor: 0x1d0f, device: 0xec20, classCode: 0x02_0000)
            c.enable(command: 0x0006)
            c.addCapability(0x10, at: 0x40, word: 0x0002)
            for (slot, id) in (first..<min(first + 8, 0x31)).enumerated() {
                let body: [UInt8] = [0x12, 0x34, 0x56, 0x78, 0x01, 0x02, 0x03, 0x04]
                c.addExtended(UInt16(id), version: 1, at: 0x100 + slot * 0x40, body: body)
            }
            return FunctionSnapshot(
                bdf: BDF(bus: 2, device: UInt8(index), function: 0), config: c.bytes,
                resources: [ResourceWindow](repeating: .none, count: 7))
        }
    }

    /// One function per group of classic ids.
    static func classicChains() -> [FunctionSnapshot] {
        stride(from: 0, through: 0x18, by: 6).enumerated().map { index, first in
            var c = ConfigBuilder(vendor: 0x1d0f, device: 0xec20, classCode: 0x02_0000)
            c.enable(command: 0x0006)
            for (slot, id) in (first..<min(first + 6, 0x19)).enumerated() where id != 0x10 {
                c.addCapability(UInt8(id), at: 0x40 + slot * 0x20, word: 0x0a21, body: [1, 2, 3, 4, 5, 6, 7, 8])
            }
            return FunctionSnapshot(
                bdf: BDF(bus: 3, device: UInt8(index), function: 0), config: c.bytes,
                resources: [ResourceWindow](repeating: .none, count: 7))
        }
    }

    @Test func extendedCapabilityTitlesMatchLspci() throws {
        let snapshots = Self.extendedChains()
        let real = try RealLspci.run(snapshots, ["-v"])
        let ours = LspciFormatter(options: LspciOptions(verbosity: 1)).format(snapshots)
        for (a, b) in zip(titleLines(ours), titleLines(real)) where a != b {
            Issue.record("ours: \(a.debugDescription)\nreal: \(b.debugDescription)")
        }
        #expect(titleLines(ours).count == titleLines(real).count)
    }

    @Test func classicCapabilityTitlesMatchLspci() throws {
        let snapshots = Self.classicChains()
        let real = try RealLspci.run(snapshots, ["-v"])
        let ours = LspciFormatter(options: LspciOptions(verbosity: 1)).format(snapshots)
        for (a, b) in zip(titleLines(ours), titleLines(real)) where a != b {
            Issue.record("ours: \(a.debugDescription)\nreal: \(b.debugDescription)")
        }
        #expect(titleLines(ours).count == titleLines(real).count)
    }
}
