import Foundation
import TestSupport
import Testing

@testable import Host

/// `HostProfile.parse` reads most documents from Yams' node tree (`ProfileNodeDecoder`) and
/// prints parse errors through `ParseErrorText`; `parseWithYAMLDecoder` is the `Codable` path it
/// replaced. Both must accept the same documents with the same values and fail with the same
/// text (pci-list condenses that text, so its wording matters).
@Suite("profile decoding: the node reader against YAMLDecoder")
struct ProfileDecodingTests {
    typealias Outcome = Result<HostProfile, HostError>

    static func fast(_ yaml: String) -> Outcome {
        Result { () throws(HostError) in try HostProfile.parse(yaml: yaml, source: "doc.yaml") }
    }

    static func reference(_ yaml: String) -> Outcome {
        Result { () throws(HostError) in try HostProfile.parseWithYAMLDecoder(yaml: yaml, source: "doc.yaml") }
    }

    /// Whether the node reader itself decided the document (a profile or an error) rather than
    /// leaving it to YAMLDecoder.
    static func readByNodes(_ yaml: String) -> Bool {
        do { return try ProfileNodeDecoder.read(yaml) != nil } catch { return true }
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func fixtureProfiles() throws -> [String] {
        let directory = repositoryRoot.appendingPathComponent("Fixtures/profiles")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        return try names.sorted().map {
            try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)
        }
    }

    @Test("built-in and fixture profiles: the same values, read from the nodes")
    func builtinsAndFixtures() throws {
        let documents = BuiltinProfiles.names.compactMap { BuiltinProfiles.yaml[$0] } + (try Self.fixtureProfiles())
        #expect(documents.count >= 3)
        for yaml in documents {
            let fast = Self.fast(yaml)
            #expect(fast == Self.reference(yaml))
            #expect(Self.readByNodes(yaml))
            let profile = try fast.get()
            #expect(!profile.devices.isEmpty)
        }
        // A value of every field, so each is compared set as well as absent.
        let full = try HostProfile.parse(yaml: Self.everyField)
        #expect(full == (try HostProfile.parseWithYAMLDecoder(yaml: Self.everyField)))
        #expect(full.devices.count == 1)
        #expect(full.devices[0].wire == "00:05.0" && full.devices[0].llq == true && full.devices[0].encrypted == false)
        #expect(full.devices[0].serial == 0x1d0f && full.devices[0].allowanceMbps == 25_000)
    }

    static let everyField = """
        name: all
        description: every field
        devices:
          - kind: ena
            slot: "00:06.0"
            totalVFs: 0
            vfs: 0
            serial: 0x1d0f
            capacityMiB: 1_024
            blockSize: 0o1000
            queues: +4
            volumeID: vol-1
            blockDeviceName: /dev/xvdb
            backingFile: '/tmp/x'
            encrypted: off
            mac: "06:00:00:00:00:01"
            llq: yes
            allowancePPS: 1:30
            allowanceBurst: 0b1010
            allowanceMbps: 25000
            wire: "00:05.0"
        """

    /// Documents that exercise each rule: nulls, quoting, number forms, wrong shapes, missing
    /// and duplicate keys, and what the node reader leaves to YAMLDecoder (anchors, tags, merges).
    static let edgeDocuments: [String] = {
        let head = "name: x\ndescription: y\ndevices:\n"
        let entries = [
            "  - { kind: host-bridge, slot: \"00:00.0\" }\n",
            "  - { kind: dma-engine, slot: \"00:03.0\", totalVFs: ~, vfs: null, serial: }\n",
            "  - { kind: dma-engine, slot: \"00:03.0\", totalVFs: '4' }\n",
            "  - { kind: dma-engine, slot: \"00:03.0\", totalVFs: \"null\" }\n",
            "  - { kind: dma-engine, slot: \"00:03.0\", totalVFs: NULL, vfs: Null }\n",
            "  - { kind: dma-engine, slot: \"00:03.0\", totalVFs: 0x10, vfs: -0b11, serial: -1 }\n",
            "  - { kind: dma-engine, slot: \"00:03.0\", serial: 18446744073709551615 }\n",
            "  - { kind: dma-engine, slot: \"00:03.0\", serial: 18446744073709551616 }\n",
            "  - { kind: dma-engine, slot: \"00:03.0\", totalVFs: 1_0, vfs: 1:2, queues: 1.5 }\n",
            "  - { kind: dma-engine, slot: \"00:03.0\", totalVFs: 010, vfs: 0o17, queues: 09 }\n",
            "  - { kind: nvme-ebs, slot: \"00:1e.0\", encrypted: \"true\" }\n",
            "  - { kind: nvme-ebs, slot: \"00:1e.0\", encrypted: TRUE, llq: Off }\n",
            "  - { kind: nvme-ebs, slot: \"00:1e.0\", encrypted: 1 }\n",
            "  - { kind: nvme-ebs, slot: \"00:1e.0\", encrypted: [true] }\n",
            "  - { kind: nvme-ebs, slot: 12 }\n",
            "  - { kind: nvme-ebs, slot: [1] }\n",
            "  - { kind: nvme-ebs, slot: {a: 1} }\n",
            "  - { kind: nvme-ebs, slot: ~ }\n",
            "  - { kind: warp-drive, slot: \"00:01.0\" }\n",
            "  - { kind: [ena], slot: \"00:01.0\" }\n",
            "  - { slot: \"00:01.0\" }\n",
            "  - { kind: ena }\n",
            "  - { kind: ena, slot: \"00:01.0\", mac: ~, wire: '' }\n",
            "  - { kind: ena, slot: \"00:01.0\", unknown: 3, \"slot2\": 4 }\n",
            "  - { kind: ena, \"slot\": \"00:01.0\" }\n",
            "  - { kind: ena, slot: \"00:01.0\", slot: \"00:02.0\" }\n",
            "  - { kind: ena, slot: \"00:01.0\", \"slot\": \"00:02.0\" }\n",
            "  - { kind: ena, slot: \"00:01.0\", ? [a]: 1, ? {b: 2}: 3 }\n",
            "  - 3\n", "  - [kind, ena]\n", "  -\n", "  - ~\n",
            "  - { kind: ena, slot: &s \"00:01.0\", wire: *s }\n",
            "  - { kind: ena, slot: !!str 00:01.0 }\n",
            "  - { kind: ena, slot: \"00:01.0\", queues: !!int 3 }\n",
            "  - { kind: ena, slot: \"00:01.0\", llq: !!bool yes }\n",
            "  - { kind: ena, slot: \"00:01.0\", llq: !custom yes }\n",
            "  - !!map { kind: ena, slot: \"00:01.0\" }\n",
            "  - { <<: { kind: ena }, slot: \"00:01.0\" }\n",
            "  - { \"<<\": { kind: ena }, kind: ena, slot: \"00:01.0\" }\n",
            "  - { kind: ena, slot: \"00:01.0\", !!value =: 3 }\n",
            "  - { kind: ena, slot: \"00:01.0\", mac: \"\\u0000\" }\n",
            "  - { kind: ena, slot: \"00:01.0\", \u{212A}ind: 1 }\n",
            "  - { kind: ena, slot: \"00:01.0\", wire: \"00:05.0\"\n",
        ]
        var documents = entries.map { head + $0 } + entries.map { head + "  - { kind: host-bridge, slot: \"00:00.0\" }\n" + $0 }
        documents += [
            "", "\n", "---\n", "# only a comment\n", "name: x\n", "name: x\ndescription: y\n",
            "name: x\ndescription: y\ndevices: []\n", "name: x\ndescription: y\ndevices: 3\n",
            "name: x\ndescription: y\ndevices: {a: 1}\n", "name: x\ndescription: y\ndevices: ~\n",
            "name: x\ndescription: y\ndevices:\n", "name: [x]\ndescription: y\ndevices: []\n",
            "name: x\nname: y\ndevices: []\n", "name: x\ndescription: y\ndevices: []\n---\nname: z\n",
            "[1, 2]\n", "just text\n", "name: x\r\ndescription: y\r\ndevices: []\r\n",
            "name: x\ndescription: y\ndevices: []\nextra: *nothing\n", "&a name: x\ndescription: y\ndevices: []\n",
            "!!map\nname: x\ndescription: y\ndevices: []\n", "name: 'x\ndescription: y\n",
            "name: x\ndescription: y\ndevices: []\n\u{1}\n", "name: x\n\u{85}description: y\u{2028}devices: []\n",
            "name: x\ndescription: y\ndevices:\n- {kind: ena, slot: \"00:06.0\"}\n  bad: indent\n",
            "base: &b {kind: ena, slot: \"00:06.0\"}\nname: x\ndescription: y\ndevices: [*b, {<<: *b, queues: 3}]\n",
            "name: x\ndescription: y\ndevices:\n  - { kind: ena, slot: \"00:06.0\", llq: &t true }\n  - { *t : 1, kind: ena, slot: \"00:07.0\" }\n",
        ]
        return documents
    }()

    @Test("edge documents: the same profile or the same error text")
    func edgeDocuments() {
        var byNodes = 0
        for yaml in Self.edgeDocuments {
            let fast = Self.fast(yaml)
            let reference = Self.reference(yaml)
            #expect(fast == reference, "\(yaml.debugDescription)")
            if Self.readByNodes(yaml) { byNodes += 1 }
            if case .failure(let error) = fast { #expect(error.description.contains("doc.yaml")) }
        }
        // Most of them are the reader's own; the anchored, tagged and merging ones are not.
        #expect(byNodes >= Self.edgeDocuments.count * 3 / 4)
        #expect(byNodes < Self.edgeDocuments.count)
    }

    /// A document edited the way the host-profile fuzz target edits it (bytes overwritten,
    /// spliced in or cut), with YAML's special characters, control characters, line separators
    /// and non-ASCII text among the bytes.
    struct Mutator {
        var random: SplitMix64
        init(seed: UInt64) { random = SplitMix64(seed: seed) }
        mutating func next() -> UInt64 { random.next() }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }

        static let pieces: [[UInt8]] =
            (Array("0123456789abcdef :.\n-x{}[],&*!|>'\"#?~%@`<=\t\r".utf8).map { [$0] })
            + [
                "\u{1}", "\u{7f}", "\u{85}", "\u{2028}", "\u{2029}", "é", "\u{301}", "😀", "\u{FEFF}", "\r\n", "<<: ", "!!str ",
                "&a ", "*a", "null", "~", "true", "0x", "vfs: ", "kind: ", "slot: ", "devices:", "\n  - ",
                "{ kind: ena, slot: \"00:0f.0\" }",
            ]
            .map { Array($0.utf8) }

        mutating func mutate(_ bytes: inout [UInt8]) {
            let at = bytes.isEmpty ? 0 : below(bytes.count + 1)
            switch below(5) {
            case 0, 1:
                let piece = Self.pieces[below(Self.pieces.count)]
                bytes.insert(contentsOf: piece, at: at)
            case 2:
                if at < bytes.count { bytes[at] = Self.pieces[below(Self.pieces.count)].first ?? 0x20 }
            case 3:
                bytes.removeSubrange(at..<min(bytes.count, at + 1 + below(8)))
            default:
                if at < bytes.count { bytes[at] = UInt8(truncatingIfNeeded: next()) }
            }
        }
    }

    @Test("edited profiles: the same profile or the same error text, after every edit")
    func mutatedDocuments() throws {
        let starts =
            BuiltinProfiles.names.compactMap { BuiltinProfiles.yaml[$0] } + (try Self.fixtureProfiles()) + [Self.everyField]
        var mutator = Mutator(seed: 0x5EED)
        var compared = 0
        var byNodes = 0
        var accepted = 0
        for start in starts {
            for _ in 0..<100 {
                var bytes = Array(start.utf8)
                for _ in 0..<(1 + mutator.below(12)) {
                    mutator.mutate(&bytes)
                    let yaml = String(decoding: bytes, as: UTF8.self)
                    let fast = Self.fast(yaml)
                    #expect(fast == Self.reference(yaml), "\(yaml.debugDescription)")
                    compared += 1
                    if Self.readByNodes(yaml) { byNodes += 1 }
                    if case .success = fast { accepted += 1 }
                }
            }
        }
        #expect(compared > 500)
        // The reader decides nearly all edited documents itself, and some of them still parse.
        #expect(byNodes * 10 >= compared * 9)
        #expect(accepted > 10)
    }
}
