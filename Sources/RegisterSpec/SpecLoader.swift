import Foundation

/// Loads register specs from YAML and validates them.
public enum SpecLoader {
    /// Parses and validates one spec.
    ///
    /// - Parameters:
    ///   - yaml: The file's text.
    ///   - path: The path to name in problems and in the generated header, relative to the
    ///     repository root (e.g. `DeviceSpecs/pci/msix.yaml`).
    /// - Throws: `SpecError` listing every structural and layout problem found.
    public static func load(yaml: String, path: String) throws(SpecError) -> DeviceSpec {
        var parser = SpecParser(file: path)
        let spec = parser.parse(yaml)
        var problems = parser.problems
        if let spec {
            problems += SpecValidator.problems(in: spec, locations: parser.locations)
        }
        guard let spec, problems.isEmpty else {
            throw SpecError(problems.isEmpty ? [SpecProblem(file: path, kind: .yamlSyntax("unreadable spec"))] : problems)
        }
        return spec
    }

    /// Reads and loads the spec at `relativePath` under `root`.
    public static func load(relativePath: String, root: URL) throws(SpecError) -> DeviceSpec {
        let url = root.appendingPathComponent(relativePath)
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw SpecError([SpecProblem(file: relativePath, kind: .io("cannot read: \(error.localizedDescription)"))])
        }
        return try load(yaml: text, path: relativePath)
    }
}
