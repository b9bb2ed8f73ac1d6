import Foundation
import PCIe
import TestSupport
import Testing

@testable import Inspector

/// The sysfs reader takes ASCII text by bytes and everything else through `String` and
/// Foundation; these compare the two on random text (ASCII with CR, signs and spaces, combining
/// marks, invalid UTF-8) against the `String` code the byte paths replaced.
@Suite("sysfs text read by bytes")
struct SysfsByteParsingTests {
    static let pieces: [[UInt8]] = [
        Array("0x".utf8), Array("0".utf8), Array("f".utf8), Array("F".utf8), Array("9".utf8), Array("a".utf8),
        Array("x".utf8), Array(" ".utf8), Array("  ".utf8), Array("\n".utf8), Array("\r".utf8), Array("\t".utf8),
        Array("+".utf8), Array("-".utf8), Array("/".utf8), Array("//".utf8), Array(".".utf8),
        Array("0x0000000000001000".utf8), Array("0x0000000000040200".utf8), Array("ffffffffffffffff0".utf8),
        [0xC3, 0xA9], [0xCC, 0x81], [0xFF], [0x0B], [0x0C], [0x00], [0xC2, 0x85], [0xE2, 0x80, 0xA8],
    ]

    static func text(_ rng: inout SplitMix64, _ count: Int) -> [UInt8] {
        (0..<Int(rng.next() % UInt64(count + 1))).flatMap { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }
    }

    static func referenceTrim(_ bytes: [UInt8]) -> String? {
        String(validating: bytes, as: UTF8.self)?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The `String` reader's windows, or the line it rejected.
    static func referenceResources(_ text: String) -> (windows: [ResourceWindow]?, badLine: Int?) {
        var windows: [ResourceWindow] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(separator: " ").map { $0.hasPrefix("0x") ? $0.dropFirst(2) : $0 }
            guard fields.count == 3, let start = UInt64(fields[0], radix: 16), let end = UInt64(fields[1], radix: 16),
                let flags = UInt64(fields[2], radix: 16)
            else { return (nil, index + 1) }
            if index < 7 { windows.append(ResourceWindow(start: start, end: end, flags: flags)) }
        }
        return (windows, nil)
    }

    /// A link's name: what follows the last `/` once trailing ones are dropped (by scalars).
    static func referenceName(_ target: String) -> String? {
        var scalars = Array(target.unicodeScalars)
        while scalars.last == "/" { scalars.removeLast() }
        let name = scalars.split(separator: "/", omittingEmptySubsequences: false).last ?? []
        return name.isEmpty ? nil : String(String.UnicodeScalarView(name))
    }

    @Test("a link's name is what follows its last slash; a double slash before a non-ASCII name is no trap")
    func linkNames() throws {
        let dir = "/t/devices/0000:00:03.0"
        var config = [UInt8](repeating: 0, count: 64)
        config[0] = 0x86
        let cases: [(String, String?)] = [
            ("../../../bus/pci/drivers/ixgbe", "ixgbe"), ("a//\u{E9}", "\u{E9}"), ("//\u{E9}", "\u{E9}"), ("a/b//", "b"),
            ("/", nil), ("", nil), ("ixgbe", "ixgbe"), ("x/\u{301}y", "\u{301}y"),
        ]
        for (target, name) in cases {
            let tree = InMemorySysfs(files: ["\(dir)/config": config], links: ["\(dir)/driver": target])
            let function = try #require(SysfsImporter(root: "/t", source: tree).read().functions.first)
            #expect(function.kernelDriver == name, "\(target)")
        }
    }

    @Test("trimming by bytes gives Foundation's text")
    func trimming() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<20000 {
            let bytes = Self.text(&rng, 12)
            #expect(SysfsImporter.trimmedText(bytes) == Self.referenceTrim(bytes), "\(bytes)")
        }
    }

    @Test("resource files, ids and links read as the String reader read them")
    func resourcesAndLinks() throws {
        var rng = SplitMix64(seed: 12)
        var config = [UInt8](repeating: 0, count: 64)
        config[0] = 0x86
        config[1] = 0x80
        let dir = "/t/devices/0000:00:03.0"
        for round in 0..<6000 {
            var resource = Self.text(&rng, 20)
            if round % 3 == 0 {
                resource = Array("0x1000 0x1fff 0x200\n0x0 0x0 0x0\n".utf8) + Self.text(&rng, 6)
            }
            let target = String(decoding: Self.text(&rng, 6), as: UTF8.self)
            let tree = InMemorySysfs(
                files: ["\(dir)/config": config, "\(dir)/resource": resource], links: ["\(dir)/driver": target])
            let input = SysfsImporter(root: "/t", source: tree).read()
            let function = try #require(input.functions.first)
            let problem = input.problems.first { $0.file == "\(dir)/resource" }
            if let text = Self.referenceTrim(resource) {
                let (windows, badLine) = Self.referenceResources(text)
                #expect(function.snapshot.resources == (windows ?? []), "\(resource)")
                #expect(function.hasSizes == (windows != nil), "\(resource)")
                #expect(problem?.location == badLine.map { "line \($0)" }, "\(resource)")
            } else {
                #expect(problem?.message == "unreadable; using the config register instead")
            }
            #expect(function.kernelDriver == Self.referenceName(target), "\(target)")
        }
    }

    @Test("the directory index of ASCII and other paths is the one a String walk makes")
    func directoryIndex() {
        var rng = SplitMix64(seed: 13)
        let parts = ["a", "b", "/", "//", "/t", "\u{301}", "é", "0000:00:03.0"]
        for _ in 0..<3000 {
            var files: [String: [UInt8]] = [:]
            var links: [String: String] = [:]
            for _ in 0..<Int(rng.next() % 8) {
                let path = (0..<Int(rng.next() % 7)).map { _ in parts[Int(rng.next() % UInt64(parts.count))] }.joined()
                if rng.next() % 2 == 0 { files[path] = [] } else { links[path] = "x" }
            }
            var expected: [String: Set<String>] = [:]
            for path in Array(files.keys) + Array(links.keys) {
                var parent = path
                while let slash = parent.lastIndex(of: "/") {
                    let name = String(parent[parent.index(after: slash)...])
                    parent = String(parent[..<slash])
                    if !name.isEmpty { expected[parent.isEmpty ? "/" : parent, default: []].insert(name) }
                }
            }
            let tree = InMemorySysfs(files: files, links: links)
            #expect(tree.directories.mapValues { Set($0) } == expected, "\(files.keys) \(links.keys)")
        }
    }
}

@Suite("sysfs directory names read by bytes")
struct SysfsAddressParsingTests {
    @Test("a name reads by bytes as by Characters, whatever it holds")
    func addressesMatch() {
        let pieces: [String] = [
            "0", "00", "0000", "f", "F", "1f", "7", "8", "20", ":", ".", "..", "+", "-", "g", " ", "\r\n",
            "\u{E9}", "\u{301}", "0000:00:03.0", "0000:", ":03.", "0001", "000000003", "ff",
        ]
        var rng = SplitMix64(seed: 11)
        var names = [
            "0000:00:03.0", "0000:00:1f.7", "0000:00:20.0", "0000:00:03.8", "ffff:ff:1f.7", "0000:00:03..0",
            "0000:00:.03.0.", "0000:00:03", "0000:00:", "+000:00:03.0", "0000:+0:03.0", "0000:00:+3.0", "0000:00:03.-0",
        ]
        for _ in 0..<4000 {
            names.append((0..<Int(rng.next() % 8)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined())
        }
        for name in names {
            let bytes = SysfsImporter.parseAddress(name)
            let characters = SysfsImporter.parseAddressByCharacters(name)
            #expect(bytes?.domain == characters?.domain && bytes?.bdf == characters?.bdf, "\(name)")
        }
    }
}
