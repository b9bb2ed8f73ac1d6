import Foundation
import PCIe

/// Reads a sysfs-shaped tree (the real `/sys/bus/pci`, or one ``SysfsExporter`` wrote) the way
/// libpci's `linux-sysfs` method does: `DIR/devices/DDDD:BB:DD.F/` with `config`, `resource`,
/// `vendor`, `device`, `irq`, and the `driver`, `iommu_group` and `physfn` links.
///
/// Damage never stops the listing: a missing or short `config` drops that function, a missing
/// or malformed `resource`, `irq`, `vendor` or `device` falls back to the config registers, and
/// each case is a ``ListingProblem`` naming the file.
public struct SysfsImporter: Sendable {
    /// The tree's root (`DIR`; `DIR/bus/pci` is used when `DIR` is a sysfs mount).
    public let root: String
    /// Where the files are read from.
    public let source: any SysfsSource

    /// Creates an importer for `root` on the file system.
    public init(root: URL) {
        self.root = root.path
        source = FileSystemSysfs()
    }

    /// Creates an importer for the tree at `root` in `source`.
    public init(root: String, source: any SysfsSource) {
        self.root = root
        self.source = source
    }

    /// The directory holding the per-function directories.
    public var devicesDirectory: String {
        let mounted = Self.join(root, "bus/pci/devices")
        return source.exists(mounted) ? mounted : Self.join(root, "devices")
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Every function in the tree, and what was wrong with it.
    public func read() -> ListingInput { read(cache: nil) }

    /// ``read()``; with a cache, a function directory whose contents are byte for byte those
    /// of the last read through it gives that read's function and problems again.
    func read(cache: SysfsImportCache?) -> ListingInput {
        let directory = devicesDirectory
        var input = ListingInput(functions: [])
        guard let names = source.names(inDirectory: directory)?.sorted() else {
            input.problems.append(ListingProblem(file: directory, message: "cannot list the directory"))
            cache?.readings = [:]
            return input
        }
        var readings: [String: SysfsImportCache.Reading] = [:]
        for name in names {
            guard let address = Self.parseAddress(name) else {
                input.problems.append(
                    ListingProblem(file: Self.join(directory, name), message: "not a DDDD:BB:DD.F name; skipped"))
                continue
            }
            let dir = Self.join(directory, name)
            let function =
                if let cache {
                    readFunction(dir, address, cache, into: &readings, &input.problems)
                } else {
                    readFunction(dir, address, &input.problems)
                }
            if let function { input.functions.append(function) }
        }
        cache?.readings = readings
        return input
    }

    /// `DDDD:BB:DD.F` → domain and BDF, by `Character`s (``parseAddress(_:)`` takes the usual
    /// names by bytes).
    static func parseAddressByCharacters(_ name: String) -> (domain: UInt16, bdf: BDF)? {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, let domain = UInt16(parts[0], radix: 16),
            parts[1].count == 2, let bdf = BDF(parts[1] + ":" + parts[2])
        else { return nil }
        return (domain, bdf)
    }

    func readFunction(_ dir: String, _ address: (domain: UInt16, bdf: BDF), _ problems: inout [ListingProblem])
        -> ListedFunction?
    {
        let configPath = Self.join(dir, "config")
        guard let config = source.bytes(at: configPath) else {
            problems.append(ListingProblem(file: configPath, message: "cannot read; function skipped"))
            return nil
        }
        let bytes = config.count <= 4096 ? config : Array(config.prefix(4096))
        guard bytes.count >= 64 else {
            problems.append(
                ListingProblem(
                    file: configPath, location: "offset 0x\(String(bytes.count, radix: 16))",
                    message: "\(bytes.count) bytes, shorter than the 64-byte standard header; function skipped"))
            return nil
        }
        if bytes.count != 64 && bytes.count != 256 && bytes.count != 4096 {
            problems.append(
                ListingProblem(
                    file: configPath, location: "offset 0x\(String(bytes.count, radix: 16))",
                    message: "\(bytes.count) bytes, not 64, 256 or 4096; registers past the end read as absent"))
        }
        let view = ConfigView(bytes)
        let resources = readResources(Self.join(dir, "resource"), &problems)
        let vendor = readHex(Self.join(dir, "vendor"), max: 0xffff, &problems).map { UInt16($0) }
        let device = readHex(Self.join(dir, "device"), max: 0xffff, &problems).map { UInt16($0) }
        let irqPath = Self.join(dir, "irq")
        var irq = UInt32(view.byte(Header.interruptLine))
        if let text = readText(irqPath, &problems) {
            if let value = UInt32(text) {
                irq = value
            } else {
                problems.append(ListingProblem(file: irqPath, location: "line 1", message: "not a decimal IRQ"))
            }
        }
        let physfn = link(Self.join(dir, "physfn")).flatMap { Self.parseAddress($0)?.bdf }
        let numa = source.bytes(at: Self.join(dir, "numa_node")).flatMap(Self.trimmedText).flatMap { Int($0) }
        let snapshot = FunctionSnapshot(
            bdf: address.bdf, config: bytes, resources: resources ?? [], isVirtualFunction: physfn != nil,
            physicalFunction: physfn, vendorID: vendor, deviceID: device)
        return ListedFunction(
            snapshot: snapshot, irq: irq, kernelDriver: link(Self.join(dir, "driver")),
            numaNode: numa == -1 ? nil : numa, iommuGroup: link(Self.join(dir, "iommu_group")),
            domain: address.domain, hasSizes: resources != nil)
    }

    /// The last path component a symlink points to, or `nil` when there is no link or it names
    /// nothing: what follows the last `/` once trailing `/`s are dropped, taken by bytes as
    /// libpci's `basename` does (a `/` byte never sits inside a longer UTF-8 sequence).
    /// `NSString.lastPathComponent` trapped on a target with `//` before a non-ASCII name
    /// (`a//é`; regression input `sysfs/link-target-double-slash-non-ascii.bin`).
    private func link(_ path: String) -> String? {
        guard var target = source.linkTarget(at: path) else { return nil }
        return target.withUTF8 { bytes -> String? in
            var end = bytes.count
            while end > 0, bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
            let start = bytes[..<end].lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? 0
            guard start < end else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
    }

    private func readText(_ path: String, _ problems: inout [ListingProblem]) -> String? {
        guard source.exists(path) else {
            problems.append(ListingProblem(file: path, message: "missing; using the config register instead"))
            return nil
        }
        guard let bytes = source.bytes(at: path), let text = Self.trimmedText(bytes) else {
            problems.append(ListingProblem(file: path, message: "unreadable; using the config register instead"))
            return nil
        }
        return text
    }

    /// A file's text with leading and trailing whitespace and newlines removed, or `nil` when it
    /// is not UTF-8. ASCII (a sysfs file's usual contents) is trimmed by bytes: the ASCII members
    /// of `CharacterSet.whitespacesAndNewlines` are exactly tab, LF, VT, FF, CR and space.
    static func trimmedText(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { buffer -> String? in
            guard buffer.allSatisfy({ $0 < 0x80 }) else {
                return String(validating: buffer, as: UTF8.self)?.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
            var start = 0
            var end = buffer.count
            while start < end, isSpace(buffer[start]) { start += 1 }
            while end > start, isSpace(buffer[end - 1]) { end -= 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
        }
    }

    private func readHex(_ path: String, max: UInt64, _ problems: inout [ListingProblem]) -> UInt64? {
        guard let text = readText(path, &problems) else { return nil }
        let digits = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
        guard let value = UInt64(digits, radix: 16), value <= max else {
            problems.append(
                ListingProblem(file: path, location: "line 1", message: "'\(text)' is not a hex id; using config"))
            return nil
        }
        return value
    }

    /// Seven windows from `resource`; `nil` (no sizes) when the file is missing or malformed.
    private func readResources(_ path: String, _ problems: inout [ListingProblem]) -> [ResourceWindow]? {
        guard let text = readText(path, &problems) else { return nil }
        if let result = Self.asciiResources(text, path, &problems) { return result }
        var windows: [ResourceWindow] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(separator: " ").map { $0.hasPrefix("0x") ? $0.dropFirst(2) : $0 }
            guard fields.count == 3, let start = UInt64(fields[0], radix: 16), let end = UInt64(fields[1], radix: 16),
                let flags = UInt64(fields[2], radix: 16)
            else {
                problems.append(
                    ListingProblem(
                        file: path, location: "line \(index + 1)",
                        message: "not '0x<start> 0x<end> 0x<flags>'; BAR sizes not shown"))
                return nil
            }
            if index < 7 { windows.append(ResourceWindow(start: start, end: end, flags: flags)) }
        }
        return windows
    }

    /// ``readResources(_:_:)`` by bytes, for ASCII text without a CR: each byte is a character
    /// there (CR LF is the one ASCII pair a `String` takes as one), so splitting the bytes on LF
    /// and space finds the lines and fields the `String` split does. `nil` for other text (the
    /// `String` path reads it); else the windows, or `.some(nil)` when a line is malformed.
    private static func asciiResources(_ text: String, _ path: String, _ problems: inout [ListingProblem])
        -> [ResourceWindow]??
    {
        var text = text
        return text.withUTF8 { bytes -> [ResourceWindow]?? in
            guard bytes.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) else { return nil }
            var windows: [ResourceWindow] = []
            var index = 0
            var lineStart = 0
            while true {
                let lineEnd = bytes[lineStart...].firstIndex(of: 0x0A) ?? bytes.count
                var fields: [UInt64] = []
                var valid = true
                var fieldStart = lineStart
                while fieldStart < lineEnd, valid {
                    let fieldEnd = bytes[fieldStart..<lineEnd].firstIndex(of: 0x20) ?? lineEnd
                    defer { fieldStart = fieldEnd + 1 }
                    guard fieldEnd > fieldStart else { continue }
                    var field = UnsafeBufferPointer(rebasing: bytes[fieldStart..<fieldEnd])
                    if field.count >= 2, field[0] == UInt8(ascii: "0"), field[1] == UInt8(ascii: "x") {
                        field = UnsafeBufferPointer(rebasing: field[2...])
                    }
                    if let value = hex(field), fields.count < 3 { fields.append(value) } else { valid = false }
                }
                guard valid, fields.count == 3 else {
                    problems.append(
                        ListingProblem(
                            file: path, location: "line \(index + 1)",
                            message: "not '0x<start> 0x<end> 0x<flags>'; BAR sizes not shown"))
                    return .some(nil)
                }
                if index < 7 { windows.append(ResourceWindow(start: fields[0], end: fields[1], flags: fields[2])) }
                guard lineEnd < bytes.count else { return windows }
                lineStart = lineEnd + 1
                index += 1
            }
        }
    }

    /// `UInt64(field, radix: 16)` for ASCII bytes; a sign goes to the standard library's parser.
    private static func hex(_ field: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard let first = field.first else { return nil }
        if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            return UInt64(String(decoding: field, as: UTF8.self), radix: 16)
        }
        return HexDigits.number(field, limit: .max)
    }
}
