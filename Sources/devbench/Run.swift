import ArgumentParser
import Host
import Inspector
import PCIe

/// The main job: bring the host up, smoke-test every device, list and summarise.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build the host, bind drivers, run a smoke workload per device, print listing and summary.")

    @OptionGroup var options: ProfileOptions

    @Flag(name: .shortAndLong, help: "Verbose listing (lspci -v style: BARs and capabilities).")
    var verbose = false

    func run() throws {
        let host = try options.makeHost()
        host.bringUp()
        let smoke = host.runSmoke()
        print("DeviceBench: profile \(host.profile.name) - \(host.profile.description)")
        print("")
        let formatter = LspciFormatter(options: LspciOptions(verbosity: verbose ? 1 : 0))
        print(formatter.format(host.snapshots), terminator: "")
        print("")
        print("Smoke:")
        for s in smoke {
            print(
                "  \(s.function)  \(s.subject.padding(toLength: 16, withPad: " ", startingAt: 0))  \(s.passed ? "pass" : "FAIL")  \(s.detail)"
            )
        }
        for p in host.bringUpProblems { print("  bring-up problem: \(p)") }
        let summary = RunSummary(host: host, smoke: smoke)
        print("")
        print(summary.text)
        if !summary.passed { throw ExitCode.failure }
    }
}
