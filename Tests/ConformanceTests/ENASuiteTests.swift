import Conformance
import ENA
import Network
import PCIe
import Testing

@Suite("ENA conformance suites on correct devices")
struct ENASuiteTests {
    /// Checks per suite.
    static let checksPerSuite: [ENAConformance.Suite: Int] = [
        .registers: 6, .readless: 4, .admin: 7, .events: 6, .io: 5, .rss: 3, .allowances: 4,
    ]

    func expectComplete(_ results: [CheckResult]) {
        for suite in ENAConformance.Suite.allCases {
            let n = results.filter { $0.suite == suite.rawValue }.count
            #expect(n == Self.checksPerSuite[suite], "\(suite.rawValue): \(n) checks")
        }
    }

    @Test("an ENA with the default allowances passes every check; only the unlimited-allowance check does not apply")
    func defaultAllowances() throws {
        let rig = try ENARig()
        let results = try #require(ENAConformance(bus: rig.bus, bdf: rig.bdf)).run()
        expectComplete(results)
        expectHealthy(results)
        #expect(results.filter { !$0.applicable }.map(\.name) == results.named("unlimited allowances").map(\.name))
        #expect(results.named("unlimited allowances").count == 1)
    }

    @Test("an ENA with unlimited allowances passes; the shaping checks do not apply")
    func unlimited() throws {
        let results = try ENARig(ENAConfiguration(allowances: .unlimited)).run()
        expectComplete(results)
        expectHealthy(results)
        #expect(results.filter { !$0.applicable }.count == 2)
        #expect(try #require(results.named("unlimited allowances").first).applicable)
    }

    @Test("an ENA with one queue pair: the multi-queue RSS checks do not apply, the others pass")
    func onePair() throws {
        let results = try ENARig(ENAConfiguration(queuePairs: 1)).run([.rss, .io])
        expectHealthy(results)
        #expect(!(try #require(results.named("spread over the queues").first).applicable))
        #expect(!(try #require(results.named("RSS_IND_ENTRY_UPDATE").first).applicable))
        #expect(!(try #require(results.named("req_id >= depth").first).applicable), "no second Tx queue for raw descriptors")
    }

    @Test("without a wire the IO checks do not apply")
    func noWire() throws {
        let rig = try ENARig()
        var description = rig.described
        description.wire = nil
        let results = try rig.run([.io], rig: description)
        #expect(results.filter(\.applicable).map(\.name).count == 1)
        expectHealthy(results)
    }

    @Test("the suites leave the device reset: READY, no admin queue, no guest-visible fault")
    func leavesDeviceReset() throws {
        let rig = try ENARig()
        _ = try rig.run([.admin, .io])
        #expect(rig.device.isReady)
        #expect(!rig.device.isFatal)
        let access = rig.bus.access(rig.bdf)
        #expect(access.read32(ENA.registerBAR, UInt64(ENARegisters.AQ_BASE_LO.offset)) == 0)
    }

    func expectHealthy(_ results: [CheckResult], sourceLocation: SourceLocation = #_sourceLocation) {
        let failed = results.filter { !$0.passed }
        #expect(failed.isEmpty, "\(failed.map { "\($0.name): \($0.failures.prefix(3))" })", sourceLocation: sourceLocation)
    }
}
