import Foundation

/// A Swift file the generator produces, with where it goes and which spec it came from.
public struct GeneratedFile: Sendable, Equatable {
    /// Output path relative to the repository root.
    public let path: String
    /// The spec it was generated from, relative to the repository root.
    public let sourcePath: String
    /// The Swift source.
    public let contents: String

    /// Creates a generated file record.
    public init(path: String, sourcePath: String, contents: String) {
        self.path = path
        self.sourcePath = sourcePath
        self.contents = contents
    }
}

/// A generated file on disk that does not match its spec.
public struct StaleFile: Sendable, Equatable, CustomStringConvertible {
    /// How the file differs.
    public enum Reason: String, Sendable, Equatable {
        /// The spec produces it but it is not on disk.
        case missing
        /// It is on disk with different contents.
        case outdated
        /// It carries the generated header but no spec produces it any more.
        case orphaned
    }

    /// Path relative to the repository root.
    public let path: String
    /// How it differs.
    public let reason: Reason

    /// Creates a record.
    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// `outdated: Sources/PCIe/Generated/MSIXCapability.swift`.
    public var description: String { "\(reason.rawValue): \(path)" }
}

/// The spec files and generated files of one repository checkout.
public struct SpecRepository: Sendable {
    /// Folder, under the root, that holds the YAML specs.
    public static let specDirectory = "DeviceSpecs"
    /// Repository root.
    public let root: URL

    /// A repository rooted at `root`.
    public init(root: URL) { self.root = root }

    /// Every `*.yaml` under `DeviceSpecs/`, relative to the root, sorted.
    public func specPaths() -> [String] {
        files(under: Self.specDirectory).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
    }

    /// Loads and validates every spec, reporting the problems of all files together.
    public func loadAll() throws(SpecError) -> [DeviceSpec] {
        var specs: [DeviceSpec] = []
        var problems: [SpecProblem] = []
        for path in specPaths() {
            do {
                specs.append(try SpecLoader.load(relativePath: path, root: root))
            } catch {
                problems += error.problems
            }
        }
        var outputs: [String: String] = [:]
        for spec in specs {
            if let other = outputs[spec.outputPath] {
                problems.append(
                    SpecProblem(
                        file: spec.sourcePath,
                        kind: .duplicateOutput(path: spec.outputPath, otherSpec: other)))
            }
            outputs[spec.outputPath] = spec.sourcePath
        }
        if !problems.isEmpty { throw SpecError(problems) }
        return specs
    }

    /// Generates every spec into memory, sorted by output path.
    public func generateAll() throws(SpecError) -> [GeneratedFile] {
        try loadAll()
            .map { GeneratedFile(path: $0.outputPath, sourcePath: $0.sourcePath, contents: SwiftGenerator.source(for: $0)) }
            .sorted { $0.path < $1.path }
    }

    /// Generated files on disk: every `Sources/*/Generated/*.swift` that starts with the generator's header.
    public func existingGeneratedPaths() -> [String] {
        files(under: "Sources").filter { path in
            let parts = path.split(separator: "/")
            guard parts.count == 4, parts[2] == "Generated", path.hasSuffix(".swift") else { return false }
            return read(path)?.hasPrefix(SwiftGenerator.headerPrefix) ?? false
        }
    }

    /// Compares freshly generated files with the disk, without writing anything.
    public func check() throws(SpecError) -> [StaleFile] {
        let generated = try generateAll()
        return diff(generated)
    }

    /// Writes missing and outdated files and removes orphaned ones; returns what changed.
    @discardableResult
    public func write() throws(SpecError) -> [StaleFile] {
        let generated = try generateAll()
        let changes = diff(generated)
        let contents = Dictionary(generated.map { ($0.path, $0.contents) }, uniquingKeysWith: { first, _ in first })
        for change in changes {
            let url = root.appendingPathComponent(change.path)
            do {
                if change.reason == .orphaned {
                    try FileManager.default.removeItem(at: url)
                } else {
                    try FileManager.default.createDirectory(
                        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try Data((contents[change.path] ?? "").utf8).write(to: url, options: .atomic)
                }
            } catch {
                throw SpecError([SpecProblem(file: change.path, kind: .io("cannot write: \(error.localizedDescription)"))])
            }
        }
        return changes
    }

    /// Differences between `generated` and the disk, sorted by path.
    public func diff(_ generated: [GeneratedFile]) -> [StaleFile] {
        var stale: [StaleFile] = []
        for file in generated {
            switch read(file.path) {
            case nil: stale.append(StaleFile(path: file.path, reason: .missing))
            case let text? where text != file.contents: stale.append(StaleFile(path: file.path, reason: .outdated))
            default: break
            }
        }
        let produced = Set(generated.map(\.path))
        for path in existingGeneratedPaths() where !produced.contains(path) {
            stale.append(StaleFile(path: path, reason: .orphaned))
        }
        return stale.sorted { $0.path < $1.path }
    }

    private func read(_ relativePath: String) -> String? {
        try? String(contentsOf: root.appendingPathComponent(relativePath), encoding: .utf8)
    }

    /// Regular files below `relativeDirectory`, as root-relative paths, sorted; hidden entries skipped.
    private func files(under relativeDirectory: String) -> [String] {
        var result: [String] = []
        var pending = [relativeDirectory]
        let manager = FileManager.default
        while let directory = pending.popLast() {
            let path = root.appendingPathComponent(directory).path
            guard let entries = try? manager.contentsOfDirectory(atPath: path) else { continue }
            for entry in entries where !entry.hasPrefix(".") {
                let child = directory + "/" + entry
                var isDirectory: ObjCBool = false
                guard manager.fileExists(atPath: path + "/" + entry, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue { pending.append(child) } else { result.append(child) }
            }
        }
        return result.sorted()
    }
}
