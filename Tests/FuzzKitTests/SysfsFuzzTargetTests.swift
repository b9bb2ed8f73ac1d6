import Foundation
import Testing

@testable import FuzzKit
@testable import Inspector

@Suite("the sysfs fuzz target")
struct SysfsFuzzTargetTests {
    @Test("the sample is the default profile's tree: every function reads back with no problem, driver and physfn links too")
    func sampleReadsBack() throws {
        let tree = SysfsBundle.decode(SysfsFuzzTarget.sample, root: SysfsFuzzTarget.root)
        let input = SysfsImporter(root: SysfsFuzzTarget.root, source: tree).read()
        #expect(input.problems.isEmpty, "\(input.problems)")
        #expect(input.functions.count >= 6)
        #expect(input.functions.contains { $0.snapshot.isVirtualFunction && $0.snapshot.physicalFunction != nil })
        #expect(input.functions.contains { $0.kernelDriver != nil })
        #expect(input.functions.allSatisfy { !$0.snapshot.resources.isEmpty })
    }

    @Test("a bundle decodes to the files and links it encodes")
    func bundleRoundTrip() {
        let tree = InMemorySysfs(
            files: ["devices/0000:00:03.0/config": [1, 2, 0x1E, 3], "devices/0000:00:03.0/irq": Array("11\n".utf8)],
            links: ["devices/0000:00:03.0/driver": "../../bus/pci/drivers/ixgbe"])
        let back = SysfsBundle.decode(SysfsBundle.encode(tree), root: "/r")
        // A separator byte inside a file ends its record there (any byte string decodes).
        #expect(back.files["/r/devices/0000:00:03.0/config"] == [1, 2])
        #expect(back.files["/r/devices/0000:00:03.0/irq"] == Array("11\n".utf8))
        #expect(back.links["/r/devices/0000:00:03.0/driver"] == "../../bus/pci/drivers/ixgbe")
        #expect(back.names(inDirectory: "/r/devices") == ["0000:00:03.0"])
        #expect(back.exists("/r/devices/0000:00:03.0") && !back.exists("/r/devices/0000:00:04.0"))
    }

    @Test("damaged files are problems that name them, and the functions still list")
    func damageIsNamed() throws {
        var files = SysfsBundle.decode(SysfsFuzzTarget.sample, root: "/t").files
        let links = SysfsBundle.decode(SysfsFuzzTarget.sample, root: "/t").links
        let resource = try #require(files.keys.sorted().first { $0.hasSuffix("/resource") })
        files[resource] = Array("0x zz\n".utf8)
        let irq = try #require(files.keys.sorted().first { $0.hasSuffix("/irq") })
        files[irq] = [0xFF, 0xFE]
        files["/t/devices/not-an-address/config"] = [0]
        let input = SysfsImporter(root: "/t", source: InMemorySysfs(files: files, links: links)).read()
        let named = Set(input.problems.map(\.file))
        #expect(named.contains(resource) && named.contains(irq) && named.contains("/t/devices/not-an-address"))
        #expect(input.functions.count >= 6)
        #expect(!LspciFormatter(options: LspciOptions(verbosity: 2)).format(input.functions.map(\.snapshot)).isEmpty)
    }

    /// The decoder the byte one replaced: every record split off, every header a `String` split.
    static func referenceDecode(_ bytes: [UInt8], root: String) -> (files: [String: [UInt8]], links: [String: String]) {
        var files: [String: [UInt8]] = [:]
        var links: [String: String] = [:]
        for record in bytes.split(separator: SysfsBundle.separator, omittingEmptySubsequences: true) {
            guard let newline = record.firstIndex(of: 0x0A) else { continue }
            let header = String(decoding: record[record.startIndex..<newline], as: UTF8.self)
            let fields = header.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2 else { continue }
            let path = root + "/" + fields[1]
            if fields[0] == "F" {
                files[path] = Array(record[(newline + 1)...])
            } else if fields[0] == "L", fields.count >= 3 {
                links[path] = String(fields[2])
            }
        }
        return (files, links)
    }

    @Test("damaged bundles decode and list as the String decoder and the whole listing did")
    func decodeAndBlocksMatchReference() {
        let pieces: [[UInt8]] = [
            [SysfsBundle.separator], [0x20], [0x0A], Array("F ".utf8), Array("L ".utf8), [0xC3, 0xA9], [0xCC, 0x81],
            [0xFF], [0x00], Array("devices/0000:00:09.0/config\n".utf8), [0x41, 0x42, 0x43, 0x44],
        ]
        let formatter = LspciFormatter(options: LspciOptions(verbosity: 2, nameStyle: .mixed))
        let blocks = ListedBlocks()
        var rng = SplitMix64(seed: 5)
        var bytes = SysfsFuzzTarget.sample
        var previous = InMemorySysfs()
        for round in 0..<600 {
            if round % 50 == 0 { bytes = SysfsFuzzTarget.sample }
            Self.edit(&bytes, with: pieces, &rng)
            let tree = SysfsBundle.decode(bytes, root: "/r", reusing: previous)
            let reference = Self.referenceDecode(bytes, root: "/r")
            #expect(tree.files == reference.files && tree.links == reference.links)
            previous = tree
            let snapshots = SysfsImporter(root: "/r", source: tree).read().functions.map(\.snapshot)
            #expect(blocks.format(snapshots, formatter) == formatter.format(snapshots))
        }
    }

    @Test("decoding against the last bundle and reading through the cache give what decoding and reading whole give")
    func incrementalMatchesWhole() {
        let pieces: [[UInt8]] = [
            [SysfsBundle.separator], [0x20], [0x0A], Array("F ".utf8), Array("L ".utf8), [0xC3, 0xA9], [0xCC, 0x81],
            [0xFF], [0x00], Array("devices/0000:00:09.0/config\n".utf8), Array("0x1000 ".utf8), Array("11\n".utf8),
            [0x41, 0x42, 0x43, 0x44], Array("/".utf8), Array("0000:00:03.0".utf8),
        ]
        let decoder = SysfsBundleDecoder(root: "/r")
        let cache = SysfsImportCache()
        var rng = SplitMix64(seed: 9)
        var bytes = SysfsFuzzTarget.sample
        for round in 0..<1500 {
            if round % 60 == 0 { bytes = SysfsFuzzTarget.sample }
            // Mostly small edits anywhere (file bytes, most of the bundle), sometimes none.
            Self.edit(&bytes, with: pieces, &rng)
            let tree = decoder.decode(bytes)
            let whole = SysfsBundle.decode(bytes, root: "/r")
            #expect(tree.files == whole.files && tree.links == whole.links)
            #expect(tree.entries == whole.entries)
            #expect(tree.directories.mapValues { Set($0) } == whole.directories.mapValues { Set($0) })
            let cached = SysfsImporter(root: "/r", source: tree).read(reusing: cache)
            let fresh = SysfsImporter(root: "/r", source: whole).read()
            #expect(cached.functions == fresh.functions)
            #expect(cached.problems.map { Array($0.description.utf8) } == fresh.problems.map { Array($0.description.utf8) })
        }
        #expect(decoder.updates > 300 && decoder.updates < 1400, "\(decoder.updates) bundles decoded by updating")
    }

    @Test("generated inputs break no invariant")
    func campaign() throws {
        let result = FuzzCampaign(target: SysfsFuzzTarget.self, seed: 3).run(.iterations(20)) { _ in }
        #expect(result.violation == nil)
        #expect(result.inputs == 20)
    }

    /// Up to two random edits of `bytes`: a piece inserted (one in four) or written over.
    static func edit(_ bytes: inout [UInt8], with pieces: [[UInt8]], _ rng: inout SplitMix64) {
        for _ in 0..<Int(rng.next() % 3) where !bytes.isEmpty {
            let at = Int(rng.next() % UInt64(bytes.count))
            let piece = pieces[Int(rng.next() % UInt64(pieces.count))]
            if rng.next() % 4 == 0 {
                bytes.insert(contentsOf: piece, at: at)
            } else {
                bytes.replaceSubrange(at..<min(bytes.count, at + piece.count), with: piece)
            }
        }
    }
}
