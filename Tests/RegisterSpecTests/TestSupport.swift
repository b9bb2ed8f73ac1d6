import Foundation
import RegisterSpec

/// The repository checkout these tests live in (Tests/RegisterSpecTests/<file> is three levels down).
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()

/// Loads a spec expected to be invalid and returns its problems (empty if it loaded).
func problems(loading yaml: String, path: String = "DeviceSpecs/test/bad.yaml") -> [SpecProblem] {
    do {
        _ = try SpecLoader.load(yaml: yaml, path: path)
        return []
    } catch {
        return error.problems
    }
}

/// A one-block spec around `registers` (YAML list items indented by two spaces).
func specYAML(size: String = "0x40", registers: String) -> String {
    """
    block: TestBlock
    module: TestModule
    size: \(size)
    spec: "Test spec §1"
    registers:
    \(registers)
    """
}
