import CSpeedOfLight
import Drivers
import PCIe
import Testing

@testable import Bench

@Suite("ENA bench workloads")
struct ENAWorkloadTests {
    @Test func theWorkloadsTheIssueAsksForAreRegistered() {
        let names = BenchWorkload.matching("ena-").map(\.name)
        #expect(names == ["ena-64B-tx-rx", "ena-64B-tx-rx-llq", "ena-allowance-shaper"])
    }

    @Test(arguments: ["ena-64B-tx-rx", "ena-64B-tx-rx-llq", "ena-allowance-shaper"])
    func everyFrameComesBack(name: String) throws {
        let workload = try #require(BenchWorkload.matching(name).first)
        let instance = try workload.make()
        #expect(instance.emulated(100) == UInt64(100 * BenchWorkload.enaBatch))
        #expect(instance.failures() == 0)
        #expect(instance.speedOfLight(100) > 0)
        #expect(instance.failures() == 0, "the shaper never holds a frame at the bench's virtual rate")
    }

    @Test(arguments: [ENADriver<BusDeviceAccess>.Placement.host, .lowLatency])
    func thousandsOfBatchesLeaveNoGuestErrorOrFault(placement: ENADriver<BusDeviceAccess>.Placement) throws {
        let fixture = try ENALoopbackFixture(
            allowances: .unlimited, placement: placement, batch: 32, batchTime: .init(nanoseconds: 0))
        for _ in 0..<5000 { _ = fixture.loopOneBatch() }
        #expect(fixture.failures == 0)
        #expect(fixture.bus.services.guestErrors.total == 0)
        #expect(fixture.bus.services.faults.total == 0)
        #expect(fixture.device.counters.rxPackets == 5000 * 32)
    }

    @Test func theShaperHoldsFramesWhenTheClockStandsStill() throws {
        let fixture = try ENALoopbackFixture(
            allowances: .default, placement: .host, batch: 32, batchTime: .init(nanoseconds: 0))
        for _ in 0..<200 { _ = fixture.loopOneBatch() }
        #expect(fixture.failures > 0)
        #expect(fixture.device.allowanceCounters.ppsAllowanceExceeded > 0)
    }

    @Test func speedOfLightLoopMovesEveryFrameAndCompletesIt() {
        let reference = ENALoopbackReference(batch: 32, frameLength: 60)
        for round in 0..<40 {
            #expect(reference.run(batch: 32, frameLength: 60) == 32 * 60, "round \(round)")
        }
    }
}
