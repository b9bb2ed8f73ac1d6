import Foundation
import Inspector
import PCIe
import TestSupport
import Testing

@testable import pci_list

/// Random register contents behind every capability pci-list decodes at `-vv`, laid out as
/// real chains (with random Express port types, functions at device 0 and elsewhere, virtio
/// vendor capabilities, and AER, DSN, ARI, SR-IOV, ACS, ATS, LTR, PRI, TPH, Secondary PCIe,
/// PASID, DPC, L1 PM Substates and PTM): the whole `-vvv` text must equal real lspci's.
@Suite(.enabled(if: Oracle.hasLspci, "needs /usr/bin/lspci"))
struct CapabilityFuzzOracleTests {
    static func randomFunction(_ index: Int, _ rng: inout SplitMix64) -> ListedFunction {
        var bytes = (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        func set(_ offset: Int, _ value: UInt32, _ width: Int) {
            for i in 0..<width { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
        }
        let virtio = index % 5 == 0
        set(0, virtio ? 0x1af4 : 0x1d0f, 2)
        set(2, virtio ? 0x1041 : 0x7000 + UInt32(index), 2)
        bytes[0x0e] = 0
        bytes[0x06] |= 0x10
        bytes[0x0b] = 0x02
        let classic: [(UInt8, Int)] = [(0x01, 8), (0x05, 24), (0x11, 12), (0x10, 0x3c), (0x09, 24), (0x03, 8)]
        var offset = 0x40
        bytes[0x34] = UInt8(offset)
        for (n, (id, length)) in classic.shuffled(using: &rng).enumerated() {
            bytes[offset] = id
            let next = n == classic.count - 1 ? 0 : offset + length
            bytes[offset + 1] = UInt8(next)
            if id == 0x09 {
                bytes[offset + 2] = UInt8([16, 20, 24][Int(rng.next() % 3)])
                bytes[offset + 3] = UInt8([1, 2, 3, 4, 8, 9][Int(rng.next() % 6)])
            }
            if id == 0x10 {
                let type = UInt8(rng.next() % 11)
                bytes[offset + 2] = type << 4 | UInt8(rng.next() % 3)
            }
            offset = next
        }
        let extended: [(UInt16, Int)] = [
            (0x01, 0x48), (0x03, 12), (0x0e, 8), (0x10, 0x40), (0x0d, 8), (0x0f, 8), (0x18, 8), (0x13, 0x10),
            (0x17, 8), (0x19, 0x10), (0x1b, 8), (0x1d, 0x10), (0x1e, 0x10), (0x1f, 0xc),
        ]
        var at = 0x100
        for (n, (id, length)) in extended.shuffled(using: &rng).enumerated() {
            let next = n == extended.count - 1 ? 0 : at + length
            set(at, UInt32(id) | UInt32(rng.next() % 3) << 16 | UInt32(next) << 20, 4)
            at = next
        }
        let bdf = BDF(bus: UInt8(index), device: UInt8(index % 3 == 0 ? 0 : index % 32), function: UInt8(index % 8))
        let windows = (0..<7).map { i -> ResourceWindow in
            guard rng.next() % 2 == 0 else { return .none }
            let start = (rng.next() % 0x1_0000) << 16
            let flags: UInt64 = i % 3 == 2 ? 0x101 : 0x200 | (rng.next() % 2 == 0 ? 0x10_0004 : 0)
            return ResourceWindow(start: start, end: start + 0xfff, flags: flags)
        }
        let snapshot = FunctionSnapshot(bdf: bdf, config: bytes, resources: windows)
        return ListedFunction(snapshot: snapshot, irq: UInt32(rng.next() % 64))
    }

    @Test("random capability registers decode like lspci -vvv")
    func randomCapabilitiesMatchLspci() throws {
        var rng = SplitMix64(seed: 0xca95)
        let functions = (0..<160).map { Self.randomFunction($0, &rng) }
        let dir = try Oracle.temporaryDirectory("fuzz")
        defer { try? FileManager.default.removeItem(at: dir) }
        try SysfsExporter(root: dir).export(functions)
        let theirs = try Oracle.lspciText(["-A", "linux-sysfs", "-O", "sysfs.path=\(dir.path)", "-vvv"])
        let ours = try Oracle.ours(["-vvv"], functions)
        let text = String(decoding: theirs, as: UTF8.self)
        #expect(text.contains("LnkCtl2:"))
        #expect(text.contains("VirtIO:"))
        for tag in ["RootCap:", "SltCap:", "IOVCap:", "ACSCap:", "L1SubCap:", "PTMCap:", "DpcCap:", "PRICtl:", "LaneErrStat:"] {
            #expect(text.contains(tag), "no \(tag) in the random set")
        }
        Oracle.expectSame(ours, theirs, "random capabilities -vvv")
    }
}
