import Foundation
import Testing

@testable import FuzzKit

/// What `Fuzz/run.sh` and `.clusterfuzzlite/build.sh` take from the tree for each target: an
/// executable under `Fuzz/Sources/fuzz-<name>` that enters the target by that name and is a
/// product of `Fuzz/Package.swift`, a dictionary libFuzzer accepts, and seeds to zip. A target
/// added to `FuzzTargets.all` without them would only fail in a sanitizer build or on a runner.
@Suite struct LibFuzzerLayoutTests {
    static func text(_ relative: String) throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent(relative), encoding: .utf8)
    }

    @Test func everyTargetHasAnExecutableADictionaryAndSeeds() throws {
        let manifest = try Self.text("Fuzz/Package.swift")
        for target in FuzzTargets.all {
            let name = target.name
            let entry = try Self.text("Fuzz/Sources/fuzz-\(name)/FuzzEntry.swift")
            #expect(entry.contains("libFuzzerEntry(target: \"\(name)\""), "fuzz-\(name) enters another target")
            #expect(manifest.contains("\"\(name)\""), "Fuzz/Package.swift does not list \(name)")
            let dictionary = try Self.text("Fuzz/dictionaries/\(name).dict")
            let entries = dictionary.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.allSatisfy(\.isWhitespace) }
            #expect(!entries.isEmpty, "\(name).dict is empty")
            for line in entries {
                // libFuzzer's format: an optional name, then one quoted value.
                #expect(
                    line.range(of: #"^\s*([A-Za-z0-9_]+\s*=\s*)?".*"\s*$"#, options: .regularExpression) != nil,
                    "\(name).dict: \(line)")
            }
            let seeds = try FileManager.default.contentsOfDirectory(
                atPath: repositoryRoot.appendingPathComponent("Fixtures/fuzz/corpus/\(name)").path)
            #expect(!seeds.isEmpty, "no seeds for \(name)")
        }
    }

    @Test func everyExecutableIsAKnownTarget() throws {
        let sources = try FileManager.default.contentsOfDirectory(
            atPath: repositoryRoot.appendingPathComponent("Fuzz/Sources").path)
        let executables = sources.filter { $0.hasPrefix("fuzz-") }.map { String($0.dropFirst(5)) }
        #expect(Set(executables) == Set(FuzzTargets.all.map { $0.name }))
    }
}
