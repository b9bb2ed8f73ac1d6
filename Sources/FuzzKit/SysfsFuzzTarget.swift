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
    /// The last check's bundle and tree: a file whose bytes did not change is the same array in
    /// the next tree, so comparing snapshots' config bytes is comparing two references; when no
    /// header changed only the changed files are decoded.
    private let decoder = SysfsBundleDecoder(root: SysfsFuzzTarget.root)
    /// The last check's function readings: a function directory whose files and links did not
    /// change is not read again.
    private let readings = SysfsImportCache()

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
        let tree = decoder.decode(document.bytes)
        let input = SysfsImporter(root: Self.root, source: tree).read(reusing: readings)
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
    /// `previous` is that array (not a copy), and `previous`'s directory index is taken when the
    /// paths are the same.
    static func decode(
        _ bytes: [UInt8], root: String, reusing tree: InMemorySysfs? = nil, recording: ((Record) -> Void)? = nil
    ) -> InMemorySysfs {
        var files: [String: [UInt8]] = [:]
        var links: [String: String] = [:]
        files.reserveCapacity(tree?.files.count ?? 0)
        links.reserveCapacity(tree?.links.count ?? 0)
        let previous = tree?.files ?? [:]
        let prefix = Array((root + "/").utf8)
        bytes.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress else { return }
            var start = 0
            while start < all.count {
                let found = memchr(base + start, Int32(separator), all.count - start)
                let end = found.map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) } ?? all.count
                defer { start = end + 1 }
                let record = all[start..<end]
                guard let newline = record.firstIndex(of: 0x0A) else {
                    recording?(Record(start: start, newline: nil, end: end, fileKey: nil, isEntry: false))
                    continue
                }
                let header = UnsafeBufferPointer(rebasing: all[start..<newline])
                let parsed = Self.header(header, prefix)
                if let recording {
                    let kind = parsed?.kind
                    recording(
                        Record(
                            start: start, newline: newline, end: end, fileKey: kind == UInt8(ascii: "F") ? parsed?.key : nil,
                            isEntry: kind == UInt8(ascii: "F") || (kind == UInt8(ascii: "L") && parsed?.target != nil)))
                }
                guard let (kind, key, target) = parsed else { continue }
                if kind == UInt8(ascii: "F") {
                    let contents = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: all[(newline + 1)..<end]))
                    if let old = previous[key], old.withUnsafeBytes({ same($0, contents) }) {
                        files[key] = old
                    } else {
                        files[key] = Array(contents)
                    }
                } else if kind == UInt8(ascii: "L"), let target {
                    links[key] = target
                }
            }
        }
        return InMemorySysfs(files: files, links: links, reusingIndexOf: tree)
    }

    /// Where a record lies in its bundle (from its separator's next byte to the next separator
    /// or the end, its header ending at `newline`), the path of the file it makes, and whether
    /// it makes a file or a link at all.
    struct Record {
        let start: Int
        let newline: Int?
        let end: Int
        let fileKey: String?
        let isEntry: Bool
    }

    /// `prefix` then `tail`, as one `String` made in place (both are valid UTF-8).
    private static func joined(_ prefix: [UInt8], _ tail: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: prefix.count + tail.count) { out in
            _ = out.initialize(from: prefix)
            _ = UnsafeMutableBufferPointer(rebasing: out[prefix.count...]).initialize(from: tail)
            return prefix.count + tail.count
        }
    }

    /// Whether two buffers hold the same bytes.
    private static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let x = a.baseAddress, let y = b.baseAddress else { return a.isEmpty }
        return memcmp(x, y, a.count) == 0
    }

    /// What a record header says: a file or a link (anything else is left out), its path
    /// joined to `prefix`, and the third field (a link's target). The first three
    /// space-separated fields are taken; fewer than two is nil. An ASCII header is split by
    /// bytes (each byte is a character there) and its path copied once into the key; any other
    /// is decoded (invalid UTF-8 repaired) and split as a `String`.
    private static func header(_ header: UnsafeBufferPointer<UInt8>, _ prefix: [UInt8])
        -> (kind: UInt8?, key: String, target: String?)?
    {
        guard header.allSatisfy({ $0 < 0x80 }) else {
            let fields = String(decoding: header, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2 else { return nil }
            let kind: UInt8? = fields[0] == "F" ? UInt8(ascii: "F") : fields[0] == "L" ? UInt8(ascii: "L") : nil
            var path = fields[1]
            let key = path.withUTF8 { joined(prefix, $0) }
            return (kind, key, fields.count >= 3 ? String(fields[2]) : nil)
        }
        var found: [Range<Int>] = []
        var start = 0
        while start < header.count, found.count < 3 {
            let end = header[start...].firstIndex(of: 0x20) ?? header.count
            defer { start = end + 1 }
            guard end > start else { continue }
            found.append(start..<end)
        }
        guard found.count >= 2 else { return nil }
        let first = header[found[0]]
        let kind =
            first.count == 1 && (first[first.startIndex] == UInt8(ascii: "F") || first[first.startIndex] == UInt8(ascii: "L"))
            ? first[first.startIndex] : nil
        let key = joined(prefix, UnsafeBufferPointer(rebasing: header[found[1]]))
        let target = found.count >= 3 ? String(decoding: UnsafeBufferPointer(rebasing: header[found[2]]), as: UTF8.self) : nil
        return (kind, key, target)
    }
}

/// Decodes bundle after bundle, each against the last: when every record of the new bundle has
/// the last one's header byte for byte (the same paths, kinds and link targets, in the same
/// order) and no two records made the same path, the tree is the last tree with the files whose
/// bytes changed replaced, which is what decoding it whole gives (`SysfsFuzzTargetTests`
/// compares the two on damaged bundles). Anything else is decoded whole.
final class SysfsBundleDecoder {
    let root: String
    /// The last bundle's tree.
    private(set) var tree = InMemorySysfs()
    private var last: [UInt8] = []
    private var records: [SysfsBundle.Record] = []
    /// Whether each of the last bundle's entry records made its own path.
    private var distinct = false
    /// How many bundles were decoded by replacing changed files (tests check both ways run).
    private(set) var updates = 0

    init(root: String) { self.root = root }

    func decode(_ bytes: [UInt8]) -> InMemorySysfs {
        if distinct, let changes = changedFiles(bytes), let updated = tree.replacingFiles(changes) {
            tree = updated
            updates += 1
        } else {
            var made: [SysfsBundle.Record] = []
            tree = SysfsBundle.decode(bytes, root: root, reusing: tree) { made.append($0) }
            records = made
            distinct = made.count(where: \.isEntry) == tree.files.count + tree.links.count
        }
        last = bytes
        return tree
    }

    /// The files whose bytes changed, when `bytes` has the last bundle's records with the same
    /// headers; else nil. The records' places are updated to `bytes`.
    private func changedFiles(_ bytes: [UInt8]) -> [(path: String, bytes: [UInt8])]? {
        var changes: [(path: String, bytes: [UInt8])] = []
        var moved = records
        let ok = bytes.withUnsafeBufferPointer { new in
            last.withUnsafeBufferPointer { old in
                guard let base = new.baseAddress, let oldBase = old.baseAddress else { return new.isEmpty && records.isEmpty }
                var start = 0
                var index = 0
                while start < new.count {
                    guard index < records.count else { return false }
                    let found = memchr(base + start, Int32(SysfsBundle.separator), new.count - start)
                    let end = found.map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) } ?? new.count
                    defer {
                        start = end + 1
                        index += 1
                    }
                    let record = records[index]
                    let newline = new[start..<end].firstIndex(of: 0x0A)
                    guard let newline, let oldNewline = record.newline else {
                        // No header: left out, whatever it holds; else a new or lost header.
                        guard newline == nil, record.newline == nil else { return false }
                        moved[index] = SysfsBundle.Record(start: start, newline: nil, end: end, fileKey: nil, isEntry: false)
                        continue
                    }
                    let length = newline - start
                    guard length == oldNewline - record.start, memcmp(base + start, oldBase + record.start, length) == 0
                    else { return false }
                    moved[index] = SysfsBundle.Record(
                        start: start, newline: newline, end: end, fileKey: record.fileKey, isEntry: record.isEntry)
                    guard let key = record.fileKey else { continue }
                    let body = newline + 1
                    let count = end - body
                    if count != record.end - (oldNewline + 1) || memcmp(base + body, oldBase + oldNewline + 1, count) != 0 {
                        changes.append((key, Array(UnsafeBufferPointer(rebasing: new[body..<end]))))
                    }
                }
                return index == records.count
            }
        }
        guard ok else { return nil }
        records = moved
        return changes
    }
}
