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
    public let root: URL

    /// Creates an importer for `root`.
    public init(root: URL) { self.root = root }

    /// The directory holding the per-function directories.
    public var devicesDirectory: URL {
        let direct = root.appendingPathComponent("devices", isDirectory: true)
        let mounted = root.appendingPathComponent("bus/pci/devices", isDirectory: true)
        return FileManager.default.fileExists(atPath: mounted.path) ? mounted : direct
    }

    /// Every function in the tree, and what was wrong with it.
    public func read() -> ListingInput {
        let directory = devicesDirectory
        var input = ListingInput(functions: [])
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        } catch {
            input.problems.append(ListingProblem(file: directory.path, message: "cannot list the directory"))
            return input
        }
        for name in names {
            guard let address = Self.parseAddress(name) else {
                input.problems.append(
                    ListingProblem(file: directory.appendingPathComponent(name).path, message: "not a DDDD:BB:DD.F name; skipped")
                )
                continue
            }
            if let function = readFunction(directory.appendingPathComponent(name), address, &input.problems) {
                input.functions.append(function)
            }
        }
        return input
    }

    /// `DDDD:BB:DD.F` → domain and BDF.
    static func parseAddress(_ name: String) -> (domain: UInt16, bdf: BDF)? {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, let domain = UInt16(parts[0], radix: 16),
            parts[1].count == 2, let bdf = BDF(parts[1] + ":" + parts[2])
        else { return nil }
        return (domain, bdf)
    }

    private func readFunction(_ dir: URL, _ address: (domain: UInt16, bdf: BDF), _ problems: inout [ListingProblem])
        -> ListedFunction?
    {
        let configURL = dir.appendingPathComponent("config")
        guard let config = try? Data(contentsOf: configURL) else {
            problems.append(ListingProblem(file: configURL.path, message: "cannot read; function skipped"))
            return nil
        }
        let bytes = [UInt8](config.prefix(4096))
        guard bytes.count >= 64 else {
            problems.append(
                ListingProblem(
                    file: configURL.path, location: "offset 0x\(String(bytes.count, radix: 16))",
                    message: "\(bytes.count) bytes, shorter than the 64-byte standard header; function skipped"))
            return nil
        }
        if bytes.count != 64 && bytes.count != 256 && bytes.count != 4096 {
            problems.append(
                ListingProblem(
                    file: configURL.path, location: "offset 0x\(String(bytes.count, radix: 16))",
                    message: "\(bytes.count) bytes, not 64, 256 or 4096; registers past the end read as absent"))
        }
        let view = ConfigView(bytes)
        let resources = readResources(dir.appendingPathComponent("resource"), &problems)
        let vendor = readHex(dir.appendingPathComponent("vendor"), max: 0xffff, &problems).map { UInt16($0) }
        let device = readHex(dir.appendingPathComponent("device"), max: 0xffff, &problems).map { UInt16($0) }
        let irqURL = dir.appendingPathComponent("irq")
        var irq = UInt32(view.byte(Header.interruptLine))
        if let text = readText(irqURL, &problems) {
            if let value = UInt32(text) {
                irq = value
            } else {
                problems.append(ListingProblem(file: irqURL.path, location: "line 1", message: "not a decimal IRQ"))
            }
        }
        let physfn = link(dir.appendingPathComponent("physfn")).flatMap { Self.parseAddress($0)?.bdf }
        let numa = (try? String(contentsOf: dir.appendingPathComponent("numa_node"), encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let snapshot = FunctionSnapshot(
            bdf: address.bdf, config: bytes, resources: resources ?? [], isVirtualFunction: physfn != nil,
            physicalFunction: physfn, vendorID: vendor, deviceID: device)
        return ListedFunction(
            snapshot: snapshot, irq: irq, kernelDriver: link(dir.appendingPathComponent("driver")),
            numaNode: numa == -1 ? nil : numa, iommuGroup: link(dir.appendingPathComponent("iommu_group")),
            domain: address.domain, hasSizes: resources != nil)
    }

    /// The last path component a symlink points to, or `nil` when there is no link.
    private func link(_ url: URL) -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: url.path) else { return nil }
        let name = (target as NSString).lastPathComponent
        return name.isEmpty ? nil : name
    }

    private func readText(_ url: URL, _ problems: inout [ListingProblem]) -> String? {
        guard FileManager.default.fileExists(atPath: url.path) else {
            problems.append(ListingProblem(file: url.path, message: "missing; using the config register instead"))
            return nil
        }
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            problems.append(ListingProblem(file: url.path, message: "unreadable; using the config register instead"))
            return nil
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func readHex(_ url: URL, max: UInt64, _ problems: inout [ListingProblem]) -> UInt64? {
        guard let text = readText(url, &problems) else { return nil }
        let digits = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
        guard let value = UInt64(digits, radix: 16), value <= max else {
            problems.append(
                ListingProblem(file: url.path, location: "line 1", message: "'\(text)' is not a hex id; using config"))
            return nil
        }
        return value
    }

    /// Seven windows from `resource`; `nil` (no sizes) when the file is missing or malformed.
    private func readResources(_ url: URL, _ problems: inout [ListingProblem]) -> [ResourceWindow]? {
        guard let text = readText(url, &problems) else { return nil }
        var windows: [ResourceWindow] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(separator: " ").map { $0.hasPrefix("0x") ? $0.dropFirst(2) : $0 }
            guard fields.count == 3, let start = UInt64(fields[0], radix: 16), let end = UInt64(fields[1], radix: 16),
                let flags = UInt64(fields[2], radix: 16)
            else {
                problems.append(
                    ListingProblem(
                        file: url.path, location: "line \(index + 1)",
                        message: "not '0x<start> 0x<end> 0x<flags>'; BAR sizes not shown"))
                return nil
            }
            if index < 7 { windows.append(ResourceWindow(start: start, end: end, flags: flags)) }
        }
        return windows
    }
}
