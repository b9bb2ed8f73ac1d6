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
    private let directories: [String: [String]]

    public init(files: [String: [UInt8]] = [:], links: [String: String] = [:]) {
        self.files = files
        self.links = links
        var names: [String: Set<String>] = [:]
        for path in Array(files.keys) + Array(links.keys) {
            var parent = path
            while let slash = parent.lastIndex(of: "/") {
                let name = String(parent[parent.index(after: slash)...])
                parent = String(parent[..<slash])
                if !name.isEmpty { names[parent.isEmpty ? "/" : parent, default: []].insert(name) }
            }
        }
        directories = names.mapValues { Array($0) }
    }

    public func names(inDirectory path: String) -> [String]? {
        directories[path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path]
    }

    public func bytes(at path: String) -> [UInt8]? { files[path] }

    public func exists(_ path: String) -> Bool { files[path] != nil || links[path] != nil || names(inDirectory: path) != nil }

    public func linkTarget(at path: String) -> String? { links[path] }
}
