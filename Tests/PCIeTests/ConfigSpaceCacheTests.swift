import PCIe
import RegisterModel
import Testing

/// `PCIFunction` takes its config space from `ConfigSpaceBuilder.cachedBuild`, which builds a
/// configuration once per process: every function must still get exactly the space a build of
/// its own configuration gives.
@Suite("config space built once per configuration")
struct ConfigSpaceCacheTests {
    /// Configurations that differ from the full one in one field each.
    static func variants() -> [FunctionConfiguration] {
        let full = Fixtures.fullConfiguration()
        var serial = full
        serial.capabilities[5] = .init(.deviceSerialNumber(0x0011_2233_4455_6678), at: 0x140)
        var bar = full
        bar.bars[0] = BARDefinition(.memory32, size: 0x2000)
        var multi = full
        multi.multiFunction = true
        var revision = full
        revision.identity.revision = 2
        var vfs = Fixtures.sriov
        vfs.totalVFs = 7
        var sriov = full
        sriov.capabilities[7] = .init(.sriov(vfs), at: 0x160)
        var moved = Fixtures.fullConfiguration(sriov: false)
        moved.capabilities[1] = .init(.msi(vectors: 4), at: 0x58)
        let vf = FunctionConfiguration.virtualFunction(
            identity: Fixtures.identity, capabilities: [.init(.pciExpress(PCIExpressProperties()), at: 0x40)])
        return [
            full, Fixtures.fullConfiguration(sriov: false), serial, bar, multi, revision, sriov, moved, vf,
            FunctionConfiguration(identity: Fixtures.identity, bars: Fixtures.bars, capabilities: []),
        ]
    }

    /// Every byte, mask and guest view of `space` against a fresh build of `configuration`.
    static func expectBuilt(_ function: PCIFunction, _ configuration: FunctionConfiguration, _ what: String) throws {
        let (built, offsets) = try ConfigSpaceBuilder.build(configuration)
        #expect(function.capabilities == offsets, "\(what): offsets")
        var differences = 0
        for at in stride(from: 0, to: ConfigSpace.size, by: 4) {
            let o = ConfigOffset(at)
            if function.config.read(o, width: .dword) != built.read(o, width: .dword)
                || function.config.guestRead(o, width: .dword) != built.guestRead(o, width: .dword)
                || function.config.writableMask(o, width: .dword) != built.writableMask(o, width: .dword)
                || function.config.writeOneToClearMask(o, width: .dword) != built.writeOneToClearMask(o, width: .dword)
            {
                differences += 1
            }
        }
        #expect(differences == 0, "\(what): \(differences) dwords differ from a fresh build")
    }

    @Test("functions of distinct configurations, built in turn and again, get the space of their own configuration")
    func everyFunctionGetsItsOwnConfigurationsSpace() throws {
        let configurations = Self.variants()
        for round in 0..<3 {
            for (i, configuration) in configurations.enumerated() {
                let bus = PCIBus()
                let function = try PCIFunction(
                    configuration, at: BDF(bus: 0, device: 3, function: 0), services: bus.services)
                try Self.expectBuilt(function, configuration, "configuration \(i), round \(round)")
            }
        }
        #expect(ConfigSpaceBuilder.cachedConfigurationCount >= 1)
        #expect(ConfigSpaceBuilder.cachedConfigurationCount <= ConfigSpaceBuilder.cachedConfigurationLimit)
    }

    @Test("a guest's writes to one function's space reach neither another function nor a later one")
    func writesStayInTheirFunction() throws {
        let configuration = Fixtures.fullConfiguration()
        let first = try Bench(configuration)
        let second = try Bench(configuration)
        first.enable(memory: true, busMaster: true)
        first.write(0x10, .dword, 0xfebf_0000)
        first.write(0x70 + 2, .word, 0x8000)  // MSI-X Enable
        #expect(first.read(0x10) == 0xfebf_0000)
        try Self.expectBuilt(second.function, configuration, "a function built before the writes")
        let third = try Bench(configuration)
        try Self.expectBuilt(third.function, configuration, "a function built after the writes")
    }

    @Test("a configuration that cannot be built throws every time")
    func errorsAreNotRemembered() {
        let bad = FunctionConfiguration(
            identity: Fixtures.identity, bars: [], capabilities: [.init(.powerManagement, at: 0x3c)])
        for _ in 0..<2 {
            #expect(throws: ConfigurationError.self) {
                _ = try PCIFunction(bad, at: BDF(bus: 0, device: 3, function: 0), services: PCIBus().services)
            }
        }
    }
}
