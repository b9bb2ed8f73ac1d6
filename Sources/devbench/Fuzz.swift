import ArgumentParser
import Foundation
import FuzzKit
import Host

/// `devbench fuzz`: the fuzz targets driven by the built-in deterministic generator, or one
/// input replayed (a reproducer this command wrote, a libFuzzer crash file, a regression input).
struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Fuzz a device model with generated inputs, or replay one input.",
        discussion: """
            Each input is a program of operations (config and MMIO accesses, doorbells, ring \
            entries, DMA fills, resets, VF changes, mailbox messages, time) run on a fresh \
            device brought up by its reference driver; every invariant is checked after every \
            operation. A failing input is written as a reproducer that --replay and the \
            libFuzzer targets in Fuzz/ both accept. Exit status 1 means an invariant broke.
            """)

    @Option(name: .long, help: "Target to fuzz (see --list).")
    var target: String?

    @Option(name: .long, help: "Seed of the generator (same seed, same inputs).")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Number of inputs to run.")
    var iterations: Int?

    @Option(name: .long, help: "Seconds of wall time to run for.")
    var seconds: Double?

    @Option(name: .long, help: "Replay this input file instead of generating (its header names the target).")
    var replay: String?

    @Option(name: .long, help: "Directory for reproducer files.")
    var output: String = "."

    @Option(name: .long, help: "Write --iterations generated inputs into this directory (a seed corpus) instead of running them.")
    var writeCorpus: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Run the conformance suites on the default profile, recording their register accesses, and write them as "
                + "seed inputs into DIR/TARGET/conform-NNNN.bin (82599-pf, 82599-vf, ena, nvme)."))
    var recordConformance: String?

    @Flag(name: .long, help: "List the targets.")
    var list = false

    func run() throws {
        if list {
            for t in FuzzTargets.all { print("\(t.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(t.summary)") }
            return
        }
        if let replay { return try replayInput(replay) }
        if let directory = recordConformance { return try recordConformanceSeeds(to: directory) }
        guard let name = target, let t = FuzzTargets.named(name) else {
            throw ValidationError("--target must name one of: \(FuzzTargets.all.map { $0.name }.joined(separator: ", "))")
        }
        if let directory = writeCorpus { return try writeSeeds(t, to: directory) }
        let budget: FuzzCampaign.Budget = seconds.map { .seconds($0) } ?? .iterations(iterations ?? 1000)
        let result = FuzzCampaign(target: t, seed: seed).run(budget) { r in
            print("  \(r.inputs) inputs, \(r.operations) operations, \(Int(r.inputsPerSecond)) inputs/s")
        }
        print(
            "\(result.target): seed \(seed), \(result.inputs) inputs, \(result.operations) operations in \(result.elapsed), "
                + "\(Int(result.inputsPerSecond)) inputs/s")
        guard let violation = result.violation else {
            print("no invariant broke")
            return
        }
        print("INVARIANT BROKEN \(violation)")
        if let input = result.failingInput {
            let path = URL(fileURLWithPath: output).appendingPathComponent(
                "fuzz-\(result.target)-seed\(seed)-input\(result.inputs).bin")
            try Data(input.encoded).write(to: path)
            print("reproducer: \(path.path)")
            print("replay with: devbench fuzz --replay \(path.path)")
        }
        throw ExitCode(1)
    }

    private func writeSeeds(_ t: any FuzzTarget.Type, to directory: String) throws {
        let probe = try t.init()
        var generator = FuzzGenerator(seed: seed, surface: probe.surface)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let count = iterations ?? 64
        for i in 0..<count {
            var program = generator.program()
            program.targetName = t.name
            let path = URL(fileURLWithPath: directory).appendingPathComponent(String(format: "seed-%04d.bin", i))
            try Data(program.encoded).write(to: path)
        }
        print("wrote \(count) inputs for \(t.name) to \(directory)")
    }

    private func recordConformanceSeeds(to directory: String) throws {
        let recorded: [String: [FuzzProgram]]
        do {
            recorded = try ConformanceCorpus.record(profile: HostProfile.named("default"))
        } catch {
            throw ValidationError("cannot bring up the default profile: \(error)")
        }
        for (name, inputs) in recorded.sorted(by: { $0.key < $1.key }) {
            let folder = URL(fileURLWithPath: directory).appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (i, input) in inputs.enumerated() {
                try Data(input.encoded).write(to: folder.appendingPathComponent(String(format: "conform-%04d.bin", i)))
            }
            let operations = inputs.reduce(0) { $0 + $1.operations.count }
            print("\(name): \(inputs.count) inputs, \(operations) operations recorded from the conformance suites")
        }
    }

    private func replayInput(_ path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        let program = FuzzProgram(decoding: [UInt8](data))
        guard let name = target ?? program.targetName, let t = FuzzTargets.named(name) else {
            throw ValidationError("\(path) names no known target; pass --target")
        }
        let outcome = FuzzRunner.run(t, program)
        print("\(t.name): replayed \(outcome.operations) of \(program.operations.count) operations from \(path)")
        for (i, op) in program.operations.enumerated() { print(String(format: "%4d ", i) + "\(op)") }
        if let v = outcome.violation {
            print("INVARIANT BROKEN \(v)")
            throw ExitCode(1)
        }
        print("no invariant broke")
    }
}
