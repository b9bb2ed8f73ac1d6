import Foundation
import Inspector
import Testing

@testable import pci_list

/// The installed lspci 3.9 (the oracle), the pci-list binary, and temporary trees.
enum Oracle {
    static let lspci = "/usr/bin/lspci"

    static var hasLspci: Bool { FileManager.default.isExecutableFile(atPath: lspci) }

    /// The fixtures directory of the repository.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fixtures").standardized

    /// The hex dumps under `Fixtures/lspci-dumps`.
    static var dumps: [URL] {
        let dir = fixtures.appendingPathComponent("lspci-dumps")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted().map { dir.appendingPathComponent($0) }
    }

    /// Output of a process (stdout, stderr, status).
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Real lspci's stdout bytes for `arguments`.
    static func lspciText(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: lspci)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }

    /// The built pci-list binary next to the test bundle.
    static var pciList: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("pci-list")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../.build/debug/pci-list").standardized.path
    }

    static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pci-list-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// pci-list's output bytes for `arguments` over already loaded functions, in process.
    static func ours(_ arguments: [String], _ functions: [ListedFunction]) throws -> Data {
        LspciOutput.encode(try PCIList.parse(arguments).render(functions, host: nil))
    }

    /// pci-list's output for `arguments` as text.
    static func oursText(_ arguments: [String], _ functions: [ListedFunction]) throws -> String {
        try PCIList.parse(arguments).render(functions, host: nil)
    }

    /// The option sets every oracle comparison runs.
    static let optionSets: [[String]] = [
        [], ["-n"], ["-nn"], ["-v"], ["-vv"], ["-vvv"], ["-x"], ["-xxx"], ["-xxxx"], ["-t"], ["-tv"], ["-k"],
        ["-m"], ["-vmm"], ["-vmmk"], ["-D"], ["-nnvvv"],
    ]

    /// Records the first differing line of two texts.
    static func expectSame(_ oursBytes: Data, _ theirsBytes: Data, _ context: String) {
        guard oursBytes != theirsBytes else { return }
        let ours = String(decoding: oursBytes, as: UTF8.self)
        let theirs = String(decoding: theirsBytes, as: UTF8.self)
        let a = ours.split(separator: "\n", omittingEmptySubsequences: false)
        let b = theirs.split(separator: "\n", omittingEmptySubsequences: false)
        let index = Array(zip(a, b)).firstIndex { $0 != $1 } ?? min(a.count, b.count)
        let mine = index < a.count ? String(a[index]) : "<end>"
        let real = index < b.count ? String(b[index]) : "<end>"
        Issue.record(
            "\(context): line \(index + 1) differs\n  pci-list: \(mine.debugDescription)\n  lspci:    \(real.debugDescription)")
    }
}
