import Foundation
import Inspector
import PCIe
import TestSupport
import Testing

enum Garbage {
    /// A function with random config bytes (length 0...4096) and random windows.
    static func snapshot(_ index: Int, _ rng: inout SplitMix64, size: Int? = nil) -> FunctionSnapshot {
        let count = size ?? [0, 17, 64, 255, 256, 1000, 4096, 4096][Int(rng.next() % 8)]
        let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let windows = (0..<Int(rng.next() % 9)).map { _ -> ResourceWindow in
            let start = rng.next() % 3 == 0 ? 0 : rng.next() & ~0xfff
            return ResourceWindow(start: start, end: start &+ (rng.next() % (1 << 24)), flags: rng.next() % 0x20_0000)
        }
        return FunctionSnapshot(
            bdf: BDF(routingID: UInt16(truncatingIfNeeded: 0x100 + index)), config: bytes, resources: windows)
    }
}

@Suite struct GarbageConfigTests {
    @Test func randomConfigNeverTrapsOrLoops() {
        var rng = SplitMix64(seed: 0x5eed)
        let snapshots = (0..<2000).map { Garbage.snapshot($0, &rng) }
        for verbosity in 0...3 {
            for style in [PCINameStyle.names, .numeric, .mixed] {
                let text = LspciFormatter(options: LspciOptions(verbosity: verbosity, nameStyle: style))
                    .format(snapshots)
                #expect(text.isEmpty || text.hasSuffix("\n"))
            }
        }
    }

    @Test func randomConfigExportsWithoutTrapping() throws {
        var rng = SplitMix64(seed: 0xbad)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("garbage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try SysfsExporter(root: dir).export((0..<50).map { Garbage.snapshot($0, &rng) })
    }

    /// Random 4 KiB configs with a type-0 header and a capability list: lspci -v and our
    /// formatter agree on the BAR and capability lines.
    @Test(.enabled(if: RealLspci.isAvailable))
    func randomType0ConfigMatchesLspci() throws {
        var rng = SplitMix64(seed: 0x1ced)
        let snapshots = (0..<200).map { index -> FunctionSnapshot in
            let random = Garbage.snapshot(index, &rng, size: 4096)
            var bytes = random.config
            bytes[0x0e] = 0  // type 0 header: bridge windows are not decoded yet
            bytes[0x06] |= 0x10
            if index % 2 == 0 {
                bytes[0] = 0x0f
                bytes[1] = 0x1d
            }  // keep off vendor-specific decoders
            if index % 3 == 0 {  // a PCIe capability so the extended chain is walked
                let at = Int(bytes[0x34] & 0xfc)
                if at >= 0x40 { bytes[at] = 0x10 }
            }
            return FunctionSnapshot(bdf: random.bdf, config: bytes, resources: random.resources)
        }.filter { snapshot in
            let vendor = UInt16(snapshot.config[0]) | UInt16(snapshot.config[1]) << 8
            return vendor != 0x8086 && vendor != 0x1af4
        }
        let ours = LspciFormatter(options: LspciOptions(verbosity: 1)).format(snapshots)
        let real = try RealLspci.run(snapshots, ["-v"])
        let mine = titleLines(ours)
        let theirs = titleLines(real)
        #expect(mine.count == theirs.count)
        for (a, b) in zip(mine, theirs) where a != b {
            Issue.record("ours: \(a.debugDescription)\nreal: \(b.debugDescription)")
        }
        #expect(ours == real)
    }
}
