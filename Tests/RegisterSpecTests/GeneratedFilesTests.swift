import Foundation
import RegisterSpec
import Testing

@Suite("Committed generated files match DeviceSpecs")
struct GeneratedFilesTests {
    let repository = SpecRepository(root: repositoryRoot)

    @Test func regeneratingEverySpecChangesNothing() throws {
        let stale = try repository.check()
        #expect(stale.isEmpty, "run `swift run devspec-gen`: \(stale.map(\.description))")
    }

    @Test func everyPlatformBlockIsGenerated() throws {
        let paths = Set(try repository.generateAll().map(\.path))
        for block in [
            "PCIType0Header", "PowerManagementCapability", "MSICapability", "MSIXCapability",
            "PCIExpressCapability", "AERCapability", "DeviceSerialNumberCapability", "ARICapability",
            "SRIOVCapability",
        ] {
            #expect(paths.contains("Sources/PCIe/Generated/\(block).swift"), "no generated file for \(block)")
        }
    }

    @Test func checkReportsMissingOutdatedAndOrphanedFiles() throws {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("regspec-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let specs = scratch.appendingPathComponent("DeviceSpecs/x")
        try FileManager.default.createDirectory(at: specs, withIntermediateDirectories: true)
        try specYAML(registers: "  - { name: Control, offset: 0x00, width: 4 }")
            .write(to: specs.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        let temporary = SpecRepository(root: scratch)
        #expect(try temporary.check() == [StaleFile(path: "Sources/TestModule/Generated/TestBlock.swift", reason: .missing)])
        #expect(try temporary.write().count == 1)
        #expect(try temporary.check().isEmpty)

        let output = scratch.appendingPathComponent("Sources/TestModule/Generated/TestBlock.swift")
        try (String(contentsOf: output, encoding: .utf8) + "// edited\n").write(to: output, atomically: true, encoding: .utf8)
        let orphan = scratch.appendingPathComponent("Sources/TestModule/Generated/Gone.swift")
        try (SwiftGenerator.headerPrefix + "DeviceSpecs/x/gone.yaml — do not edit.\n")
            .write(to: orphan, atomically: true, encoding: .utf8)
        let handWritten = scratch.appendingPathComponent("Sources/TestModule/Generated/HandWritten.swift")
        try "// not generated\n".write(to: handWritten, atomically: true, encoding: .utf8)
        #expect(
            try temporary.check() == [
                StaleFile(path: "Sources/TestModule/Generated/Gone.swift", reason: .orphaned),
                StaleFile(path: "Sources/TestModule/Generated/TestBlock.swift", reason: .outdated),
            ])
        try temporary.write()
        #expect(try temporary.check().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: orphan.path))
        #expect(FileManager.default.fileExists(atPath: handWritten.path))
    }

    @Test func twoSpecsForOneOutputAreRejected() throws {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("regspec-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let specs = scratch.appendingPathComponent("DeviceSpecs")
        try FileManager.default.createDirectory(at: specs, withIntermediateDirectories: true)
        let yaml = specYAML(registers: "  - { name: Control, offset: 0x00, width: 4 }")
        try yaml.write(to: specs.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try yaml.write(to: specs.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        #expect(throws: SpecError.self) { try SpecRepository(root: scratch).generateAll() }
    }
}
