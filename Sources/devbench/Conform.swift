import ArgumentParser
import Conformance
import Foundation
import Host
import PCIe

/// `devbench conform`: the conformance runner.
struct Conform: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the conformance suites on every function of the host (or some of them).")

    @OptionGroup var options: ProfileOptions

    @Option(
        name: .long,
        help:
            "Only functions of this device kind (\(DeviceKind.allCases.map(\.rawValue).joined(separator: ", ")); also \((Conform.kindAliases.keys.sorted() + Conform.kindGroups.keys.sorted()).joined(separator: ", "))) or at this BB:DD.F."
    )
    var device: String?

    /// Other names `--device` accepts for a device kind.
    static let kindAliases: [String: DeviceKind] = ["82599": .intel82599]

    /// Names `--device` accepts for several device kinds at once.
    static let kindGroups: [String: [DeviceKind]] = ["nvme": DeviceKind.allCases.filter(\.isNVMe)]

    /// The device kind `name` selects: a kind's name or an alias, in any letter case.
    static func kind(named name: String) -> DeviceKind? {
        let lower = name.lowercased()
        return DeviceKind(rawValue: lower) ?? kindAliases[lower]
    }

    /// The device kinds `name` selects: one kind, or a group such as `nvme`.
    static func kinds(named name: String) -> [DeviceKind]? {
        kindGroups[name.lowercased()] ?? kind(named: name).map { [$0] }
    }

    @Option(name: .long, help: "Write JUnit XML to this file.")
    var junit: String?

    func run() throws {
        let host = try options.makeHost()
        host.bringUp()
        // The 82599 suites reset and reprogram the port and drive the mailbox themselves: the
        // host's PF drivers must stop answering the VFs first.
        for nic in host.nics { nic.pf.stopMailboxService() }
        let filter = try selection(host)
        let results = ConformanceRunner.run(bus: host.bus, include: filter)
        guard !results.isEmpty else { throw ValidationError("no function matches --device \(device ?? "")") }
        for r in results {
            let verdict = !r.applicable ? "n/a " : r.passed ? "pass" : "FAIL"
            print("\(verdict)  \(r.function)  \(r.suite): \(r.name)")
            for f in r.failures { print("        \(f)") }
        }
        let failed = results.filter { !$0.passed }.count
        let skipped = results.filter { !$0.applicable }.count
        print("\(results.count) checks: \(results.count - failed - skipped) passed, \(failed) failed, \(skipped) not applicable")
        if let junit {
            do {
                try JUnitReport.xml(results).write(toFile: junit, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write \(junit): \(error.localizedDescription)")
            }
        }
        if failed > 0 { throw ExitCode.failure }
    }

    private func selection(_ host: VirtualHost) throws -> (PCIFunction) -> Bool {
        guard let device else { return { _ in true } }
        if let bdf = BDF(device) { return { $0.bdf == bdf } }
        guard let kinds = Self.kinds(named: device) else {
            throw ValidationError("--device takes a device kind or BB:DD.F, not '\(device)'")
        }
        let slots = Set(host.profile.devices.filter { kinds.contains($0.kind) }.compactMap { BDF($0.slot) })
        return { f in slots.contains(f.bdf) || (f.physicalFunction.map { slots.contains($0.bdf) } ?? false) }
    }
}
