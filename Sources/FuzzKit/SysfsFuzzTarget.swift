import Foundation
import Host
import Inspector
import PCIe

/// `pci-list` over a sysfs tree (`-A linux-sysfs`): the default profile's tree as `devbench
/// export-sysfs` writes it (config, resource, vendor, device, irq, numa_node files; driver,
/// iommu_group and physfn links), held in memory as one bundle the operations edit byte by
/// byte, then read by ``SysfsImporter`` and listed at -vv after every change. File names,
/// link targets and contents all get damaged: every problem must name a file of the tree, and
/// every function read must list.
public final class SysfsFuzzTarget: FuzzTarget {
    public static let name = "sysfs"
    public static let summary =
        "pci-list -A linux-sysfs: sysfs files and links (config, resource, ids, irq, physfn) read and listed"
    public let harness: FuzzHarness? = nil
    public let surface = FuzzSurface(registers: [], doorbellCount: 1, entryCount: 256, entrySize: 16, virtualFunctions: false)
    private var document: FuzzedText
    private let formatter = LspciFormatter(options: LspciOptions(verbosity: 2, nameStyle: .mixed))
    private let blocks = ListedBlocks()
    /// The tree the last check read: a file whose bytes did not change is the same array in the
    /// next tree, so comparing snapshots' config bytes is comparing two references.
    private var lastTree = InMemorySysfs()

    /// Where the bundle's paths are rooted.
    static let root = "/fuzz-sysfs"

    /// The tree every input starts from, as a bundle: the default profile's functions exported
    /// once per process (into a scratch directory, read back, removed).
    static let sample: [UInt8] = {
        guard let profile = try? HostProfile.named("default"), let host = try? VirtualHost(profile: profile) else { return [] }
        host.bringUp()
        let drivers = host.kernelDriverNames
        // One function of each kind (the host bridge, the 82599 PF and a VF, the ENA, each
        // NVMe, a DMA engine): the same parsers on a fifth of the bytes.
        var kinds = Set<UInt32>()
        let functions = host.snapshots.filter { kinds.insert(UInt32($0.vendorID) << 16 | UInt32($0.deviceID)).inserted }
            .map { ListedFunction(snapshot: $0, kernelDriver: drivers[$0.bdf]) }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "devbench-sysfs-fuzz-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        guard (try? SysfsExporter(root: scratch).export(functions)) != nil else { return [] }
        return SysfsBundle.encode(SysfsBundle.load(scratch.path))
    }()

    public init() throws { document = FuzzedText(bytes: Self.sample) }

    public func apply(_ op: FuzzOperation) { document.apply(op) }

    public func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? {
        guard document.needsCheck() else { return nil }
        let tree = SysfsBundle.decode(document.bytes, root: Self.root, reusing: lastTree.files)
        lastTree = tree
        let input = SysfsImporter(root: Self.root, source: tree).read()
        return listingViolation(input, formatter, blocks: blocks, invariant: "problems name a file of the tree") {
            $0.hasPrefix(Self.root + "/")
        }
    }

    public func finalCheck() -> (invariant: String, detail: String)? { nil }
}

/// A sysfs tree as one byte string: records, each opened by 0x1E, `F path\n` followed by the
/// file's bytes or `L path target\n` for a link; paths relative to the tree's root. Any byte
/// string decodes (what does not parse is left out).
enum SysfsBundle {
    static let separator: UInt8 = 0x1E

    /// The files and links under `root` on disk, by relative path.
    static func load(_ root: String) -> InMemorySysfs {
        var files: [String: [UInt8]] = [:]
        var links: [String: String] = [:]
        let manager = FileManager.default
        for path in ((manager.enumerator(atPath: root)?.allObjects as? [String]) ?? []).sorted() {
            let full = root + "/" + path
            if let target = try? manager.destinationOfSymbolicLink(atPath: full) {
                links[path] = target
            } else if let data = manager.contents(atPath: full) {
                files[path] = [UInt8](data)
            }
        }
        return InMemorySysfs(files: files, links: links)
    }

    static func encode(_ tree: InMemorySysfs) -> [UInt8] {
        var out: [UInt8] = []
        for (path, bytes) in tree.files.sorted(by: { $0.key < $1.key }) {
            out.append(separator)
            out += Array("F \(path)\n".utf8)
            out += bytes
        }
        for (path, target) in tree.links.sorted(by: { $0.key < $1.key }) {
            out.append(separator)
            out += Array("L \(path) \(target)\n".utf8)
        }
        return out
    }

    /// The tree `bytes` describe, its paths under `root`. A file with the same path and bytes in
    /// `previous` is that array (not a copy).
    static func decode(_ bytes: [UInt8], root: String, reusing previous: [String: [UInt8]] = [:]) -> InMemorySysfs {
        var files: [String: [UInt8]] = [:]
        var links: [String: String] = [:]
        let prefix = root + "/"
        bytes.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress else { return }
            var start = 0
            while start < all.count {
                let found = memchr(base + start, Int32(separator), all.count - start)
                let end = found.map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) } ?? all.count
                defer { start = end + 1 }
                let record = all[start..<end]
                guard let newline = record.firstIndex(of: 0x0A) else { continue }
                let header = UnsafeBufferPointer(rebasing: all[start..<newline])
                guard let (kind, path, target) = fields(header) else { continue }
                if kind == "F" {
                    let key = prefix + path
                    let contents = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: all[(newline + 1)..<end]))
                    if let old = previous[key], old.withUnsafeBytes({ same($0, contents) }) {
                        files[key] = old
                    } else {
                        files[key] = Array(contents)
                    }
                } else if kind == "L", let target {
                    links[prefix + path] = target
                }
            }
        }
        return InMemorySysfs(files: files, links: links)
    }

    /// Whether two buffers hold the same bytes.
    private static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let x = a.baseAddress, let y = b.baseAddress else { return a.isEmpty }
        return memcmp(x, y, a.count) == 0
    }

    /// A record header's first three space-separated fields (the third `nil` when missing), or
    /// `nil` when it has fewer than two. An ASCII header is split by bytes (each byte is a
    /// character there); any other is decoded (invalid UTF-8 repaired) and split as a `String`.
    private static func fields(_ header: UnsafeBufferPointer<UInt8>) -> (Substring, Substring, String?)? {
        guard header.allSatisfy({ $0 < 0x80 }) else {
            let fields = String(decoding: header, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2 else { return nil }
            return (fields[0], fields[1], fields.count >= 3 ? String(fields[2]) : nil)
        }
        var found: [Substring] = []
        var start = 0
        while start < header.count, found.count < 3 {
            let end = header[start...].firstIndex(of: 0x20) ?? header.count
            defer { start = end + 1 }
            guard end > start else { continue }
            found.append(Substring(String(decoding: UnsafeBufferPointer(rebasing: header[start..<end]), as: UTF8.self)))
        }
        guard found.count >= 2 else { return nil }
        return (found[0], found[1], found.count >= 3 ? String(found[2]) : nil)
    }
}
