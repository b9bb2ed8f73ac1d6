import Host
import PCIe
import Testing

@Suite("profiles and virtual host")
struct HostTests {
    @Test("every built-in profile parses, validates and brings up with passing smoke")
    func builtins() throws {
        for name in BuiltinProfiles.names {
            let profile = try HostProfile.named(name)
            #expect(profile.name == name)
            #expect(profile.validate().isEmpty)
            let host = try VirtualHost(profile: profile)
            host.bringUp()
            #expect(host.bringUpProblems.isEmpty)
            let smoke = host.runSmoke(chunks: 2, chunkSize: 512)
            #expect(!smoke.isEmpty)
            let failed = smoke.filter { !$0.passed }
            #expect(failed.isEmpty, "\(failed)")
        }
    }

    @Test("sriov-64 enables 64 VFs at PF + 0x80 + 2n (ARI), crossing onto bus 1")
    func sixtyFourVFs() throws {
        let host = try VirtualHost(profile: HostProfile.named("sriov-64"))
        host.bringUp()
        let pf = try #require(host.bus.function(at: BDF(bus: 0, device: 3, function: 0)))
        #expect(pf.virtualFunctions.count == 64)
        for (n, vf) in pf.virtualFunctions.enumerated() {
            #expect(Int(vf.bdf.routingID) == Int(pf.bdf.routingID) + 0x80 + 2 * n)
        }
        #expect(pf.virtualFunctions.last?.bdf.bus == 1)
    }

    @Test("firmware places BARs naturally aligned, inside their windows, without overlap")
    func placements() throws {
        let host = try VirtualHost(profile: HostProfile.named("sriov-64"))
        #expect(host.enumeration.unplaced.isEmpty)
        for p in host.enumeration.placements {
            #expect(p.base % p.size == 0, "\(p.function) BAR\(p.bar) at \(p.base) not aligned to \(p.size)")
        }
        let windows = host.bus.windows.sorted { $0.start < $1.start }
        for (a, b) in zip(windows, windows.dropFirst()) { #expect(a.last < b.start) }
    }

    @Test("profile errors name the problem")
    func profileErrors() throws {
        #expect(throws: HostError.self) { try HostProfile.parse(yaml: "name: x\ndevices: 3") }
        let p = HostProfile(
            name: "p", description: "",
            devices: [
                DeviceEntry(kind: .dmaEngine, slot: "00:04.0"), DeviceEntry(kind: .dmaEngine, slot: "0:4.0"),
                DeviceEntry(kind: .hostBridge, slot: "zz", totalVFs: 1),
            ])
        let problems = p.validate()
        #expect(problems.contains("slot 00:04.0 used twice"))
        #expect(problems.contains("slot 'zz' is not BB:DD.F"))
        #expect(throws: HostError.self) { try VirtualHost(profile: p) }
    }

    @Test("same profile, same run: smoke results and virtual time are identical")
    func deterministic() throws {
        func run() throws -> ([SmokeResult], UInt64) {
            let host = try VirtualHost(profile: HostProfile.named("default"))
            host.bringUp()
            return (host.runSmoke(), host.bus.services.clock.now.nanoseconds)
        }
        let a = try run()
        let b = try run()
        #expect(a.0 == b.0)
        #expect(a.1 == b.1)
    }
}
