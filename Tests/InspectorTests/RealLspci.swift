import Foundation
import Inspector
import PCIe

/// Runs the installed lspci against an exported tree.
enum RealLspci {
    static let path = "/usr/bin/lspci"

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Exports `snapshots` to a fresh temporary directory and returns lspci's stdout for `arguments`.
    static func run(_ snapshots: [FunctionSnapshot], _ arguments: [String] = []) throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("inspector-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try SysfsExporter(root: dir).export(snapshots)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-A", "linux-sysfs", "-O", "sysfs.path=\(dir.path)"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
