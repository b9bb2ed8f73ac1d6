import Conformance
import Foundation
import Network
import PCIe
import Testing

@testable import FuzzKit

@Suite struct FuzzTargetTests {
    /// A short deterministic campaign on every target breaks no invariant (the full-length runs
    /// are `devbench fuzz` and Fuzz/run.sh; CI runs a bounded campaign per target too).
    @Test(arguments: FuzzTargets.all.map { $0.name })
    func aShortCampaignBreaksNoInvariant(_ name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let result = FuzzCampaign(target: target, seed: 2026).run(.iterations(6))
        #expect(result.violation == nil, "\(result.violation.map { "\($0)" } ?? "")")
        #expect(result.inputs == 6)
        #expect(result.operations > 6)
    }

    @Test func theSameSeedRunsTheSameInputs() throws {
        let a = FuzzCampaign(target: NVMeFuzzTarget.self, seed: 5).run(.iterations(3))
        let b = FuzzCampaign(target: NVMeFuzzTarget.self, seed: 5).run(.iterations(3))
        #expect(a.operations == b.operations)
        #expect(a.violation == b.violation)
    }

    @Test func dmaIntoACanaryIsCaught() throws {
        let target = try Intel82599PFFuzzTarget()
        #expect(target.bench.brokenCanary == nil)
        let canary = try #require(target.bench.canaries.first)
        canary.host.storeBytes(of: UInt8(0x5A) ^ canary.host.load(as: UInt8.self), as: UInt8.self)
        #expect(target.bench.brokenCanary == canary.name)
    }

    @Test func theFuzzerNeverWritesMemoryOutsideTheFunctionsDomain() throws {
        let target = try Intel82599PFFuzzTarget()
        let canary = try #require(target.bench.canaries.first)
        #expect(target.bench.guestPointer(UInt64(UInt(bitPattern: canary.host)), length: 16) == nil)
        #expect(target.bench.guestPointer(target.bench.arena.deviceAddress.value, length: 16) != nil)
    }

    @Test func theResetInvariantSeesARegisterThatKeptItsValue() throws {
        let target = try Intel82599PFFuzzTarget()
        // Without a reset, the PF driver's configuration differs from the reset values.
        #expect(target.rig.resetMismatch() != nil)
        target.apply(.reset(.device))
        #expect(target.violatedInvariant(after: .reset(.device)) == nil)
    }

    @Test func theStoreScanFindsPlaintextOnAnUnencryptedController() throws {
        let plain = try NVMeFuzzTarget(encrypted: false)
        let encrypted = try NVMeFuzzTarget()
        for t in [plain, encrypted] {
            t.bench.arena.host.copyBytes(from: FuzzHarness.plaintextMarker + FuzzHarness.plaintextMarker)
            try t.writeArenaToBlock(7)
        }
        #expect(plain.storeLeak() != nil)
        #expect(encrypted.storeLeak() == nil)
    }

    @Test func regressionInputsReplayCleanly() throws {
        let root = repositoryRoot.appendingPathComponent("Fixtures/fuzz/regressions")
        let files = try FileManager.default.subpathsOfDirectory(atPath: root.path).filter { $0.hasSuffix(".bin") }
        #expect(!files.isEmpty)
        for file in files {
            let data = try Data(contentsOf: root.appendingPathComponent(file))
            let program = FuzzProgram(decoding: [UInt8](data))
            let target = try #require(program.targetName.flatMap(FuzzTargets.named), "\(file) names no target")
            let outcome = FuzzRunner.run(target, program)
            #expect(outcome.violation == nil, "\(file): \(outcome.violation.map { "\($0)" } ?? "")")
        }
    }
}
