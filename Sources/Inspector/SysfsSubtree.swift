import Foundation

/// A file or a link of an ``InMemorySysfs``: its path and what it holds.
public struct SysfsEntry: Sendable, Equatable {
    /// What an entry holds.
    public enum Contents: Sendable {
        /// A file's bytes.
        case file([UInt8])
        /// A link's target.
        case link(String)
    }

    /// The entry's path.
    public let path: String
    /// Its bytes or its target.
    public let contents: Contents

    var isLink: Bool {
        if case .link = contents { return true }
        return false
    }

    /// Whether the two entries have the same path and contents byte for byte (`String`'s `==`
    /// takes canonically equivalent text as equal; a reading shows the bytes).
    public static func == (a: SysfsEntry, b: SysfsEntry) -> Bool {
        guard sameBytes(a.path, b.path) else { return false }
        switch (a.contents, b.contents) {
        case (.file(let x), .file(let y)): return x == y
        case (.link(let x), .link(let y)): return sameBytes(x, y)
        default: return false
        }
    }

    /// `entries` in path byte order, a file before a link at the same path (indices sorted on
    /// copies of the path bytes: cheaper than moving entries and walking `String`s per compare).
    static func sorted(_ entries: [SysfsEntry]) -> [SysfsEntry] {
        let keys = entries.map { Array($0.path.utf8) }
        let order = entries.indices.sorted { i, j in
            let order = keys[i].withUnsafeBufferPointer { a in
                keys[j].withUnsafeBufferPointer { b in
                    let common = min(a.count, b.count)
                    guard common > 0, let x = a.baseAddress, let y = b.baseAddress else { return a.count - b.count }
                    let order = Int(memcmp(x, y, common))
                    return order != 0 ? order : a.count - b.count
                }
            }
            return order != 0 ? order < 0 : !entries[i].isLink && entries[j].isLink
        }
        return order.map { entries[$0] }
    }

    /// Calls `body` with the UTF-8 bytes of `text`.
    static func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// `text`'s UTF-8 bytes against `bytes`, as `memcmp` orders them (a prefix first): negative,
    /// zero or positive.
    static func compare(_ text: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        withBytes(text) { mine in
            let common = min(mine.count, bytes.count)
            if common > 0, let x = mine.baseAddress, let y = bytes.baseAddress {
                let order = memcmp(x, y, common)
                if order != 0 { return Int(order) }
            }
            return mine.count - bytes.count
        }
    }

    /// The index of the first of `entries` (sorted by path bytes) whose path is not before
    /// `bytes`; `entries.count` when there is none.
    static func firstIndex(notBefore bytes: UnsafeBufferPointer<UInt8>, in entries: [SysfsEntry]) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if compare(entries[middle].path, bytes) < 0 { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Whether `text`'s UTF-8 bytes start with `prefix`.
    static func hasPrefix(_ text: String, _ prefix: UnsafeBufferPointer<UInt8>) -> Bool {
        withBytes(text) { mine in
            guard mine.count >= prefix.count else { return false }
            guard prefix.count > 0, let x = mine.baseAddress, let y = prefix.baseAddress else { return true }
            return memcmp(x, y, prefix.count) == 0
        }
    }

    /// Whether two strings have the same UTF-8 bytes.
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                guard x.count == y.count else { return false }
                guard let p = x.baseAddress, let q = y.baseAddress, p != q else { return true }
                return memcmp(p, q, x.count) == 0
            }
        }
    }
}

/// The files and links under one directory of a tree, in path byte order: two are equal when
/// their paths and contents are byte for byte the same.
public struct SysfsSubtree: Sendable, Equatable {
    let entries: ArraySlice<SysfsEntry>

    /// Whether the two hold the same entries in the same order.
    public static func == (a: SysfsSubtree, b: SysfsSubtree) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0 == $1 }
    }
}
