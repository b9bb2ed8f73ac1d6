import Conformance
import NVMe
import PCIe
import Testing

@Suite("NVMe conformance suites on correct controllers")
struct NVMeSuiteTests {
    /// The suites implemented so far.
    static let suites: [NVMeConformance.Suite] = [
        .registers, .queues, .dataPointers, .illegalCommands, .lbaRanges, .resets, .interrupts,
    ]

    @Test("every suite passes on an unencrypted EBS controller (key handling does not apply)")
    func ebsPasses() throws {
        let rig = try NVMeRig.ebs()
        let results = try rig.run(Self.suites)
        for suite in Self.suites {
            #expect(results.contains { $0.suite == suite.rawValue }, "no result from \(suite.rawValue)")
        }
        expectHealthy(results.filter { $0.suite != NVMeConformance.Suite.keyHandling.rawValue })
        expectHealthy(results, applicable: false)
    }

    @Test("every check applies and passes on an instance-storage controller")
    func instanceStorePasses() throws {
        let rig = try NVMeRig.instanceStore()
        expectHealthy(try rig.run(Self.suites))
    }
}
