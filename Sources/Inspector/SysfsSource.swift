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

    public init(files: [String: [UInt8]] = [:], links: [String: String] = [:]) {
        self.files = files
        self.links = links
        var names: [String: Set<String>] = [:]
        for path in files.keys { Self.index(path, into: &names) }
        for path in links.keys { Self.index(path, into: &names) }
        directories = names.mapValues { Array($0) }
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
}
