import Foundation
import PCIe

/// Why an export failed: which path, which step, and the system's reason.
public struct SysfsExportError: Error, Equatable, CustomStringConvertible {
    /// The step that failed.
    public enum Operation: String, Sendable, Equatable {
        case createDirectory = "create directory"
        case writeFile = "write file"
        case createSymlink = "create symlink"
    }

    /// The step that failed.
    public let operation: Operation
    /// The path it failed on.
    public let path: String
    /// The underlying error's text.
    public let reason: String

    public var description: String { "sysfs export: cannot \(operation.rawValue) \(path): \(reason)" }
}

/// Writes snapshots as a sysfs-shaped tree that real lspci reads:
/// `lspci -A linux-sysfs -O sysfs.path=DIR -v`.
///
/// Layout: `DIR/devices/0000:BB:DD.F/` with `config` (the snapshot's bytes: 256, or 4096 with
/// extended space), `resource` (7 lines `0x%016x 0x%016x 0x%016x`), `vendor`, `device`, `class`,
/// `revision`, `subsystem_vendor`, `subsystem_device`, `irq`; a VF also gets a `physfn` symlink
/// to its PF's directory. lspci's sysfs method needs nothing else (no `bus/pci` directory).
public struct SysfsExporter: Sendable {
    /// The tree's root (`DIR`).
    public let root: URL

    /// Creates an exporter writing under `root`.
    public init(root: URL) { self.root = root }

    /// The directory of one function.
    public func directory(of bdf: BDF) -> URL {
        root.appendingPathComponent("devices", isDirectory: true)
            .appendingPathComponent(bdf.sysfsName, isDirectory: true)
    }

    /// Writes every snapshot (replacing files already there).
    public func export(_ snapshots: [FunctionSnapshot]) throws(SysfsExportError) {
        for snapshot in snapshots { try export(snapshot) }
    }

    /// Writes every listed function, with a `driver` link to `DIR/drivers/NAME` (as Linux links
    /// to `/sys/bus/pci/drivers/NAME`) for each bound driver, so real `lspci -k` names it too:
    /// libpci resolves the link, so its target directory is created as well.
    public func export(_ functions: [ListedFunction]) throws(SysfsExportError) {
        for function in functions {
            try export(function.snapshot, irq: function.irq)
            guard let driver = function.kernelDriver, !driver.contains("/"), !driver.isEmpty else { continue }
            let target = root.appendingPathComponent("drivers", isDirectory: true)
                .appendingPathComponent(driver, isDirectory: true)
            do {
                try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            } catch {
                throw SysfsExportError(operation: .createDirectory, path: target.path, reason: "\(error)")
            }
            let url = directory(of: function.snapshot.bdf).appendingPathComponent("driver")
            try link(url, to: "../../drivers/\(driver)")
        }
    }

    /// Writes one function's directory; `irq` defaults to the Interrupt Line register.
    public func export(_ snapshot: FunctionSnapshot, irq: UInt32? = nil) throws(SysfsExportError) {
        let dir = directory(of: snapshot.bdf)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw SysfsExportError(operation: .createDirectory, path: dir.path, reason: "\(error)")
        }
        let view = ConfigView(snapshot.config)
        try write(Data(snapshot.config), "config", in: dir)
        try write(resourceText(snapshot, view), "resource", in: dir)
        try write("0x\(Fmt.hex(snapshot.vendorID, 4))\n", "vendor", in: dir)
        try write("0x\(Fmt.hex(snapshot.deviceID, 4))\n", "device", in: dir)
        try write("0x\(Fmt.hex(snapshot.classCode24, 6))\n", "class", in: dir)
        try write("0x\(Fmt.hex(view.byte(Header.revision), 2))\n", "revision", in: dir)
        let subsystem = view.subsystemIDs
        try write("0x\(Fmt.hex(subsystem.vendor, 4))\n", "subsystem_vendor", in: dir)
        try write("0x\(Fmt.hex(subsystem.device, 4))\n", "subsystem_device", in: dir)
        try write("\(irq ?? UInt32(snapshot.reportedIRQ))\n", "irq", in: dir)
        if snapshot.isVirtualFunction, let pf = snapshot.physicalFunction {
            try link(dir.appendingPathComponent("physfn"), to: "../\(pf.sysfsName)")
        }
    }

    /// The `resource` file: seven windows, BAR0...BAR5 and the ROM.
    func resourceText(_ snapshot: FunctionSnapshot, _ view: ConfigView) -> String {
        SysfsResource.windows(of: snapshot).enumerated().map { index, window in
            let flags = SysfsResource.flags(index: index, window: window, config: view)
            return "0x\(Fmt.hex(window.start, 16)) 0x\(Fmt.hex(window.end, 16)) 0x\(Fmt.hex(flags, 16))\n"
        }.joined()
    }

    private func write(_ text: String, _ name: String, in dir: URL) throws(SysfsExportError) {
        try write(Data(text.utf8), name, in: dir)
    }

    private func write(_ data: Data, _ name: String, in dir: URL) throws(SysfsExportError) {
        let url = dir.appendingPathComponent(name)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw SysfsExportError(operation: .writeFile, path: url.path, reason: "\(error)")
        }
    }

    private func link(_ url: URL, to destination: String) throws(SysfsExportError) {
        let manager = FileManager.default
        if (try? manager.destinationOfSymbolicLink(atPath: url.path)) != nil {
            try? manager.removeItem(at: url)
        }
        do {
            try manager.createSymbolicLink(atPath: url.path, withDestinationPath: destination)
        } catch {
            throw SysfsExportError(operation: .createSymlink, path: url.path, reason: "\(error)")
        }
    }
}
