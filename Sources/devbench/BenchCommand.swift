import ArgumentParser

/// `devbench bench`: benchmark workloads against the speed-of-light loop.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Run the benchmark workloads and compare with the speed-of-light loop.")

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func run() throws {
        throw ValidationError("bench is being wired")
    }
}
