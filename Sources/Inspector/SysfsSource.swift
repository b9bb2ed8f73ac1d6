import Foundation

/// What a ``SysfsImporter`` reads a tree from: the file system, or files held in memory
/// (``InMemorySysfs``: the fuzz target, tests). Paths are `/`-joined strings.
public protocol SysfsSource: Sendable {
    /// The names in directory `path`, or nil when it cannot be listed.
    func names(inDirectory path: String) -> [String]?
    /// The bytes of file `path`, or nil when it is missing or unreadable.
    func bytes(at path: String) -> [UInt8]?
    /// Whether anything (a file, a directory, a link) is at `path`.
    func exists(_ path: String) -> Bool
    /// What the symbolic link at `path` points to, or nil when there is no link.
    func linkTarget(at path: String) -> String?
    /// Everything under directory `path` (the files and links whose paths start with `path/`),
    /// equal for two trees exactly when those paths and contents are byte for byte the same;
    /// nil when the source cannot tell (then ``SysfsImporter/read(reusing:)`` reuses nothing).
    func contents(under path: String) -> SysfsSubtree?
}

extension SysfsSource {
    /// No subtree: nothing read from this source is reused.
    public func contents(under path: String) -> SysfsSubtree? { nil }
}

/// The file system.
public struct FileSystemSysfs: SysfsSource {
    public init() {}

    public func names(inDirectory path: String) -> [String]? { try? FileManager.default.contentsOfDirectory(atPath: path) }

    public func bytes(at path: String) -> [UInt8]? {
        (try? Data(contentsOf: URL(fileURLWithPath: path))).map { [UInt8]($0) }
    }

    public func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    public func linkTarget(at path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }
}

/// A tree held in memory: files by path and links by path; directories are the prefixes of
/// those paths (indexed when the tree is made).
public struct InMemorySysfs: SysfsSource {
    /// File contents by path.
    public let files: [String: [UInt8]]
    /// Link targets by path.
    public let links: [String: String]
    /// The names in each directory.
    let directories: [String: [String]]
    /// Every file and link, sorted by path bytes (a file before a link at the same path): the
    /// entries under a directory are one run of it.
    let entries: [SysfsEntry]

    /// Creates a tree of `files` and `links`, indexing its directories.
    public init(files: [String: [UInt8]] = [:], links: [String: String] = [:]) {
        self.init(files: files, links: links, reusingIndexOf: nil)
    }

    /// Creates a tree of `files` and `links`. The directory index is a function of the paths
    /// alone, so when they are byte for byte `previous`'s, its index is taken instead of made.
    public init(files: [String: [UInt8]], links: [String: String], reusingIndexOf previous: InMemorySysfs?) {
        self.files = files
        self.links = links
        if let previous, let same = Self.samePaths(files, links, as: previous) {
            self.entries = same
            directories = previous.directories
            return
        }
        var entries: [SysfsEntry] = []
        entries.reserveCapacity(files.count + links.count)
        for (path, bytes) in files { entries.append(SysfsEntry(path: path, contents: .file(bytes))) }
        for (path, target) in links { entries.append(SysfsEntry(path: path, contents: .link(target))) }
        self.entries = SysfsEntry.sorted(entries)
        var names: [String: Set<String>] = [:]
        for path in files.keys { Self.index(path, into: &names) }
        for path in links.keys { Self.index(path, into: &names) }
        directories = names.mapValues { Array($0) }
    }

    private init(files: [String: [UInt8]], links: [String: String], directories: [String: [String]], entries: [SysfsEntry]) {
        self.files = files
        self.links = links
        self.directories = directories
        self.entries = entries
    }

    /// This tree with each file of `changes` holding its new bytes: the paths stay, so the
    /// index and the entries' order are kept. Nil when a path is not (byte for byte) a file of
    /// this tree.
    public func replacingFiles(_ changes: [(path: String, bytes: [UInt8])]) -> InMemorySysfs? {
        var files = files
        var entries = entries
        for (path, bytes) in changes {
            guard let at = files.index(forKey: path), SysfsEntry.sameBytes(files[at].key, path) else { return nil }
            files.values[at] = bytes
            // The file's entry: the first at or after its path bytes (a file sorts before a link).
            let found = SysfsEntry.withBytes(path) { SysfsEntry.firstIndex(notBefore: $0, in: entries) }
            guard found < entries.count, !entries[found].isLink, SysfsEntry.sameBytes(entries[found].path, path) else {
                return nil
            }
            entries[found] = SysfsEntry(path: entries[found].path, contents: .file(bytes))
        }
        return InMemorySysfs(files: files, links: links, directories: directories, entries: entries)
    }

    /// `previous`'s entries with the contents of `files` and `links`, when those have exactly
    /// `previous`'s paths (byte for byte, files as files and links as links); else nil.
    private static func samePaths(_ files: [String: [UInt8]], _ links: [String: String], as previous: InMemorySysfs)
        -> [SysfsEntry]?
    {
        guard files.count + links.count == previous.entries.count else { return nil }
        var entries: [SysfsEntry] = []
        entries.reserveCapacity(previous.entries.count)
        for entry in previous.entries {
            // The stored key, not the one looked up: `String` keys match canonically
            // equivalent text, the index is made of the bytes.
            switch entry.contents {
            case .file:
                guard let at = files.index(forKey: entry.path), SysfsEntry.sameBytes(files[at].key, entry.path)
                else { return nil }
                entries.append(SysfsEntry(path: entry.path, contents: .file(files[at].value)))
            case .link:
                guard let at = links.index(forKey: entry.path), SysfsEntry.sameBytes(links[at].key, entry.path)
                else { return nil }
                entries.append(SysfsEntry(path: entry.path, contents: .link(links[at].value)))
            }
        }
        // As many paths as before, each found once: the same set, so the same order.
        return entries
    }

    /// Adds `path`'s name to its parent directory, the parent's to its own, and so on up.
    private static func index(_ path: String, into names: inout [String: Set<String>]) {
        // An ASCII path, by bytes: every `/` is a character of its own there (`lastIndex(of:)`
        // on a `String` goes by grapheme cluster, and a combining mark after `/` makes one).
        let indexed = path.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return false }
            var end = bytes.count
            while let slash = bytes[..<end].lastIndex(of: UInt8(ascii: "/")) {
                defer { end = slash }
                guard slash + 1 < end else { continue }
                let parent = slash == 0 ? "/" : String(decoding: UnsafeBufferPointer(rebasing: bytes[..<slash]), as: UTF8.self)
                let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[(slash + 1)..<end]), as: UTF8.self)
                let known = names[parent] != nil
                names[parent, default: []].insert(name)
                // A directory already indexed had its ancestors indexed with it.
                if known { return true }
            }
            return true
        }
        guard indexed != true else { return }
        var parent = path
        while let slash = parent.lastIndex(of: "/") {
            let name = String(parent[parent.index(after: slash)...])
            parent = String(parent[..<slash])
            if !name.isEmpty { names[parent.isEmpty ? "/" : parent, default: []].insert(name) }
        }
    }

    public func names(inDirectory path: String) -> [String]? {
        directories[path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path]
    }

    public func bytes(at path: String) -> [UInt8]? { files[path] }

    public func exists(_ path: String) -> Bool { files[path] != nil || links[path] != nil || names(inDirectory: path) != nil }

    public func linkTarget(at path: String) -> String? { links[path] }

    /// The run of ``entries`` whose paths start with the bytes of `path/`.
    public func contents(under path: String) -> SysfsSubtree? {
        var prefix = Array(path.utf8)
        prefix.append(UInt8(ascii: "/"))
        return prefix.withUnsafeBufferPointer { prefix in
            // The first entry not before the prefix; the run is the entries from there that
            // start with it.
            let low = SysfsEntry.firstIndex(notBefore: prefix, in: entries)
            var end = low
            while end < entries.count, SysfsEntry.hasPrefix(entries[end].path, prefix) { end += 1 }
            return SysfsSubtree(entries: entries[low..<end])
        }
    }
}
