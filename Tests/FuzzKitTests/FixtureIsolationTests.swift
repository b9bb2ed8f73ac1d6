import PCIe
import Testing

@testable import FuzzKit

/// Fixtures are built per input, but what is the same for every fixture is made once per
/// process and shared: register files at reset values, the 82599's statistic slots, Toeplitz
/// hashers for the default and all-zero keys, the ENA's RSS table. These tests show an input
/// cannot change what the next fixture starts from, and that the check would see it if one did.
@Suite struct FixtureIsolationTests {
    /// The 82599 PF target with a planted leak: every fixture writes how many fixtures were
    /// built before it into its arena, as shared state an input changed would.
    final class LeakyTarget: FuzzTarget {
        static let name = "leaky"
        static let summary = "test double"
        nonisolated(unsafe) static var built: UInt64 = 0
        let inner: Intel82599PFFuzzTarget
        var harness: FuzzHarness? { inner.harness }
        var surface: FuzzSurface { inner.surface }
        init() throws {
            inner = try Intel82599PFFuzzTarget()
            Self.built += 1
            inner.bench.arena.host.baseAddress?.storeBytes(of: Self.built, as: UInt64.self)
        }
        func apply(_ op: FuzzOperation) { inner.apply(op) }
        func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? {
            inner.violatedInvariant(after: op)
        }
        func finalCheck() -> (invariant: String, detail: String)? { inner.finalCheck() }
    }

    /// Runs one input on a fresh fixture, then other generated inputs (resets, rings, doorbells,
    /// time, and VF enables where the target has them) on fresh fixtures of their own, then the
    /// first input again on another fresh fixture: whether the two runs of it agree in outcome
    /// and in everything `FuzzRunnerTests.observe` sees.
    static func startsAlike(_ target: any FuzzTarget.Type) throws -> Bool {
        let surface = try target.init().surface
        var probes = FuzzGenerator(seed: 31, surface: surface)
        let program = probes.program(maximumLength: 32)
        let first = try target.init()
        let a = FuzzRunner.run(first, program, canaries: .everyOperation)
        let seenFirst = FuzzRunnerTests.observe(first)
        var others = FuzzGenerator(seed: 97, surface: surface)
        for _ in 0..<6 { _ = FuzzRunner.run(target, others.program(maximumLength: 48)) }
        let later = try target.init()
        let b = FuzzRunner.run(later, program, canaries: .everyOperation)
        return a.operations == b.operations && a.violation == b.violation && seenFirst.count > 4
            && seenFirst == FuzzRunnerTests.observe(later)
    }

    @Test(arguments: ["82599-pf", "82599-vf", "nvme", "ena", "nvme-driver", "ixgbevf-driver", "ena-driver"])
    func aFixtureBuiltAfterOtherInputsBehavesAsOneBuiltBefore(_ name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        #expect(try Self.startsAlike(target))
    }

    @Test func theCheckSeesStateThatSurvivesFromOneFixtureToTheNext() throws {
        #expect(try !Self.startsAlike(LeakyTarget.self))
    }
}
