import ArgumentParser
import Foundation
import RegisterSpec

/// `devspec-gen`: regenerates `Sources/<module>/Generated/*.swift` from `DeviceSpecs/**/*.yaml`.
@main
struct DevspecGen: ParsableCommand {
    /// Command-line help.
    static let configuration = CommandConfiguration(
        commandName: "devspec-gen",
        abstract: "Generate Swift register tables from DeviceSpecs/**/*.yaml.",
        discussion: """
            Writes Sources/<module>/Generated/<block>.swift for every spec, removes generated files \
            whose spec is gone, and leaves unchanged files untouched. With --check nothing is written: \
            the command lists missing, outdated and orphaned files and exits 1 if there are any.
            """)

    /// Repository root.
    @Option(name: .long, help: "Repository root (default: the current directory).")
    var root: String = FileManager.default.currentDirectoryPath

    /// Compare only.
    @Flag(name: .long, help: "Only compare; exit 1 listing stale or missing files.")
    var check = false

    /// Runs the command.
    func run() throws {
        let repository = SpecRepository(root: URL(fileURLWithPath: root, isDirectory: true))
        let specCount = repository.specPaths().count
        do {
            if check {
                let stale = try repository.check()
                guard stale.isEmpty else {
                    for file in stale { print(file.description) }
                    print("devspec-gen: \(stale.count) generated file(s) out of date; run `swift run devspec-gen`.")
                    throw ExitCode.failure
                }
                print("devspec-gen: \(specCount) spec(s), generated files up to date.")
            } else {
                let changes = try repository.write()
                for change in changes {
                    print((change.reason == .orphaned ? "removed " : "wrote ") + change.path)
                }
                print("devspec-gen: \(specCount) spec(s), \(changes.count) file(s) changed.")
            }
        } catch let error as SpecError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode.failure
        }
    }
}
