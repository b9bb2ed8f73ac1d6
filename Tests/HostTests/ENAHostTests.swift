import ENA
import Host
import PCIe
import Testing

@Suite("ENA in host profiles")
struct ENAHostTests {
    @Test("the default profile has an ENA at 00:06.0 on the 82599's wire, bound to the driver with 4 queue pairs")
    func defaultProfile() throws {
        let host = try VirtualHost(profile: HostProfile.named("default"))
        host.bringUp()
        #expect(host.bringUpProblems.isEmpty)
        let ena = try #require(host.enas.first)
        #expect(ena.bdf == BDF(bus: 0, device: 6, function: 0))
        #expect(ena.port.partner == BDF(bus: 0, device: 5, function: 0))
        #expect(ena.driver.queuePairCount == 4)
        #expect(ena.driver.macAddress?.description == "06:1d:0f:ec:20:06")
        #expect(ena.device.configuration.allowances.packetsPerSecond == 100_000)
        let smoke = host.runSmoke().filter { $0.function == ena.bdf }
        #expect(smoke.map(\.subject) == ["ena->82599 VF0", "82599 VF0->ena", "ena allowance"])
        #expect(smoke.allSatisfy { $0.passed }, "\(smoke)")
        #expect(ena.device.allowanceCounters.ppsAllowanceExceeded == 64)
        #expect(host.bus.services.guestErrors.total == 0)
    }

    @Test("an ENA on a wire of its own (LLQ placement) talks to its peer; the keys reach the model")
    func standalone() throws {
        let profile = try HostProfile.parse(
            yaml: """
                name: ena-only
                description: one ENA
                devices:
                  - { kind: ena, slot: "00:05.0", queues: 2, llq: true, allowancePPS: 50000, allowanceBurst: 32, allowanceMbps: 5000 }
                """)
        let host = try VirtualHost(profile: profile)
        host.bringUp()
        let ena = try #require(host.enas.first)
        #expect(ena.driver.lowLatency != nil)
        #expect(ena.port.partner == nil)
        let allowances = ena.device.configuration.allowances
        #expect(allowances.packetsPerSecond == 50_000)
        #expect(allowances.outboundBitsPerSecond == 5_000_000_000)
        let smoke = host.runSmoke()
        #expect(smoke.map(\.subject) == ["ena->peer", "ena allowance"])
        #expect(smoke.allSatisfy { $0.passed }, "\(smoke)")
    }

    @Test("ENA profile errors name the problem")
    func profileErrors() throws {
        let p = HostProfile(
            name: "p", description: "",
            devices: [
                DeviceEntry(kind: .dmaEngine, slot: "00:03.0"),
                DeviceEntry(kind: .ena, slot: "00:04.0", queues: 40, mac: "01:00:5e:00:00:01", wire: "00:03.0"),
                DeviceEntry(kind: .ena, slot: "00:05.0", mac: "nonsense", allowancePPS: 10, allowanceBurst: 0),
            ])
        let problems = p.validate()
        #expect(problems.contains("00:04.0: queues 40 outside 1...32"))
        #expect(problems.contains("00:04.0: mac '01:00:5e:00:00:01' is not a unicast address"))
        #expect(problems.contains("00:04.0: wire '00:03.0' is not the slot of an intel-82599"))
        #expect(problems.contains("00:05.0: mac 'nonsense' is not a unicast address"))
        #expect(problems.contains("00:05.0: a pps allowance needs a burst of at least 1"))
    }
}
