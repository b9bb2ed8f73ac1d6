import PCIe
import Testing

@testable import FuzzKit

/// The runner checks canaries once per input and replays failing inputs with every check after
/// every operation: these tests show that what it reports is what checking throughout reports.
@Suite struct FuzzRunnerTests {
    /// The 82599 PF target, except that doorbell slot 0xEE overwrites a canary byte, as a model
    /// that DMAs outside its domain would.
    final class CanaryBreakingTarget: FuzzTarget {
        static let name = "canary-breaking"
        static let summary = "test double"
        let inner: Intel82599PFFuzzTarget
        var harness: FuzzHarness? { inner.harness }
        var surface: FuzzSurface { inner.surface }
        init() throws { inner = try Intel82599PFFuzzTarget() }

        func apply(_ op: FuzzOperation) {
            if case .doorbell(0xEE, _) = op, let canary = inner.bench.canaries.first {
                canary.host.storeBytes(of: ~canary.host.load(as: UInt8.self), as: UInt8.self)
                return
            }
            inner.apply(op)
        }
        func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? {
            inner.violatedInvariant(after: op)
        }
        func finalCheck() -> (invariant: String, detail: String)? { inner.finalCheck() }
    }

    @Test func aCanaryBrokenMidInputIsReportedAtTheOperationThatBrokeIt() throws {
        let program = FuzzProgram([
            .configRead(offset: 0, width: .dword), .advanceTime(microseconds: 10), .doorbell(slot: 0xEE, value: 0),
            .configRead(offset: 4, width: .word), .advanceTime(microseconds: 10),
        ])
        let checkedThroughout = FuzzRunner.runFresh(CanaryBreakingTarget.self, program, canaries: .everyOperation)
        let checkedAtEnd = FuzzRunner.runFresh(CanaryBreakingTarget.self, program, canaries: .atEnd)
        let reported = FuzzRunner.run(CanaryBreakingTarget.self, program)
        #expect(checkedThroughout.violation?.operationIndex == 2)
        #expect(checkedThroughout.violation?.invariant == "DMA inside the IOMMU domain")
        // Checked once, the break is seen at the end; the runner replays to name operation 2.
        #expect(checkedAtEnd.violation?.operationIndex == 4)
        #expect(reported.violation == checkedThroughout.violation)
        #expect(reported.operations == checkedThroughout.operations)
    }

    /// Generated inputs on every device target: the runner's outcome equals the outcome of a
    /// run checking every canary after every operation (the old runner).
    @Test(arguments: ["82599-pf", "82599-vf", "nvme", "ena", "nvme-driver", "ixgbevf-driver"])
    func theRunnerReportsWhatCheckingThroughoutReports(_ name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        var generator = FuzzGenerator(seed: 11, surface: try target.init().surface)
        for _ in 0..<4 {
            let program = generator.program(maximumLength: 32)
            let throughout = FuzzRunner.runFresh(target, program, canaries: .everyOperation)
            let runner = FuzzRunner.run(target, program)
            #expect(runner.operations == throughout.operations)
            #expect(runner.violation == throughout.violation)
        }
    }

    /// What an input leaves behind that a test can see without side effects on the next look:
    /// register reads over the target's surface, the arena's checksum, every guest memory
    /// region's address, size and checksum (driver rings and packet pools included), virtual
    /// time, and the bus's error, fault and unmapped-access totals.
    static func observe(_ t: any FuzzTarget) -> [UInt64] {
        guard let h = t.harness else { return [] }
        var seen = t.surface.registers.map {
            h.access.barRead(BARIndex(clamping: Int($0.bar)), offset: UInt64($0.offset), width: .dword)
        }
        if let base = h.arena.host.baseAddress { seen.append(Canary.checksum(base, FuzzHarness.arenaSize)) }
        let services = h.bus.services
        for region in services.memory.regions where region.remote == nil {
            seen += [region.base.value, region.size, Canary.checksum(region.host, Int(region.size) & ~7)]
        }
        seen += [
            services.clock.now.nanoseconds, UInt64(services.guestErrors.total), UInt64(services.faults.total),
            UInt64(h.bus.unmappedTotal),
        ]
        return seen
    }

    /// The runner's replays (and every reproducer) rely on this: the same input on two fresh
    /// fixtures ends in the same outcome and the same observable state.
    @Test(arguments: ["82599-pf", "82599-vf", "nvme", "ena", "nvme-driver", "ixgbevf-driver"])
    func anInputLeavesTheSameStateOnEveryFreshFixture(_ name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        var generator = FuzzGenerator(seed: 23, surface: try target.init().surface)
        for _ in 0..<3 {
            let program = generator.program(maximumLength: 32)
            let first = try target.init()
            let second = try target.init()
            let a = FuzzRunner.run(first, program, canaries: .everyOperation)
            let b = FuzzRunner.run(second, program, canaries: .everyOperation)
            #expect(a.operations == b.operations)
            #expect(a.violation == b.violation)
            let seen = Self.observe(first)
            #expect(seen.count > 4)
            #expect(seen == Self.observe(second))
        }
    }
}
