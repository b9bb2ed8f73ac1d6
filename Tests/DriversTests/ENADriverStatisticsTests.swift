import ENA
import Network
import PCIe
import Testing

@testable import Drivers

@Suite("ENA driver statistics")
struct ENADriverStatisticsTests {
    @Test("GET_STATS BASIC reports what the device counted")
    func basic() throws {
        let b = try ENADriverBench()
        #expect(b.roundTrip(50, length: 100))
        let stats = try b.driver.basicStatistics()
        #expect(stats.txPackets == 50)
        #expect(stats.txBytes == 5000)
        #expect(stats.rxPackets == 50)
        #expect(stats.rxBytes == 5000)
        #expect(stats.txDrops == 0)
        #expect(stats.rxOverruns == 0)
    }

    @Test("GET_STATS ENI and customer metrics report the allowance counters once the pps allowance is exceeded")
    func allowances() throws {
        let allowances = NitroAllowances(
            packetsPerSecond: 10_000, packetBurst: 16, inboundBitsPerSecond: 0, outboundBitsPerSecond: 1_000_000,
            bandwidthBurstBytes: 4096, queueCapacity: 8)
        let b = try ENADriverBench(ENAConfiguration(allowances: allowances), loop: false)
        #expect(try b.driver.eniStatistics() == ENAENIStatistics())
        #expect(b.send((0..<40).map { b.frame($0, length: 200) }) == 40)
        let eni = try b.driver.eniStatistics()
        let model = b.device.allowanceCounters
        #expect(eni.ppsAllowanceExceeded + eni.bwOutAllowanceExceeded == 40 - 16)
        #expect(eni.ppsAllowanceExceeded == model.ppsAllowanceExceeded)
        #expect(eni.bwOutAllowanceExceeded == model.bwOutAllowanceExceeded)
        #expect(eni.bwInAllowanceExceeded == 0)
        let metrics = try b.driver.customerMetrics([.ppsAllowanceExceeded, .conntrackAllowanceAvailable])
        #expect(metrics[.ppsAllowanceExceeded] == eni.ppsAllowanceExceeded)
        #expect(metrics[.conntrackAllowanceAvailable] == b.device.configuration.conntrackAllowanceAvailable)
        let basic = try b.driver.basicStatistics()
        #expect(basic.txDrops == model.dropped)
        #expect(basic.txPackets == 16)
        b.clock.advance(by: .seconds(1))
        #expect(try b.driver.basicStatistics().txPackets == 16 + model.queued)
    }

    @Test("the keep-alive carries the device's drop counters")
    func keepAliveDrops() throws {
        let b = try ENADriverBench(loop: false)
        let peer = PeerHost(address: MACAddress(0x0200_0000_0001))
        peer.attach(to: b.wire)
        for n in 0..<300 { peer.send(b.frame(n, to: b.device.configuration.macAddress)) }
        _ = try b.runTimer(seconds: 2)
        #expect(b.driver.keepAliveDrops.rxOverruns == 300 - 256)
        #expect(b.driver.keepAliveDrops.rxOverruns == b.device.counters.rxOverruns)
    }
}
