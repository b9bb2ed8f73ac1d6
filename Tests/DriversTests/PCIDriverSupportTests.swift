import DMAEngine
import Drivers
import PCIe
import Testing

/// A bus with a DMA engine PF (8 VFs possible) and a host-bridge-like function without caps.
func driverBus() throws -> (PCIBus, BDF, BDF) {
    let bus = PCIBus()
    let engine = BDF(bus: 0, device: 3, function: 0)
    try bus.attach(DMAEngine.makePhysicalFunction(at: engine, services: bus.services, totalVFs: 8))
    let bare = BDF(bus: 0, device: 0, function: 0)
    let identity = FunctionIdentity(vendorID: 0x8086, deviceID: 0x1237, revision: 2, classCode: 0x060000)
    try bus.attach(
        PCIFunction(FunctionConfiguration(identity: identity, bars: [], capabilities: []), at: bare, services: bus.services))
    Firmware(bus: bus).enumerateAndAssign()
    return (bus, engine, bare)
}

@Suite("driver-side PCI helpers")
struct PCIDriverSupportTests {
    @Test("capability walk finds classic and extended capabilities at their offsets")
    func findCapabilities() throws {
        let (bus, engine, bare) = try driverBus()
        let access = bus.access(engine)
        #expect(access.findCapability(MSIXCapability.capabilityID) == ConfigOffset(0x70))
        #expect(access.findCapability(PCIExpressCapability.capabilityID) == ConfigOffset(0xa0))
        #expect(access.findExtendedCapability(SRIOVCapability.capabilityID) == ConfigOffset(0x160))
        #expect(bus.access(bare).findCapability(MSIXCapability.capabilityID) == nil)
        #expect(bus.access(bare).findExtendedCapability(SRIOVCapability.capabilityID) == nil)
    }

    @Test("a looping capability chain ends the walk instead of hanging the driver")
    func loopingChain() throws {
        let (bus, engine, _) = try driverBus()
        let f = try #require(bus.function(at: engine))
        f.updateConfig { $0.set(ConfigOffset(0x71), width: .byte, value: 0x40) }  // MSI-X -> PM: loop
        #expect(bus.access(engine).findCapability(0x09) == nil)
    }

    @Test("enabling VFs: refused above TotalVFs and without SR-IOV; VFs appear at the reported ids")
    func enableVFs() throws {
        let (bus, engine, bare) = try driverBus()
        #expect(throws: SRIOVEnableError.tooMany(requested: 9, total: 8)) { try bus.access(engine).enableVirtualFunctions(9) }
        #expect(throws: SRIOVEnableError.notCapable) { try bus.access(bare).enableVirtualFunctions(1) }
        let vfs = try bus.access(engine).enableVirtualFunctions(3)
        #expect(vfs.map(\.routingID) == [0x98, 0x9a, 0x9c])
        for vf in vfs { #expect(bus.function(at: vf)?.deviceID == DMAEngine.vfDeviceID) }
        #expect(try bus.access(engine).enableVirtualFunctions(0).isEmpty)
        #expect(bus.function(at: vfs[0]) == nil)
    }

    @Test("MSI-X vector programming rejects vectors beyond Table Size")
    func msixVectorRange() throws {
        let (bus, engine, bare) = try driverBus()
        #expect(bus.access(engine).enableMSIXVector(DMAEngine.pfVectors - 1, data: 1))
        #expect(!bus.access(engine).enableMSIXVector(DMAEngine.pfVectors, data: 1))
        #expect(!bus.access(bare).enableMSIXVector(0, data: 1))
    }
}

@Suite("DMA engine driver")
struct DMAEngineDriverTests {
    @Test("probe refuses a function that is not a DMA engine, and bad ring sizes")
    func probe() throws {
        let (bus, engine, bare) = try driverBus()
        #expect(throws: DMAEngineDriverError.self) { try DMAEngineDriver(device: bus.access(bare)) }
        #expect(throws: DMAEngineDriverError.invalidRingSize(3)) {
            try DMAEngineDriver(device: bus.access(engine), ringEntries: 3)
        }
    }

    @Test("the ring holds entries - 1 descriptors; reclaim frees them in order")
    func ringFull() throws {
        let (bus, engine, _) = try driverBus()
        let driver = try DMAEngineDriver(device: bus.access(engine), ringEntries: 4)
        let src = try driver.device.allocateDMA(64)
        let dst = try driver.device.allocateDMA(64)
        for _ in 0..<3 { try driver.post(from: src.deviceAddress, to: dst.deviceAddress, length: 16) }
        #expect(throws: DMAEngineDriverError.ringFull) {
            try driver.post(from: src.deviceAddress, to: dst.deviceAddress, length: 16)
        }
        driver.ringDoorbell()
        #expect(try driver.reclaim() == 3)
        #expect(driver.inFlight == 0)
        #expect(driver.completedCount == 3)
    }

    @Test("FLR through the PCIe capability resets the engine; the driver can re-initialise")
    func functionLevelReset() throws {
        let (bus, engine, _) = try driverBus()
        let access = bus.access(engine)
        _ = try DMAEngineDriver(device: access)
        #expect(access.functionLevelReset())
        #expect(bus.function(at: engine)?.memoryDecodeEnabled == false)
        // An OS restores BARs and Command after FLR; the firmware pass does the same here.
        Firmware(bus: bus).enumerateAndAssign()
        let driver = try DMAEngineDriver(device: bus.access(engine))
        let src = try driver.device.allocateDMA(128)
        let dst = try driver.device.allocateDMA(128)
        src.host[127] = 0x42
        try driver.copy(from: src.deviceAddress, to: dst.deviceAddress, length: 128)
        #expect(dst.host[127] == 0x42)
    }
}
