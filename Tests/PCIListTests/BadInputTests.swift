import Foundation
import Inspector
import Testing

@testable import pci_list

/// Damaged input: a clear message naming the file and where, the rest of the bus still
/// listed, and an exit status that says what happened (0 ok, 2 damaged input, 3 unusable
/// source, 64 usage). Never a crash.
@Suite struct BadInputTests {
    /// A sysfs tree of the default profile, for damaging.
    func exportedDefault(_ name: String) throws -> URL {
        let dir = try Oracle.temporaryDirectory(name)
        let loaded = try BusSource.profile("default").load()
        try SysfsExporter(root: dir).export(loaded.input.functions)
        return dir
    }

    func device(_ dir: URL, _ slot: String) -> URL {
        dir.appendingPathComponent("devices/0000:\(slot)")
    }

    @Test("a missing config drops that function only; the message names the file; exit 2")
    func missingConfig() throws {
        let dir = try exportedDefault("noconfig")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = device(dir, "00:1e.0").appendingPathComponent("config")
        try FileManager.default.removeItem(at: config)
        let result = try Oracle.run(Oracle.pciList, ["--sysfs", dir.path])
        #expect(result.status == ExitStatus.damagedInput)
        #expect(result.stderr.contains("\(config.path): cannot read; function skipped"))
        #expect(!result.stdout.contains("00:1e.0"))
        #expect(result.stdout.contains("00:1f.0 Non-Volatile memory controller"))
        #expect(result.stdout.split(separator: "\n").count == 10)
    }

    @Test("a truncated config: under 64 bytes skipped with its size; odd sizes listed with a warning")
    func truncatedConfig() throws {
        let dir = try exportedDefault("truncated")
        defer { try? FileManager.default.removeItem(at: dir) }
        let short = device(dir, "00:03.0").appendingPathComponent("config")
        try Data(repeating: 0x86, count: 17).write(to: short)
        let odd = device(dir, "00:05.0").appendingPathComponent("config")
        let bytes = try Data(contentsOf: odd).prefix(100)
        try bytes.write(to: odd)
        let input = SysfsImporter(root: dir).read()
        #expect(input.problems.contains { $0.file == short.path && $0.location == "offset 0x11" })
        #expect(input.problems.contains { $0.file == odd.path && $0.message.contains("100 bytes, not 64, 256 or 4096") })
        let text = try Oracle.oursText(["-vv"], input.functions)
        #expect(!text.contains("00:03.0"))
        // The 82599 header is intact; its capabilities past byte 100 read as absent.
        #expect(text.contains("00:05.0 Ethernet controller"))
        #expect(text.contains("\tCapabilities: <access denied>\n"))
    }

    @Test("missing or malformed resource, irq and vendor files fall back to config, each named")
    func missingSideFiles() throws {
        let dir = try exportedDefault("sidefiles")
        defer { try? FileManager.default.removeItem(at: dir) }
        let nvme = device(dir, "00:1e.0")
        try FileManager.default.removeItem(at: nvme.appendingPathComponent("resource"))
        try "seven\n".write(to: nvme.appendingPathComponent("irq"), atomically: true, encoding: .utf8)
        try "0xZZZZ\n".write(to: device(dir, "00:1f.0").appendingPathComponent("vendor"), atomically: true, encoding: .utf8)
        let input = SysfsImporter(root: dir).read()
        let messages = input.problems.map(\.description)
        #expect(messages.contains("\(nvme.path)/resource: missing; using the config register instead"))
        #expect(messages.contains("\(nvme.path)/irq: line 1: not a decimal IRQ"))
        #expect(messages.contains { $0.hasPrefix(device(dir, "00:1f.0").path + "/vendor: line 1: '0xZZZZ'") })
        #expect(input.functions.count == 11)
        let text = try Oracle.oursText(["-v", "-s", "1e.0"], input.functions)
        #expect(text.contains("\tMemory at e0140000 (32-bit, non-prefetchable)\n"))
    }

    @Test("a sysfs path that is not a directory is an unusable source: exit 3")
    func noSuchTree() throws {
        let result = try Oracle.run(Oracle.pciList, ["--sysfs", "/nonexistent/pci-list-tree"])
        #expect(result.status == ExitStatus.unusableSource)
        #expect(result.stderr == "pci-list: /nonexistent/pci-list-tree: no such directory\n")
        #expect(result.stdout.isEmpty)
    }

    @Test("a dump with bad hex, a stray line and a short function: each named by line, the rest listed")
    func badDump() throws {
        let text = """
            00:01.0 Ethernet controller: good
            00: 0f 1d 20 ec 06 04 10 00 00 00 00 02 00 00 00 00
            10: 00 80 bf fe 00 00 00 00 00 00 00 00 00 00 00 00
            20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
            30: 00 00 00 00 00 00 00 00 00 00 00 00 0b 01 00 00

            00:02.0 Ethernet controller: bad hex on line 8
            00: 0f 1d 20 ec 06 04 10 00 00 00 00 02 00 00 00 00
            10: 00 80 bf fe zz 00 00 00 00 00 00 00 00 00 00 00
            20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
            30: 00 00 00 00 00 00 00 00 00 00 00 00 0b 01 00 00
            this line is not part of any format
            00:03.0 Ethernet controller: too short
            00: 0f 1d 20 ec
            1000: 00

            """
        let dir = try Oracle.temporaryDirectory("dump")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let result = try Oracle.run(Oracle.pciList, ["-F", file.path])
        #expect(result.status == ExitStatus.damagedInput)
        #expect(result.stderr.contains("\(file.path): line 9: 'zz' is not a hex byte; rest of the line skipped"))
        #expect(result.stderr.contains("\(file.path): line 12: neither a 'BB:DD.F' header"))
        #expect(result.stderr.contains("\(file.path): line 13: 00:03.0: 4 config bytes, shorter than the 64-byte"))
        #expect(result.stderr.contains("\(file.path): line 15: offset 0x1000 is past 4096 bytes"))
        let lines = result.stdout.split(separator: "\n")
        #expect(
            lines == [
                "00:01.0 Ethernet controller: Amazon.com, Inc. Elastic Network Adapter (ENA)",
                "00:02.0 Ethernet controller: Amazon.com, Inc. Elastic Network Adapter (ENA)",
            ])
    }

    @Test("unknown ids fall back to numbers exactly like lspci")
    func unknownIDs() throws {
        let dump =
            "00:04.0 x\n"
            + (0..<4).map { row in
                let bytes: [UInt8] =
                    row == 0
                    ? [0x34, 0x12, 0x78, 0x56, 0, 0, 0, 0, 0, 0, 0x34, 0xee, 0, 0, 0, 0]
                    : row == 2 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x34, 0x12, 0x99, 0x99] : [UInt8](repeating: 0, count: 16)
                return String(format: "%02x:", row * 16) + bytes.map { String(format: " %02x", $0) }.joined()
            }.joined(separator: "\n") + "\n"
        let input = LspciDumpReader(fileName: "ids").read(dump)
        #expect(input.problems.isEmpty)
        #expect(try Oracle.oursText([], input.functions) == "00:04.0 Class ee34: Device 1234:5678\n")
        #expect(try Oracle.oursText(["-nn"], input.functions) == "00:04.0 Class [ee34]: Device [1234:5678]\n")
        #expect(try Oracle.oursText(["-v"], input.functions).contains("\tSubsystem: Device 1234:9999\n"))
        #expect(
            try Oracle.oursText(["-m"], input.functions)
                == "00:04.0 \"Class ee34\" \"Vendor 1234\" \"Device 5678\" -p00 \"Unknown vendor 1234\" \"Device 9999\"\n")
    }

    @Test(
        "profile files with errors name the file and line; exit 3",
        arguments: [
            (
                "name: x\ndescription: y\ndevices:\n  - { kind: host-bridge, slot: \"00:00.0\" }\n  - { kind: warp-drive, slot: \"00:01.0\" }\n",
                "line 5: devices[1].kind: Cannot initialize DeviceKind from invalid String value warp-drive"
            ),
            ("name: x\ndescription: y\ndevices:\n  - { kind: host-bridge, slot: \"00:00.0\"\n  - [\n", "line 5, column 3: "),
            ("name: x\ndevices: []\n", "missing key 'description'"),
            (
                "name: x\ndescription: y\ndevices:\n  - { kind: host-bridge, slot: \"00:00.0\", vfs: many }\n",
                "line 4: devices[0].vfs: Expected to decode Int"
            ),
            (
                "name: x\ndescription: y\ndevices:\n  - { kind: intel-82599, slot: \"00:05.0\", totalVFs: 65, vfs: 1 }\n",
                "00:05.0: an 82599 offers at most 64 VFs"
            ),
        ])
    func badProfile(yaml: String, expected: String) throws {
        let dir = try Oracle.temporaryDirectory("profile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let result = try Oracle.run(Oracle.pciList, ["--profile", file.path])
        #expect(result.status == ExitStatus.unusableSource)
        #expect(result.stderr.hasPrefix("pci-list: \(file.path): "), "\(result.stderr)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test(
        "bad -s and -d texts are usage errors with lspci's wording (exit 64)",
        arguments: [
            (["-s", "00:20.0"], "-s: Invalid slot number"), (["-s", "100:00.0"], "-s: Invalid bus number"),
            (["-s", "0.9"], "-s: Invalid function number"), (["-d", "8086"], "-d: ':' expected"),
            (["-d", "10000:"], "-d: Invalid vendor ID"), (["-d", "8086:1:xyz"], "-d: Invalid class code"),
        ])
    func badFilter(arguments: [String], expected: String) throws {
        let result = try Oracle.run(Oracle.pciList, arguments)
        #expect(result.status == ExitStatus.usage)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
    }

    @Test("garbage dumps and trees never trap")
    func garbageNeverTraps() throws {
        var state: UInt64 = 0x9e37
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for _ in 0..<200 {
            var text = ""
            for _ in 0..<Int(next() % 40) {
                switch next() % 5 {
                case 0: text += String(format: "%02x:%02x.%d junk\n", next() % 256, next() % 40, next() % 9)
                case 1:
                    text +=
                        String(format: "%x:", next() % 5000)
                        + (0..<Int(next() % 20)).map { _ in String(format: " %02x", next() % 256) }.joined() + "\n"
                case 2: text += "\n"
                case 3: text += String(format: "%04x:%02x:%02x.%d \n", next() % 70000, next() % 256, next() % 32, next() % 8)
                default:
                    text += String((0..<Int(next() % 30)).map { _ in Character(UnicodeScalar(UInt8(next() % 96 + 32))) }) + "\n"
                }
            }
            let input = LspciDumpReader(fileName: "garbage").read(text)
            for options in [["-vvv"], ["-xxxx"], ["-t"], ["-vmmk"]] {
                _ = try Oracle.oursText(options, input.functions)
            }
        }
    }
}
