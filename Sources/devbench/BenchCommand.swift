import ArgumentParser
import Bench

/// `devbench bench`: benchmark workloads against the speed-of-light loop.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the benchmark workloads and compare each with the speed-of-light C loop.",
        discussion: "Figures are host wall time; build release (scripts/devbench.sh does) for meaningful numbers.")

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Option(name: .long, help: "Only workloads whose name contains one of these comma-separated terms.")
    var filter: String?

    @Option(name: .long, help: "Timed repetitions per workload.")
    var repetitions = 15

    @Option(
        name: .customLong("repetition-ms"),
        help: "Wall time each repetition aims for (the emulated path and the C loop alternate once per repetition).")
    var repetitionMilliseconds = 20

    func validate() throws {
        guard repetitions >= 1, repetitions <= 10_000 else { throw ValidationError("--repetitions must be 1...10000") }
        guard repetitionMilliseconds >= 1, repetitionMilliseconds <= 60_000 else {
            throw ValidationError("--repetition-ms must be 1...60000")
        }
    }

    func run() throws {
        let options = BenchOptions(
            repetitions: repetitions, targetRepetitionNanoseconds: Double(repetitionMilliseconds) * 1_000_000)
        let report = runBenchmarks(BenchWorkload.matching(filter), options: options)
        guard !report.results.isEmpty else { throw ValidationError("no workload matches --filter \(filter ?? "")") }
        if json {
            print(try report.json())
        } else {
            print(report.table(), terminator: "")
        }
        if !report.succeeded { throw ExitCode.failure }
    }
}
